"""The book's own published runs (folder `book_runs/`), mapped onto our runs and metrics.

Each file is the output of the author's `network2.SGD` (four lists per run, in the order
of `LISTS`; a list is empty when its monitor was off) or, for the training-size sweep, nine
accuracies in percent. Accuracies are stored as counts of correct images; here they become
fractions, as in our run records. Element k of a list is the state after epoch k + 1,
which is our 0-based epoch k.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import readers
from .errors import UserError

DIR = "book_runs"
LISTS = ("evaluation_cost", "evaluation_accuracy", "training_cost", "training_accuracy")
EVALUATION_SIZE = 10_000  # test and validation sets alike
SIZES = (100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000)  # the sweep's N, in file order

# (file, key) -> (our run, its training-set size). The key selects one run in a file of
# several (a name, or a position for multiple_eta.json's eta 0.025, 0.25, 2.5).
RUNS = {
    ("overfitting.json", None): ("overfit_1k", 1000),
    ("regularized.json", None): ("l2_1k", 1000),
    ("overfitting_full.json", None): ("xent_30", 50000),
    ("regularized_full.json", None): ("l2_full", 50000),
    ("weight_initialization_30.json", "large_weight_initialization"): ("init_30_large", 50000),
    ("weight_initialization_30.json", "default_weight_initialization"): ("init_30_default",
                                                                         50000),
    ("weight_initialization_100.json", "large_weight_initialization"): ("init_100_large", 50000),
    ("weight_initialization_100.json", "default_weight_initialization"): ("init_100_default",
                                                                          50000),
    ("multiple_eta.json", 0): ("eta_0025", 50000),
    ("multiple_eta.json", 1): ("eta_025", 50000),
    ("multiple_eta.json", 2): ("eta_25", 50000),
}
# sweep files -> what each of their nine numbers is: the network's run of that size, or the SVM
POINTS = {"more_data.json": "size_{n}", "more_data_svm.json": "svm"}
FILES = tuple(sorted({f for f, _ in RUNS} | set(POINTS)))


def read(paths) -> dict:
    """The published files, by file name, each checked for the layout this module expects."""
    book = {}
    for path in map(Path, paths):
        if path.name not in FILES:
            raise UserError(f"{path}: not one of the book's published runs ({', '.join(FILES)})")
        data = readers.json_file(path, "book run", advice="restore it from git (book_runs/ "
                                 "holds the author's files byte for byte)")
        book[path.name] = data
        for (file, key) in (k for k in RUNS if k[0] == path.name):
            lists = run_lists(book, file, key)
            if len(lists) != len(LISTS) or not any(lists):
                raise UserError(f"{path}: key {key!r}: expected the 4 lists of network2.SGD")
        if path.name in POINTS and len(data) != len(SIZES):
            raise UserError(f"{path}: expected {len(SIZES)} numbers, found {len(data)}")
    return book


def read_dir(folder=DIR) -> dict:
    return read(Path(folder) / name for name in FILES)


def run_lists(book: dict, file: str, key) -> list:
    data = book[file]
    try:
        return data if key is None else data[key]
    except (KeyError, IndexError, TypeError):
        raise UserError(f"book run {file}: no run {key!r}") from None


def curve(book: dict, file: str, key, name: str) -> dict:
    """One published list as our run and metric, values in our units (accuracy a fraction)."""
    if (file, key) not in RUNS:
        raise UserError(f"book run {file}: key {key!r} is not a published run")
    if name not in LISTS:
        raise UserError(f"book run {file}: unknown list {name!r} (one of {', '.join(LISTS)})")
    run, train_size = RUNS[(file, key)]
    values = np.asarray(run_lists(book, file, key)[LISTS.index(name)], dtype=np.float64)
    if name.endswith("accuracy"):
        values = values / (train_size if name.startswith("training") else EVALUATION_SIZE)
    return {"id": f"{run}.{name}", "file": file, "key": key, "list": name, "run": run,
            "metric": name, "epochs": np.arange(len(values)), "values": values}


def curves(book: dict) -> list[dict]:
    """Every non-empty published per-epoch list, mapped onto our runs."""
    found = []
    for file, key in RUNS:
        if file in book:
            lists = run_lists(book, file, key)
            found += [curve(book, file, key, name) for name, values in zip(LISTS, lists,
                                                                         strict=True) if values]
    return found


def points(book: dict, file: str) -> dict:
    """A sweep file as {training-set size: accuracy as a fraction}."""
    if file not in POINTS:
        raise UserError(f"book run {file}: not a training-size sweep ({', '.join(POINTS)})")
    return {n: v / 100 for n, v in zip(SIZES, book[file], strict=True)}


def reference(ref: dict) -> tuple[str, object, str]:
    """A `book:` entry of config/figures.yaml as (file, key, list)."""
    return ref["file"], ref.get("key"), ref.get("list", "")


def figure_files(fig: dict) -> list[str]:
    """The book files a figure draws: its series' `book:` entries, its `book` marks and the
    file it shows `replay`ed."""
    files = [s["book"]["file"] for s in fig.get("series", ()) if "book" in s]
    files += [m["book"] for m in fig.get("marks", ()) or () if "book" in m]
    files += [fig["replay"]["file"]] if "replay" in fig else []
    return list(dict.fromkeys(files))
