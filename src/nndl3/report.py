"""The reproduction report: the point rows (`check`) and the published curves (`curves`),
composed into results/reproduction.md (read by a person), .json (read by the `check`
command and the generated docs) and .html (shown in Snakemake's HTML report); and the
gate that fails on any row outside its tolerance.
"""

from __future__ import annotations

import html
import math
import re
from pathlib import Path

from . import (
    atomic,
    book_runs,
    check,
    code,
    curves,
    mnist,
    neuron,
    readers,
    records,
    stats,
    status,
    tolerance,
    two_sample,
)
from .errors import UserError
from .status import CHANGED
from .tolerance import K_SIGMA


def baseline_results(paths) -> dict:
    """The deterministic results: SVMs by training size, chapter 1's baselines by name."""
    def key(path, doc):
        return doc["train_size" if doc["schema"] == readers.SVM_SCHEMA else "classifier"]

    return readers.keyed(paths, lambda p: readers.result(p, readers.SVM_SCHEMA,
                                                         readers.BASELINE_SCHEMA),
                         key, "SVM or baseline result for")


def build(expected_path, calibration_path, curve_calibration_path, book_paths,
          aggregate_paths, svm_paths=(), neuron_paths=(), labels_path=None, replay_paths=(),
          published=None, recipe_path=None, recipe_curves_path=None, book_settings=None):
    """(the JSON document, the markdown) of every row and every published curve, and of
    the published runs' replays (`replay_paths`, results/replay/*.json) if given;
    `published` (book_runs.Published) maps the published runs onto ours. The recipe's
    seeds (`recipe_path`, `recipe_curves_path`: config/recipe.yaml, recipe_curves.json,
    in the calibration's format) give the book's draw its own spread where they have a
    row, and the comparison of our network with the recipe; `book_settings` ({run:
    settings}, nndl3.changed) marks the rows of runs trained otherwise `changed`."""
    if replay_paths and not book_paths:
        raise UserError("--replay: needs --book, the published runs it is compared with")
    expected = check.load_expected(expected_path)
    calibration = readers.calibration(calibration_path)
    check.whole_calibration(expected, calibration, calibration_path)
    recipe = readers.calibration(recipe_path, "recipe calibration") if recipe_path else None
    if recipe is not None:
        check.whole_calibration(expected, recipe, recipe_path, recipe=True)
    inputs = check.Inputs(
        records.read_aggregates(aggregate_paths),
        baseline_results(svm_paths),
        readers.keyed(neuron_paths, neuron.read_result, lambda p, r: Path(p).stem,
                      "neuron result named"),  # results/neuron/<run>.json
        mnist.class_counts(labels_path) if labels_path else {})
    curve_calibration = readers.curve_calibration(curve_calibration_path) if book_paths else None
    gate = tolerance.gate_of(expected, curve_calibration["curves"] if book_paths else ())
    rows = check.evaluate(expected, calibration, inputs, gate, recipe, book_settings)
    recipe_curves = (readers.curve_calibration(recipe_curves_path, "install_recipe")
                     if recipe_curves_path and book_paths else None)
    pairs = two_sample.row_pairs(calibration, recipe)
    if book_paths:
        pairs.update(two_sample.curve_pairs(curve_calibration, recipe_curves))
    comparisons = two_sample.compare(pairs, gate.alpha_family)
    gate_doc = {"alpha_family": gate.alpha_family, "m": gate.m, "alpha_row": gate.alpha_row,
                "power": gate.power, "k_sigma_before": K_SIGMA,
                "headline": (expected.get("gate") or {}).get("headline")}
    document = {"gate": gate_doc, "calibration_seeds": calibration["seeds"],
                "check_seeds": sorted({s for a in inputs.aggregates.values()
                                       for s in a.get("seeds", ())}),
                "recipe_seeds": (recipe or {}).get("seeds"), "rows": rows,
                "recipe_comparison": comparisons}
    text = check.markdown(rows, expected, gate_doc, comparisons)
    headline = next((r for r in rows if r["id"] == gate_doc["headline"]), None)
    if headline:
        document["headline"] = two_sample.distributions(headline["id"], calibration, recipe,
                                                        headline)
        text += "\n" + two_sample.distribution_table(document["headline"])
    if book_paths:
        known = expected.get("curve_deviations") or {}
        book = book_runs.read(book_paths, published)
        curve_rows = curves.evaluate(book, curve_calibration, inputs.aggregates, known,
                                     book_settings)
        document["curves"] = curve_rows
        text += "\n" + curves.markdown(curve_rows, curve_calibration)
    document["false_failure"] = false_failure(document, curve_calibration)
    text += "\n" + two_sample.markdown(comparisons, gate.alpha_family)
    text += "\n" + false_failure_markdown(document["false_failure"])
    if replay_paths:
        from . import replay_check

        document["replay"], section = replay_check.report_section(expected, book,
                                                                  replay_paths, inputs.svm)
        document["replay_summary"] = replay_check.counts(
            replay_check.from_report(document["replay"])[0])
        text += "\n" + section
    document["code"] = provenance(inputs.aggregates)
    return document, text


def false_failure(document: dict, curve_calibration: dict | None = None) -> dict:
    """The chance that a correct network fails the gate on fresh seeds, from what this
    report used: each gated row's alpha, and each gated curve's simulated failure share at
    its threshold (`curves.measure`); a curve calibrated before the simulation counts at
    its held-out failure share, and is counted apart. And what those rates do not measure
    (`zero_spread`): the gated rows and curve epochs whose calibration seeds never
    differed."""
    alphas = [r["alpha"] for r in document["rows"]
              if r["alpha"] is not None and not r["known_deviation"]]
    gated = [c for c in document.get("curves", []) if not c.get("known_deviation")
             and curve_rate(c) is not None]
    rates = [curve_rate(c) for c in gated]
    simulated = [c["simulated_alpha"] for c in gated if c.get("simulated_failure") is not None]
    stated, m = document["gate"]["alpha_family"], document["gate"]["m"]
    return {"rows": len(alphas), "curves": len(gated),
            "curves_held_out": len(gated) - len(simulated),
            "rows_rate": stats.family_rate(alphas), "curves_rate": stats.family_rate(rates),
            "rate": stats.family_rate(alphas + rates), "stated": stated,
            "alpha_row": document["gate"]["alpha_row"], "curves_alpha": sorted(set(simulated)),
            # each part's Šidák share of the stated rate
            "curves_share": 1 - (1 - stated) ** (len(gated) / m),
            **zero_spread(document, gated, curve_calibration)}


def zero_spread(document: dict, gated_curves: list[dict],
                curve_calibration: dict | None) -> dict:
    """The gated rows whose spread is 0 (no detectable shift: a tolerance of the book's
    precision alone), with the seeds that gave their one value (which bound the rate no
    seed measured), and per gated curve its epochs of sd 0 and all its epochs: a fresh
    seed that differs there at all is outside the tolerance."""
    exact = [r for r in document["rows"] if r["alpha"] is not None
            and not r["known_deviation"] and r.get("status") != CHANGED
            and "detectable_shift" in r and r["detectable_shift"] is None]
    epochs = {}
    for c in gated_curves if curve_calibration else ():
        entry = curve_calibration["curves"].get(c["id"])
        sds = entry["sd"] if entry and isinstance(entry["sd"], list) else []
        if zero := sum(sd == 0 for sd in sds):
            epochs[c["id"]] = [zero, len(sds)]
    return {"zero_spread_rows": [r["id"] for r in exact],
            "zero_spread_seeds": {r["id"]: agreeing_seeds(document, r) for r in exact},
            "zero_spread_epochs": epochs}


def agreeing_seeds(document: dict, row: dict) -> dict[str, int]:
    """Of a zero-spread row: how many distinct seeds of ours gave its one value (this
    check's and the calibration's, each set counted where all of it gave the value, to
    the calibration's stored decimals), and how many seeds the check's mean is of. The
    recipe's seeds are another program's (the author's code): they say nothing of ours."""
    value = row.get("mean")
    if value is None:
        return {}
    comparison = next((c for c in document.get("recipe_comparison") or []
                       if c["id"] == row["id"]), None)
    calibration = comparison["ours"] if comparison else None
    if not calibration and row.get("calibration_quartiles") and row.get("book_below"):
        quartiles = row["calibration_quartiles"]
        calibration = {"min": quartiles[0], "max": quartiles[-1]}
    close = 0.5 * 10 ** -check.CALIBRATION_DECIMALS

    def gave(sample) -> bool:
        return bool(sample) and max(abs(sample["min"] - value),
                                    abs(sample["max"] - value)) <= close

    seeds = set()
    if gave(row):
        seeds |= set(document.get("check_seeds") or [])
    if gave(calibration):
        seeds |= set(document.get("calibration_seeds") or [])
    return {"seeds": len(seeds), "check_seeds": row["n"]}


def curve_rate(curve: dict) -> float | None:
    """A compared curve's false-failure rate: simulated, else (a calibration made before
    the simulation) one minus its held-out pass rate; None if it was not compared."""
    if curve.get("simulated_failure") is not None:
        return curve["simulated_failure"]
    held = curve.get("held_out_pass_rate")
    return None if held is None else 1 - held


def false_failure_markdown(f: dict) -> str:
    """The report's (and the docs block's) statement of the gate's false-failure rate."""
    source = "each curve's simulated failure share at its threshold"
    rerun = "calibrated before the simulation (rerun `snakemake calibrate`)"
    if f["curves_held_out"] == f["curves"] > 0:
        source = f"their held-out failure shares: {rerun}"
    elif f["curves_held_out"]:
        source += f"; {f['curves_held_out']} at their held-out failure share, {rerun}"
    text = ("## The gate's false-failure rate\n\n"
            f"A correct network, run on fresh seeds, fails at least one of the "
            f"{f['rows']} gated rows with probability {100 * f['rows_rate']:.2f} % (their "
            f"alphas) and at least one of the {f['curves']} gated curves with probability "
            f"{100 * f['curves_rate']:.2f} % ({source}): the gate, {100 * f['rate']:.2f} %, "
            f"against the {100 * f['stated']:g} % stated in config/expected.yaml (`gate`). "
            f"The curves' share of the stated rate is {100 * f['curves_share']:.2f} %")
    text += (" and they exceed it" if f["curves_rate"] > f["curves_share"] else
             " and they stay within it")
    if f["curves_alpha"] == [f["alpha_row"]]:
        text += (f": each simulated threshold is the largest whose simulated failure share "
                 f"is at most the gate's per-member rate, {f['alpha_row']:.3g}")
    elif f["curves_alpha"]:
        text += (": their thresholds were simulated at a per-member rate of "
                 + ", ".join(f"{a:.3g}" for a in f["curves_alpha"]) + ", the gate's is now "
                 f"{f['alpha_row']:.3g} (rerun `snakemake calibrate`)")
    return text + "." + zero_spread_markdown(f) + "\n"


def zero_spread_bounds(f: dict) -> dict[str, tuple[int, float, int, float]]:
    """Per zero-spread row with seeds of ours that gave its one value: their number n, the
    bound they put on how often one fresh seed differs (stats.none_of_n_bound, 95 %), the
    check's number of seeds k, and the bound on the row's own false-failure rate, which
    any differing seed of the k fails (its mean moves by more than the book's precision):
    1 - (1 - bound)^k. Bounds rounded up to 0.1 %, as they are stated."""
    bounds = {}
    for r in f.get("zero_spread_rows") or []:
        seeds = (f.get("zero_spread_seeds") or {}).get(r) or {}
        if n := seeds.get("seeds"):
            k = seeds["check_seeds"]
            one = stats.none_of_n_bound(n)
            bounds[r] = (n, up(one), k, up(1 - (1 - one) ** k))
    return bounds


def up(rate: float) -> float:
    """A rate rounded up to 0.1 %: "below" it stays true."""
    return math.ceil(1000 * rate - 1e-9) / 1000


def zero_spread_markdown(f: dict) -> str:
    """The sentences on what the rates do not measure (`zero_spread`), or nothing."""
    rows, epochs = f.get("zero_spread_rows") or [], f.get("zero_spread_epochs") or {}
    if not rows and not epochs:
        return ""
    text = (" Not measured by these rates: where the seeds never differed (sd 0), a fresh "
            "seed that differs there at all is outside the tolerance.")
    bounds = zero_spread_bounds(f)
    for r in rows:
        text += f" `{r}` is counted above at its alpha"
        if r in bounds:
            n, one, k, row_rate = bounds[r]
            text += (f"; none of our {n} seeds (this check's and the calibration's) differed, "
                     f"which bounds how often one fresh seed differs only below "
                     f"{100 * one:.1f} %, and how often the check's {k} seeds fail the row "
                     f"only below {100 * row_rate:.1f} % (95 % confidence)")
            if row_rate > f["alpha_row"]:
                text += ": its seeds cannot show that its alpha holds"
        text += "."
    if epochs:
        text += (" " + " and ".join(f"{z} of {n} epochs of `{c}`"
                                    for c, (z, n) in epochs.items())
                 + " are never outside it in their curves' simulations.")
    return text


def provenance(aggregates: dict) -> dict:
    """The code the report came from (nndl3.code): each run's training, as its aggregate
    names it (None: not named), and the report's own."""
    return {"train": {run: agg.get("code") for run, agg in sorted(aggregates.items())},
            "report": code.digest("report")}


def stale(document: dict) -> str | None:
    """What in a reproduction report comes from other code than this checkout's, and what
    to rerun; None if nothing does."""
    made = document.get("code") or {}
    train = code.digest("train")
    runs = [run for run, digest in (made.get("train") or {}).items() if digest != train]
    parts = []
    if runs:
        more = f" and {len(runs) - 3} more" if len(runs) > 3 else ""
        parts.append(f"the training of {', '.join(runs[:3])}{more}")
    if made.get("report") != code.digest("report"):
        parts.append("the report")
    if not parts:
        return None
    return (f"made by other code than this checkout's ({'; '.join(parts)}): rerun "
            "`snakemake --cores 2 check`, which retrains and redraws what the code change "
            "touched")


def write(document: dict, text: str, out_md, out_json, out_html=None) -> None:
    atomic.write_json(out_json, document)
    atomic.write_text(out_md, text)
    if out_html:
        atomic.write_text(out_html, to_html(text))


def failed(document: dict) -> list[str]:
    """The ids of every row, curve and replayed list outside its tolerance."""
    return [r["id"] for r in document["rows"] + document.get("curves", [])
            + document.get("replay", []) if r["status"] == status.FAIL]


def unknown_status(document: dict) -> str | None:
    """A row whose status the gate does not know (the gate would pass it unread)."""
    for part in ("rows", "curves", "replay"):
        for row in document.get(part, []):  # rows with ids (readers.reproduction)
            if not status.known(row.get("status")):
                return f"{part}: {row['id']}: status {row.get('status')!r}"
    return None


def gate(report_path, table_path) -> tuple[str, list[str]]:
    """The reproduction table and the ids of the rows and curves outside their tolerance."""
    document = readers.reproduction(report_path)
    problem = stale(document) or unknown_status(document) or (
        None if document["rows"] else "no rows: nothing was checked")
    if problem:
        raise UserError(f"{report_path}: {problem}")
    table = readers.text(table_path, "reproduction table")
    if not any(line.startswith("|") for line in table.splitlines()):  # empty, or the .json
        raise UserError(f"{table_path}: no table rows: not the report's table (rerun "
                        "`snakemake check`)")
    return table, failed(document)


# ------------------------------------------------------------- HTML for Snakemake's report

STYLE = ("body{font-family:sans-serif;font-size:13px;margin:1em}"
         "table{border-collapse:collapse;margin:1em 0}"
         "td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}"
         "th{background:#eee}")


def to_html(markdown: str) -> str:
    """The report's markdown (headings, paragraphs, tables, bullet lists, bold) as a
    standalone HTML page."""
    out, block = [], []

    def flush():
        if block:
            out.append(f"<p>{inline(' '.join(block))}</p>")
            block.clear()

    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("|"):
            flush()
            table = []
            while i < len(lines) and lines[i].startswith("|"):
                table.append(lines[i])
                i += 1
            out.append(html_table(table))
            continue
        if line.startswith("#"):
            flush()
            level = len(line) - len(line.lstrip("#"))
            out.append(f"<h{level}>{inline(line[level:].strip())}</h{level}>")
        elif line.startswith("- "):
            flush()
            out.append(f"<ul><li>{inline(line[2:])}</li></ul>")
        elif not line.strip():
            flush()
        else:
            block.append(line)
        i += 1
    flush()
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>Reproduction</title>"
            f"<style>{STYLE}</style></head><body>\n" + "\n".join(out) + "\n</body></html>\n")


def html_table(lines: list[str]) -> str:
    cells = [[c.strip() for c in line.strip().strip("|").split("|")] for line in lines]
    head, body = cells[0], [r for r in cells[1:] if not all(set(c) <= set("-: ") for c in r)]
    rows = ["<tr>" + "".join(f"<th>{inline(c)}</th>" for c in head) + "</tr>"]
    rows += ["<tr>" + "".join(f"<td>{inline(c)}</td>" for c in r) + "</tr>" for r in body]
    return "<table>\n" + "\n".join(rows) + "\n</table>"


def inline(text: str) -> str:
    text = html.escape(text, quote=False)
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
