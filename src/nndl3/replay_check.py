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

import math
from pathlib import Path

import numpy as np

from . import book_runs, mnist, paths, readers
from .errors import UserError
from .status import FAIL, IDENTICAL, KNOWN_DEVIATION

COST_TOLERANCE = 1e-9


def at_book_scale(svm_result: dict) -> bool:
    """An SVM result fitted on the book's pixels (byte / 256), as the published sweep was."""
    return svm_result.get("pixel_divisor") == mnist.BOOK_PIXEL_DIVISOR


def list_row(file: str, key, name: str, published, replayed) -> dict:
    """One published list against its replay."""
    book = np.asarray(published, dtype=np.float64)
    ours = np.asarray(replayed, dtype=np.float64)
    row = {"id": ".".join(str(p) for p in (file, key, name) if p is not None), "file": file,
           "key": key, "list": name, "epochs": len(book)}
    if len(ours) != len(book):
        return {**row, "identical": 0, "max_cost_diff": None, "first_divergent_epoch": 0,
                "status": FAIL, "note": f"replay has {len(ours)} values, the book {len(book)}"}
    diff = np.abs(ours - book)
    is_cost = name.endswith("cost")
    same = diff <= COST_TOLERANCE if is_cost else ours == book
    bad = np.flatnonzero(~same)
    return {**row, "identical": int(same.sum()),
            "max_cost_diff": float(diff.max()) if is_cost and len(diff) else None,
            "first_divergent_epoch": int(bad[0]) if len(bad) else None,
            "status": IDENTICAL if same.all() else FAIL}


def run_rows(book: book_runs.Book, replayed: dict, file: str) -> list[dict]:
    """Every non-empty published list of one file's runs against the replayed file's."""
    found = []
    for key in (k for f, k in book.published.runs if f == file):
        theirs = book_runs.run_lists(book, file, key)
        ours = book_runs.run_lists(replayed, file, key)
        found += [list_row(file, key, name, theirs[i], ours[i])
                  for i, name in enumerate(book_runs.LISTS) if theirs[i]]
    return found


def svm_row(file: str, published: list, svm_results: list[dict]) -> dict:
    """The SVM sweep (`file`) against nndl3.svm's results at the book's pixel scale, as
    counts of the 10,000 validation images."""
    by_size = {r["train_size"]: r for r in svm_results
               if at_book_scale(r) and r.get("evaluation", "validation") == "validation"}
    ours = [by_size[n]["accuracy"] * 100 if n in by_size else np.nan for n in book_runs.SIZES]
    row = list_row(file, None, "validation_percent", np.round(np.asarray(published) * 100),
                   np.round(np.asarray(ours) * 100))
    missing = [n for n in book_runs.SIZES if n not in by_size]
    return {**row, "note": f"no SVM result for N = {missing}"} if missing else row


def rows(book: book_runs.Book, replayed: dict, svm_results=(), known=None) -> list[dict]:
    """The replay table: {file: replayed content} against the published `book`. A failing
    list named in `known` (a list's id or its file -> the measured cause) is reported as a
    known deviation, not failed."""
    found = []
    svm_file, sweep_file = book.published.sweep(True), book.published.sweep(False)
    for file in book.published.files:
        if file == svm_file:
            if svm_results:
                found.append(svm_row(file, book[file], list(svm_results)))
        elif file not in replayed:
            continue
        elif file == sweep_file:  # percent = count / 100.0, computed the same way: exact
            found.append(list_row(file, None, "validation_percent", book[file], replayed[file]))
        else:
            found += run_rows(book, replayed, file)
    return [with_known(r, known or {}) for r in found]


def with_known(row: dict, known: dict) -> dict:
    why = known.get(row["id"], known.get(row["file"]))
    if row["status"] != FAIL or why is None:
        return row
    return {**row, "status": KNOWN_DEVIATION, "known_deviation": why}


def as_inputs(content: book_runs.Book, svm_results=()) -> tuple[dict, dict]:
    """Published or replayed files (a Book) as the inputs of check.regenerate: one
    "seed" per run, the sweep's numbers as the last epoch of its runs, and the SVM."""
    aggregates = {}
    for c in book_runs.curves(content):
        agg = aggregates.setdefault(c["run"], {"monitored_epochs": c["epochs"].tolist(),
                                               "metrics": {}})
        agg["metrics"][c["metric"]] = {"per_seed": [c["values"].tolist()]}
    sweep_file = content.published.sweep(False)
    if sweep_file in content:
        run_of_size = content.published.sweeps[sweep_file]
        for n, v in book_runs.points(content, sweep_file).items():
            aggregates[run_of_size.format(n=n)] = {
                # the sweep's runs train 1,500,000 / n epochs (config/config.yaml's
                # size runs; tests/test_book_runs.py holds the two together)
                "monitored_epochs": [1_500_000 // n - 1],
                "metrics": {"evaluation_accuracy": {"per_seed": [[v]]}}}
    svm = {r["train_size"]: r for r in svm_results if at_book_scale(r)}
    return aggregates, svm


def text_rows(expected: dict, book: book_runs.Book, replayed: dict,
              svm_results=()) -> list[dict]:
    """Every point row of the text with a replayed run, evaluated on the replay. Where the
    published run gives the text's number (within its precision), the replay must give it
    too; where it does not (the text quotes another run), the replay must give the
    published run's value."""
    from . import check

    ours = check.Inputs(*as_inputs(book_runs.Book(replayed, book.published), svm_results))
    theirs = check.Inputs(*as_inputs(
        book_runs.Book({f: book[f] for f in replayed if f in book}, book.published),
        [{"train_size": n, "pixel_divisor": mnist.BOOK_PIXEL_DIVISOR, "accuracy": v}
         for n, v in book_runs.points(book, book.published.sweep(True)).items()]))
    found = []
    for row in expected["quantities"]:
        source = row["source"]
        if "book" not in row or "neuron" in source:
            continue
        try:
            (value,) = check.regenerate(source, ours)
            (published,) = check.regenerate(source, theirs)
        except (UserError, KeyError):  # a run (or the SVM) not replayed or not published
            continue
        precision = row["book_precision"] + 1e-9
        quoted = abs(published - row["book"]) <= precision
        target = row["book"] if quoted else published
        runs = {source[k] for k in ("run", "minus_run", "errors_eliminated_vs") if k in source}
        found.append({"id": f"text.{row['id']}", "row": row["id"], "book": row["book"],
                      "published_run": float(published), "replay": float(value),
                      "target": "text" if quoted else "published run",
                      "status": IDENTICAL if abs(value - target) <= precision else FAIL,
                      "runs": sorted(runs)})
    return found


def text_with_known(text: list[dict], table: list[dict],
                    published: book_runs.Published) -> list[dict]:
    """A failing text row whose run's replayed lists are a known deviation is one too."""
    deviating = set()
    for r in (r for r in table if r["status"] == KNOWN_DEVIATION):
        if r["file"] in published.sweeps:
            deviating |= set(book_runs.size_runs(published.sweeps[r["file"]]))
        elif (r["file"], r["key"]) in published.runs:
            deviating.add(published.runs[(r["file"], r["key"])][0])
    return [{**r, "status": KNOWN_DEVIATION,
             "known_deviation": "its run's replay diverges (replay table)"}
            if r["status"] == FAIL and set(r["runs"]) & deviating else r for r in text]


class Replayed(dict):
    """Replayed files by the published file's name, with the paths they were read from (for
    the errors)."""

    def __init__(self):
        super().__init__()
        self.paths = {}


def read(paths) -> Replayed:
    """Replayed files by the published file's name (results/replay/<file>)."""
    replayed = Replayed()
    for path in map(Path, paths):
        if not path.name.endswith(".json"):
            raise UserError(f"{path}: not the replay of a published run (book_runs/*.json)")
        replayed[path.name] = readers.json_file(path, "replayed run")
        replayed.paths[path.name] = str(path)
    return replayed


def report_section(expected: dict, book: book_runs.Book, replay_paths,
                   svm: dict) -> tuple[list, str]:
    """The replay's part of the reproduction report: (its rows, the list rows then the
    text's, and its markdown section). `svm`: the report's SVM results by training size."""
    replayed = read(replay_paths)
    unknown = sorted(set(replayed) - set(book.published.files))
    if unknown:
        raise UserError(f"--replay: {', '.join(unknown)}: not the replay of a published run "
                        f"({', '.join(book.published.files)})")
    laid_out_as_published(replayed, book)
    table = rows(book, replayed, svm.values(), expected.get("replay_deviations"))
    text = text_with_known(text_rows(expected, book, replayed, svm.values()), table,
                           book.published)
    return table + text, section(table, text)


def from_report(replay_rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """results/reproduction.json's `replay` rows as (the replay table, the text's rows):
    `section(*from_report(...))` is the report's section again."""
    text = [r for r in replay_rows if r["id"].startswith("text.")]
    return [r for r in replay_rows if not r["id"].startswith("text.")], text


def counts(table: list[dict]) -> dict:
    """How many published files and lists were replayed, and how many lists identically."""
    return {"files": len({r["file"] for r in table}), "lists": len(table),
            "identical": sum(r["status"] == IDENTICAL for r in table)}


def summary(table: list[dict]) -> str:
    c = counts(table)
    return (f"the author's {c['files']} published runs replayed: {c['identical']} of "
            f"{c['lists']} lists identical to the image")


def table_markdown(table: list[dict]) -> str:
    """The replay table: one line per published list (docs/replay.md's generated block)."""
    lines = ["| file | run | list | epochs identical | largest cost difference "
             "| first divergent epoch | status |", "|---|---|---|---|---|---|---|"]
    for r in table:
        cost = "" if r["max_cost_diff"] is None else magnitude(r["max_cost_diff"])
        first = "" if r["first_divergent_epoch"] is None else str(r["first_divergent_epoch"])
        key = "" if r["key"] is None else str(r["key"])
        note = f" ({r['note']})" if r.get("note") else ""
        lines.append(f"| {r['file']} | {key} | {r['list']} | {r['identical']} of {r['epochs']} "
                     f"| {cost} | {first} | {r['status']}{note} |")
    return "\n".join(lines) + "\n"


def magnitude(diff: float) -> str:
    """A cost difference as the power of ten it stays within: its digits are rounding, and
    the BLAS and SIMD code of another CPU would change them (the JSON keeps the value)."""
    if diff == 0:
        return "0"
    return f"< 1e{math.floor(math.log10(diff)) + 1:+03d}"


def section(table: list[dict], text=()) -> str:
    """The replay table (and the text's rows on the replay) as a markdown section of
    results/reproduction.md."""
    head = summary(table)
    lines = ["## The author's runs, replayed from his seed", "",
             f"{head[0].upper()}{head[1:]} (accuracies identical as counts at every epoch, "
             f"costs within {COST_TOLERANCE:g}; docs/replay.md).", "",
             table_markdown(table).rstrip("\n")]
    known = {r.get("known_deviation") for r in table if r.get("known_deviation")}
    for why in sorted(known):
        ids = ", ".join(r["id"] for r in table if r.get("known_deviation") == why)
        lines += ["", f"Known deviation ({ids}): {why}"]
    if text:
        passed = sum(r["status"] == IDENTICAL for r in text)
        lines += ["", f"Numbers of the text on the replayed runs: {passed} of {len(text)} rows "
                  "give the text's number (or, where the text quotes another run, the "
                  "published run's).", "",
                  "| row | book | published run | replay | must give | status |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {r['row']} | {r['book']:g} | {r['published_run']:.4g} | {r['replay']:.4g} "
                  f"| {r['target']} | {r['status']} |" for r in text]
    return "\n".join(lines) + "\n"


def layout_difference(ours, theirs, where: str = "") -> str | None:
    """Where a replayed file's layout differs from the published file's (None if nowhere):
    the same keys, lists of the same lengths, a number where the published file has one."""
    here = where or "the top level"
    if isinstance(theirs, dict):
        if not isinstance(ours, dict) or set(ours) != set(theirs):
            return f"{here}: not the keys {sorted(theirs)}"
        inner = (layout_difference(ours[k], v, f"{where}.{k}" if where else k)
                 for k, v in theirs.items())
    elif isinstance(theirs, list):
        if not isinstance(ours, list) or len(ours) != len(theirs):
            return f"{here}: not a list of {len(theirs)}"
        inner = (layout_difference(a, b, f"{where}[{i}]")
                 for i, (a, b) in enumerate(zip(ours, theirs, strict=True)))
    else:
        return None if readers.is_number(ours) == readers.is_number(theirs) else \
            f"{here}: {ours!r:.20} where the published file has a number"
    return next((d for d in inner if d), None)


def laid_out_as_published(replayed: dict, book: dict) -> None:
    """A UserError naming the first replayed file laid out otherwise than its published
    file (a cut list was drawn against the whole, or broke the report's arithmetic), by
    the path it was read from (`Replayed`), else the workflow's."""
    where = getattr(replayed, "paths", {})
    for file, content in replayed.items():
        if file in book:
            difference = layout_difference(content, book[file])
            if difference:
                path = where.get(file, paths.REPLAY.format(file=file))
                raise UserError(f"{path}: {difference}, as the published {file}; "
                                f"{readers.advice_for(path)}")
