"""The package's JSON schemas (src/nndl3/*.schema.yaml), each read once, and a value
checked against one. The workflow's config schema refers to them, so that a job checks the
spec it receives by the same rules the config was checked by."""

from __future__ import annotations

import functools
from pathlib import Path

from . import readers

PACKAGE = Path(__file__).resolve().parent


@functools.cache
def read(path: Path) -> dict:
    """A schema file (the package's, or the workflow's config schema), read once."""
    return readers.yaml_mapping(path, "JSON schema")


def load(name: str) -> dict:
    """The package's schema `name` (src/nndl3/<name>)."""
    return read(PACKAGE / name)


def error_text(e, root: dict | None = None) -> str:
    """A jsonschema ValidationError as `key.path: message`, and for a key the schema does
    not allow, the allowed key it may mean (`root`: the schema its local $refs are in)."""
    key = ".".join(str(p) for p in e.absolute_path) or "(top level)"
    return f"{key}: {e.message}{meant_key(e, root)}"


def allowed_keys(schema: dict, root: dict | None) -> list[str]:
    """The keys a schema names, with those of the parts it combines (allOf, local $refs)."""
    keys = list(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        ref = part.get("$ref", "")
        if root is not None and ref.startswith("#/$defs/"):
            part = root["$defs"][ref.removeprefix("#/$defs/")]
        keys += allowed_keys(part, root)
    return keys


def meant_key(e, root: dict | None = None) -> str:
    """'; did you mean 'lmbda' for 'lambda'?' for an unexpected key close to an allowed one
    ('' if none): `lambda`, the book's name, is `lmbda` here, as in network2.py."""
    import difflib

    if e.validator not in ("additionalProperties", "unevaluatedProperties") \
            or not isinstance(e.instance, dict):
        return ""
    allowed = allowed_keys(e.schema, root)
    for unexpected in (k for k in e.instance if k not in allowed):
        match = difflib.get_close_matches(str(unexpected), allowed, n=1)
        if match:
            return f"; did you mean {match[0]!r} for {unexpected!r}?"
    return ""


def problem(value, name: str, ref: str | None = None) -> str | None:
    """The most relevant violation of schema `name` (at `ref`, a `$defs` entry, if given)
    by value, as `key.path: message` (at the top level, the message), or None."""
    import jsonschema

    schema = load(name) if ref is None else {**load(name), "$ref": f"#/$defs/{ref}"}
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(value))
    # a key whose value is wrong is also "unevaluated" where the schema forbids unevaluated
    # keys, and that error, higher up, would win: name the wrong value instead
    specific = [e for e in errors if e.validator != "unevaluatedProperties"]
    error = jsonschema.exceptions.best_match(specific or errors)
    if error is None:
        return None
    text = error_text(error, schema)
    return text if error.absolute_path else text.removeprefix("(top level): ")
