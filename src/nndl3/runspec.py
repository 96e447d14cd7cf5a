"""Run specifications: validation against `run.schema.yaml` and the defaults it gives."""

from __future__ import annotations

import copy
import json

import yaml

from . import readers, schemas
from .errors import UserError

ANNOTATIONS = ("description",)  # keys that say what a run is, and change nothing


def schema() -> dict:
    return schemas.load("run.schema.yaml")


def defaults() -> dict:
    """Every key's default, from run.schema.yaml (the one place defaults live), in the
    schema's order: the book's network, trained its way. A fresh copy each call."""
    return copy.deepcopy({k: v["default"] for k, v in schema()["properties"].items()
                          if "default" in v})


def keys_required() -> list[str]:
    """The keys a spec must set: those the schema gives no default (seeds), less the
    literature runs' options, which have none so that other runs' specs stay as they are."""
    return [k for k, v in schema()["properties"].items()
            if "default" not in v and k not in ANNOTATIONS and k not in WIDE_ONLY]


class Spec(dict):
    """A run spec that `validate` has checked and completed with its defaults: what
    training takes. A copy made with {**spec, ...} is a plain dict again, unchecked."""


def schema_errors(spec: dict) -> list:
    """The schema's complaints about `spec`, by key path."""
    return sorted(schemas.validator_class()(schema()).iter_errors(spec),
                  key=lambda e: list(e.absolute_path))


def check_values(spec: dict, where: str) -> None:
    """A UserError for the schema's first complaint about the keys `spec` has (a record's:
    a value it holds, of a key it may lack)."""
    errors = schema_errors(spec)
    if errors:
        raise UserError(f"{where}: {schemas.placed_text(errors[0])}")


def validate_key(spec: dict, key: str, where: str) -> None:
    """A UserError for the schema's first complaint about `key` of `spec`, named by `where`
    (where that value came from), and none about the others."""
    errors = [e for e in schema_errors(spec) if list(e.absolute_path)[:1] == [key]]
    if errors:
        raise UserError(f"{where}: {schemas.error_text(errors[0])}")


def validate(spec: dict, where: str) -> Spec:
    """The one check of a run spec, and the one place its defaults are filled in: the
    schema, the required keys, what the schema cannot say; a UserError names the place,
    the key and the offending value. The workflow validates each run's spec when it loads
    its config and passes it on complete; the job validates what it receives again (it
    may come from anywhere: a file, the command line), once."""
    check_values(spec, where)
    missing = [k for k in keys_required() if k not in spec]
    if missing:
        raise UserError(f"{where}: missing key(s) {', '.join(missing)}")
    complete = Spec({**defaults(), **spec})
    check_options(complete, where)
    return complete


# The literature runs' options (config/literature.yaml): only the wide engine knows them.
WIDE_ONLY = ("init_std", "eta_decay", "momentum_schedule", "max_norm", "max_norm_output",
             "input_dropout", "distortion")
# The options engine 'wide' (nndl3.wide) does not take: it trains sigmoid neurons with the
# cross-entropy cost, no penalty and no stopping rule, measures every epoch, and distorts
# images its own way (`distortion`), i.e. each at the schema's default. A literature run
# that sets one otherwise is refused (it would be trained as the default and recorded as
# set), and config/config.yaml's defaults of these do not reach those runs
# (literature.run_spec).
WIDE_FIXED = ("hidden", "output", "cost", "lmbda", "regularization", "early_stopping",
              "schedule", "monitor_every", "rotation")
# Options of the hidden neurons: a network without a hidden layer has nothing they act on.
HIDDEN_ONLY = ("hidden", "dropout")


def off_default(spec: dict, keys) -> list[str]:
    """The keys of the complete `spec` set otherwise than the schema's default, in order."""
    schema_defaults = defaults()
    return [key for key in keys if spec[key] != schema_defaults[key]]


def hidden_defaults() -> dict:
    """The schema's default of each option of the hidden neurons (HIDDEN_ONLY)."""
    schema_defaults = defaults()
    return {key: schema_defaults[key] for key in HIDDEN_ONLY}


def mnist_sizes_problem(sizes: list) -> str | None:
    """Why a network's layer sizes cannot take MNIST (None if they can)."""
    if sizes[0] != 784 or sizes[-1] != 10:
        return f"{sizes} must start with 784 inputs and end with 10 outputs for MNIST"
    return None


def check_options(spec: dict, where: str) -> None:
    """What the schema cannot say: the input and output sizes, the technique keys."""
    sizes = spec["sizes"]
    if problem := mnist_sizes_problem(sizes):
        raise UserError(f"{where}: sizes: {problem}")
    wide_only = [k for k in WIDE_ONLY if k in spec]
    if wide_only and spec["engine"] != "wide":
        raise UserError(f"{where}: {wide_only[0]}: only engine 'wide' (the literature runs) "
                        f"trains with it, not engine {spec['engine']!r}")
    if spec.get("max_norm_output") and not spec.get("max_norm"):
        raise UserError(f"{where}: max_norm_output: true bounds the output neurons by "
                        "max_norm, which is 0 or missing")
    if spec.get("max_norm") and len(sizes) == 2 and not spec.get("max_norm_output"):
        raise UserError(f"{where}: max_norm: {spec['max_norm']} bounds the hidden neurons, "
                        f"and sizes {sizes} have none; max_norm_output: true bounds the "
                        "output neurons")
    if len(sizes) == 2 and (idle := off_default(spec, HIDDEN_ONLY)):
        raise UserError(f"{where}: {idle[0]}: {spec[idle[0]]!r} acts on hidden neurons, and "
                        f"sizes {sizes} have none (it would change nothing)")
    rotation = spec["rotation"]
    if rotation["max_degrees"] and not rotation["copies"]:
        raise UserError(f"{where}: rotation: max_degrees {rotation['max_degrees']} with copies "
                        "0 adds no rotated image (it would change nothing)")
    if (spec["output"] == "softmax") != (spec["cost"] == "log-likelihood"):
        raise UserError(f"{where}: output: {spec['output']!r} with cost {spec['cost']!r}: a "
                        "softmax output goes with cost 'log-likelihood', and only with it")
    for key in ("early_stopping", "schedule"):
        if not spec[key]:
            continue
        if spec["evaluation"] != "validation":
            raise UserError(f"{where}: {key}: {spec[key]} watches the validation accuracy; "
                            f"evaluation is {spec['evaluation']!r}, not 'validation'")
        if "evaluation_accuracy" not in spec["monitor"] or spec["monitor_every"] != 1:
            raise UserError(f"{where}: {key}: {spec[key]} needs evaluation_accuracy in monitor "
                            "and monitor_every 1")


def merged(config_defaults: dict, overrides: dict) -> dict:
    """A run's full spec, unvalidated: the schema's defaults, the config's `defaults:` on
    top, the run's own keys on top of those. The config's defaults of the hidden neurons
    (HIDDEN_ONLY) pass over a network that has none: `defaults: {hidden: tanh}` changes
    every other run, and check_options refuses them only where a run sets them itself."""
    spec = {**defaults(), **config_defaults, **overrides}
    if isinstance(spec["sizes"], list) and len(spec["sizes"]) == 2:
        spec |= {key: value for key, value in hidden_defaults().items() if key not in overrides}
    return spec


def parsed(text: str, where: str):
    """The spec text as JSON if it is JSON (PyYAML would read json.dumps's 1e-05 as text),
    else as YAML (`{epochs: 1}` is a spec too), unless `where` is a .json file."""
    try:
        return json.loads(text, object_pairs_hook=readers.unique_pairs)
    except json.JSONDecodeError:
        if where.endswith(".json"):
            raise
        return yaml.load(text, readers.Loader)


def load(text_or_path: str, seeds=None) -> Spec:
    """A run spec from a YAML/JSON file, or from JSON text (what the workflow passes),
    with its seeds replaced by `seeds` if given; validated."""
    if not text_or_path.strip():
        raise UserError("--spec: empty: a run spec file, or JSON text")
    if text_or_path.lstrip().startswith(("{", "[")):
        where, text = "run spec", text_or_path
    else:
        where, text = text_or_path, readers.text(text_or_path, "run spec file")
    try:
        spec = parsed(text, where)
    except (yaml.YAMLError, json.JSONDecodeError, UserError) as exc:
        raise UserError(f"{where}: not valid YAML/JSON ({str(exc).splitlines()[0]})") from None
    if not isinstance(spec, dict):
        raise UserError(f"{where}: a run spec must be a mapping of keys to values")
    workflow_key = next((key for key in ("runs", "figures") if key in spec), None)
    if workflow_key:  # config/config.yaml or figures.yaml, say: its keys are no run's
        raise UserError(f"{where}: a workflow config (it has `{workflow_key}:`), not a run "
                        "spec: one run's settings, as .ci/quick.yaml holds")
    if "metrics" in spec and "spec" in spec:
        raise UserError(f"{where}: a run's record (it has `metrics:`), not a run spec: its "
                        "`spec:` holds the run's settings")
    if seeds:  # checked as what they are, the command line's, before the spec
        validate_key({**spec, "seeds": seeds}, "seeds", "--seeds")
        spec["seeds"] = seeds
    elif "seeds" not in spec:
        # its other keys first: a file that is no run spec (a record, figures.yaml) says so
        validate({**spec, "seeds": [0]}, where)
        raise UserError(f"{where}: missing key(s) seeds (or give them with --seeds)")
    return validate(spec, where)


def trained_at(literature: dict, scale: str) -> dict:
    """The literature runs (config/literature.yaml) trained at `scale`
    (paths.LITERATURE_SCALES), each with its settings there: the runs as configured, or
    those of the scale's own section (`probe:`, `miniature:`)."""
    return literature["runs"] if scale == "runs" else literature.get(scale) or {}
