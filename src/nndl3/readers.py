"""Readers of every file a user or a killed job can break, each checked on the way in.

A missing, truncated, non-JSON/YAML file, one of another schema version or one without
a key the reader needs raises `UserError` with one line naming the file and the problem,
so that no traceback reaches the user. Results are written atomically (`nndl3.atomic`),
so a broken one came from outside the pipeline: the message says to delete and rebuild
one of the workflow's outputs, and to fix any other file (`advice_for`).
"""

from __future__ import annotations

import json
import math
import os
import zipfile
import zlib
from pathlib import Path

import yaml

from . import paths
from .errors import UserError

RECORD_SCHEMA = "nndl3.run-record/1"
# a record's stop_reason when its seed ran every epoch of its spec
LAST_EPOCH = "epochs: the last epoch of the spec"
AGGREGATE_SCHEMA = "nndl3.aggregate/1"
SVM_SCHEMA = "nndl3.svm/1"
NEURON_SCHEMA = "nndl3.neuron/1"
BASELINE_SCHEMA = "nndl3.baseline/1"

# libyaml's parser where PyYAML has it: several times faster (every Snakemake start reads
# the config files), and the same documents, as construction stays PyYAML's own
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Loader(SAFE_LOADER):
    """The safe loader, refusing a key given twice in one mapping: PyYAML keeps the last
    silently, so a run written twice in a config file lost the first one's settings."""

    def flatten_mapping(self, node):
        # each mapping as written, before its merges (`<<: *anchor`) add keys it overrides:
        # PyYAML flattens a mapping in place, and may be asked again (an alias of it)
        checked = self.__dict__.setdefault("_checked", set())
        if id(node) not in checked:
            checked.add(id(node))
            seen = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node)
                try:
                    if key in seen:
                        raise yaml.constructor.ConstructorError(
                            None, None, f"the key {key!r} given twice", key_node.start_mark)
                    seen.add(key)
                except TypeError:  # unhashable: PyYAML's own error follows
                    pass
        super().flatten_mapping(node)


def unique_pairs(pairs: list) -> dict:
    """json.loads's object_pairs_hook: a key given twice is an error, as in YAML (Loader)."""
    out = {}
    for key, value in pairs:
        if key in out:
            raise UserError(f"the key {key!r} given twice")
        out[key] = value
    return out


REBUILD = "delete it and rerun snakemake to rebuild it"
FIX = "fix it, or restore it from git if it is one of the repository's"

# The keys every reader of a schema needs (a figure needing more names what it lacks).
KEYS = {
    RECORD_SCHEMA: ("run", "seed", "spec", "monitored_epochs", "metrics", "seconds_per_epoch"),
    AGGREGATE_SCHEMA: ("run", "seeds", "monitored_epochs", "metrics"),
    SVM_SCHEMA: ("train_size", "accuracy"),
    NEURON_SCHEMA: ("w0", "b0", "cost_kind", "eta", "epochs", "output", "cost"),
    BASELINE_SCHEMA: ("classifier", "evaluation", "correct", "of", "accuracy"),
}
WHAT = {RECORD_SCHEMA: "run record", AGGREGATE_SCHEMA: "aggregate", SVM_SCHEMA: "SVM result",
        NEURON_SCHEMA: "single-neuron result", BASELINE_SCHEMA: "baseline result"}


def is_number(value) -> bool:
    """A JSON/YAML number: an int or float, not a bool (which Python counts as an int)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_finite_number(value) -> bool:
    """A number, and not NaN nor infinite (NaN passes every comparison's check)."""
    return is_number(value) and math.isfinite(value)


def is_integer(value) -> bool:
    """A JSON/YAML integer, not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def text(path: str | os.PathLike, what: str, missing: str | None = None) -> str:
    """A text file's content; a folder, a missing file (with `missing`: what makes it) or
    binary content is a UserError naming it."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{path}: a folder, not {article(what)} {what}")
    if path.exists() and not path.is_file():  # /dev/null, a pipe: nothing a job wrote
        raise UserError(f"{path}: a special file, not {article(what)} {what}")
    if not path.is_file():
        raise UserError(f"{path}: {what} missing" + (f" ({missing})" if missing else ""))
    try:
        return path.read_text()
    except UnicodeDecodeError:
        raise UserError(f"{path}: {what} is not a text file") from None


def advice_for(path) -> str:
    """What to do with a broken file: one in the workflow's output folders is rebuilt;
    any other (the config, the book's runs, a file given by hand) is the user's to fix."""
    relative = Path(os.path.relpath(os.path.abspath(path)))  # links as given, not followed
    return REBUILD if relative.parts[0] in paths.OUTPUT_FOLDERS else FIX


def json_file(path: str | os.PathLike, what: str = "JSON file", advice: str | None = None,
              missing: str | None = None):
    """A JSON document; a truncated or empty file is named as such, with `advice` (by
    default what `advice_for` says of its folder), a missing one with `missing`."""
    content = text(path, what, missing)
    try:
        return json.loads(content)
    except json.JSONDecodeError as exc:
        advice = advice or advice_for(path)
        if not content.strip():
            raise UserError(f"{path}: {what} is empty; {advice}") from None
        # json's own words end in "at" where it names a position ("starting at")
        raise UserError(f"{path}: {what} truncated or not JSON ({exc.msg.removesuffix(' at')} "
                        f"at line {exc.lineno}, column {exc.colno}); {advice}") from None


def yaml_mapping(path: str | os.PathLike, what: str, keys=()) -> dict:
    """A YAML file whose top level is a mapping holding `keys`."""
    try:
        doc = yaml.load(text(path, what), Loader=Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise UserError(f"{path}: {what} is not valid YAML ({problem}{where})") from None
    return require(doc, keys, path, what)


def require(doc, keys, path, what: str) -> dict:
    if doc is None:
        raise UserError(f"{path}: {what} is empty")
    if not isinstance(doc, dict):
        raise UserError(f"{path}: {what} must be a mapping of keys to values, "
                        f"not {type(doc).__name__}")
    missing = [k for k in keys if k not in doc]
    if missing:
        raise UserError(f"{path}: {what} lacks key(s) {', '.join(map(repr, missing))}")
    return doc


def result(path: str | os.PathLike, *schemas: str) -> dict:
    """A JSON result of one of `schemas` (any of ours if none given), with its keys."""
    what = " or ".join(WHAT[s] for s in schemas) if schemas else "result file"
    schemas = schemas or tuple(KEYS)
    doc = require(json_file(path, what), (), path, what)
    schema = doc.get("schema")
    if schema not in schemas:
        if schema in WHAT:  # a sound file of another kind, given in the wrong place
            raise UserError(f"{path}: not {article(what)} {what}: it is {article(WHAT[schema])} "
                            f"{WHAT[schema]} (schema {schema!r})")
        found = f"schema {schema!r}" if schema else "no schema field"
        raise UserError(f"{path}: not {article(what)} {what} of schema "
                        f"{' or '.join(schemas)} ({found}); " + advice_for(path))
    require(doc, KEYS[schema], path, WHAT[schema])
    if schema in VALUES:
        VALUES[schema](doc, path)
    return doc


def svm_result(path) -> dict:
    return result(path, SVM_SCHEMA)


def svm_values(doc: dict, path) -> None:
    """An SVM result's values as its readers take them: a training size, accuracies that
    are fractions (its own, and each set's it was scored on besides)."""
    if not is_integer(doc["train_size"]) or doc["train_size"] < 1:
        raise UserError(f"{path}: SVM result: train_size: {doc['train_size']!r} is not a "
                        f"positive integer; {advice_for(path)}")
    scores = doc.get("scores", {})
    if not isinstance(scores, dict):
        raise UserError(f"{path}: SVM result: scores: not a mapping of set to its score; "
                        f"{advice_for(path)}")
    for key, score in [("accuracy", doc), *((f"scores.{k}.accuracy", v)
                                            for k, v in scores.items())]:
        fraction(score.get("accuracy") if isinstance(score, dict) else None, key, path,
                 "SVM result")


def baseline_values(doc: dict, path) -> None:
    """A baseline result's values: correct of `of` images, and its accuracy a fraction."""
    if not (is_integer(doc["of"]) and is_integer(doc["correct"])
            and 0 <= doc["correct"] <= doc["of"] and doc["of"] > 0):
        raise UserError(f"{path}: baseline result: correct {doc['correct']!r} of "
                        f"{doc['of']!r} is not a count of images; {advice_for(path)}")
    fraction(doc["accuracy"], "accuracy", path, "baseline result")


def fraction(value, key: str, path, what: str) -> None:
    """A UserError unless `value` is a finite number in [0, 1] (an accuracy)."""
    if not is_finite_number(value) or not 0 <= value <= 1:
        raise UserError(f"{path}: {what}: {key}: {value!r} is not a fraction in [0, 1]; "
                        f"{advice_for(path)}")


# the checks of a result's values beyond its keys, by schema (`result` applies them): the
# results a figure or a row reads as they are
VALUES = {SVM_SCHEMA: svm_values, BASELINE_SCHEMA: baseline_values}


def neuron_result(path) -> dict:
    return result(path, NEURON_SCHEMA)


def keyed(paths, read, key, what: str) -> dict:
    """{key(path, result): result} of the files `read` reads; two results of one key are an
    error naming the second file (the rows would read one of them and silently drop the
    other)."""
    by_key = {}
    for path in paths:
        doc = read(path)
        k = key(path, doc)
        if k in by_key:
            raise UserError(f"{path}: a second {what} {k!r}")
        by_key[k] = doc
    return by_key


# what np.load raises, opening or reading, for a file that is no NumPy file, or a broken one
NUMPY_FILE_ERRORS = (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error)


def numpy_file_reason(exc: Exception, archive: bool = True) -> str:
    """Why np.load could not read a file, in a user's words. Its own words for a file that
    is no NumPy file suggest loading it unsafely, as pickled data: never the remedy here."""
    if isinstance(exc, EOFError):
        return "empty"
    if isinstance(exc, zipfile.BadZipFile):
        return "not a zip archive, or truncated"
    if type(exc) is ValueError and str(exc).startswith("Object arrays"):  # NumPy's words
        return "an array of Python objects, which is never unpickled"
    if type(exc) is ValueError:
        return "not a zip archive" if archive else "not a NumPy array file"
    return str(exc)


def npz_arrays(path, what: str, then: str, names=None) -> dict:
    """The arrays `names` (all if None) of the .npz at `path`, read. A file that is not
    one (an .npy neither), a broken one, or one without an array of `names` is a
    UserError: `{path}: {what} (why){then}`."""
    import numpy as np

    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise ValueError("an .npy")
        with loaded as z:
            missing = [name for name in names or () if name not in z.files]
            if not missing:
                return {name: z[name] for name in names or z.files}
        reason = f"no {', '.join(missing)}"
    except NUMPY_FILE_ERRORS as exc:
        reason = numpy_file_reason(exc)
    raise UserError(f"{path}: {what} ({reason}){then}")


def baseline_result(path) -> dict:
    return result(path, BASELINE_SCHEMA)


def expected(path) -> dict:
    doc = yaml_mapping(path, "expected values", ("quantities",))
    if not isinstance(doc["quantities"], list):
        raise UserError(f"{path}: expected values: quantities must be a list")
    return doc


def calibration(path, what: str = "calibration") -> dict:
    """config/calibration.yaml (or the recipe's, config/recipe.yaml: `what` names it):
    each row's sd, and each row's value per seed (per_seed: the degrees of freedom and
    the distributions the check reads), read as a whole (`check.whole_calibration` holds
    them to the rows)."""
    doc = yaml_mapping(path, what, ("seeds", "seed_sd"))
    for key in ("seed_sd", "claim_sd"):  # each row's sd, which its tolerance scales
        sds = doc.get(key, {})
        if not isinstance(sds, dict):
            raise UserError(f"{path}: {what}: {key} must be a mapping of row id to sd")
        for row, sd in sds.items():
            if not_non_negative([sd]):
                raise UserError(f"{path}: {what}: {key}.{row}: {sd!r} is not a "
                                f"non-negative number; {advice_for(path)}")
    per_seed = doc.get("per_seed", {})
    if not isinstance(per_seed, dict):
        raise UserError(f"{path}: {what}: per_seed must be a mapping of row id to its values")
    for row, values in per_seed.items():
        if not isinstance(values, dict):
            raise UserError(f"{path}: {what}: per_seed.{row}: not a mapping of seed to a "
                            f"number; {advice_for(path)}")
        for seed, value in values.items():
            if not (is_integer(seed) and is_finite_number(value)):
                raise UserError(f"{path}: {what}: per_seed.{row}: {seed!r}: {value!r} is not "
                                f"a seed's number; {advice_for(path)}")
    return doc


def curve_calibration(path, installed_by: str = "install_calibration") -> dict:
    """config/calibration_curves.json (or the recipe's, config/recipe_curves.json, which
    the rule `installed_by` installs): per published curve, its per-epoch sd and threshold."""
    doc = json_file(path, "curve calibration",
                    f"restore it from git or rerun `snakemake --cores 2 {installed_by}`")
    doc = require(doc, ("seeds", "n_check", "curves"), path, "curve calibration")
    if not is_integer(doc["n_check"]) or doc["n_check"] < 1:
        raise UserError(f"{path}: curve calibration: n_check: {doc['n_check']!r} is not a "
                        f"number of seeds; {advice_for(path)}")
    if not isinstance(doc["curves"], dict):
        raise UserError(f"{path}: curve calibration: curves must be a mapping of curve id to "
                        "its sd and threshold")
    for curve, entry in doc["curves"].items():
        require(entry, ("sd", "sd_epoch_mean", "threshold"), path,
                f"curve calibration of {curve}")
        where = f"{path}: curve calibration of {curve}"
        sds = entry["sd"] if isinstance(entry["sd"], list) else [entry["sd"]]
        for key, values in (("sd", sds), ("sd_epoch_mean", [entry["sd_epoch_mean"]])):
            if wrong := not_non_negative(values):
                raise UserError(f"{where}: {key}: {wrong[0]!r} is not a "
                                f"non-negative number; {advice_for(path)}")
        if not is_finite_number(entry["threshold"]):
            raise UserError(f"{where}: threshold: {entry['threshold']!r} is not a number; "
                            f"{advice_for(path)}")
    return doc


def not_non_negative(values) -> list:
    """The values that are not finite numbers >= 0 (a standard deviation, a duration)."""
    return [v for v in values if not is_finite_number(v) or v < 0]


def reproduction(path) -> dict:
    """The chapter's reproduction report (`snakemake check` makes it), not another report
    with rows (the literature's has no gate)."""
    doc = require(json_file(path, "reproduction report",
                            missing="`snakemake --cores 2 check` makes it"),
                  ("rows",), path, "reproduction report")
    if "gate" not in doc:
        raise UserError(f"{path}: not the chapter's reproduction report (it has no gate; "
                        "`snakemake --cores 2 check` makes that report)")
    for part in ("rows", "curves", "replay"):  # what the gate reads row by row
        items = doc.get(part, [])
        if not isinstance(items, list) or not all(
                isinstance(r, dict) and isinstance(r.get("id"), str) for r in items):
            raise UserError(f"{path}: {part}: not a list of rows, each with an id; "
                            f"{advice_for(path)}")
    made = doc.get("code", {})
    if not isinstance(made, dict) or not isinstance(made.get("train", {}), dict):
        raise UserError(f"{path}: code: {made!r:.40} is not the digests of the code that made "
                        f"it; {advice_for(path)}")
    return doc


def article(noun: str) -> str:
    """"a" or "an" before `noun`; an acronym goes by its letter's name ("an SVM")."""
    if noun[:2].isupper():
        return "an" if noun[0] in "AEFHILMNORSX" else "a"
    return "an" if noun[:1] in "aeiou" else "a"
