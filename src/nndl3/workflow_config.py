"""What the workflow needs from its config, beyond what the JSON schema can check.

`validate` checks the config against workflow/schemas/config.schema.yaml; `check` then
verifies the cross-references (figures name existing runs, experiments name existing
figures, figures name a family of `nndl3.figures`) and each merged run spec
(runspec.validate), and `run_spec` turns the config into what the training rule passes on.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import yaml

from . import book_runs, changed, figures, paths, readers, runspec, schemas
from .errors import UserError

# The workflow's config files, in the order the Snakefile reads them (`configfile:`).
FILES = (paths.CONFIG, paths.FIGURES_CONFIG)
# The committed config: the one record of each run's book settings (nndl3.changed).
COMMITTED = FILES[0]


def unreadable(root, given=()) -> str | None:
    """What is wrong with the first config file that is not a YAML mapping, or None: read
    before Snakemake's `configfile:`, whose own error would not name the file; `given`,
    the --configfile files Snakemake has read already, for a key given twice, which its
    reader keeps the last of silently (readers.Loader)."""
    for path in [*(Path(root, name) for name in FILES), *map(Path, given)]:
        try:
            readers.yaml_mapping(path, "config file")
        except UserError as error:
            return str(error)
    return None


def load(root=".") -> dict:
    """The workflow's config as Snakemake sees it before validation: FILES under `root`,
    merged (their top-level keys are disjoint)."""
    config = {}
    for name in FILES:
        config.update(readers.yaml_mapping(Path(root) / name, "workflow config"))
    return config


def validate(config: dict, schema_file: str | Path) -> None:
    """The config against its JSON schema, a violation a UserError `key.path: message`.
    Each schema file is read once (schemas.read, also the jobs' reader of the package's
    schemas): snakemake.utils.validate reads a `$ref`'d file again at every use
    (run.schema.yaml 48 times, about a second of every Snakemake start)."""
    from urllib.parse import urlparse
    from urllib.request import url2pathname

    import jsonschema
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    schema_file = Path(schema_file).resolve()
    # its own URI as $id, so that a relative $ref resolves against its folder
    schema = {**schemas.read(schema_file), "$id": schema_file.as_uri()}

    def retrieve(uri: str) -> Resource:
        # without its $schema: jsonschema would check a $ref'd file by the dialect's own
        # class, not by schemas.validator_class's types
        contents = dict(schemas.read(Path(url2pathname(urlparse(uri).path))))
        contents.pop("$schema", None)
        return Resource.from_contents(contents, default_specification=DRAFT202012)

    validator = schemas.validator_class()(schema, registry=Registry(retrieve=retrieve))
    try:
        validator.validate(config)
    except jsonschema.ValidationError as error:
        raise UserError(schemas.error_text(error, None, validator, config)
                        + typed_as_text(error) + literature_key(error) + run_key(error)
                        + figure_key(error, config)) from None


def unexpected_at_top(error) -> list[str]:
    """The keys a violation names as unexpected at the config's top level ([] for any other
    violation)."""
    if error.validator != "additionalProperties" or list(error.absolute_path):
        return []
    return schemas.unexpected_keys(error)


def literature_key(error) -> str:
    """Where a top-level key of config/literature.yaml given to this config belongs ('' for
    any other violation): `--config probe=...` cannot change that file."""
    unexpected = unexpected_at_top(error)
    path = Path(paths.LITERATURE_CONFIG)
    if not unexpected or not path.is_file():
        return ""
    keys = set(readers.yaml_mapping(path, "literature config"))
    theirs = [k for k in unexpected if k in keys]
    return (f"; {', '.join(theirs)}: a key of {paths.LITERATURE_CONFIG}, which neither "
            "--config nor --configfile changes (edit it)") if theirs else ""


def run_key(error) -> str:
    """Where a run's setting given at the top level belongs ('' for any other violation):
    `--config eta=0.1` names no run."""
    theirs = [k for k in unexpected_at_top(error) if k in runspec.schema()["properties"]]
    return (f"; {', '.join(theirs)}: a run's setting: give it in a --configfile, under "
            f"`runs: {{<run>: {{{theirs[0]}: ...}}}}` for one run or `defaults:` for every "
            "run") if theirs else ""


def figure_key(error, config: dict) -> str:
    """For a figure entry without a `family`, that it is a new figure, and the figure it may
    mean ('' for any other violation): a misspelt name in a --configfile makes one."""
    import difflib

    where = list(error.absolute_path)
    if error.validator != "required" or len(where) != 2 or where[0] != "figures" \
            or "family" not in error.validator_value:
        return ""
    others = [name for name, fig in config["figures"].items()
              if isinstance(fig, dict) and "family" in fig]
    near = difflib.get_close_matches(str(where[1]), others, n=1)
    return (f" (not a figure of {paths.FIGURES_CONFIG}: a new figure names its family"
            + (f"; did you mean {near[0]!r}?)" if near else ")"))


def typed_as_text(error) -> str:
    """What to do about a number, list or mapping that came as a string, as `--config`
    passes a list's items ('' for any other violation): a file's YAML would have typed it."""
    if error.validator != "type" or not isinstance(error.instance, str):
        return ""
    try:
        typed = yaml.safe_load(error.instance)
    except yaml.YAMLError:
        return ""
    checker = schemas.validator_class().TYPE_CHECKER
    if isinstance(typed, str) or not any(checker.is_type(typed, t)
                                         for t in schemas.wanted_types(error)):
        return ""  # typed, it would still be wrong (`.nan`, `true` for a count): no hint
    return (" (a string: quoted in a YAML file, or an item of a list given by `--config`, "
            "which gives them as strings: write it unquoted in a --configfile)")


def check_engine(run: str, spec: dict) -> None:
    """A run the engine it names cannot train is refused now, not when its job runs: the
    wide engine trains the literature runs only, the fast one not every option."""
    if spec["engine"] == "wide":
        raise UserError(f"config runs.{run}: engine: 'wide' trains the literature runs only "
                        f"({paths.LITERATURE_CONFIG})")
    if spec["engine"] == "fast":  # the compiled engine's module, only when asked for
        from . import fast
        from .options import Options

        try:
            fast.refuse_unsupported(spec["sizes"], Options.of(spec))
        except fast.UnsupportedByFastEngine as exc:
            raise UserError(f"config runs.{run}: engine: fast: {exc} (use engine 'auto' or "
                            "'numpy')") from None


def from_defaults(config: dict, run: str, message: str) -> str:
    """' (engine: from `defaults`)' when an error of `run` names keys the run does not set
    and `defaults` sets to other than the schema's default: the change that broke it may be
    in `defaults`, not in the run."""
    schema_defaults = runspec.defaults()
    keys = [key for key, value in config["defaults"].items() if key not in config["runs"][run]
            and value != schema_defaults.get(key)
            and re.search(rf"\b{re.escape(key)}\b", message)]
    return f" ({', '.join(keys)}: from `defaults`)" if keys else ""


def run_spec(config: dict, run: str) -> dict:
    """The full spec of one run, validated and complete: the config's defaults, the run's
    overrides, the global seeds, and the defaults of the keys none of them set."""
    spec = {**runspec.merged(config["defaults"], config["runs"][run]), "seeds": config["seeds"]}
    key = repr(spec)  # tells 1 from 1.0 and True, and a string from a YAML date
    if key not in VALIDATED:
        VALIDATED[key] = runspec.validate(spec, f"config runs.{run}")
    return copy.deepcopy(VALIDATED[key])


# {a merged spec's repr: it validated}: a Snakemake start asks for each run's spec in
# several steps (the config's check, the recipe's plan, the figures' captions and
# settings), and validating it against the schema each time took a tenth of the start.
VALIDATED: dict[str, runspec.Spec] = {}


def replay_specs(config: dict) -> dict:
    """{published file: its replay spec} from the config's `replay` (nndl3.replay): the
    file's entry with the seed, its script's name and the mini-batch size merged in."""
    replay = config["replay"]
    return {file: {**spec, "seed": replay["seed"], "script": script,
                   "runs": [{"mini_batch": replay["mini_batch"], **run} for run in spec["runs"]]}
            for script, files in replay["scripts"].items() for file, spec in files.items()}


def check_replays(config: dict, mapping: book_runs.Published) -> None:
    """Each replayed file is a published file and its spec one the replay job takes (what
    the schema cannot say: replay_spec.checked), before any job: a misspelt file was
    found by the report, after every replay had run."""
    from . import replay_spec

    for file, spec in replay_specs(config).items():
        where = f"config replay.scripts.{spec['script']}.{file}"
        if file not in mapping.files:
            raise UserError(f"{where}: not a published file of `published:` (one of "
                            f"{', '.join(mapping.files)})")
        replay_spec.checked(spec, where)


def check(config: dict) -> dict:
    """Raise UserError naming the first bad reference or bad merged run; return each run's
    spec, validated and complete (run_spec), for the workflow to use."""
    from .calibration import enough_seeds

    for key in ("calibration_seeds", "recipe_seeds"):  # before hours of their training
        enough_seeds(config[key], len(config["seeds"]), f"config {key}")
    shared = sorted(set(config["seeds"]) & set(config["calibration_seeds"]))
    if shared:
        raise UserError(f"config seeds and calibration_seeds share seed(s) {shared}: the "
                        "tolerances must be measured on seeds the check does not use")
    specs = {}
    for run in config["runs"]:  # each validated once
        try:
            specs[run] = run_spec(config, run)
            check_engine(run, specs[run])
        except UserError as exc:
            raise UserError(f"{exc}{from_defaults(config, run, str(exc))}") from None
    mapping = book_runs.Published.from_config(config)
    check_replays(config, mapping)
    if config["svm_test_size"] not in config["svm_sizes"]:
        raise UserError(f"config svm_test_size: {config['svm_test_size']} is not one of "
                        "svm_sizes (the test set is scored by that fit of the sweep)")
    for name, fig in config["figures"].items():
        figures.checked(fig, f"config figures.{name}")  # the registry, its families' keys
        if fig["section"] > len(config["sections"]):
            raise UserError(f"config figures.{name}: section: {fig['section']} is not one of "
                            f"the {len(config['sections'])} of `sections`")
        for run in figures.figure_runs(fig):
            if run not in config["runs"]:
                raise UserError(f"config figures.{name}: unknown run {run!r}")
        if fig["family"] == "replay":
            check_replay_figure(name, fig, config)
        if fig["family"] == "neuron" and fig.get("neuron") not in config["neuron"]:
            raise UserError(f"config figures.{name}: unknown neuron run {fig.get('neuron')!r}")
        for run, metric in figures.drawn_metrics(fig):
            if metric not in specs[run]["monitor"]:
                raise UserError(f"config figures.{name}: run {run} does not monitor "
                                f"{metric!r}")
        for series in fig.get("series", ()):
            if series.get("book"):
                check_book_series(name, series, mapping)
        for bar in fig.get("bars") or ():
            check_bar(config, name, bar)
        for mark in fig.get("marks") or ():
            if "book" in mark and mark["book"] not in mapping.sweeps:
                raise UserError(f"config figures.{name}: marks: {mark['book']!r} is not a "
                                f"published sweep ({', '.join(mapping.sweeps)})")
    for name, listed in config["experiments"].items():
        for fig in listed:
            if fig not in config["figures"]:
                raise UserError(f"config experiments.{name}: unknown figure {fig!r}")
    return specs


def book_numbers(config: dict, expected: dict) -> dict:
    """The config's figures with the book's numbers they name by row or transcript made
    numbers from `expected` (nndl3.figures.book_numbers), as they are drawn and
    captioned."""
    return {name: figures.book_numbers(fig, expected, f"config figures.{name}")
            for name, fig in config["figures"].items()}


def snakemake_minimum(pyproject) -> str:
    """The lowest Snakemake pyproject.toml requires (`snakemake>=X` among its dependencies,
    where it says why), which the Snakefile demands of the Snakemake running it."""
    import tomllib

    try:
        deps = tomllib.loads(readers.text(pyproject, "pyproject"))["project"]["dependencies"]
        bounds = [m[1] for d in deps if (m := re.fullmatch(r"snakemake\s*>=\s*([\d.]+)", d))]
    except (tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise UserError(f"{pyproject}: no readable [project] dependencies ({exc})") from None
    if len(bounds) != 1:
        raise UserError(f"{pyproject}: dependencies: not one lower bound of snakemake "
                        '("snakemake>=X")')
    return bounds[0]


LITERATURE_SECTIONS = ("miniature", "figures")  # what the workflow reads besides the runs
# What a literature run measures after every epoch whatever its spec says (the validation
# and the test accuracy: nndl3.literature's training loop reads neither key); a spec that
# says otherwise would be ignored, and would void the run's checkpoints for nothing.
LITERATURE_MEASURES = {"evaluation": "validation", "monitor": ["evaluation_accuracy"]}


def check_literature_measures(config: dict, literature: dict, path) -> None:
    """Every literature run's spec at every scale keeps LITERATURE_MEASURES: a run told to
    measure otherwise is refused when the workflow starts (as an option the wide engine
    does not take is: nndl3.literature.checked_spec)."""
    from . import literature as literature_runs

    for scale in paths.LITERATURE_SCALES:
        for run in runspec.trained_at(literature, scale):
            spec = literature_runs.run_spec(config, literature, run, scale)
            for key, kept in LITERATURE_MEASURES.items():
                if spec.get(key) != kept:
                    raise UserError(f"{path}: {scale}.{run}: {key}: {spec.get(key)!r}: a "
                                    "literature run measures the validation and the test "
                                    f"accuracy after every epoch, whatever this says; keep "
                                    f"{kept!r}")


def check_literature(literature: dict, path) -> None:
    """config/literature.yaml's sections the workflow reads (literature-train needs only
    defaults and runs) and its figure entries, by their families' keys and the runs they
    draw (check_literature_runs; here, not in nndl3.literature: literature-train's code
    digest, which its checkpoints are keyed to, would take in the figure registry's; its
    runs: literature.check_runs)."""
    for key in LITERATURE_SECTIONS:
        if not isinstance(literature.get(key), dict):
            found = type(literature[key]).__name__ if key in literature else "missing"
            raise UserError(f"{path}: {key}: {found}, not a mapping")
    for name, fig in literature["figures"].items():
        if "literature" in figures.checked(fig, f"{path}: figures.{name}").roles:
            check_literature_runs(literature, fig, f"{path}: figures.{name}")


def check_literature_runs(literature: dict, fig: dict, where: str) -> None:
    """A literature figure draws runs its scale trains (figures.literature_files reads their
    records at it): the literature's runs, or the run's entries under that scale's section
    (`probe:`, `miniature:`). A misspelt run or scale stopped `snakemake literature` in the
    middle of planning; a run the probe does not train, only when its job ran."""
    scale = figures.literature_scale(fig, f"{where}:")
    trained = runspec.trained_at(literature, scale)
    for run in figures.figure_runs(fig):
        if run not in trained:
            raise UserError(f"{where}: series: run {run!r} is not one of `{scale}:` "
                            f"({', '.join(trained)}), the runs trained at the figure's scale")


def check_figure_names(config: dict, literature: dict) -> None:
    """A figure's file that a literature figure's is too made two rules ambiguous, found
    only when the figure was planned. (A name the config gives a rule is checked where the
    rule is made: `new_rule` in workflow/rules/common.smk.)"""
    theirs = {paths.LITERATURE_FIGURE.format(figure=fig): fig for fig in literature["figures"]}
    for name in config["figures"]:
        file = paths.FIGURE.format(figure=name)
        if file in theirs:
            raise UserError(f"config figures.{name}: its file {file} is that of figure "
                            f"{theirs[file]} of {paths.LITERATURE_CONFIG}: name the figure "
                            "otherwise")


def check_bar(config: dict, name: str, bar: dict) -> None:
    """A bar of a bar chart reads a result the workflow makes: a run's (its metric is
    checked with the series'), the SVM fit scored on the test set, a baseline of
    nndl3.baselines, or a fixed value."""
    from . import baselines

    where = f"config figures.{name}: bar {bar.get('label')!r}"
    if "svm" in bar and (bar["svm"] != config["svm_test_size"] or bar.get("scores") != "test"):
        raise UserError(f"{where}: {only_one_fit_scored(config)}: svm: <that size>, "
                        "scores: test")
    if "baseline" in bar and bar["baseline"] not in baselines.NAMES:
        raise UserError(f"{where}: unknown baseline {bar['baseline']!r} "
                        f"({', '.join(baselines.NAMES)})")
    if not {"run", "svm", "baseline", "value"} & set(bar):
        raise UserError(f"{where}: needs one of run, svm, baseline, value")


def check_scored_fits(config: dict, expected: dict) -> None:
    """A row of `expected` that reads an SVM fit's score on another set reads the
    svm_test_size fit, the one fit so scored (as a bar does: check_bar)."""
    for row in expected["quantities"]:
        source = row["source"]
        if "scores" in source and source.get("svm") != config["svm_test_size"]:
            raise UserError(f"{paths.EXPECTED}: row {row['id']}: svm: {source.get('svm')}: "
                            + only_one_fit_scored(config))


def only_one_fit_scored(config: dict) -> str:
    """Why a row or bar may read no other SVM fit's score on another set: the workflow
    scores one fit so (rule svm: `--score test`)."""
    return (f"only the svm_test_size fit ({config['svm_test_size']}) is scored on another "
            "set")


def invalid(error: Exception, configfiles=(), command_line=False) -> str:
    """What is wrong with the merged config, in one line: the files merged, in the order
    each overrides the one before (the workflow's FILES, each --configfile, --config),
    then the key and its problem (`one_line`)."""
    merged = [" and ".join(map(str, FILES)), *map(str, configfiles)]
    merged += ["--config"] if command_line else []
    return f"invalid config ({', then '.join(merged)}): {one_line(error).removeprefix('config ')}"


def one_line(error: Exception) -> str:
    """A config error in one line: a schema violation as `key.path: message`."""
    import jsonschema

    if isinstance(error, UserError):  # already one line (its __context__ is the raw error)
        return str(error)
    # snakemake.utils.validate raises its WorkflowError while handling jsonschema's error
    for cause in (error, error.__context__):
        if isinstance(cause, jsonschema.ValidationError):
            return schemas.error_text(cause)
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def check_book_series(name: str, series: dict, mapping: book_runs.Published) -> None:
    """A series with `book: true` (a boolean: figure.schema.yaml) draws the published run
    its run repeats."""
    try:
        mapping.of_run(series["run"])
    except UserError as exc:
        raise UserError(f"config figures.{name}: book: {exc}") from None


def check_replay_figure(name: str, fig: dict, config: dict) -> None:
    """A replay figure names a replayed file and lists the published file holds."""
    entry = fig.get("replay") or {}
    file = entry.get("file")
    if file not in replay_specs(config):
        raise UserError(f"config figures.{name}: replay: file {file!r} is not replayed "
                        f"(config replay:)")
    for listed in entry.get("lists") or [None]:
        if listed not in book_runs.LISTS:
            raise UserError(f"config figures.{name}: replay: unknown list {listed!r} "
                            f"(one of {', '.join(book_runs.LISTS)})")


# The book's settings (nndl3.changed): what the committed config trains.

def book_settings(config: dict) -> dict:
    """{run: its settings} of the committed config, and of its single-neuron runs by
    changed.neuron_key."""
    settings = {run: {k: v for k, v in run_spec(config, run).items()
                      if k not in changed.NOT_SETTINGS}
                for run in config["runs"]}
    return settings | {changed.neuron_key(name): entry
                       for name, entry in (config.get("neuron") or {}).items()}


def unused_new_runs(config: dict, committed: dict) -> list[str]:
    """A warning for each run (or single-neuron run) the merged config adds to the committed
    one that no figure draws: a misspelt name in a config of one's own (`overfit_1kk`) is
    such a run, and would otherwise leave the run it meant unchanged without a word."""
    import difflib

    figs = config["figures"].values()
    drawn = {"runs": {run for fig in figs for run in figures.figure_runs(fig)},
             "neuron": {fig["neuron"] for fig in figs if "neuron" in fig}}
    warnings = []
    for kind, used in drawn.items():
        for run in config[kind]:
            if run in committed[kind] or run in used:
                continue
            near = difflib.get_close_matches(run, committed[kind], n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            warnings.append(f"config {kind}.{run}: not a run of {COMMITTED}, and no figure "
                            f"draws it: only a target naming its files trains it{hint}")
    return warnings


def published(config: dict, committed: dict) -> book_runs.Published:
    """Which of our runs repeats each published run, and that run's training-set size (to
    read its accuracy counts as fractions): facts of the book, so the committed config's. A
    config of one's own that changes a run's `train_size` changes our run, not the book's;
    one that changes `published:` is refused."""
    if config["published"] != committed.get("published"):
        raise UserError(f"config published: which of our runs repeats each of the book's is "
                        f"{COMMITTED}'s, and a config of one's own cannot change it")
    return book_runs.Published.from_config(committed)


def read_committed(path=COMMITTED) -> dict:
    """The committed config, as the workflow reads it before any --configfile."""
    config = readers.yaml_mapping(path, "config file")
    if not isinstance(config.get("runs"), dict):
        raise UserError(f"{path}: not the layout of config/config.yaml (no `runs:` mapping)")
    return config


FIGURES_KEYS = {"experiments": "target to its figures", "figures": "figure to its spec"}


def read_figures(path=paths.FIGURES_CONFIG, keys=tuple(FIGURES_KEYS)) -> dict:
    """config/figures.yaml as a script reads it apart from the workflow (which validates it
    against its schema): a mapping whose `keys` are mappings, or a UserError naming why."""
    doc = readers.yaml_mapping(path, "figures config", keys)
    for key in keys:
        if not isinstance(doc[key], dict):
            raise UserError(f"{path}: {key}: {doc[key]!r:.40} is not a mapping of "
                            f"{FIGURES_KEYS[key]}")
    return doc


def of_config(config: dict, runs, book: dict) -> str | None:
    """What a merged config changes in `runs` from the book's settings, before anything is
    trained (the figures' captions in the HTML report)."""
    specs = {run: {"spec": run_spec(config, run)} for run in runs
             if run in config["runs"]}
    specs |= {changed.neuron_key(name): {"spec": entry}
              for name, entry in (config.get("neuron") or {}).items()}
    return changed.changed(runs, specs, book)
