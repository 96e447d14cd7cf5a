"""The book's own published runs (folder `book_runs/`), mapped onto our runs and metrics.

Each file is the output of the author's `network2.SGD` (four lists per run, in the order
of `LISTS`; a list is empty when its monitor was off) or, for the training-size sweep, nine
accuracies in percent. Accuracies are stored as counts of correct images; here they become
fractions, as in our run records. Element k of a list is the state after epoch k + 1,
which is our 0-based epoch k. Which of our runs repeats which published run is config
(`published:` in config/config.yaml), handed to every reader as a `Published`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import paths, readers, runspec
from .errors import UserError

DIR = "book_runs"
LISTS = ("evaluation_cost", "evaluation_accuracy", "training_cost", "training_accuracy")
EVALUATION_SIZE = 10_000  # test and validation sets alike
SVM_SWEEP = "svm"  # a sweep (config published.sweeps) whose numbers are the SVM's, not runs'
SIZES = (100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000)  # the sweep's N, in file order


@dataclass(frozen=True)
class Published:
    """Which of our runs repeats each published run: the config's `published:`, resolved by
    `workflow_config.published` (each run's training-set size from its spec)."""
    runs: dict    # (file, key) -> (our run, its training-set size); the key selects one run
    #               of a file of several: a name, or a position (multiple_eta.json)
    sweeps: dict  # training-size sweep file -> what its nine numbers are ("size_{n}", SVM_SWEEP)

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(sorted({f for f, _ in self.runs} | set(self.sweeps)))

    def sweep(self, of_svm: bool) -> str | None:
        """The sweep file of the SVM's numbers (`of_svm`), or of our runs of each size."""
        return next((f for f, what in self.sweeps.items() if (what == SVM_SWEEP) == of_svm),
                    None)

    def of_run(self, run: str) -> tuple[str, object]:
        """(file, key) of the published run our `run` repeats."""
        for (file, key), (ours, _) in self.runs.items():
            if ours == run:
                return file, key
        raise UserError(f"run {run!r} repeats no published run (config published:)")

    @classmethod
    def from_config(cls, config: dict) -> Published:
        """The config's `published:` with every key of a file of several runs, our run and
        its training-set size."""
        runs = {}
        for file, ours in config["published"]["runs"].items():
            keyed = (enumerate(ours) if isinstance(ours, list) else ours.items()
                     if isinstance(ours, dict) else [(None, ours)])
            for key, run in keyed:
                if run not in config["runs"]:
                    raise UserError(f"config published.runs.{file}: unknown run {run!r}")
                spec = runspec.merged(config["defaults"], config["runs"][run])
                runs[(file, key)] = (run, spec["train_size"])
        sweeps = dict(config["published"]["sweeps"])
        for file, what in sweeps.items():
            if what != SVM_SWEEP and not all(run in config["runs"] for run in size_runs(what)):
                raise UserError(f"config published.sweeps.{file}: {what!r} does not name a "
                                f"run of every size {SIZES}")
        return cls(runs, sweeps)

    @classmethod
    def from_file(cls, path=paths.CONFIG) -> Published:
        """The mapping of a config file, for a command run by hand (the workflow passes its
        own config's as `--published`)."""
        config = readers.yaml_mapping(path, "config", ("published", "runs", "defaults"))
        try:
            return cls.from_config(config)
        except (KeyError, TypeError, AttributeError) as exc:
            raise UserError(f"{path}: published: not the layout of config/config.yaml "
                            f"({type(exc).__name__}: {exc})") from None

    def to_json(self) -> str:
        """The mapping as the workflow hands it to a job (`--published`)."""
        return json.dumps({"runs": [[f, k, r, n] for (f, k), (r, n) in self.runs.items()],
                           "sweeps": self.sweeps}, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str, what: str = "--published") -> Published:
        try:
            doc = json.loads(text)
            return cls({(f, k): (r, int(n)) for f, k, r, n in doc["runs"]}, dict(doc["sweeps"]))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            raise UserError(f"{what}: not the published-run mapping the workflow writes "
                            "(JSON with `runs` and `sweeps`)") from None


def size_runs(what: str) -> list[str]:
    """Our runs a training-size sweep stands for (`what`: config published.sweeps, "size_{n}"),
    one per N of SIZES."""
    return [what.format(n=n) for n in SIZES]


class Book(dict):
    """Published files by name (their content), with the mapping onto our runs."""

    def __init__(self, files: dict, published: Published):
        super().__init__(files)
        self.published = published


def read(paths, published: Published) -> Book:
    """The published files, by file name, each checked for the layout this module expects."""
    book = Book({}, published)
    for path in map(Path, paths):
        if path.name not in published.files:
            raise UserError(f"{path}: not one of the book's published runs "
                            f"({', '.join(published.files)})")
        data = readers.json_file(path, "book run", advice="restore it from git (book_runs/ "
                                 "holds the author's files byte for byte)")
        book[path.name] = data
        for (file, key) in (k for k in published.runs if k[0] == path.name):
            lists = run_lists(book, file, key)
            if len(lists) != len(LISTS) or not any(lists):
                raise UserError(f"{path}: key {key!r}: expected the 4 lists of network2.SGD")
        if path.name in published.sweeps and len(data) != len(SIZES):
            raise UserError(f"{path}: expected {len(SIZES)} numbers, found {len(data)}")
    return book


def read_dir(published: Published, folder=DIR) -> Book:
    return read((Path(folder) / name for name in published.files), published)


def run_lists(book: dict, file: str, key) -> list:
    data = book[file]
    try:
        return data if key is None else data[key]
    except (KeyError, IndexError, TypeError):
        raise UserError(f"book run {file}: no run {key!r}") from None


def curve(book: Book, file: str, key, name: str) -> dict:
    """One published list as our run and metric, values in our units (accuracy a fraction)."""
    if (file, key) not in book.published.runs:
        raise UserError(f"book run {file}: key {key!r} is not a published run")
    if name not in LISTS:
        raise UserError(f"book run {file}: unknown list {name!r} (one of {', '.join(LISTS)})")
    run, train_size = book.published.runs[(file, key)]
    values = np.asarray(run_lists(book, file, key)[LISTS.index(name)], dtype=np.float64)
    if name.endswith("accuracy"):
        values = values / (train_size if name.startswith("training") else EVALUATION_SIZE)
    return {"id": f"{run}.{name}", "file": file, "key": key, "list": name, "run": run,
            "metric": name, "epochs": np.arange(len(values)), "values": values}


def curves(book: Book) -> list[dict]:
    """Every non-empty published per-epoch list, mapped onto our runs."""
    found = []
    for file, key in book.published.runs:
        if file in book:
            lists = run_lists(book, file, key)
            found += [curve(book, file, key, name) for name, values in zip(LISTS, lists,
                                                                         strict=True) if values]
    return found


def points(book: Book, file: str) -> dict:
    """A sweep file as {training-set size: accuracy as a fraction}."""
    if file not in book.published.sweeps:
        raise UserError(f"book run {file}: not a training-size sweep "
                        f"({', '.join(book.published.sweeps)})")
    return {n: v / 100 for n, v in zip(SIZES, book[file], strict=True)}


def figure_files(fig: dict, published: Published) -> list[str]:
    """The book files a figure draws: the published runs of its series with `book: true`,
    its `book` marks and the file it shows `replay`ed."""
    files = [published.of_run(s["run"])[0] for s in fig.get("series", ()) if s.get("book")]
    files += [m["book"] for m in fig.get("marks", ()) or () if "book" in m]
    files += [fig["replay"]["file"]] if "replay" in fig else []
    return list(dict.fromkeys(files))
