"""Time one epoch of SGD on MNIST with each way this project (and others) can train.

    /work/venv/bin/python benchmarks/bench.py [--repeats 3] [--pipeline]

Networks [784, 30, 10] and [784, 100, 10], sigmoid, cross-entropy, mini-batch 10,
eta 0.5, lambda 0, the 50,000 training images, in float32 and float64, trained by

  fast       nndl3.fast.FastNetwork (Numba; compiled before any timing)
  numpy      nndl3.network.Network.sgd_epoch (vectorized over the mini-batch)
  reference  benchmarks/reference.py, per example as in the book's network2.py; slow, so
             it trains on the first --reference-examples images and its time is scaled
             up to the full epoch
  torch      PyTorch on the CPU, the same network and updates (only if torch imports)

and, separately, "seeds together": `nndl3.train.train` with 8 seeds against 1 seed.

Beside the kernel it prints the arithmetic floor of an epoch: the floating-point
operations of the sparse algorithm, counted from the data (nonzero pixels x hidden width
x 2 passes (hidden layer's weighted inputs, W1's update) x 2 flops (multiply, add), plus
3 x hidden x outputs x 2 for the output layer's forward pass, backward pass and weight
gradient), over this core's peak, measured as the rate of a one-thread NumPy (OpenBLAS)
matrix product of 2048 x 2048 matrices in the same dtype. And the time of one
`output_z` call (the evaluation after every epoch) on the 10,000 test images.

Then the fast kernel change by change (benchmarks/kernel_history.py): every version of
it since issue 13 began, taken from git and timed in this run, interleaved, so each
change shows its before and after beside this run's reference (--no-history skips it).

Everything runs on one core (OPENBLAS_NUM_THREADS=1 etc. are set before NumPy is
imported; torch.set_num_threads(1)) and in one thread, whose CPU time is measured (the
wall times go to the JSON too). Each time is the median of --repeats epochs, each
from the same initial weights and the same shuffled order; creating the network, the
shuffle and converting the data are not timed. The table is printed and written to
results/benchmarks.json (atomically).

--pipeline additionally times `snakemake --cores 2 --forceall` in the repository:
that RERUNS THE WHOLE WORKFLOW (every training run and figure, overwriting results/ and
figures/; minutes, see the README). It runs with the environment this script was
started with, not the one-core settings above.
"""

from __future__ import annotations

import os

ORIGINAL_ENV = dict(os.environ)
import nndl3  # noqa: E402, F401, I001  first: it sets Numba's cache folder before Numba loads

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
             "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import datetime  # noqa: E402
import io  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numba  # noqa: E402
import numpy as np  # noqa: E402
import scipy  # noqa: E402

from nndl3 import atomic, mnist, runspec  # noqa: E402
from nndl3.fast import FastNetwork  # noqa: E402
from nndl3.network import Network, one_hot  # noqa: E402
from nndl3.train import streams, train  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reference import ReferenceNetwork  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
COST, INIT = "cross-entropy", "large"  # as config/config.yaml's defaults
ETA, LMBDA, M = 0.5, 0.0, 10
EPOCH_ARGS = (ETA, LMBDA, "l2", M)  # sgd_epoch's arguments after x, labels, order
SEED = 1
IMPLEMENTATIONS = ("fast", "numpy", "reference", "torch")


def load_torch():
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch


def fresh_network(sizes, dtype):
    return Network.create(sizes, COST, INIT, streams(SEED)["init"], dtype)


def shuffled(n):
    return streams(SEED)["shuffle"].permutation(n)


# ------------------------------------------------------------- one epoch per implementation
# Each `prepare_*` does the untimed set-up and returns the function that trains one epoch.


def prepare_fast(x, labels, sizes):
    engine, order = FastNetwork(fresh_network(sizes, x.dtype), x), shuffled(len(x))
    return lambda: engine.sgd_epoch(x, labels, order, *EPOCH_ARGS)


def prepare_numpy(x, labels, sizes):
    net, order = fresh_network(sizes, x.dtype), shuffled(len(x))
    return lambda: net.sgd_epoch(x, labels, order, ETA, LMBDA, "l2", M)


def prepare_reference(x, labels, sizes):
    net = fresh_network(sizes, x.dtype)
    ref = ReferenceNetwork(net.weights, net.biases, x.dtype)
    data, order = ReferenceNetwork.training_data(x, labels, x.dtype), shuffled(len(x))
    return lambda: ref.sgd_epoch(data, order, ETA, M)


def prepare_torch(torch, x, labels, sizes):
    net = fresh_network(sizes, x.dtype)
    layers = [torch.nn.Linear(sizes[0], sizes[1]), torch.nn.Sigmoid(),
              torch.nn.Linear(sizes[1], sizes[2])]
    model = torch.nn.Sequential(*layers).to(getattr(torch, x.dtype.name))
    with torch.no_grad():
        for linear, w, b in zip((layers[0], layers[2]), net.weights, net.biases, strict=True):
            linear.weight.copy_(torch.from_numpy(w))
            linear.bias.copy_(torch.from_numpy(b))
    optimizer = torch.optim.SGD(model.parameters(), lr=ETA)
    # the book's cross-entropy summed over the outputs, averaged over the mini-batch
    loss_fn = torch.nn.BCEWithLogitsLoss(reduction="sum")
    xt = torch.from_numpy(x)
    yt = torch.from_numpy(one_hot(labels, sizes[-1], x.dtype))
    order = torch.from_numpy(shuffled(len(x)))

    def epoch():
        for start in range(0, len(order), M):
            rows = order[start:start + M]
            optimizer.zero_grad()
            loss = loss_fn(model(xt[rows]), yt[rows]) / len(rows)
            loss.backward()
            optimizer.step()

    return epoch


def median_seconds(prepare, repeats):
    """Median CPU time of this thread over `repeats` epochs, each prepared afresh
    (preparation untimed), and the wall times. Every implementation runs in this one
    thread, so on a shared machine the CPU time is what it costs, whereas the wall time
    also counts the time other processes held the core."""
    times, walls = [], []
    for _ in range(repeats):
        epoch = prepare()
        start, wall = time.thread_time(), time.perf_counter()
        epoch()
        times.append(time.thread_time() - start)
        walls.append(time.perf_counter() - wall)
    return statistics.median(times), times, walls


def warm_up(x, labels, torch):
    """Compile the Numba kernel for this dtype and touch every code path once, untimed."""
    xs, ls = x[:200], labels[:200]
    prepare_fast(xs, ls, [784, 30, 10])()
    prepare_numpy(xs, ls, [784, 30, 10])()
    prepare_reference(xs[:20], ls[:20], [784, 30, 10])()
    if torch is not None:
        prepare_torch(torch, xs, ls, [784, 30, 10])()


def agreement(x, labels, n=1000):
    """Largest weight difference from the NumPy engine after one epoch on n images (float64):
    the implementations timed here must compute the same thing."""
    x, labels, sizes = x[:n], labels[:n], [784, 30, 10]
    order = shuffled(n)
    numpy_net = fresh_network(sizes, x.dtype)
    numpy_net.sgd_epoch(x, labels, order, ETA, LMBDA, "l2", M)
    fast_net = fresh_network(sizes, x.dtype)
    FastNetwork(fast_net, x).sgd_epoch(x, labels, order, ETA, LMBDA, "l2", M)
    start = fresh_network(sizes, x.dtype)
    ref = ReferenceNetwork(start.weights, start.biases, x.dtype)
    ref.sgd_epoch(ReferenceNetwork.training_data(x, labels, x.dtype), order, ETA, M)

    def diff(weights):
        return max(float(np.max(np.abs(a - b))) for a, b in
                   zip(weights, numpy_net.weights, strict=True))

    return {"examples": n, "fast_vs_numpy": diff(fast_net.weights),
            "reference_vs_numpy": diff(ref.weights)}


# ------------------------------------------------------------- seeds trained together


def seeds_spec(n_seeds, train_size):
    spec = {"sizes": [784, 30, 10], "cost": COST, "init": INIT, "eta": ETA, "lmbda": LMBDA,
            "regularization": "l2", "dropout": 0.0, "epochs": 1, "mini_batch": M,
            "train_size": train_size, "evaluation": "test",
            "monitor": ["evaluation_accuracy"], "monitor_every": 1,
            "rotation": {"max_degrees": 0, "copies": 0}, "dtype": "float32",
            "engine": "auto", "seeds": list(range(1, n_seeds + 1))}
    return runspec.validate(spec, "benchmark spec")


def time_seeds(data, n_seeds, train_size, repeats):
    """Median over repeats of (sum of the records' seconds_per_epoch, wall time of train())."""
    spec = seeds_spec(n_seeds, train_size)
    epochs, walls = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        records = train("benchmark", spec, data, log=io.StringIO())
        walls.append(time.perf_counter() - start)
        epochs.append(sum(sum(r["seconds_per_epoch"]) for r in records))
    return {"seeds": n_seeds, "engine": records[0]["engine"],
            "epoch_seconds": statistics.median(epochs), "wall_seconds": statistics.median(walls),
            "epoch_seconds_all": epochs, "wall_seconds_all": walls}


# ------------------------------------------------------------- pipeline, machine, output


def time_pipeline():
    """Wall time of `snakemake --cores 2 --forceall` here: reruns the whole workflow."""
    command = [sys.executable, "-m", "snakemake", "--cores", "2", "--forceall"]
    print(f"\nrunning {' '.join(command[1:])} in {ROOT} (reruns everything) ...", flush=True)
    start = time.perf_counter()
    rc = subprocess.run(command, cwd=ROOT, env=ORIGINAL_ENV, check=False).returncode
    seconds = time.perf_counter() - start
    print(f"pipeline: {seconds:.1f} s wall, exit code {rc}")
    return {"command": "snakemake --cores 2 --forceall", "wall_seconds": seconds,
            "returncode": rc}


def peak_flops(dtype, n=2048, repeats=5):
    """Floating-point operations per second of a one-thread matrix product (best of repeats)."""
    a = np.random.default_rng(0).standard_normal((n, n)).astype(dtype)
    b = a.T.copy()
    a @ b
    best = min(timed(lambda: a @ b) for _ in range(repeats))
    return 2 * n**3 / best


def timed(f):
    """CPU seconds of this thread spent in f() (see median_seconds)."""
    start = time.thread_time()
    f()
    return time.thread_time() - start


def epoch_flops(x, hidden, n_out=10):
    """Flops of one epoch of the sparse algorithm on the rows of x (see the module doc)."""
    nonzero = int(np.count_nonzero(x))
    return nonzero * hidden * 2 * 2 + len(x) * 3 * hidden * n_out * 2, nonzero


def floor_rows(datasets, rows, n, hidden_sizes):
    """The arithmetic floor of each fast row, from the peak measured per dtype."""
    out = []
    for dtype, data in datasets.items():
        peak = peak_flops(np.dtype(dtype))
        x = data["train"][0][:n]
        for hidden in hidden_sizes:
            flops, nonzero = epoch_flops(x, hidden)
            fast = next(r for r in rows if r["implementation"] == "fast" and r["dtype"] == dtype
                        and r["network"] == [784, hidden, 10])
            out.append({"network": [784, hidden, 10], "dtype": dtype, "nonzero_pixels": nonzero,
                        "flops_per_epoch": flops, "peak_flops": peak,
                        "floor_seconds": flops / peak,
                        "fast_seconds": fast["seconds_per_epoch"],
                        "fast_over_floor": fast["seconds_per_epoch"] * peak / flops})
    return out


def time_output_z(data, hidden, repeats):
    """Median seconds of one output_z call on the test images, fast engine and NumPy."""
    x, labels = data["train"]
    xt = data["test"][0]
    net = fresh_network([784, hidden, 10], x.dtype)
    engine = FastNetwork(net, x)
    engine.output_z(xt)
    return {"images": len(xt), "network": [784, hidden, 10], "dtype": x.dtype.name,
            "fast_seconds": statistics.median(timed(lambda: engine.output_z(xt))
                                              for _ in range(5 * repeats)),
            "numpy_seconds": statistics.median(timed(lambda: net.output_z(xt))
                                               for _ in range(repeats))}


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine(torch):
    return {"cpu": cpu_model(), "cpu_count": os.cpu_count(),
            "load_average_at_start": list(os.getloadavg()),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "platform": platform.platform(), "python": platform.python_version(),
            "numpy": np.__version__, "numba": numba.__version__, "scipy": scipy.__version__,
            "torch": None if torch is None else torch.__version__,
            "threads": {v: os.environ[v] for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                                   "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")}}


def table(rows):
    header = ("implementation", "network", "dtype", "s/epoch", "examples/s", "vs reference")
    lines = [f"{header[0]:<15}{header[1]:<15}{header[2]:<9}{header[3]:>10}{header[4]:>13}"
             f"{header[5]:>14}"]
    for r in rows:
        speedup = f"{r['speedup_vs_reference']:.1f}x" if r["speedup_vs_reference"] else "-"
        name = r["implementation"] + ("*" if r["implementation"] == "reference" else "")
        lines.append(f"{name:<15}{str(r['network']):<15}{r['dtype']:<9}"
                     f"{r['seconds_per_epoch']:>10.3f}{r['examples_per_second']:>13,.0f}"
                     f"{speedup:>14}")
    return "\n".join(lines)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("--repeats", type=int, default=3, help="epochs timed per case (median)")
    p.add_argument("--reference-repeats", type=int, default=1)
    p.add_argument("--reference-examples", type=int, default=5000,
                   help="images the reference trains on; its time is scaled to the epoch")
    p.add_argument("--train-size", type=int, default=50_000,
                   help="images in an epoch (50,000: the book's training set)")
    p.add_argument("--hidden", type=int, nargs="+", default=[30, 100])
    p.add_argument("--dtypes", nargs="+", default=["float32", "float64"],
                   choices=["float32", "float64"])
    p.add_argument("--seeds", type=int, default=8, help="seeds trained together vs 1")
    p.add_argument("--data", type=Path, default=None,
                   help="prepared mnist.npz (default: data/mnist.npz, else /tmp/mnist.npz)")
    p.add_argument("--out", type=Path, default=ROOT / "results" / "benchmarks.json")
    p.add_argument("--pipeline", action="store_true",
                   help="also time `snakemake --cores 2 --forceall` (reruns EVERYTHING)")
    p.add_argument("--no-history", action="store_true",
                   help="skip the kernel's versions from git (kernel_history.py)")
    return p.parse_args(argv)


def default_data() -> Path:
    """data/mnist.npz, else /tmp/mnist.npz, else data/mnist.npz (for its error)."""
    return next((p for p in (ROOT / "data" / "mnist.npz", Path("/tmp/mnist.npz"))
                 if p.is_file()), ROOT / "data" / "mnist.npz")


def kernel_history(x, labels, repeats, reference=None):
    """Each change of the fast kernel, before and after, timed in this run (float32,
    [784, 30, 10]), beside `reference` (this run's reference seconds, if timed); None
    when git history is missing."""
    import kernel_history as history

    reason = history.history_available()
    if reason:
        print(f"\n{reason}")
        return None
    print("\nthe fast kernel change by change (git versions, interleaved, median of "
          f"{repeats}; [784, 30, 10] float32)", flush=True)
    versions = history.time_versions(x, labels,
                                     lambda: fresh_network([784, 30, 10], x.dtype),
                                     shuffled(len(x)), EPOCH_ARGS, repeats)
    print(history.table(versions, reference))
    return {"reference_seconds": reference, "versions": versions}


def main(argv=None) -> int:
    args = parse_args(argv)
    data_path = args.data or default_data()
    torch = load_torch()
    info = machine(torch)
    print(f"{info['cpu']}, {info['cpu_count']} cores, load {info['load_average_at_start']}; "
          f"numpy {info['numpy']}, numba {info['numba']}; one thread; data {data_path}")
    if torch is None:
        print("torch not installed")
    n, n_ref = args.train_size, min(args.reference_examples, args.train_size)
    timers = {"fast": prepare_fast, "numpy": prepare_numpy, "reference": prepare_reference}
    if torch is not None:
        timers["torch"] = lambda x, labels, sizes: prepare_torch(torch, x, labels, sizes)

    datasets = {dtype: mnist.load(data_path, np.dtype(dtype)) for dtype in args.dtypes}
    data64 = datasets.get("float64") or mnist.load(data_path, np.float64)
    check = agreement(*data64["train"])
    del data64
    print(f"agreement after one epoch on {check['examples']} images (float64, max |dw|): "
          f"fast vs numpy {check['fast_vs_numpy']:.1e}, "
          f"reference vs numpy {check['reference_vs_numpy']:.1e}")

    rows = []
    for dtype in args.dtypes:
        x, labels = (a[:n] for a in datasets[dtype]["train"])
        warm_up(x, labels, torch)
        for hidden in args.hidden:
            sizes = [784, hidden, 10]
            for name, prepare in timers.items():
                xs, ls = (x[:n_ref], labels[:n_ref]) if name == "reference" else (x, labels)
                repeats = args.reference_repeats if name == "reference" else args.repeats
                seconds, all_times, walls = median_seconds(lambda p=prepare, a=xs, b=ls, s=sizes:
                                                    p(a, b, s), repeats)
                scale = n / len(xs)
                rows.append({"implementation": name, "network": sizes, "dtype": dtype,
                             "seconds_per_epoch": seconds * scale,
                             "examples_per_second": len(xs) / seconds,
                             "timed_examples": len(xs), "repeats": repeats,
                             "seconds_timed": all_times, "wall_seconds_timed": walls})
                print(f"  {name:<10}{sizes!s:<15}{dtype:<9}{seconds * scale:8.3f} s/epoch",
                      flush=True)
    for r in rows:
        ref = next(q for q in rows if q["implementation"] == "reference"
                   and q["network"] == r["network"] and q["dtype"] == r["dtype"])
        r["speedup_vs_reference"] = ref["seconds_per_epoch"] / r["seconds_per_epoch"]

    print("\nseeds together: nndl3.train.train, [784, 30, 10] float32, 1 epoch, "
          "evaluation_accuracy on test", flush=True)
    data32 = datasets.get("float32") or mnist.load(data_path, np.float32)
    seeds = [time_seeds(data32, k, n, args.repeats) for k in (1, args.seeds)]
    one, many = seeds
    together = {"runs": seeds,
                "ratio_epoch": many["epoch_seconds"] / one["epoch_seconds"],
                "ratio_wall": many["wall_seconds"] / one["wall_seconds"]}
    for s in seeds:
        print(f"  {s['seeds']} seed(s): {s['epoch_seconds']:.3f} s training "
              f"(sum of seconds_per_epoch), {s['wall_seconds']:.3f} s wall of train()")
    print(f"  time({args.seeds} seeds) / time(1 seed): {together['ratio_epoch']:.2f} "
          f"(training), {together['ratio_wall']:.2f} (wall)")

    print(f"\none epoch, {n:,} images, mini-batch {M}, eta {ETA}, lambda {LMBDA}, "
          f"median of {args.repeats}")
    print(table(rows))
    print(f"* reference: {args.reference_repeats} timing(s) of {n_ref:,} images, "
          f"scaled to {n:,}; examples/s is as measured")

    floors = floor_rows(datasets, rows, n, args.hidden)
    print("\narithmetic floor (flops of the sparse algorithm / one core's measured peak)")
    for f in floors:
        print(f"  {str(f['network']):<15}{f['dtype']:<9}{f['nonzero_pixels']:,} nonzero pixels, "
              f"{f['flops_per_epoch'] / 1e9:.2f} Gflop / {f['peak_flops'] / 1e9:.0f} Gflop/s "
              f"(one-thread {f['dtype']} matrix product) = {f['floor_seconds'] * 1e3:.1f} ms; "
              f"fast {f['fast_seconds'] * 1e3:.1f} ms = {f['fast_over_floor']:.1f}x the floor")
    evaluation = [time_output_z(datasets[dtype], hidden, args.repeats)
                  for dtype in args.dtypes for hidden in args.hidden]
    print("\noutput_z (the evaluation after each epoch), one call on the test images")
    for e in evaluation:
        print(f"  {str(e['network']):<15}{e['dtype']:<9}{e['images']:,} images: fast "
              f"{e['fast_seconds'] * 1e3:.2f} ms, numpy {e['numpy_seconds'] * 1e3:.2f} ms")

    fast32 = next((r for r in rows if r["implementation"] == "fast" and r["dtype"] == "float32"
                   and r["network"] == [784, 30, 10]), None)
    if fast32 is not None:
        print(f"\ntargets (docs/performance.md): fast [784, 30, 10] float32 "
              f"{fast32['seconds_per_epoch']:.4f} s/epoch (at most 0.06), "
              f"{fast32['speedup_vs_reference']:.1f}x the reference (at least 65x)")
    history = None
    if not args.no_history and fast32 is not None:
        reference = next(r["seconds_per_epoch"] for r in rows
                         if r["implementation"] == "reference" and r["dtype"] == "float32"
                         and r["network"] == [784, 30, 10])
        x, labels = (a[:n] for a in datasets["float32"]["train"])
        history = kernel_history(x, labels, max(args.repeats, 5), reference)

    pipeline = time_pipeline() if args.pipeline else None
    result = {"machine": info,
              "settings": {"train_size": n, "mini_batch": M, "eta": ETA, "lmbda": LMBDA,
                           "cost": COST, "init": INIT, "repeats": args.repeats,
                           "reference_repeats": args.reference_repeats,
                           "reference_examples": n_ref, "data": str(data_path),
                           "torch": "skipped: not installed" if torch is None else "timed"},
              "agreement": check, "results": rows, "seeds_together": together,
              "floor": floors, "output_z": evaluation, "kernel_history": history,
              "pipeline": pipeline}
    result["machine"]["load_average_at_end"] = list(os.getloadavg())
    atomic.write_json(args.out, result)
    print(f"\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
