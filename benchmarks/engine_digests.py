"""A digest of what the fast engine computes, case by case, to compare two versions of
it bit for bit: run it with each checkout's sources and diff the outputs.

    PYTHONPATH=OLD/src python benchmarks/engine_digests.py > old.txt
    PYTHONPATH=src python benchmarks/engine_digests.py > new.txt && diff old.txt new.txt

Each line: the first 16 hex digits of a SHA-256 over the weights and biases after two
epochs of the first --images training images (each epoch its own shuffle) and over
`output_z` of 2,000 test images, then the case: float32 and float64, 30 and 100 hidden
neurons, and in float32 every hidden activation, cost, penalty (L2, lazy; L1), momentum
and dropout. Set NUMBA_CPU_NAME / NUMBA_CPU_FEATURES to compare instruction sets
(benchmarks/fast_kernel.md).
"""

from __future__ import annotations

import hashlib

import common  # the one-thread settings, before NumPy loads
import numpy as np

from nndl3 import arguments, fast, mnist
from nndl3.errors import exit_status
from nndl3.network import Network
from nndl3.options import Options
from nndl3.train import streams

FLOAT32_CASES = (
    {"cost": "cross-entropy"}, {"cost": "quadratic"},
    {"cost": "log-likelihood", "output": "softmax"},
    {"cost": "cross-entropy", "lmbda": 5.0}, {"cost": "cross-entropy", "hidden": "tanh"},
    {"cost": "cross-entropy", "hidden": "relu", "eta": 0.1},
    {"cost": "cross-entropy", "regularization": "l1", "lmbda": 1.0},
    {"cost": "cross-entropy", "momentum": 0.5, "lmbda": 1.0},
    {"cost": "cross-entropy", "dropout": 0.5},
)
FLOAT64_CASES = FLOAT32_CASES[:2]


def digest(case, dtype, hidden, train, test, epochs=2):
    x, labels = train
    # the benchmark network's settings (run.schema.yaml's defaults), the case's changes
    settings = {"eta": common.ETA, "mini_batch": common.M, "lmbda": common.LMBDA,
                "regularization": common.REGULARIZATION, **case}
    dropout, m = settings.get("dropout", 0.0), settings["mini_batch"]
    sizes = [common.SIZES[0], hidden, common.SIZES[-1]]
    net = Network.create(sizes, common.INIT, streams(1)["init"], dtype, Options(**settings))
    engine = fast.FastNetwork(net, x)
    for epoch in range(epochs):
        order = streams(epoch + 1)["shuffle"].permutation(len(x))
        masks = None
        if dropout:
            rng = np.random.default_rng(epoch)
            masks = (rng.random((-(-len(x) // m), hidden)) >= dropout,)
        engine.sgd_epoch(x, labels, order, settings["eta"], masks)
    h = hashlib.sha256()
    for w in net.weights + net.biases:
        h.update(np.ascontiguousarray(w).tobytes())
    h.update(engine.output_z(test).tobytes())
    return h.hexdigest()[:16]


def main(argv=None) -> int:
    parser = arguments.script_parser(__doc__)
    parser.add_argument("--images", type=arguments.positive, default=20_000)
    args = parser.parse_args(argv)
    for dtype, cases in ((np.float32, FLOAT32_CASES), (np.float64, FLOAT64_CASES)):
        data = mnist.load(common.default_data(), dtype)
        train = tuple(a[:args.images] for a in data["train"])
        test = data["test"][0][:2000]
        for hidden in (30, 100):
            for case in cases:
                print(digest(case, dtype, hidden, train, test),
                      np.dtype(dtype).name, hidden, case, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(exit_status(main))
