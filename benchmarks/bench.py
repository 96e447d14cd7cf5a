"""Time one epoch of SGD on MNIST with each way this project (and others) can train.

    python benchmarks/bench.py [--repeats N] [--pipeline] [--wide]

Networks [784, 30, 10] and [784, 100, 10], sigmoid, cross-entropy, mini-batch 10,
eta 0.5, lambda 0, the 50,000 training images, in float32 and float64, trained by

  fast       nndl3.fast.FastNetwork (Numba; compiled before any timing)
  numpy      nndl3.network.Network.sgd_epoch (vectorized over the mini-batch)
  reference  benchmarks/reference.py, per example as in the book's network2.py; slow, so
             it trains on the first --reference-examples images and its time is scaled
             up to the full epoch
  torch      PyTorch on the CPU, the same network and updates (only if torch imports)

and, separately, "seeds together": `nndl3.train.train` with 8 seeds against 1 seed.
Each job is its own module beside this one (epochs.py, seeds.py, floor.py,
kernel_history.py, pipeline.py, and with --wide the wide engine's wide.py, which writes
its own record), with what they share in common.py; this script runs them and writes the
table.

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
paths.KERNEL_BENCH (atomically), with the machine (CPU model, instruction sets, the CPU
Numba compiled for, load, versions, commit) and TARGETS (docs/design.md's); a committed
record, rendered into docs/performance.md by `python -m nndl3 docs` (nndl3.bench_docs).

--pipeline additionally times `snakemake --cores 2 --forceall` in the repository:
that RERUNS THE WHOLE WORKFLOW (every training run and figure, overwriting results/ and
figures/; minutes, see the README). It runs with the environment this script was
started with, not the one-core settings above.
"""

from __future__ import annotations

import os
from pathlib import Path

import common  # first (sorted so): the one-thread settings, before NumPy loads
import epochs
import floor
import kernel_history
import numpy as np
import pipeline
import seeds
from common import COST, ETA, INIT, LMBDA, ROOT, M

from nndl3 import arguments, atomic, mnist, paths
from nndl3.bench_docs import HEADLINE, headline
from nndl3.errors import exit_status

# docs/design.md's targets for fast [784, 30, 10] float32, written to the record so that
# its rendering (nndl3.bench_docs) says whether this run met them
TARGETS = {"speedup_vs_reference_at_least": 90, "floor_multiple_at_most": 2.5}


def parse_args(argv=None):
    p = arguments.script_parser(__doc__,
                                formatter_class=arguments.DocstringFormatter,
                                epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("--repeats", type=arguments.positive, default=3,
                   help="epochs timed per case (median)")
    p.add_argument("--reference-repeats", type=arguments.positive, default=1,
                   help="times the reference is timed (median)")
    p.add_argument("--reference-examples", type=arguments.positive,
                   default=common.REFERENCE_EXAMPLES,
                   help="images the reference trains on; its time is scaled to the epoch")
    p.add_argument("--train-size", type=common.train_size, default=common.EPOCH_IMAGES,
                   help="images in an epoch (the book's training set)")
    p.add_argument("--hidden", type=arguments.positive, nargs="+", default=[30, 100],
                   help="hidden neurons of each network timed, [784, n, 10]")
    p.add_argument("--dtypes", nargs="+", default=["float32", "float64"],
                   choices=["float32", "float64"], help="each network's dtypes")
    p.add_argument("--seeds", type=arguments.positive, default=8,
                   help="seeds trained together vs 1")
    p.add_argument("--data", type=Path, default=None,
                   help="prepared mnist.npz (default: the repository's data/mnist.npz)")
    p.add_argument("--out", type=arguments.output_file, default=str(ROOT / paths.KERNEL_BENCH),
                   help="the record (JSON), which `python -m nndl3 docs` renders")
    p.add_argument("--pipeline", action="store_true",
                   help="also time `snakemake --cores 2 --forceall` (reruns EVERYTHING)")
    p.add_argument("--no-history", action="store_true",
                   help="skip the kernel's versions from git (kernel_history.py)")
    p.add_argument("--wide", action="store_true",
                   help="also the wide engine's table (benchmarks/wide.py, its own JSON)")
    return p.parse_args(argv)


def epoch_rows(args, datasets, torch):
    """One row per implementation, network and dtype: the median epoch, scaled to the
    whole training set for the reference, with the speed-up over the reference."""
    n, n_ref = args.train_size, min(args.reference_examples, args.train_size)
    timers = epochs.preparers(torch)
    rows = []
    for dtype in args.dtypes:
        x, labels = (a[:n] for a in datasets[dtype]["train"])
        epochs.warm_up(x, labels, torch)
        for hidden in args.hidden:
            sizes = [784, hidden, 10]
            for name, prepare in timers.items():
                xs, ls = (x[:n_ref], labels[:n_ref]) if name == "reference" else (x, labels)
                repeats = args.reference_repeats if name == "reference" else args.repeats
                seconds, all_times, walls = common.median_seconds(
                    lambda p=prepare, a=xs, b=ls, s=sizes: p(a, b, s), repeats)
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
    return rows


def main(argv=None) -> int:
    args = parse_args(argv)
    data_path = args.data or common.default_data()
    torch = common.load_torch()
    info = common.machine(torch)
    print(f"{info['cpu']}, {info['cpu_count']} cores "
          f"({', '.join(info['instruction_sets'] or ['instruction sets unknown'])}; Numba "
          f"compiles for {info['compiled_for']['numba_cpu_name']}), "
          f"load {info['load_average_at_start']}; "
          f"numpy {info['numpy']}, numba {info['numba']}; one thread; data {data_path}")
    if torch is None:
        print("torch not installed")
    n, n_ref = args.train_size, min(args.reference_examples, args.train_size)

    datasets = {dtype: mnist.load(data_path, np.dtype(dtype)) for dtype in args.dtypes}
    data64 = datasets.get("float64") or mnist.load(data_path, np.float64)
    check = epochs.agreement(*data64["train"])
    del data64
    print(f"agreement after one epoch on {check['examples']} images (float64, max |dw|): "
          f"fast vs numpy {check['fast_vs_numpy']:.1e}, "
          f"reference vs numpy {check['reference_vs_numpy']:.1e}")

    rows = epoch_rows(args, datasets, torch)

    print(f"\nseeds together: nndl3.train.train, {HEADLINE[0]} {HEADLINE[1]}, 1 epoch, "
          "evaluation_accuracy on test", flush=True)
    data32 = datasets.get("float32") or mnist.load(data_path, np.float32)
    together = seeds.together(data32, args.seeds, n, args.repeats)
    for s in together["runs"]:
        print(f"  {s['seeds']} seed(s): {s['epoch_seconds']:.3f} s training "
              f"(sum of seconds_per_epoch), {s['wall_seconds']:.3f} s wall of train()")
    print(f"  time({args.seeds} seeds) / time(1 seed): {together['ratio_epoch']:.2f} "
          f"(training), {together['ratio_wall']:.2f} (wall)")

    print(f"\none epoch, {n:,} images, mini-batch {M}, eta {ETA}, lambda {LMBDA}, "
          f"median of {args.repeats}")
    print(epochs.table(rows))
    print(f"* reference: {args.reference_repeats} timing(s) of {n_ref:,} images, "
          f"scaled to {n:,}; examples/s is as measured")

    floors = floor.floor_rows(datasets, rows, n, args.hidden)
    print("\narithmetic floor (flops of the sparse algorithm / one core's measured peak)")
    for f in floors:
        print(f"  {str(f['network']):<15}{f['dtype']:<9}{f['nonzero_pixels']:,} nonzero pixels, "
              f"{f['flops_per_epoch'] / 1e9:.2f} Gflop / {f['peak_flops'] / 1e9:.0f} Gflop/s "
              f"(one-thread {f['dtype']} matrix product) = {f['floor_seconds'] * 1e3:.1f} ms; "
              f"fast {f['fast_seconds'] * 1e3:.1f} ms = {f['fast_over_floor']:.1f}x the floor")
    evaluation = [epochs.time_output_z(datasets[dtype], hidden, args.repeats)
                  for dtype in args.dtypes for hidden in args.hidden]
    print("\noutput_z (the evaluation after each epoch), one call on the test images")
    for e in evaluation:
        print(f"  {str(e['network']):<15}{e['dtype']:<9}{e['images']:,} images: fast "
              f"{e['fast_seconds'] * 1e3:.2f} ms, numpy {e['numpy_seconds'] * 1e3:.2f} ms")

    fast32 = headline(rows, implementation="fast")
    floor32 = headline(floors)
    if fast32 is not None:
        print(f"\ntargets (docs/design.md): fast {HEADLINE[0]} {HEADLINE[1]} "
              f"{fast32['speedup_vs_reference']:.1f}x the reference (at least "
              f"{TARGETS['speedup_vs_reference_at_least']}x), "
              f"{floor32['fast_over_floor']:.1f}x the floor (at most "
              f"{TARGETS['floor_multiple_at_most']}x)")
    history = None
    if not args.no_history and fast32 is not None:
        reference = headline(rows, implementation="reference")["seconds_per_epoch"]
        x, labels = (a[:n] for a in datasets["float32"]["train"])
        history = kernel_history.run(x, labels, max(args.repeats, 5), reference,
                                     floor32["floor_seconds"])

    timed_pipeline = pipeline.time_pipeline() if args.pipeline else None
    result = {"machine": info,
              "settings": {"train_size": n, "mini_batch": M, "eta": ETA, "lmbda": LMBDA,
                           "cost": COST, "init": INIT, "repeats": args.repeats,
                           "reference_repeats": args.reference_repeats,
                           "reference_examples": n_ref, "data": common.relative(data_path),
                           "torch": "skipped: not installed" if torch is None else "timed"},
              "agreement": check, "results": rows, "seeds_together": together,
              "floor": floors, "output_z": evaluation, "kernel_history": history,
              "pipeline": timed_pipeline, "targets": TARGETS}
    result["machine"]["load_average_at_end"] = list(os.getloadavg())
    atomic.write_json(args.out, result)
    print(f"\nwrote {args.out}")
    if args.wide:  # the literature runs' engine (issue 27), apart from the 30-unit kernel's
        import wide

        wide.main(["--repeats", str(args.repeats), "--train-size", str(n),
                   "--data", str(data_path)])
    return 0


if __name__ == "__main__":
    raise SystemExit(exit_status(main))
