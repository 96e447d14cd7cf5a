"""The generated blocks of docs/literature.md (registered in nndl3.docs.BLOCKS): the wide
engine's benchmark, the literature runs' cost, their rows of the check, and where the
probed runs stand."""

from __future__ import annotations

from pathlib import Path

from . import bench_docs, paths
from .bench_docs import met
from .code import digest
from .errors import UserError


def wide_bench(root: Path) -> str:
    """benchmarks/wide.py's table (paths.WIDE_BENCH)."""
    r = bench_docs.load(root, paths.WIDE_BENCH)
    one, two, f = r["one_hidden"], r["two_hidden"], r["one_hidden"]["floor"]
    lines = [f"{r['train_size']:,} images, CPU seconds of one thread, median of "
             f"{r['repeats']} epochs ({r['machine']['cpu']}, load "
             f"{r['machine']['load_average_at_start'][0]:.1f} at the start):", "",
             "| network | mini-batch | wide s/epoch | NumPy s/epoch | ratio |",
             "|---|---|---|---|---|"]
    for row in (one, two):
        lines.append(f"| {row['network']}{wide_settings(row)} | {row['mini_batch']} | "
                     f"{row['wide_seconds']:.2f} | {row['numpy_seconds']:.2f} | "
                     f"{row['ratio']:.1f}x |")
    lines += ["", f"Floor of [784, 800, 10]: {f['flops_per_epoch'] / 1e9:.1f} Gflop of the "
              f"sparse algorithm / {f['peak_flops'] / 1e9:.0f} Gflop/s (one-thread float32 "
              f"matrix product) = {f['floor_seconds']:.3f} s; the wide engine takes "
              f"{f['wide_over_floor']:.1f}x the floor.", ""]
    for name, d in r["distortion"].items():
        lines.append(f"- {d['images']:,} {name} distortions: {d['distort_seconds']:.2f} s, "
                     f"their CSR form {d['csr_seconds']:.2f} s; "
                     f"{100 * d['nonzero_share']:.1f} % of the pixels nonzero; the wide "
                     f"epoch on them {d['wide_epoch_seconds']:.2f} s (drawing the next "
                     "epoch's overlaps it, on the second core)")
    return "\n".join(lines + ["", wide_targets(r)]) + "\n"


def wide_settings(row: dict) -> str:
    """What the wide engine did in a timed row beyond plain SGD, in words (and the run whose
    settings those are): " (`dropout_maxnorm`; wide: dropout 0.5, max-norm, momentum 0.5)"
    or "" for none (a record before `run` and `momentum`: its options only)."""
    options = row.get("options") or {}
    words = [f"dropout {options['dropout']:g}" if options.get("dropout") else "",
             f"pixel dropout {options['input_dropout']:g}" if options.get("input_dropout")
             else "", "max-norm" if options.get("max_norm") else "",
             f"momentum {row['momentum']:g}" if row.get("momentum") else ""]
    words = ", ".join(w for w in words if w)
    run = f"`{row['run']}`" if row.get("run") else ""
    said = "; ".join(w for w in (run, f"wide: {words}" if words else "") if w)
    return f" ({said})" if said else ""


def wide_targets(r: dict) -> str:
    """The run against docs/design.md's targets for the wide engine (benchmarks/wide.py's
    TARGETS, in the record)."""
    goal = r.get("targets")
    if not goal:
        return "This run has no target line (it predates the record's `targets`)."
    ratio, lo = round(r["one_hidden"]["ratio"], 1), goal["wide_over_numpy_at_least"]
    parts = [f"**{ratio:.1f}x the NumPy engine** (at least {lo:g}x: {met(ratio, lo, True)})"]
    for name, d in r["distortion"].items():
        cost = round(d["distort_seconds"] + d["csr_seconds"], 2)  # judged as printed
        epoch = round(d["wide_epoch_seconds"], 2)
        parts.append(f"{name} distortions and their CSR form {cost:.2f} s against the wide "
                     f"epoch on them {epoch:.2f} s (within it: {met(cost, epoch, False)})")
    return (f"Against the targets of [design.md](design.md#performance-targets): "
            f"{'; '.join(parts)}.")


def literature_cost(root: Path) -> str:
    """benchmarks/literature_cost.py's extrapolation (paths.LITERATURE_COST), refused when
    its runs or their epochs are no longer config/literature.yaml's."""
    from .literature import load_config

    r = bench_docs.load(root, paths.LITERATURE_COST)
    runs = load_config(root / paths.LITERATURE_CONFIG)["runs"]
    measured = {row["run"]: row["epochs"] for row in r["rows"]}
    configured = {name: run.get("epochs") for name, run in runs.items()}
    stale = sorted(n for n in measured.keys() | configured.keys()
                   if measured.get(n) != configured.get(n))
    if stale:
        raise UserError(f"{paths.LITERATURE_COST}: runs measured at other epochs than "
                        f"{paths.LITERATURE_CONFIG}'s, or not at all: {', '.join(stale)} "
                        "(rerun `python benchmarks/literature_cost.py`)")
    lines = ["| run | CPU s/epoch | wall s/epoch | epochs | CPU h per seed |",
             "|---|---|---|---|---|"]
    for row in r["rows"]:
        lines.append(f"| `{row['run']}` | {row['cpu_per_epoch']:.2f} | "
                     f"{row['wall_per_epoch']:.2f} | {row['epochs']} | "
                     f"{row['cpu_hours_per_seed']:.2f} |")
    lines += ["", f"All runs, {r['seeds']} seeds: **{r['total_cpu_hours']:.0f} CPU hours**; "
              f"on {bench_docs.ESTIMATE_CORES} cores at least "
              f"{bench_docs.wall_estimate(r['total_cpu_hours']):.0f} hours of wall time "
              f"(from epochs 1 to {r['rows'][0]['epochs_measured'] - 2} of seed 1 of each run)."]
    return "\n".join(lines) + "\n"


def literature_rows(root: Path) -> str:
    """The literature rows' status (paths.LITERATURE_JSON)."""
    from . import literature_check as lc

    result = bench_docs.load(root, paths.LITERATURE_JSON.format(scale=lc.RUNS))
    expected = root / paths.EXPECTED
    # judged again from its stored numbers: a committed result may predate the judgment
    rows = lc.rows(expected)
    rows = lc.with_power(rows, result["rows"], lc.power(expected),
                         lc.alpha(expected, lc.family(rows)))
    lines = [f"| row | paper | regenerated mean (n) | tolerance | {lc.SHIFT_HEADS} | status |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        got = (f"{r['mean']:.2f} ({r['n']}) | ± {r['tolerance']:.2f} | {lc.shift_cells(r)}"
               if "mean" in r else "- | - | - | - | -")
        varies = f" (varies a choice of `{r['varies']}`)" if "varies" in r else ""
        lines.append(f"| `{r['id']}`{varies} | {r['book']} | {got} | {r['status']} |")
    lines += lc.summary_lines(rows, result.get("choices") or (), result.get("orders") or ())
    current = digest("literature-train", root / "src" / "nndl3")
    return "\n".join(lines + ["", provenance(result["rows"], current)]) + "\n"


def provenance(rows: list[dict], current: str) -> str:
    """Which code made each made row's records, against this checkout's `literature-train`
    (digest `current`): the committed result outlives its records, so a row made by other
    code says so until `snakemake literature` remakes it."""
    made = [r for r in rows if "values" in r]
    if not made:
        return "No row is made."
    by_code: dict[str, list[str]] = {}
    for r in made:
        for c in sorted(set(r.get("code") or [None]), key=str):
            label = ("this checkout's" if c == current else f"code `{c}`" if c
                     else "not recorded (the row predates the records' `code`)")
            by_code.setdefault(label, []).append(f"`{r['id']}`")
    if list(by_code) == ["this checkout's"]:
        return (f"Every made row's records were made by this checkout's `literature-train` "
                f"(code `{current}`).")
    groups = "; ".join(f"{label}: {', '.join(ids)}" for label, ids in by_code.items())
    return (f"The code that made the rows' records, against this checkout's "
            f"`literature-train` (code `{current}`; a row made by other code is older than "
            f"the code until `snakemake literature` remakes it): {groups}.")


def literature_probe(root: Path) -> str:
    """Where each probed run stands (paths.LITERATURE_PROBE_JSON): its seeds' test accuracy
    at the last epoch probed and at the epoch best on validation."""
    lines = ["| run | epochs probed | test % at the last epoch, per seed | "
             "test % at the best validation epoch (epoch) |", "|---|---|---|---|"]
    for r in bench_docs.load(root, paths.LITERATURE_PROBE_JSON)["runs"]:
        last = ", ".join(f"{v:.2f}" for v in r["test_last"])
        best = ", ".join(f"{v:.2f} ({e})" for v, e in zip(r["test_at_best"],
                                                           r["best_epochs"], strict=True))
        lines.append(f"| `{r['run']}` | {r['epochs']} | {last} | {best} |")
    return "\n".join(lines) + "\n"
