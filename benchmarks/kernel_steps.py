"""Where the fast kernel's epoch goes, step by step: the time-stamp counter read around
each step of every mini-batch of one epoch.

    python benchmarks/kernel_steps.py [--repeats N] [--scalar-exp]

[784, 30, 10] float32, as bench.py's kernel: the steps are nndl3.fast's own functions
(hidden_inputs: W1's rows summed, with the pixels fetched; hidden_outputs: the
sigmoid; output_deltas: the output layer and its deltas; backward; update: the
parameters' step, W1's rows among them), driven by a copy of sgd_epoch's loop (plain
SGD, lambda 0) that reads the counter between them. The counter counts wall time at
its own constant rate (measured here against the clock): a sample in which the thread
was descheduled (over 20 times the step's median) is left out and the step's mean
over the others scaled to the whole epoch; their number is printed. Each figure is
the median over --repeats epochs, from the same weights and order; beside it the
epoch's thread CPU time, run with `fast.sgd_epoch` itself. --scalar-exp: the
sigmoids with libm's scalar `expf`, as before nndl3.vexp (the same bits).
"""

from __future__ import annotations

import statistics
import time

import common  # the one-thread settings, before NumPy loads
import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from nndl3 import arguments, fast, mnist
from nndl3.errors import exit_status

STEPS = ("hidden_inputs", "hidden_outputs", "output_deltas", "backward", "update")


@intrinsic
def ticks(typingctx):
    """The time-stamp counter (llvm.readcyclecounter)."""
    def codegen(context, builder, signature, args):
        fn = builder.module.declare_intrinsic("llvm.readcyclecounter",
                                              fnty=ir.FunctionType(ir.IntType(64), []))
        return builder.call(fn, [])

    return types.int64(), codegen


@njit
def now():
    return ticks()


@njit
def timed_epoch(params, velocity, data, masks, codes, steps, out):
    """sgd_epoch's loop for plain SGD without a penalty, out[batch, step] the counter's
    ticks of each step."""
    w1t, b1, w2, w2t, b2 = params
    m = codes[1]
    work = fast.scratch(w1t, w2, w2t, m)
    n = data[4].shape[0]
    c = w1t.dtype.type(1)
    batch = 0
    for start in range(0, n, m):
        size = min(m, n - start)
        scale = steps[0] if size == m else steps[1]
        t0 = ticks()
        fast.hidden_inputs(params, data, start, size, work, codes, False, c)
        t1 = ticks()
        fast.hidden_outputs(masks, batch, size, work, codes)
        t2 = ticks()
        fast.output_deltas(params, data, start, size, work, codes)
        t3 = ticks()
        fast.backward(w2, masks, batch, size, work, codes)
        t4 = ticks()
        c = fast.update(params, velocity, data, start, size, work, codes, steps, scale,
                        False, c)
        t5 = ticks()
        out[batch, 0], out[batch, 1], out[batch, 2] = t1 - t0, t2 - t1, t3 - t2
        out[batch, 3], out[batch, 4] = t4 - t3, t5 - t4
        batch += 1


def counter_rate(seconds=0.2):
    """Ticks per second of the counter, against the monotonic clock."""
    now()
    t, c = time.perf_counter(), now()
    time.sleep(seconds)
    return (now() - c) / (time.perf_counter() - t)


def step_seconds(column, rate):
    """The step's seconds over the epoch, descheduled samples left out; and their number."""
    kept = column[column <= 20 * np.median(column)]
    return kept.mean() * len(column) / rate, len(column) - len(kept)


def engine_for(x, scalar_exp):
    engine = fast.FastNetwork(common.fresh_network(common.SIZES, x.dtype), x)
    if scalar_exp:
        engine.codes = (*engine.codes[:-1], False)
    return engine


def run(x, labels, repeats, scalar_exp=False):
    order = common.shuffled(len(x))
    per_step = {name: [] for name in STEPS}
    dropped, cpu = [], []
    rate = counter_rate()
    for repeat in range(repeats + 1):  # the first compiles
        engine = engine_for(x, scalar_exp)
        net = engine.net
        t = x.dtype.type
        m = net.options.mini_batch
        steps = (t(common.ETA / m), t(common.ETA / (len(x) % m or m)), t(1), t(0), t(0))
        params = (engine.w1t, engine.b1, engine.w2, engine.w2t, engine.net.biases[1])
        out = np.zeros((-(-len(x) // m), len(STEPS)), np.int64)
        timed_epoch(params, engine.velocity, (*engine.csr, labels, order),
                    np.zeros((0, engine.hidden), np.bool_), engine.codes, steps, out)
        plain = engine_for(x, scalar_exp)
        seconds = common.timed(lambda p=plain: p.sgd_epoch(x, labels, order, common.ETA))
        if repeat == 0:
            continue
        cpu.append(seconds)
        lost = 0
        for i, name in enumerate(STEPS):
            s, d = step_seconds(out[:, i], rate)
            per_step[name].append(s)
            lost += d
        dropped.append(lost)
    return {"counter_hz": rate, "epoch_cpu_seconds": cpu, "dropped_samples": dropped,
            "steps": per_step}


def main(argv=None) -> int:
    parser = arguments.script_parser(__doc__)
    parser.add_argument("--repeats", type=arguments.positive, default=5)
    parser.add_argument("--scalar-exp", action="store_true",
                        help="libm's scalar expf in the sigmoids, not nndl3.vexp")
    args = parser.parse_args(argv)
    x, labels = mnist.load(common.default_data(), np.float32)["train"]
    result = run(x, labels, args.repeats, args.scalar_exp)
    sigmoid = "scalar libm expf" if args.scalar_exp else "vector sigmoid (nndl3.vexp)"
    print(f"{common.SIZES} {x.dtype}, {len(x):,} images, {sigmoid}; counter "
          f"{result['counter_hz'] / 1e9:.2f} GHz; median of {args.repeats} epochs (range)")
    total = 0.0
    for name, seconds in result["steps"].items():
        ms = statistics.median(seconds) * 1e3
        total += ms
        print(f"  {name:<16}{ms:7.2f} ms  ({min(seconds) * 1e3:.2f}-{max(seconds) * 1e3:.2f})")
    cpu = result["epoch_cpu_seconds"]
    print(f"  {'sum of steps':<16}{total:7.2f} ms; the epoch (fast.sgd_epoch, thread CPU) "
          f"{statistics.median(cpu) * 1e3:.2f} ms ({min(cpu) * 1e3:.2f}-{max(cpu) * 1e3:.2f}); "
          f"descheduled samples left out: {statistics.median(result['dropped_samples'])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(exit_status(main))
