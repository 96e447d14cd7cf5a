"""The exact check: each published list against its replay (`nndl3.replay`), epoch by epoch.

Beside the statistical curve check (`nndl3.curves`: the book's run as one draw of our
seeds' distribution), this one asks whether the replay from the author's seed gives his
numbers: accuracies are counts of images and must be identical at every epoch, costs must
agree to COST_TOLERANCE (float summation order moves them by ~1e-14). A list that is not
identical gets its first divergent epoch (0-based: element k is the state after epoch
k + 1, as in `book_runs`). The SVM's sweep (more_data_svm.json) is deterministic and
needs no seed: nndl3.svm's results at the book's pixel scale are compared count for count.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import book_runs, readers
from .errors import UserError

COST_TOLERANCE = 1e-9
SVM_FILE = "more_data_svm.json"
SWEEP_FILE = "more_data.json"


def list_row(file: str, key, name: str, published, replayed) -> dict:
    """One published list against its replay."""
    book = np.asarray(published, dtype=np.float64)
    ours = np.asarray(replayed if replayed is not None else [], dtype=np.float64)
    row = {"id": ".".join(str(p) for p in (file, key, name) if p is not None), "file": file,
           "key": key, "list": name, "epochs": len(book)}
    if len(ours) != len(book):
        return {**row, "identical": 0, "max_cost_diff": None, "first_divergent_epoch": 0,
                "status": "FAIL", "note": f"replay has {len(ours)} values, the book {len(book)}"}
    diff = np.abs(ours - book)
    is_cost = name.endswith("cost")
    same = diff <= COST_TOLERANCE if is_cost else ours == book
    bad = np.flatnonzero(~same)
    return {**row, "identical": int(same.sum()),
            "max_cost_diff": float(diff.max()) if is_cost and len(diff) else None,
            "first_divergent_epoch": int(bad[0]) if len(bad) else None,
            "status": "PASS" if same.all() else "FAIL"}


def file_rows(file: str, published, replayed) -> list[dict]:
    """Every non-empty published list of one file against the replayed file's."""
    if file == SWEEP_FILE:  # percent = count / 100.0, computed the same way: compared exactly
        return [list_row(file, None, "validation_percent", published, replayed)]
    rows = []
    for key in [k for f, k in book_runs.RUNS if f == file]:
        lists = book_runs.run_lists({file: published}, file, key)
        ours = book_runs.run_lists({file: replayed}, file, key) if replayed is not None else None
        for i, name in enumerate(book_runs.LISTS):
            if lists[i]:
                rows.append(list_row(file, key, name, lists[i],
                                     ours[i] if ours is not None else None))
    return rows


def svm_row(published: list, svm_results: list[dict]) -> dict:
    """The SVM sweep against nndl3.svm's results at the book's pixel scale, as counts of the
    10,000 validation images."""
    by_size = {r["train_size"]: r for r in svm_results
               if r.get("pixel_divisor") == 256 and r.get("evaluation", "validation") ==
               "validation"}
    ours = [by_size[n]["accuracy"] * 100 if n in by_size else np.nan for n in book_runs.SIZES]
    row = list_row(SVM_FILE, None, "validation_percent", np.round(np.asarray(published) * 100),
                   np.round(np.asarray(ours) * 100))
    missing = [n for n in book_runs.SIZES if n not in by_size]
    return {**row, "note": f"no SVM result for N = {missing}"} if missing else row


def rows(book: dict, replayed: dict, svm_results=()) -> list[dict]:
    """The replay table: {file: replayed content} against the published `book`."""
    found = []
    for file in book_runs.FILES:
        if file == SVM_FILE:
            if svm_results:
                found.append(svm_row(book[file], list(svm_results)))
        elif file in replayed:
            found += file_rows(file, book[file], replayed[file])
    return found


def read(paths) -> dict:
    """Replayed files by the published file's name (results/replay/<file>)."""
    replayed = {}
    for path in map(Path, paths):
        if path.name not in book_runs.FILES:
            raise UserError(f"{path}: not the replay of a published run "
                            f"({', '.join(book_runs.FILES)})")
        replayed[path.name] = readers.json_file(path, "replayed run")
    return replayed


def extra(book_paths, replay_paths):
    """The replay table as `check.report`'s extra section: (key, rows, markdown); the SVM's
    sweep is compared with the report's SVM results."""
    book, replayed = book_runs.read(book_paths), read(replay_paths)

    def section_of(expected, aggregates, svm, neuron):
        table = rows(book, replayed, svm.values())
        return "replay", table, section(table)

    return section_of


def summary(table: list[dict]) -> str:
    files = len({r["file"] for r in table})
    passed = sum(r["status"] == "PASS" for r in table)
    return (f"the author's {files} published runs replayed: {passed} of {len(table)} lists "
            "identical to the image")


def section(table: list[dict]) -> str:
    """The replay table as a markdown section of results/reproduction.md."""
    lines = ["## The author's runs, replayed from his seed", "",
             f"{summary(table)[0].upper()}{summary(table)[1:]} (accuracies identical as counts "
             f"at every epoch, costs within {COST_TOLERANCE:g}; docs/replay.md).", "",
             "| file | run | list | epochs identical | largest cost difference "
             "| first divergent epoch | status |", "|---|---|---|---|---|---|---|"]
    for r in table:
        cost = "" if r["max_cost_diff"] is None else f"{r['max_cost_diff']:.1e}"
        first = "" if r["first_divergent_epoch"] is None else str(r["first_divergent_epoch"])
        key = "" if r["key"] is None else str(r["key"])
        note = f" ({r['note']})" if r.get("note") else ""
        lines.append(f"| {r['file']} | {key} | {r['list']} | {r['identical']} of {r['epochs']} "
                     f"| {cost} | {first} | {r['status']}{note} |")
    return "\n".join(lines) + "\n"
