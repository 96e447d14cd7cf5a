"""Every figure family, defined once: the inputs it draws, by role; the function of
`nndl3.plotting` that draws it; its caption. A figure's category in the HTML report is
its section of the chapter (`section_of`).

The workflow asks `inputs` which files a figure entry of `config/figures.yaml` needs,
by role; `python -m nndl3 plot` gets them back as one option `--<role>` per entry of
`ROLES`, reads each role with its own reader and calls the family's function with the
roles it takes, in the order it lists them. `ROLES` and `FAMILIES` are the one list of
each: the plot rule, the plot command (its options, its `--check-only`) and the config's
check read them. Adding a family is one entry of `FAMILIES`, one function of `plotting`,
one caption file and its keys' entry under `$defs` of `SCHEMA`; adding a role is one
entry of `ROLES`.
Imports only what the workflow needs: matplotlib and MNIST load when a figure is drawn.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import book_runs, paths, readers, records
from .errors import UserError, require_one_of
from .mnist import N_TRAIN

BAR_METRIC = "evaluation_accuracy"  # a run's bar: its seeds' best epochs of this

# what the `function` family draws, by name: (f(z) of an array, its legend); here, not in
# nndl3.plotting, so that the config's check knows the names without loading matplotlib
FUNCTION_Z = (-5, 5)  # the range of z the chapter plots each function over
FUNCTIONS = {
    # the perceptron's output: 1 where w.x + b > 0, else 0 (drawn as a step at z = 0)
    "step": (lambda z: np.where(z > 0, 1.0, 0.0), "step: 1 if z > 0, else 0"),
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), r"$\sigma(z) = 1/(1+e^{-z})$"),
    "tanh": (np.tanh, r"$\tanh(z)$"),
    "relu": (lambda z: np.maximum(0, z), r"$\max(0, z)$"),
}


def drawn_functions(fig: dict) -> list[str]:
    """The names a `function` entry draws: `functions`, or its one `function`."""
    return fig.get("functions") or [fig["function"]]


def item_runs(item: dict) -> list[str]:
    """The network runs one series or bar draws (`runs`, or `run`; none for a bar of
    another result)."""
    return item.get("runs") or ([item["run"]] if "run" in item else [])


def drawn_metrics(fig: dict) -> list[tuple[str, str | None]]:
    """(run, metric) of each network run a figure draws: its series', its bars' (a
    literature series names no metric: None)."""
    pairs = [(run, series.get("metric")) for series in fig.get("series", ())
             for run in item_runs(series)]
    return pairs + [(run, BAR_METRIC) for bar in fig.get("bars", ()) for run in item_runs(bar)]


def drawn_runs(fig: dict) -> list[str]:
    """What a figure draws that was trained with settings: its network runs, its
    single-neuron run (changed.neuron_key)."""
    from .changed import neuron_key

    return figure_runs(fig) + ([neuron_key(fig["neuron"])] if "neuron" in fig else [])


def figure_runs(fig: dict) -> list[str]:
    """The network runs a figure draws (its series' and its bars')."""
    return list(dict.fromkeys(run for run, _ in drawn_metrics(fig)))


def svm_files(fig: dict, config: dict) -> list[str]:
    """The SVM results a figure draws: every size of the sweep (`svm: true`), or the fits its
    bars name."""
    sizes = config["svm_sizes"] if fig.get("svm") else \
        [bar["svm"] for bar in fig.get("bars", ()) if "svm" in bar]
    return [paths.SVM.format(n=n) for n in dict.fromkeys(sizes)]


def baseline_files(fig: dict, config: dict) -> list[str]:
    """Chapter 1's baseline results its bars name (nndl3.baselines)."""
    return [paths.BASELINE.format(name=bar["baseline"]) for bar in fig.get("bars", ())
            if "baseline" in bar]


def read_svm(paths) -> list[dict]:
    return sorted(map(readers.svm_result, paths), key=lambda r: r["train_size"])


def read_baselines(paths) -> dict:
    return {r["classifier"]: r for r in map(readers.baseline_result, paths)}


def read_neuron(paths) -> dict:
    (path,) = paths
    from .neuron import read_result

    return read_result(path)


def read_data(paths) -> dict:
    from . import mnist

    (path,) = paths
    return mnist.load(path, np.float64, ("train",))


RECIPE_BANDS = paths.RECIPE_CURVES_INSTALLED  # installed by `snakemake install_recipe`


def recipe_files(fig: dict, config: dict) -> list[str]:
    """The recipe's seed bands, for a figure that draws a book's published run: committed,
    never trained by `all` (before `install_recipe` has written it, no band is drawn;
    tests/test_recipe.py holds the committed one to every published curve)."""
    drawn = any(s.get("book") for s in fig.get("series", ())) or any(
        "book" in mark for mark in fig.get("marks") or ())
    return [RECIPE_BANDS] if drawn and Path(RECIPE_BANDS).is_file() else []


def read_recipe(paths) -> dict:
    """{curve id: its recipe band} (empty without the file: no band is drawn)."""
    return {band_id: band for path in paths
            for band_id, band in readers.curve_calibration(path, "install_recipe")
            .get("bands", {}).items()}


def read_replay(paths) -> dict:
    from . import replay_check

    return replay_check.read(paths)


def literature_scale(fig: dict, where: str = "figure") -> str:
    """The scale (paths.LITERATURE_SCALES) at which a literature figure reads its runs'
    records: its `scale`, by default the runs as configured."""
    scale = fig.get("scale", paths.LITERATURE_SCALES[0])  # by default: as configured
    require_one_of(scale, paths.LITERATURE_SCALES, f"{where} scale")
    return scale


def literature_files(fig: dict, config: dict) -> list[str]:
    """Every seed's record of the literature runs (config/literature.yaml) a figure draws, at
    the figure's scale (`literature_scale`)."""
    scale = literature_scale(fig)
    return [paths.LITERATURE_RECORD.format(scale=scale, run=run, seed=seed)
            for run in figure_runs(fig) for seed in config["seeds"]]


LITERATURE_KEYS = ("run", "test_accuracy", "best_epoch", "test_at_best")


def read_literature(paths) -> list[dict]:
    """The records, each checked for the keys a drawing reads (not through
    nndl3.literature, which imports the training code: the plot's code digest would follow
    every change to it)."""
    records = []
    for path in paths:
        doc = readers.json_file(path, "literature record")
        if not isinstance(doc, dict) or any(key not in doc for key in LITERATURE_KEYS):
            raise UserError(f"{path}: not a literature record (it needs the keys "
                            f"{', '.join(LITERATURE_KEYS)})")
        records.append(doc)
    return records


def pattern(path: str) -> str:
    """A path pattern as a help text shows it: results/aggregates/<run>.json."""
    return path.replace("{", "<").replace("}", ">")


@dataclass(frozen=True)
class Role:
    """One kind of input: which files a figure entry needs, and how a drawing reads them."""

    files: Callable[[dict, dict], list[str]]  # (figure entry, config) -> paths
    read: Callable[[list[str]], object]       # paths -> what the drawing function takes
    help: str                                 # the plot command's option --<role>
    one: bool = False                         # exactly one file (when the family takes it)
    published: bool = False                   # its reader also takes the published-run map


ROLES = {
    "aggregates": Role(lambda fig, config: [paths.AGGREGATE.format(run=run)
                                            for run in figure_runs(fig)],
                       lambda files: records.read_aggregates(files, records.read_drawn_aggregate),
                       f"{pattern(paths.AGGREGATE)} of the runs the figure draws"),
    "svm": Role(svm_files, read_svm,
                f"{pattern(paths.SVM)}, the SVM baseline (a sweep with `svm: true`, or the "
                "fits a bar chart names)"),
    "baselines": Role(baseline_files, read_baselines,
                      f"{pattern(paths.BASELINE)}, chapter 1's baselines a bar chart names"),
    "neuron": Role(lambda fig, config: [paths.NEURON.format(neuron=fig["neuron"])], read_neuron,
                   f"{pattern(paths.NEURON)}, the single neuron", one=True),
    "data": Role(lambda fig, config: [paths.DATA], read_data,
                 f"{paths.DATA}, the prepared images", one=True),
    "replay": Role(lambda fig, config: [paths.REPLAY.format(file=fig["replay"]["file"])]
                   if "replay" in fig else [], read_replay,
                   f"{pattern(paths.REPLAY)}, a published run replayed from the author's "
                   "seed"),
    "recipe": Role(recipe_files, read_recipe,
                   f"{RECIPE_BANDS}: the seed bands of the author's recipe "
                   "(nndl3.recipe), drawn beside the book's published runs"),
    "book": Role(lambda fig, config: [
        f"{book_runs.DIR}/{name}"
        for name in book_runs.figure_files(fig, book_runs.Published.from_config(config))],
        book_runs.read, f"the book's published runs the figure draws ({book_runs.DIR}/*.json)",
        published=True),
    "literature": Role(literature_files, read_literature,
                       f"{pattern(paths.LITERATURE_RECORD)}, the records of the literature "
                       "runs the figure draws, at its scale"),
}


@dataclass(frozen=True)
class Family:
    draw: str                # its function in nndl3.plotting: (entry, *roles) -> Figure
    roles: tuple[str, ...]   # the inputs it takes, in the function's order
    caption: str             # its caption, a Jinja template under workflow/report/


FAMILIES = {
    "curves": Family("curves", ("aggregates", "book", "recipe"), "curves.rst"),
    "sweep": Family("sweep", ("aggregates", "svm", "book", "recipe"), "sweep.rst"),
    "neuron": Family("neuron", ("neuron",), "neuron.rst"),
    "digit": Family("digit", ("data",), "digit.rst"),
    "function": Family("function", (), "function.rst"),
    "digits": Family("digits", ("data",), "digits.rst"),
    "bars": Family("bars", ("aggregates", "svm", "baselines"), "bars.rst"),
    "replay": Family("replay", ("replay", "book"), "replay.rst"),
    # the literature runs' (config/literature.yaml `figures:`, not part of `all`)
    "elastic_digits": Family("elastic_digits", ("data",), "elastic_digits.rst"),
    "literature_curves": Family("literature_curves", ("literature",), "literature_curves.rst"),
}


def section_of(config: dict, fig: dict, report: bool = False) -> str:
    """A figure's section of the chapter, numbered (`sections` of config/figures.yaml): its
    column in figures/README.md, and (`report`) its category in the HTML report, whose menu
    sorts categories as text: there the number has two digits, so that 2 comes before 10."""
    n = fig["section"]
    return f"{n:0{2 if report else 1}d}. {config['sections'][n - 1]}"


def family(fig: dict, where: str) -> Family:
    name = fig.get("family")
    if name not in FAMILIES:
        raise UserError(f"{where}: family: unknown figure family {name!r} "
                        f"(one of {', '.join(FAMILIES)})")
    return FAMILIES[name]


SCHEMA = "figure.schema.yaml"  # a family's keys: its entry under $defs


def checked(fig, where: str) -> Family:
    """The family of entry `fig`, the entry checked against that family's keys (SCHEMA):
    a missing, misspelt or mistyped key is a UserError that names it."""
    from . import schemas

    if not isinstance(fig, dict):
        raise UserError(f"{where}: {fig!r:.60}: not a figure entry (a mapping with a family)")
    fam = family(fig, where)
    wrong = schemas.problem(fig, SCHEMA, fig["family"])
    if wrong:
        raise UserError(f"{where}: {wrong}")
    if fam is FAMILIES["function"]:
        for name in drawn_functions(fig):
            require_one_of(name, FUNCTIONS, f"{where}: function")
    if "scale" in fig:  # the schema's string, one of paths' scales
        literature_scale(fig, f"{where}:")
    if fig.get("index", 0) >= N_TRAIN:  # of the data the workflow prepares
        raise UserError(f"{where}: index: {fig['index']} is beyond the {N_TRAIN:,} training "
                        f"images (0 to {N_TRAIN - 1})")
    first, last = fig.get("epochs") or (0, None)
    if last is not None and last < first:  # a window no run can fill
        raise UserError(f"{where}: epochs: [{first}, {last}]: the last epoch is before the "
                        "first")
    for key in ("ylim", "xlim"):  # a reversed range would turn the axis upside down
        if key in fig and fig[key][1] <= fig[key][0]:
            raise UserError(f"{where}: {key}: {fig[key]}: the upper limit is not above the "
                            "lower")
    return fam


def inputs(config: dict, name: str) -> dict[str, list[str]]:
    """The files figure `name` is drawn from, for every role (empty for roles its family
    does not take, so that one rule can pass every role's option)."""
    fig = config["figures"][name]
    roles = family(fig, f"config figures.{name}").roles
    return {role: ROLES[role].files(fig, config) if role in roles else [] for role in ROLES}


BOOK = "{book}"  # in a mark's label: the number it takes from a row


def book_numbers(fig: dict, expected: dict, where: str) -> dict:
    """Entry `fig` with the book's numbers it names made numbers, so that each is written
    once, in config/expected.yaml (`expected`): a mark's `y` or `x`, a point's value, or a
    bar's `book` given as `{row: <id>}` is that row's `book`, and BOOK in the mark's label
    its number; a mark's `points: {transcript: <run>}` are that transcript's points
    (correct of 10,000 test images, as %). The workflow draws and captions what this
    returns."""
    books = {row["id"]: row["book"] for row in expected["quantities"] if "book" in row}
    transcripts = expected.get("transcripts") or {}

    def number(value, at: str):
        if not is_named(value):
            return value
        if value["row"] not in books:
            raise UserError(f"{where}: {at}: row {value['row']!r}: no row of "
                            f"{paths.EXPECTED} has that id and a book number")
        return books[value["row"]]

    marks = []
    for i, mark in enumerate(fig.get("marks") or ()):
        at, mark = f"marks[{i}]", dict(mark)
        named = [number(value, at) for value in mark_values(mark) if is_named(value)]
        if is_named(mark.get("points")):
            run = mark["points"]["transcript"]
            if run not in transcripts:
                raise UserError(f"{where}: {at}: transcript {run!r}: not one of "
                                f"{paths.EXPECTED}'s ({', '.join(transcripts)})")
            mark["points"] = [[epoch, count / 100] for epoch, count in transcripts[run].items()]
        elif "points" in mark:
            mark["points"] = [[x, number(y, at)] for x, y in mark["points"]]
        mark |= {axis: number(mark[axis], at) for axis in ("x", "y") if axis in mark}
        if named and "label" in mark:
            mark["label"] = mark["label"].replace(BOOK, f"{named[0]:g}")
        marks.append(mark)
    bars = [{**bar, "book": number(bar["book"], f"bars[{i}]")} if "book" in bar else bar
            for i, bar in enumerate(fig.get("bars") or ())]
    return fig | ({"marks": marks} if "marks" in fig else {}) | (
        {"bars": bars} if "bars" in fig else {})


def is_named(value) -> bool:
    """A book number given by name (a row, a transcript), not as a number."""
    return isinstance(value, dict)


def mark_values(mark: dict) -> list:
    """The numbers a mark draws that may be named by row: its x, its y, its points' values."""
    points = mark.get("points")
    return [mark.get("x"), mark.get("y"),
            *((y for _, y in points) if isinstance(points, list) else ())]


def named_numbers(fig: dict) -> bool:
    """Whether entry `fig` still names a book number (book_numbers has not made it)."""
    return any(is_named(value) for mark in fig.get("marks") or ()
               for value in (*mark_values(mark), mark.get("points"))) or any(
        is_named(bar.get("book")) for bar in fig.get("bars") or ())


def numbers_only(fig: dict) -> None:
    """A UserError if the plot command's entry names a book number: the workflow gives it
    the numbers (book_numbers)."""
    if named_numbers(fig):
        raise UserError("--spec: names a book number by row or transcript, which the "
                        f"workflow makes a number of {paths.EXPECTED}'s: give the number")


def draw(fig: dict, paths: dict[str, list[str]], published=None, book_settings=None):
    """The figure of entry `fig`, from its input files by role (`published`: which of our
    runs repeats each published run, for the book's; `book_settings`: the book's settings
    of its runs, a run trained otherwise is named on the figure); an entry its family's
    schema refuses, a role the family does not take, or a single-file role given more or
    less than one file, is a UserError."""
    from . import changed, plotting

    fam = checked(fig, "--spec")
    numbers_only(fig)
    for role, given in paths.items():
        if given and role not in fam.roles:
            raise UserError(f"--{role}: a {fig['family']} figure takes no {role} input "
                            f"(it takes {', '.join(fam.roles) or 'none'})")
    for role in fam.roles:
        if ROLES[role].one and len(paths.get(role, ())) != 1:
            raise UserError(f"--{role}: a {fig['family']} figure takes exactly one file, "
                            f"not {len(paths.get(role, ()))}")
    args = [ROLES[role].read(paths.get(role, []), *([published] if ROLES[role].published
                                                    else [])) for role in fam.roles]
    if "book" in fam.roles:
        has_book(fig, args[fam.roles.index("book")])
    trained = {}  # what the figure draws that was trained with settings, by run
    if "aggregates" in fam.roles:
        has_runs(fig, args[fam.roles.index("aggregates")])
        trained |= args[fam.roles.index("aggregates")]
    if "neuron" in fam.roles:
        trained |= changed.neuron_trained({fig["neuron"]: args[fam.roles.index("neuron")]})
    runs = changed.changed_runs(drawn_runs(fig), trained, book_settings)
    trained_with = {run: changed.trained_with(trained[run]["spec"], book_settings.get(run))
                    for run in runs}
    drawn = plotting.styled(getattr(plotting, fam.draw), marked_changed(fig, trained_with),
                            *args)
    if runs:
        plotting.widened(drawn.axes[0])
        plotting.changed_note(drawn, changed.changed(runs, trained, book_settings))
    return drawn


def marked_changed(fig: dict, trained_with: dict) -> dict:
    """The entry with `changed` on each series and bar that draws a run of `trained_with`
    ({run: what it was trained with, changed.trained_with}): its label names the book's
    setting, and plotting adds what its runs were trained with. Not a key of the registry's
    schema: the entry was checked before."""
    def marked(item):
        runs = item_runs(item)
        by_change: dict[str, list] = {}
        for run in runs:
            if run in trained_with:
                by_change.setdefault(trained_with[run], []).append(run)
        if not by_change:
            return item
        # a sweep's series draws several runs: name them, unless every one changed alike
        alike = len(by_change) == 1 and sum(map(len, by_change.values())) == len(runs)
        return {**item, "changed": "; ".join(
            change if alike else f"{', '.join(changed_runs)}: {change}"
            for change, changed_runs in by_change.items())}

    return {**fig, **{key: [marked(item) for item in fig[key]]
                      for key in ("series", "bars") if key in fig}}


def has_runs(fig: dict, aggregates: dict) -> None:
    """A UserError naming the first run the figure draws whose aggregate was not given, or
    whose aggregate lacks the metric it draws of it."""
    for run, metric in drawn_metrics(fig):
        if run not in aggregates:
            raise UserError(f"--aggregates: the figure draws run {run!r}, and no aggregate "
                            "of it was given")
        if metric is not None and metric not in aggregates[run]["metrics"]:
            raise UserError(f"--spec: the figure draws {metric!r} of run {run}, which it "
                            f"does not monitor (it has {', '.join(aggregates[run]['metrics'])})")


def has_book(fig: dict, book) -> None:
    """A UserError naming the first of the book's files the figure draws
    (book_runs.figure_files) that was not given: it would be drawn from nothing."""
    drawn = next((s["run"] for s in fig.get("series", ()) if s.get("book")), None)
    if drawn and not book:  # (from the command line, no map of the published runs either)
        raise UserError(f"--book: series {drawn} has book: true, and no file of the book's "
                        "published runs was given")
    missing = [f for f in book_runs.figure_files(fig, book.published) if f not in book]
    if missing:
        raise UserError(f"--book: the figure draws {missing[0]} (its published run), which "
                        "is not among the files given")


def caption(config: dict, name: str, folder: str | Path) -> str:
    """Figure `name`'s caption: its family's template under `folder`, rendered (as
    Snakemake renders captions) with `fig` (its entry), `name`, `config` and `function_z`."""
    fig = config["figures"][name]
    template = caption_template(Path(folder) / family(fig, f"config figures.{name}").caption)
    return template.render(fig=fig, name=name, config=config, function_z=FUNCTION_Z)


@functools.cache
def caption_template(path: Path):
    """A family's caption template, compiled once a process: every Snakemake start renders
    all the figures' captions, and compiling took most of that time."""
    from jinja2 import Environment

    return Environment(trim_blocks=True, lstrip_blocks=True).from_string(path.read_text())


def sources(config: dict, name: str) -> str:
    """The files figure `name` is drawn from, by role: `role: stem, stem`."""
    return "; ".join(f"{role}: " + ", ".join(Path(p).stem for p in paths)
                     for role, paths in inputs(config, name).items() if paths)
