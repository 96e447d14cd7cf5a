"""The one exception type the CLI turns into a one-line message and exit status 1."""


class UserError(Exception):
    """Bad input: the message names the file, key or value and what is wrong with it."""


def require_one_of(value, allowed, where: str) -> None:
    """A UserError naming `where` unless value is one of `allowed`."""
    if value not in allowed:
        raise UserError(f"{where}: {value!r} is not one of {', '.join(map(str, allowed))}")


def exit_status(main) -> int:
    """main()'s exit status, a UserError one line on stderr and status 1: bad input to a
    benchmark or tool script, as the package's commands give it (python -m nndl3)."""
    import sys

    try:
        return main() or 0
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
