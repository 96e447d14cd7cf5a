"""Command line: `python -m nndl3 <command>`, the one entry point the workflow's rules call.

Every command reads its inputs, does one step of the data flow and writes its outputs
atomically. Bad input ends it with one line on stderr naming the problem and exit 1.
"""

from __future__ import annotations

import argparse
import os
import sys

# One BLAS thread per job, set before NumPy loads its BLAS: `snakemake --cores N` then runs
# N jobs side by side, and a run's numbers do not depend on how many threads BLAS picked.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from . import atomic  # noqa: E402
from .errors import UserError  # noqa: E402


def cmd_prepare_data(args):
    from . import mnist

    path = mnist.prepare(args.out, args.mnist_dir, args.download_dir)
    print(f"wrote {path}")


def cmd_train(args):
    import numpy as np

    from . import mnist, records, runspec
    from .train import train

    spec = runspec.load(args.spec)
    if args.seeds:
        spec["seeds"] = args.seeds
    data = mnist.load(args.data, np.dtype(spec["dtype"]))
    for path in records.write_all(train(args.run, spec, data), args.out_dir):
        print(f"wrote {path}")


def cmd_neuron(args):
    from . import neuron

    result = neuron.train(args.w, args.b, args.cost, args.eta, args.epochs)
    atomic.write_json(args.out, {"w0": args.w, "b0": args.b, "cost_kind": args.cost,
                                 "eta": args.eta, "epochs": args.epochs, **result})
    print(f"output {result['output'][0]:.4f} -> {result['output'][-1]:.4f}; wrote {args.out}")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m nndl3", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("prepare-data", help="verify the MNIST files and write the book's split")
    s.add_argument("--out", default="data/mnist.npz")
    s.add_argument("--mnist-dir", default=None,
                   help="folder of the four IDX .gz files (default: $MNIST_DIR, else download)")
    s.add_argument("--download-dir", default="data/raw")
    s.set_defaults(func=cmd_prepare_data)

    s = sub.add_parser("train", help="train one run spec, one record per seed")
    s.add_argument("--spec", required=True, help="run spec: a YAML/JSON file or JSON text")
    s.add_argument("--run", required=True, help="the run's id, stored in its records")
    s.add_argument("--data", default="data/mnist.npz")
    s.add_argument("--out-dir", required=True, help="records go to OUT_DIR/seed-<seed>.json")
    s.add_argument("--seeds", type=int, nargs="+", help="override the spec's seeds")
    s.set_defaults(func=cmd_train)

    s = sub.add_parser("neuron", help="gradient descent on the single neuron of section 1")
    s.add_argument("--w", type=float, required=True)
    s.add_argument("--b", type=float, required=True)
    s.add_argument("--cost", choices=["quadratic", "cross-entropy"], required=True)
    s.add_argument("--eta", type=float, required=True)
    s.add_argument("--epochs", type=int, default=300)
    s.add_argument("--out", required=True)
    s.set_defaults(func=cmd_neuron)
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        args.func(args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
