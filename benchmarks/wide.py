"""The wide engine (nndl3.wide) beside the NumPy engine, its arithmetic floor, two hidden
layers, and the cost of distorting 50,000 images:

    python benchmarks/wide.py [--repeats N] [--train-size N]

or `python benchmarks/bench.py --wide` (the same function, after bench.py's own table).
One thread (common.py); CPU time of this thread; medians of --repeats epochs, each from the
same initial weights and order, the two engines' epochs interleaved. The networks,
mini-batches, options and distortions are those of config/literature.yaml's runs (RUNS):
Simard's [784, 800, 10] (its plain run), and the dropout run's [784, 800, 800, 10], the wide
engine against NumPy's with the same mini-batch (without dropout: its dropout is per
mini-batch, not per image), at the schedule's first momentum. The floor: floor.py's count of
the sparse algorithm's flops over this core's measured peak. The distortions: 50,000 of each
distorted run's drawn, converted to CSR, and the wide epoch on them (which the drawing of
the next epoch's overlaps). Written to paths.WIDE_BENCH.
"""

from __future__ import annotations

import os

import common  # first: the one-thread settings, before NumPy loads
import floor
import numpy as np
from common import ROOT

from nndl3 import arguments, atomic, distort, literature, literature_docs, mnist, paths
from nndl3.errors import exit_status
from nndl3.network import Network
from nndl3.options import Options
from nndl3.train import streams
from nndl3.wide import WideNetwork, csr
from nndl3.workflow_config import read_committed

# the runs of config/literature.yaml whose networks and distortions are timed
RUNS = {"one_hidden": "simard_plain", "two_hidden": "dropout_maxnorm",
        "elastic": "simard_elastic", "affine": "simard_affine"}
# one rate for every epoch timed: it changes an epoch's values, not its arithmetic, and a
# small one keeps both engines' numbers from saturating (the dropout run's 10 would, in
# NumPy's engine, which has no max-norm)
ETA = 0.05
# docs/design.md's target for the wide engine, [784, 800, 10] against the NumPy engine (the
# block judges the run by it, and by whether an epoch's distortions fit in the epoch)
TARGETS = {"wide_over_numpy_at_least": 6}


def specs() -> dict:
    """The spec of each of RUNS, as its job trains it (literature.run_spec)."""
    config = read_committed(ROOT / paths.CONFIG)
    lit = literature.load_config(ROOT / paths.LITERATURE_CONFIG)
    return {key: literature.run_spec(config, lit, run) for key, run in RUNS.items()}


def networks(spec):
    """A NumPy network and a wide engine of the run's sizes, mini-batch and options, from the
    same initial weights (seed 1)."""
    net = Network.create(spec["sizes"], "default", streams(common.SEED)["init"], np.float32,
                         Options(mini_batch=spec["mini_batch"]))
    wide = WideNetwork([w.copy() for w in net.weights], [b.copy() for b in net.biases],
                       literature.wide_options(spec))
    return net, wide


def epoch_seconds(key, spec, x, labels, repeats):
    order = common.shuffled(len(x))
    images = csr(x)
    momentum = (spec.get("momentum_schedule") or {}).get("start", 0.0)
    # compile (or load) the kernels outside the timing
    networks(spec)[1].sgd_epoch(images, labels, order[:200], ETA, momentum,
                                np.random.default_rng(0))

    def wide_epoch():
        wide = networks(spec)[1]
        rng = np.random.default_rng(0)
        return lambda: wide.sgd_epoch(images, labels, order, ETA, momentum, rng)

    def numpy_epoch():
        net = networks(spec)[0]
        return lambda: net.sgd_epoch(x, labels, order, ETA)

    timed = common.interleaved_median_seconds({"wide": wide_epoch, "numpy": numpy_epoch},
                                              repeats)
    (wide, wide_all, _), (numpy, numpy_all, _) = timed["wide"], timed["numpy"]
    return {"run": RUNS[key], "network": spec["sizes"], "mini_batch": spec["mini_batch"],
            "options": literature.wide_options(spec).__dict__, "momentum": momentum,
            "wide_seconds": wide, "numpy_seconds": numpy, "ratio": numpy / wide,
            "wide_timed": wide_all, "numpy_timed": numpy_all}


def wide_seconds(spec, x, labels, repeats):
    """The run's wide epoch alone (e.g. on distorted images: more nonzero pixels)."""
    order, images = common.shuffled(len(x)), csr(x)

    def epoch():
        wide = networks(spec)[1]
        return lambda: wide.sgd_epoch(images, labels, order, ETA)

    return common.median_seconds(epoch, repeats)[0]


def distortion_seconds(specs, x, labels, repeats):
    """CPU seconds to draw and resample len(x) distorted images, and to convert them to CSR
    (what the training thread then reads), median of repeats; and the nonzero share."""
    out = {}
    kinds = {name: specs[name]["distortion"] for name in ("elastic", "affine")}
    distort.distort(x[:10], kinds["elastic"], np.random.default_rng(0))
    for name, how in kinds.items():
        rng = np.random.default_rng(0)
        images = np.empty_like(x)  # one buffer, as a run draws every epoch's into
        times, conversions = [], []
        for _ in range(repeats):
            times.append(common.timed(
                lambda h=how, r=rng, into=images: distort.distort(x, h, r, into)))
            conversions.append(common.timed(lambda into=images: csr(into)))
        out[name] = {"run": RUNS[name], "images": len(x),
                     "distort_seconds": float(np.median(times)),
                     "csr_seconds": float(np.median(conversions)),
                     "nonzero_share": float(np.count_nonzero(images) / images.size),
                     "wide_epoch_seconds": wide_seconds(specs[name], images, labels,
                                                        repeats)}
    return out


def run(data_path, repeats=3, train_size=mnist.N_TRAIN) -> dict:
    data = mnist.load(data_path, np.float32, ("train",), train_size)
    x, labels = data["train"]
    runs = specs()
    one = epoch_seconds("one_hidden", runs["one_hidden"], x, labels, repeats)
    flops, nonzero = floor.epoch_flops(x, runs["one_hidden"]["sizes"][1])
    peak = floor.peak_flops(np.float32)
    one["floor"] = {"flops_per_epoch": flops, "nonzero_pixels": nonzero, "peak_flops": peak,
                    "floor_seconds": flops / peak, "wide_over_floor": one["wide_seconds"]
                    * peak / flops}
    two = epoch_seconds("two_hidden", runs["two_hidden"], x, labels, repeats)
    return {"machine": common.machine(None), "train_size": len(x), "repeats": repeats,
            "targets": TARGETS, "one_hidden": one, "two_hidden": two,
            "distortion": distortion_seconds(runs, x, labels, repeats)}


def report(r: dict) -> str:
    one, two, f = r["one_hidden"], r["two_hidden"], r["one_hidden"]["floor"]
    lines = [f"wide engine, {r['train_size']:,} images, median of {r['repeats']} (CPU s)",
             f"  {one['network']}{literature_docs.wide_settings(one)} mini-batch "
             f"{one['mini_batch']}: wide {one['wide_seconds']:.3f} s/epoch, numpy "
             f"{one['numpy_seconds']:.3f} s/epoch, ratio {one['ratio']:.1f}x",
             f"  floor: {f['flops_per_epoch'] / 1e9:.1f} Gflop / {f['peak_flops'] / 1e9:.0f} "
             f"Gflop/s = {f['floor_seconds']:.3f} s; wide = {f['wide_over_floor']:.1f}x the floor",
             f"  {two['network']}{literature_docs.wide_settings(two)} mini-batch "
             f"{two['mini_batch']}: wide {two['wide_seconds']:.3f} s/epoch, numpy (no dropout) "
             f"{two['numpy_seconds']:.3f} s/epoch, ratio {two['ratio']:.1f}x"]
    for name, d in r["distortion"].items():
        lines.append(f"  {d['images']:,} {name} distortions: {d['distort_seconds']:.3f} s, "
                     f"+ CSR {d['csr_seconds']:.3f} s; nonzero pixels "
                     f"{100 * d['nonzero_share']:.1f} %; the wide epoch on them "
                     f"{d['wide_epoch_seconds']:.3f} s")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = arguments.script_parser(__doc__)
    p.add_argument("--repeats", type=arguments.positive, default=3)
    p.add_argument("--train-size", type=common.train_size, default=mnist.N_TRAIN)
    p.add_argument("--data", default=None)
    p.add_argument("--out", type=arguments.output_file, default=str(ROOT / paths.WIDE_BENCH))
    args = p.parse_args(argv)
    r = run(args.data or common.default_data(), args.repeats, args.train_size)
    r["machine"]["load_average_at_end"] = list(os.getloadavg())
    print(report(r))
    atomic.write_json(args.out, r)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(exit_status(main))
