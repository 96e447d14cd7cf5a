"""The package's JSON schemas (src/nndl3/*.schema.yaml), each read once, and a value
checked against one. The workflow's config schema refers to them, so that a job checks the
spec it receives by the same rules the config was checked by."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from . import readers

PACKAGE = Path(__file__).resolve().parent


@functools.cache
def read(path: Path) -> dict:
    """A schema file (the package's, or the workflow's config schema), read once."""
    return readers.yaml_mapping(path, "JSON schema")


@functools.cache
def validator_class():
    """Draft 2020-12 with the types a user means: an integer is an int (jsonschema takes
    3.0, which range() and slices then refuse), a number is finite (NaN passes every
    minimum and maximum, as a comparison with it is false)."""
    import jsonschema

    base = jsonschema.Draft202012Validator
    checker = base.TYPE_CHECKER.redefine_many({
        "integer": lambda _, value: readers.is_integer(value),
        "number": lambda _, value: readers.is_finite_number(value)})
    return jsonschema.validators.extend(base, type_checker=checker)


def load(name: str) -> dict:
    """The package's schema `name` (src/nndl3/<name>)."""
    return read(PACKAGE / name)


def error_text(e, root: dict | None = None, validator=None, document=None) -> str:
    """A jsonschema ValidationError as `key.path: message`, and for a key the schema does
    not allow, the allowed key it may mean (`root`: the schema its local $refs are in;
    `validator` and the `document` it checked: a key is suggested only if the document
    with it renamed takes it there, `accepted`)."""
    key = ".".join(str(p) for p in e.absolute_path) or "(top level)"
    return (f"{key}: {message(e)}{meant_key(e, root, validator, document)}{exponent_hint(e)}"
            f"{size_bound(e)}")


def message(e) -> str:
    """jsonschema's message; for a `not`, the refused schema's own reason (its
    `description`) instead of the whole value and schema; for inf or NaN, that a number
    must be finite (jsonschema's 'is not of type number' said it is none)."""
    refused = e.validator_value
    if e.validator == "not" and isinstance(refused, dict) and "description" in refused:
        return refused["description"]
    if e.validator == "type" and "number" in wanted_types(e) and isinstance(e.instance, float):
        return f"{e.instance} is not a finite number"  # validator_class's number is finite
    return e.message


# the size bounds whose jsonschema message ("is too short") does not name the bound
SIZE_BOUNDS = {"minItems": "at least {} items", "maxItems": "at most {} items",
               "minLength": "at least {} characters", "maxLength": "at most {} characters",
               "minProperties": "at least {} keys", "maxProperties": "at most {} keys"}


def size_bound(e) -> str:
    """' (at least 5 items)' for a value that broke a size bound, '' otherwise."""
    form = SIZE_BOUNDS.get(e.validator)
    return "" if form is None else f" ({form.format(e.validator_value)})"


# a number in exponent form: YAML 1.2 and JSON read it as a number, PyYAML (YAML 1.1, as
# Snakemake reads config files) only with a point and a signed exponent (1.0e+5), else as text
EXPONENT = re.compile(r"([-+]?[0-9]+(?:\.[0-9]*)?)[eE]([-+]?[0-9]+)")


def exponent_hint(e) -> str:
    """Why a number the user typed, as 1e-05, reached the schema as text ('' otherwise),
    and how to write it so that PyYAML reads a number."""
    number = EXPONENT.fullmatch(e.instance) if isinstance(e.instance, str) else None
    if e.validator != "type" or number is None or "number" not in wanted_types(e):
        return ""  # an integer's key is told nothing: 1.0e+5 is no integer either
    mantissa, exponent = number.groups()
    fixed = (mantissa if "." in mantissa else f"{mantissa}.0") + "e" + (
        exponent if exponent[0] in "+-" else f"+{exponent}")
    return (f" (YAML reads {e.instance} as text; with a point and a signed exponent it is a "
            f"number: {fixed})")


def wanted_types(e) -> list[str]:
    """The types a `type` violation asked for (its schema gives one or a list)."""
    return e.validator_value if isinstance(e.validator_value, list) else [e.validator_value]


def allowed_keys(schema: dict, root: dict | None) -> list[str]:
    """The keys a schema names, with those of the parts it combines (allOf, `#/$defs/x`)."""
    keys = list(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        name = part.get("$ref", "").removeprefix("#/$defs/")
        if root is not None and "/" not in name and name in root.get("$defs", {}):
            part = root["$defs"][name]
        keys += allowed_keys(part, root)
    return keys


def unexpected_keys(e) -> list[str]:
    """The keys jsonschema's message names as unexpected ("('a', 'b' were unexpected)")."""
    named = re.search(r"\((.*) (?:was|were) unexpected\)", e.message)
    return re.findall(r"'([^']*)'", named.group(1)) if named else []


def meant_key(e, root: dict | None = None, validator=None, document=None) -> str:
    """'; did you mean 'lmbda' for 'lambda'?' for an unexpected key close to an allowed one
    ('' if none): `lambda`, the book's name, is `lmbda` here, as in network2.py."""
    import difflib

    if e.validator not in ("additionalProperties", "unevaluatedProperties") \
            or not isinstance(e.instance, dict):
        return ""
    allowed = allowed_keys(e.schema, root)
    for unexpected in unexpected_keys(e):
        for key in difflib.get_close_matches(unexpected, allowed, n=3):
            if validator is None or accepted(validator, document, e.absolute_path,
                                             unexpected, key):
                return f"; did you mean {key!r} for {unexpected!r}?"
    return ""


def accepted(validator, document, path, old: str, new: str) -> bool:
    """Whether `document` with key `old` renamed `new` at `path` takes the key there: its
    schema may allow a key another forbids there (`not`: a run's `seeds`). Other errors,
    a value of the wrong type say, do not count against the name."""
    import copy

    renamed = copy.deepcopy(document)
    node = renamed
    for step in path:
        node = node[step]
    node[new] = node.pop(old)
    where = list(path)

    def refuses(error) -> bool:
        if list(error.absolute_path)[:len(where)] != where:
            return False
        return error.validator == "not" or (
            error.validator in ("additionalProperties", "unevaluatedProperties")
            and new in unexpected_keys(error))

    return not any(refuses(error) for error in validator.iter_errors(renamed))


def problem(value, name: str, ref: str | None = None) -> str | None:
    """The most relevant violation of schema `name` (at `ref`, a `$defs` entry, if given)
    by value, as `key.path: message` (at the top level, the message), or None."""
    import jsonschema

    schema = load(name) if ref is None else {**load(name), "$ref": f"#/$defs/{ref}"}
    validator = validator_class()(schema)
    errors = list(validator.iter_errors(value))
    # a key whose value is wrong is also "unevaluated" where the schema forbids unevaluated
    # keys, and that error, higher up, would win: name the wrong value instead
    specific = [e for e in errors if e.validator != "unevaluatedProperties"]
    error = jsonschema.exceptions.best_match(specific or errors)
    if error is None:
        return None
    return placed_text(error, schema, validator, value)


def placed_text(e, root: dict | None = None, validator=None, document=None) -> str:
    """error_text, without its key where the whole value is wrong: a caller names that."""
    text = error_text(e, root, validator, document)
    return text if e.absolute_path else text.removeprefix("(top level): ")
