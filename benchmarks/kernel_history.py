"""The fast kernel change by change: each version's fast engine taken from git and timed
in this process, interleaved with the others, so that every change shows its before and
after on the same machine at the same moment.

Used by bench.py; on its own:

    python benchmarks/kernel_history.py [--repeats N]

Every version is driven through one entry point, `epoch_runner`: an adapter per generation
of the engine's interface (its module's `API`), so the versions need not share a signature.

Each version's kernel sources (those of `nndl3.KERNEL_SOURCES` it has) are written to
.cache/kernel_history/<commit>/ as a package and imported from there. Their compiled code
goes to Numba's cache folder (nndl3/__init__.py), which follows the current kernel's
sources: after an edit of one of them the old versions compile again (about 6 s each),
then load. Needs git and the repository's history; without them the table is
skipped with one line.
"""

from __future__ import annotations

import importlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common  # the one-thread settings, before NumPy loads

from nndl3 import KERNEL_SOURCES, arguments
from nndl3.errors import exit_status

ROOT = Path(__file__).resolve().parent.parent

# (commit, what it changed in the kernel); the first is the kernel issue 13 started from.
# "working tree" is the nndl3.fast imported by bench.py itself.
CHANGES = (
    ("1bc1962", "the kernel issue 13 started from"),
    ("dca6311", "float32 arithmetic, output layer transposed, unsigned pixel indices"),
    ("eec02db", "cache-line-aligned parameters"),
    ("28cb1fa", "explicit SIMD rows of W1, pixels prefetched"),
    ("35a3552", "parameter updates without temporaries"),
    ("820b363", "output layer as explicit SIMD"),
    ("6e16b08", "two images' hidden layers at once"),
    ("c09ff6f", "shape checks out of the loops, prefetch from a line's start"),
    ("22e2f65", "one intrinsic per operation, the row split into passes in the IR"),
    ("ca9c9c7", "float32 sigmoids in vectors (libm's expf bits), next labels prefetched"),
    ("77629fb", "16-bit pixel indices"),
    ("d20b37f", "the mini-batch's output layers side by side"),
    ("69662f1", "pixel values coded in one byte (k/255)"),
    ("d9b55dd", "subnormals flushed during the epoch (no change unless sigmoids saturate)"),
    ("working tree", "the kernel this checkout runs"),
)
SOURCES = KERNEL_SOURCES  # a commit lacking one of them is loaded without it


def git_show(commit: str, path: str) -> str | None:
    """The file at `path` in `commit`, or None if the commit has no such file."""
    result = subprocess.run(["git", "show", f"{commit}:{path}"], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    return result.stdout if result.returncode == 0 else None


def load_version(commit: str):
    """The `fast` module of `commit`, as a package under .cache/kernel_history."""
    if commit == "working tree":
        from nndl3 import fast

        return fast
    package = f"kernel_{commit}"
    folder = ROOT / ".cache" / "kernel_history" / commit
    if not (folder / package / "fast.py").is_file():
        write_version(commit, folder, package)
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    return importlib.import_module(f"{package}.fast")


def write_version(commit: str, folder: Path, package: str) -> None:
    """The commit's sources as a package, written whole or not at all (temporary folder,
    then one rename), so that an interrupted run leaves nothing half-written."""
    files = {name: git_show(commit, f"src/nndl3/{name}") for name in SOURCES}
    if files["fast.py"] is None:
        raise LookupError(f"commit {commit}: no src/nndl3/fast.py in this repository")
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder))
    (staging / "__init__.py").write_text("")
    for name, text in files.items():
        if text is not None:
            (staging / name).write_text(text)
    try:
        staging.rename(folder / package)
    except OSError:  # another run wrote it meanwhile
        shutil.rmtree(staging, ignore_errors=True)


def history_available() -> str | None:
    """None if git can read every listed commit, else why not (one line)."""
    for commit, _ in CHANGES:
        if commit == "working tree":
            continue
        try:
            probe = subprocess.run(["git", "cat-file", "-e", f"{commit}^{{commit}}"],
                                   cwd=ROOT, capture_output=True, check=False)
        except OSError:
            return "kernel history skipped: git is not installed"
        if probe.returncode != 0:
            return f"kernel history skipped: this checkout lacks commit {commit}"
    return None


def epoch_runner(module, net, x, labels, order, eta):
    """A function that trains one epoch of `module`'s fast engine on `net`, whatever the
    generation of its interface (`module.API`, 1 where it has none):
    1  options with every call: sgd_epoch(x, labels, order, eta, lmbda, regularization, m)
    2  options at construction, from net.options: sgd_epoch(x, labels, order, eta)
    Both read the network's weights, biases, cost, hidden activation and dropout."""
    engine = module.FastNetwork(net, x)
    api = getattr(module, "API", 1)
    if api == 1:
        o = net.options
        return lambda: engine.sgd_epoch(x, labels, order, eta, o.lmbda, o.regularization,
                                        o.mini_batch)
    if api == 2:
        return lambda: engine.sgd_epoch(x, labels, order, eta)
    raise LookupError(f"{module.__name__}: engine API {api} has no adapter here")


def time_versions(x, labels, make_network, order, eta, repeats):
    """Median thread CPU seconds of one epoch per version, the versions interleaved: in
    each round every version trains one epoch from the same weights in the same order."""
    modules = [(commit, text, load_version(commit)) for commit, text in CHANGES]
    small = x[:200]
    for _, _, module in modules:  # compile (or load the cached code), untimed
        epoch_runner(module, make_network(), small, labels[:200], order[order < 200], eta)()
    seconds = {commit: [] for commit, _, _ in modules}
    for _ in range(repeats):
        for commit, _, module in modules:
            epoch = epoch_runner(module, make_network(), x, labels, order, eta)
            start = time.thread_time()
            epoch()
            seconds[commit].append(time.thread_time() - start)
    return [{"commit": commit, "change": text,
             "seconds_per_epoch": statistics.median(seconds[commit]),
             "seconds_timed": seconds[commit]} for commit, text, _ in modules]


def table(rows, reference_seconds=None, floor_seconds=None):
    lines = [f"{'commit':<14}{'ms/epoch':>9}{'range':>13}{'vs before':>11}"
             + (f"{'vs reference':>14}" if reference_seconds else "")
             + (f"{'x floor':>9}" if floor_seconds else "") + "  change"]
    before = None
    for r in rows:
        ms = r["seconds_per_epoch"] * 1e3
        spread = f"{min(r['seconds_timed']) * 1e3:.1f}-{max(r['seconds_timed']) * 1e3:.1f}"
        step = f"{before / ms:.2f}x" if before else "-"
        ratio = (f"{reference_seconds / r['seconds_per_epoch']:>13.1f}x"
                 if reference_seconds else "")
        floor = f"{r['seconds_per_epoch'] / floor_seconds:>8.1f}x" if floor_seconds else ""
        lines.append(f"{r['commit']:<14}{ms:>9.1f}{spread:>13}{step:>11}{ratio}{floor}"
                     f"  {r['change']}")
        before = ms
    return "\n".join(lines)


def run(x, labels, repeats, reference=None, floor=None):
    """Each change of the fast kernel, before and after, timed in this run (float32, the
    benchmark network), beside `reference` (the reference's seconds, if timed) and as a
    multiple of `floor` (the arithmetic floor's seconds, if measured); None when git
    history is missing."""
    reason = history_available()
    if reason:
        print(f"\n{reason}")
        return None
    print("\nthe fast kernel change by change (git versions, interleaved, median of "
          f"{repeats}; {common.SIZES} {x.dtype})", flush=True)
    versions = time_versions(x, labels, lambda: common.fresh_network(common.SIZES, x.dtype),
                             common.shuffled(len(x)), common.ETA, repeats)
    print(table(versions, reference, floor))
    return {"reference_seconds": reference, "floor_seconds": floor, "versions": versions}


def main(argv=None) -> int:
    parser = arguments.script_parser(__doc__)
    parser.add_argument("--repeats", type=arguments.positive, default=5)
    args = parser.parse_args(argv)
    import numpy as np

    from nndl3 import mnist

    x, labels = mnist.load(common.default_data(), np.float32)["train"]
    run(x, labels, args.repeats)
    return 0


if __name__ == "__main__":
    raise SystemExit(exit_status(main))
