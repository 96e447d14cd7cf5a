"""How the check's tables write a number (check, curves, literature_check): one convention
for a number a row does not have."""


def number(value: float | None, spec: str, prefix: str = "") -> str:
    """`value` formatted by `spec` after `prefix`, or "-" where the row has no such number."""
    return "-" if value is None else prefix + format(value, spec)
