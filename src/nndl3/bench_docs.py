"""Generated blocks rendered from the benchmark scripts' records (registered in
nndl3.docs.BLOCKS): docs/performance.md's kernel section from benchmarks/bench.py's record
(paths.KERNEL_BENCH): the machine and the epoch table, the arithmetic floor and the
evaluation, the targets, the kernel change by change, and seeds trained together; and
docs/replay.md's engines and sensitivity from benchmarks/replay_sensitivity.py's record
(paths.REPLAY_SENSITIVITY); chapter 2's backprop claims from
benchmarks/backprop_claims.py's record (paths.BACKPROP_CLAIMS), which that script prints
too (so its code digest holds this small module, not all of nndl3.docs). Every number
and every statement of a measured property (met or not, identical or not) is made here
from the records."""

from __future__ import annotations

from pathlib import Path

from . import paths, readers, runspec

NAMES = {"fast": "fast (Numba, sparse inputs)", "numpy": "NumPy, vectorized",
         "reference": "reference, per example", "torch": "PyTorch, CPU"}
# the network and dtype the targets are set for: run.schema.yaml's defaults, the book's
HEADLINE = tuple(map(runspec.defaults().get, ("sizes", "dtype")))
# The cores every wall-time estimate of the docs assumes: the developers' machine's and CI's.
ESTIMATE_CORES = 2


def wall_estimate(job_seconds: float, longest: float = 0.0) -> float:
    """Jobs' wall time on ESTIMATE_CORES cores: max(`longest`, the longest job or chain of
    jobs that must run one after another, job-seconds / cores)."""
    return max(longest, job_seconds / ESTIMATE_CORES)


def cores_minutes(cpu_seconds: float) -> str:
    """'about N minutes on C cores' (or 'under a minute'): CPU seconds spread over
    ESTIMATE_CORES cores."""
    minutes = round(wall_estimate(cpu_seconds) / 60)
    if minutes < 1:
        return f"under a minute on {ESTIMATE_CORES} cores"
    return f"about {minutes} minute{'s' * (minutes != 1)} on {ESTIMATE_CORES} cores"


def target_times_table(targets: list[dict]) -> str:
    """The table of benchmarks/target_times.py's estimates (it prints it too)."""
    lines = [f"| target | jobs | job-s | longest job | estimate, {ESTIMATE_CORES} "
             "cores |", "|---|---|---|---|---|"]
    for t in targets:
        if not t["jobs"]:
            lines.append(f"| `{t['target']}` | 0 | - | - | seconds |")
            continue
        lines.append(f"| `{t['target']}` | {t['jobs']} | {t['job_seconds']:.0f} | "
                     f"{t['longest']} {t['longest_seconds']:.0f} s | "
                     f"~{t['estimate_seconds'] / 60:.1f} min |")
    return "\n".join(lines) + "\n"


def load(root: Path, rel: str = paths.KERNEL_BENCH) -> dict:
    """A committed JSON record, a benchmark's or a result's (bench.py's by default)."""
    return readers.json_file(root / rel, "result")


def machine_line(record: dict) -> str:
    """Where and when: the run's date, CPU, instruction sets, what Numba compiled for, the
    load, the versions and the commit."""
    m, s = record["machine"], record["settings"]
    sets = ", ".join(m.get("instruction_sets") or []) or "not recorded"
    target = m.get("compiled_for") or {}
    compiled = (f"; Numba compiled for `{target['numba_cpu_name']}` (features "
                f"{target['numba_cpu_features']}), OpenBLAS core {target['openblas_coretype']}"
                if target else "")
    load_end = m.get("load_average_at_end")
    loads = f"load {m['load_average_at_start'][0]:.1f} at the start" + (
        f", {load_end[0]:.1f} at the end" if load_end else "")
    versions = ", ".join(f"{k} {m[k]}" for k in ("python", "numpy", "numba", "scipy")
                         if m.get(k))
    torch = f"PyTorch {m['torch']}" if m.get("torch") else "PyTorch not installed"
    commit = f", commit `{m['git_commit']}`" if m.get("git_commit") else ""
    return (f"`python benchmarks/bench.py`, run on {m['date'][:10]}: {m['cpu']}, "
            f"{m['cpu_count']} cores (instruction sets: {sets}{compiled}); {loads}; "
            f"{versions}; {torch}{commit}. One thread, the CPU time of the timing thread, "
            f"median of {s['repeats']} epoch(s) of {s['train_size']:,} images, mini-batch "
            f"{s['mini_batch']}, eta {s['eta']:g}, lambda {s['lmbda']:g}.")


def network(sizes: list) -> str:
    return "[" + ", ".join(map(str, sizes)) + "]"


def epoch_table(record: dict) -> str:
    lines = ["| implementation | network | dtype | s / epoch | examples / s | vs reference |",
             "|---|---|---|---|---|---|"]
    for r in record["results"]:
        lines.append(f"| {NAMES.get(r['implementation'], r['implementation'])} | "
                     f"{network(r['network'])} | {r['dtype']} | {r['seconds_per_epoch']:.3f} | "
                     f"{r['examples_per_second']:,.0f} | {r['speedup_vs_reference']:.1f}x |")
    s = record["settings"]
    lines += ["", f"(The reference is timed on {s['reference_examples']:,} images, "
              f"{s['reference_repeats']} time(s), and scaled to {s['train_size']:,}; its "
              "examples / s are as measured.)"]
    return "\n".join(lines)


def floor_table(record: dict) -> str:
    lines = ["| network | dtype | nonzero pixels | Gflop / epoch | peak Gflop/s | floor ms "
             "| fast ms | fast / floor |", "|---|---|---|---|---|---|---|---|"]
    for f in record["floor"]:
        lines.append(f"| {network(f['network'])} | {f['dtype']} | {f['nonzero_pixels']:,} | "
                     f"{f['flops_per_epoch'] / 1e9:.2f} | {f['peak_flops'] / 1e9:.0f} | "
                     f"{f['floor_seconds'] * 1e3:.1f} | {f['fast_seconds'] * 1e3:.1f} | "
                     f"{f['fast_over_floor']:.1f}x |")
    return "\n".join(lines)


def evaluation_table(record: dict) -> str:
    lines = ["| network | dtype | images | fast ms | NumPy ms |", "|---|---|---|---|---|"]
    for e in record["output_z"]:
        lines.append(f"| {network(e['network'])} | {e['dtype']} | {e['images']:,} | "
                     f"{e['fast_seconds'] * 1e3:.2f} | {e['numpy_seconds'] * 1e3:.2f} |")
    return "\n".join(lines)


def headline(rows: list[dict], **match) -> dict | None:
    sizes, dtype = HEADLINE
    return next((r for r in rows if r["network"] == sizes and r["dtype"] == dtype
                 and all(r.get(k) == v for k, v in match.items())), None)


def met(value: float, bound: float, at_least: bool) -> str:
    ok = value >= bound if at_least else value <= bound
    return "met" if ok else "not met"


def targets(record: dict) -> str:
    """The run against docs/design.md's targets (bench.py's TARGETS, in the record)."""
    goal = record.get("targets")
    fast = headline(record["results"], implementation="fast")
    floor = headline(record["floor"])
    if not goal or fast is None or floor is None:
        return ("This run has no target line (it predates the record's `targets`, or it did "
                f"not time fast {network(HEADLINE[0])} {HEADLINE[1]}).")
    speed, lo = fast["speedup_vs_reference"], goal["speedup_vs_reference_at_least"]
    ratio, hi = floor["fast_over_floor"], goal["floor_multiple_at_most"]
    return (f"Against the targets of [design.md](design.md#performance-targets), fast "
            f"{network(HEADLINE[0])} {HEADLINE[1]}: **{speed:.1f}x the reference** (at least "
            f"{lo:g}x: {met(speed, lo, True)}) and **{ratio:.1f}x the floor** (at most "
            f"{hi:g}x: {met(ratio, hi, False)}).")


def kernel_bench(root: Path) -> str:
    """The machine, the epoch table, the floor, the evaluation and the targets."""
    record = load(root)
    return "\n\n".join([
        machine_line(record), epoch_table(record),
        "The arithmetic floor (the sparse algorithm's flops over one core's peak, the rate "
        "of a one-thread matrix product of two 2048 x 2048 matrices in the same dtype):",
        floor_table(record),
        "One `output_z` call (the evaluation after every epoch) on the test images:",
        evaluation_table(record), targets(record)]) + "\n"


def history_table(history: dict) -> str:
    reference, floor = history.get("reference_seconds"), history.get("floor_seconds")
    lines = ["| commit | ms / epoch | range of the timings | vs before | "
             + ("vs reference | " if reference else "") + ("x floor | " if floor else "")
             + "change |", "|---" * (5 + bool(reference) + bool(floor)) + "|"]
    before = None
    for v in history["versions"]:
        ms = v["seconds_per_epoch"] * 1e3
        timed = v["seconds_timed"]
        step = "-"
        if before:
            # a step whose timings overlap the previous version's is not told from the noise
            noise = min(timed) <= max(before["seconds_timed"]) and \
                min(before["seconds_timed"]) <= max(timed)
            step = f"{before['seconds_per_epoch'] / v['seconds_per_epoch']:.2f}x" + (
                " (within the noise)" if noise else "")
        cells = [f"`{v['commit']}`" if v["commit"] != "working tree" else "working tree",
                 f"{ms:.1f}", f"{min(timed) * 1e3:.1f}-{max(timed) * 1e3:.1f}", step]
        if reference:
            cells.append(f"{reference / v['seconds_per_epoch']:.1f}x")
        if floor:
            cells.append(f"{v['seconds_per_epoch'] / floor:.1f}x")
        cells.append(v["change"])
        lines.append("| " + " | ".join(cells) + " |")
        before = v
    return "\n".join(lines)


def kernel_history(root: Path) -> str:
    """The fast kernel change by change, as bench.py timed it (benchmarks/kernel_history.py)."""
    record = load(root)
    history = record.get("kernel_history")
    date = record["machine"]["date"][:10]
    if not history:
        return (f"The run of {date} did not time the kernel's history (`--no-history`, no "
                "float32 [784, 30, 10] row, or a checkout without the git history).\n")
    repeats = sorted({len(v["seconds_timed"]) for v in history["versions"]})
    text = (f"The run of {date} (the machine above), float32 [784, 30, 10], each version "
            f"the median of {'/'.join(map(str, repeats))} epochs, the versions interleaved")
    if history.get("reference_seconds"):
        text += f"; the reference of that run: {history['reference_seconds']:.3f} s per epoch"
    if history.get("floor_seconds"):
        text += f", the floor {history['floor_seconds'] * 1e3:.1f} ms"
    return text + ":\n\n" + history_table(history) + "\n"


def seeds_together(root: Path) -> str:
    """Seeds trained together against one seed (benchmarks/seeds.py)."""
    record = load(root)
    t = record["seeds_together"]
    one, many = t["runs"]
    return (f"In the run of {record['machine']['date'][:10]} ({one['engine']} engine, "
            f"[784, 30, 10] float32, one epoch), {many['seeds']} seeds took "
            f"**{t['ratio_epoch']:.2f}x the training time of {one['seeds']}** "
            f"({many['epoch_seconds']:.3f} s against {one['epoch_seconds']:.3f} s) and "
            f"{t['ratio_wall']:.2f}x the wall time of one `train()` call, which includes "
            "loading and evaluation.\n")


def divergence(entry: dict) -> str:
    """`identical`, or where and by how much a list first differs."""
    epoch, diff = entry["first_divergent_epoch"], entry["max_cost_diff"]
    cost = "" if diff is None else f" (cost {diff:.0e})"
    return ("identical" if epoch is None else f"epoch {epoch}") + cost


def replay_sensitivity(root: Path) -> str:
    """Each engine's replay against the book, the first engine's replay against itself with
    every initial weight one ulp higher, and each engine's CPU seconds per file."""
    record = load(root, paths.REPLAY_SENSITIVITY)
    engines, nudged = record["engines"], record["nudged_engine"]
    command = " ".join(["python benchmarks/replay_sensitivity.py", *record["files"],
                        "--engines", *engines])
    lines = [f"`{command}`, run on {record['date'][:10]} "
             f"({record['cpu']}): the first epoch at which a list differs (largest cost "
             "difference), or `identical`.", "",
             "| file | list | " + " | ".join(f"`{e}` vs book" for e in engines)
             + f" | nudged `{nudged}` vs `{nudged}` |", "|---" * (3 + len(engines)) + "|"]
    same, total = {e: 0 for e in engines}, 0
    agree = diverging = 0
    for file, entry in record["files"].items():
        for i, nudge in enumerate(entry["nudged"]):
            cells = [entry["engines"][e]["lists"][i] for e in engines]
            lines.append(f"| {file} | {nudge['id'].removeprefix(file).strip(':. ') or '-'} | "
                         + " | ".join(divergence(c) for c in cells + [nudge]) + " |")
            total += 1
            for e, c in zip(engines, cells, strict=True):
                same[e] += c["first_divergent_epoch"] is None
            leaves = entry["engines"][nudged]["lists"][i]["first_divergent_epoch"]
            if leaves is not None:
                diverging += 1
                agree += leaves == nudge["first_divergent_epoch"]
    lines += ["", "Lists identical to the book: " + ", ".join(
        f"`{e}` {same[e]} of {total}" for e in engines) + f". Of the {diverging} lists "
        f"`{nudged}`'s replay does not give, the nudged replay leaves that replay at the "
        f"epoch where it leaves the book in {agree}.", "",
        "| file | " + " | ".join(f"`{e}` CPU s" for e in engines) + " |",
        "|---" * (1 + len(engines)) + "|"]
    for file, entry in record["files"].items():
        lines.append(f"| {file} | " + " | ".join(
            f"{entry['engines'][e]['cpu_seconds']:.1f}" for e in engines) + " |")
    return "\n".join(lines) + "\n"


def backprop_tables(doc: dict) -> str:
    """Chapter 2's claims as benchmarks/backprop_claims.py measured them (its JSON document):
    SGD by implementation against the per-example reference, and one mini-batch's forward,
    backprop and finite-difference passes, each beside the text's claim."""
    epochs, passes, check = doc["sgd_cpu_seconds"], doc["pass_cpu_seconds"], doc["gradient_check"]
    ref = epochs["reference (per example)"]
    lines = [backprop_run_line(doc), "",
             f"SGD on {doc['examples']:,} images, {doc['sizes']}, {doc['sgd_cost']} cost, "
             f"mini-batch {doc['mini_batch']}, {doc['dtype']}, one core", "",
             "| implementation | CPU s | vs per-example reference | the text |",
             "|---|---|---|---|"]
    for name, seconds in epochs.items():
        text = {"reference": "1x", "numpy": "about 2x"}.get(name.split()[0], "-")
        lines.append(f"| {name} | {seconds:.3f} | {ref / seconds:.1f}x | {text} |")
    fw = passes["forward"]
    lines += ["", f"One mini-batch of {doc['mini_batch']} images, {doc['sizes']}, "
              f"{doc['pass_cost']} cost, {doc['dtype']}, one core", "",
              "| computation | CPU ms | in forward passes | the text |", "|---|---|---|---|"]
    claims = {"forward": "1", "backprop": "about 2", "finite_difference":
              f"one extra forward pass per parameter ({check['parameters']:,} + 1)"}
    for name, text in claims.items():
        lines.append(f"| {name.replace('_', ' ')} | {1000 * passes[name]:.3f} | "
                     f"{passes[name] / fw:,.1f} | {text} |")
    lines += ["", f"numpy engine vs reference: {ref / epochs['numpy (mini-batch matrix)']:.1f}x "
              f"(text: about 2x); backprop = {passes['backprop'] / fw:.1f} forward passes "
              f"(text: about 2); finite differences = "
              f"{passes['finite_difference'] / passes['backprop']:,.0f} backprop passes",
              f"finite-difference gradient (eps {doc['eps']:g}) vs backprop, "
              f"{check['parameters']:,} parameters: largest difference "
              f"{check['max_abs_difference']:.1e} ({check['relative']:.1e} of the largest "
              "component)"]
    return "\n".join(lines) + "\n"


def backprop_run_line(doc: dict) -> str:
    """Where, when and how often the times were taken (a document without them: not
    recorded)."""
    m = doc.get("machine")
    where = (f"Measured on {m['date'][:10]} on {m['cpu']} ({m['cpu_count']} CPUs, load "
             f"{m['load_average_at_start'][0]:.1f} at the start), commit {m['git_commit']}"
             if m else "Machine and date not recorded")
    calls = (f" (a forward or backprop pass: of {doc['pass_calls']} calls)"
             if "pass_calls" in doc else "")
    return f"{where}; each time the median CPU time of {doc['repeats']} runs{calls}."
