"""Chapter 2's two measurable claims about backpropagation, measured.

    python benchmarks/backprop_claims.py [--examples N] [--repeats N]

1. "Fully matrix-based" backpropagation over a whole mini-batch at once runs about 2x
   faster than chapter 1's loop over the examples of a mini-batch (the author's laptop).
   Timed: SGD on the first --examples training images, [784, 30, 10], mini-batch 10,
   float64 (the book's dtype), cross-entropy, eta 0.5, by the per-example reference
   (benchmarks/reference.py, the book's loop), the NumPy engine (nndl3.network, the
   mini-batch as one matrix) and the compiled engine (nndl3.fast).
2. Backpropagation gives every partial derivative at about the cost of two forward passes;
   finite differences need one extra forward pass per parameter. Timed on one mini-batch
   of 10 images, [784, 30, 10], quadratic cost (chapter 2's), float64: one forward pass
   (nndl3.network.Network.output_z), one backprop pass (Network.backprop: its forward and
   backward passes) and the finite-difference gradient (C(p + eps) - C(p)) / eps for each
   of the 23,860 parameters, one forward pass each; and the finite-difference gradient is
   checked against backprop's.

One core, one thread (BLAS threads set to 1 before NumPy loads); times are the median CPU
time of this thread over --repeats runs. Every time is written to
paths.BACKPROP_CLAIMS (atomically), and the tables made from it are printed:
`python -m nndl3 docs` puts the same tables into docs/performance.md.
"""

from __future__ import annotations

import statistics
import sys
import time

import common  # first: the one-thread settings, before NumPy loads
import numpy as np
from common import COST, ETA, INIT, ROOT, SEED, SIZES, M
from reference import ReferenceNetwork

from nndl3 import arguments, atomic, mnist, paths
from nndl3.bench_docs import backprop_tables
from nndl3.errors import exit_status
from nndl3.fast import FastNetwork
from nndl3.network import Network, cost_value, one_hot
from nndl3.options import Options
from nndl3.train import streams

SGD_COST, PASS_COST = COST, "quadratic"  # the SGD timed (the runs' default); chapter 2's
EPS = 1e-6  # forward difference in float64: truncation ~ eps, rounding ~ 1e-16 / eps
# the run fails if finite differences and backprop differ by more, relative to the largest
# component (docs/performance.md states it)
AGREEMENT = 1e-4
TEXT = {"matrix_speedup": 2.0, "backprop_in_forward_passes": 2.0}


def fresh_network(sizes, cost, dtype=np.float64) -> Network:
    options = Options(cost=cost, eta=ETA, mini_batch=M)
    return Network.create(sizes, INIT, streams(SEED)["init"], dtype, options)


def median_cpu(run, repeats: int) -> float:
    """Median CPU seconds of this thread over `repeats` calls of run() (each prepared by
    the caller, so that only the call is timed)."""
    times = []
    for _ in range(repeats):
        start = time.thread_time()
        run()
        times.append(time.thread_time() - start)
    return statistics.median(times)


# ------------------------------------------------------------------ claim 1: 2x from matrices


def epoch_runners(x, labels):
    """The untimed set-up of one SGD pass over (x, labels) per implementation, each from the
    same initial weights and the same shuffled order: {name: function that trains it}."""
    order = streams(SEED)["shuffle"].permutation(len(x))

    def reference():
        net = fresh_network(SIZES, SGD_COST)
        ref = ReferenceNetwork(net.weights, net.biases, x.dtype)
        data = ReferenceNetwork.training_data(x, labels, x.dtype)
        return lambda: ref.sgd_epoch(data, order, ETA, M)

    def numpy_engine():
        net = fresh_network(SIZES, SGD_COST)
        return lambda: net.sgd_epoch(x, labels, order, ETA)

    def fast_engine():
        engine = FastNetwork(fresh_network(SIZES, SGD_COST), x)
        return lambda: engine.sgd_epoch(x, labels, order, ETA)

    return {"reference (per example)": reference, "numpy (mini-batch matrix)": numpy_engine,
            "fast (compiled)": fast_engine}


def time_epochs(x, labels, repeats: int) -> dict:
    runners = epoch_runners(x, labels)
    for prepare in runners.values():  # compile and touch every path once, untimed
        prepare()()
    seconds = {}
    for name, prepare in runners.items():
        times = [median_cpu(prepare(), 1) for _ in range(repeats)]
        seconds[name] = statistics.median(times)
    return seconds


# ------------------------------------------------------------ claim 2: two forward passes


def forward_cost(net: Network, x, y) -> float:
    return cost_value(net.cost, net.output_z(x), y)


def finite_difference_gradient(net: Network, x, y, eps: float = EPS):
    """(C(p + eps) - C(p)) / eps for every weight and bias p: one forward pass each."""
    base = forward_cost(net, x, y)
    grads = []
    for params in (net.weights, net.biases):
        for p in params:
            g = np.empty_like(p)
            flat, out = p.reshape(-1), g.reshape(-1)
            for i in range(flat.size):  # the claim is this loop: a forward pass per parameter
                kept = flat[i]
                flat[i] = kept + eps
                out[i] = (forward_cost(net, x, y) - base) / eps
                flat[i] = kept
            grads.append(g)
    n = len(net.weights)
    return grads[:n], grads[n:]


def gradient_agreement(net: Network, x, y, eps: float = EPS) -> dict:
    """Largest difference between the finite-difference and the backprop gradients, over
    every parameter, absolute and relative to the largest backprop component."""
    fd_w, fd_b = finite_difference_gradient(net, x, y, eps)
    bp_w, bp_b = net.backprop(x, y)
    fd = np.concatenate([g.ravel() for g in fd_w + fd_b])
    bp = np.concatenate([g.ravel() for g in bp_w + bp_b])
    largest = float(np.max(np.abs(fd - bp)))
    return {"parameters": int(fd.size), "max_abs_difference": largest,
            "max_abs_gradient": float(np.max(np.abs(bp))),
            "relative": largest / float(np.max(np.abs(bp)))}


def pass_calls(repeats: int) -> int:
    """A single pass takes well under a millisecond: its median is over more calls."""
    return max(repeats, 200)


def time_passes(x, labels, repeats: int) -> dict:
    net = fresh_network(SIZES, PASS_COST)
    y = one_hot(labels, SIZES[-1], x.dtype)
    forward = median_cpu(lambda: net.output_z(x), pass_calls(repeats))
    backprop = median_cpu(lambda: net.backprop(x, y), pass_calls(repeats))
    fd = median_cpu(lambda: finite_difference_gradient(net, x, y), repeats)
    return {"forward": forward, "backprop": backprop, "finite_difference": fd}


def parse_args(argv=None):
    p = arguments.script_parser(__doc__)
    p.add_argument("--data", default=str(ROOT / paths.DATA))
    p.add_argument("--examples", type=arguments.positive, default=5000,
                   help="training images of the timed SGD pass (the reference is slow)")
    p.add_argument("--repeats", type=arguments.positive, default=3)
    p.add_argument("--out", type=arguments.output_file,
                   default=str(ROOT / paths.BACKPROP_CLAIMS))
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    x, labels = mnist.load(args.data, np.float64, ("train",), args.examples)["train"]
    epochs = time_epochs(x, labels, args.repeats)
    batch, batch_labels = x[:M], labels[:M]
    passes = time_passes(batch, batch_labels, args.repeats)
    check = gradient_agreement(fresh_network(SIZES, PASS_COST), batch,
                               one_hot(batch_labels, SIZES[-1], x.dtype))
    ref = epochs["reference (per example)"]
    document = {
        "machine": common.machine(None), "examples": len(x), "repeats": args.repeats,
        "pass_calls": pass_calls(args.repeats), "sizes": SIZES, "sgd_cost": SGD_COST,
        "pass_cost": PASS_COST, "mini_batch": M, "dtype": "float64", "eps": EPS, "text": TEXT,
        "sgd_cpu_seconds": epochs,
        "speedup_vs_reference": {k: ref / v for k, v in epochs.items()},
        "pass_cpu_seconds": passes,
        "backprop_in_forward_passes": passes["backprop"] / passes["forward"],
        "finite_difference_in_forward_passes": passes["finite_difference"] / passes["forward"],
        "gradient_check": check}
    print(backprop_tables(document), end="")  # docs/performance.md's block, the same text
    atomic.write_json(args.out, document)
    if check["relative"] >= AGREEMENT:
        print(f"error: finite differences and backprop differ by {check['relative']:.2g} of "
              f"the largest component, not below {AGREEMENT:g}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(exit_status(main))
