"""Time the fast engine's epochs on a network whose sigmoids saturate, with subnormal
numbers flushed to zero (the engine's default, nndl3.subnormals) and with IEEE subnormals,
and compare the weights the two give.

    python benchmarks/subnormals.py [--epochs N] [--eta ETA]

The network: [784, 30, 10], float32, quadratic cost, large initialization, mini-batches of
10, on the first --train-size training images (chapter 1's run `quad_30_eta100` at eta
100; eta 3 saturates more slowly). Prints each epoch's CPU seconds both ways, their ratio,
and whether the weights after each epoch are the same to the bit.
"""

from __future__ import annotations

import common
import numpy as np

from nndl3 import arguments, fast, mnist
from nndl3.errors import exit_status
from nndl3.network import Network
from nndl3.options import Options
from nndl3.train import streams


def trained(x, labels, eta: float, epochs: int, flush: bool):
    """Per-epoch CPU seconds and weights of one engine, from seed 1."""
    options = Options(cost="quadratic", eta=eta, mini_batch=10)
    net = Network.create([784, 30, 10], "large", streams(1)["init"], np.float32, options)
    engine = fast.FastNetwork(net, x)
    engine.flush_subnormals = flush
    rng = streams(1)["shuffle"]
    seconds, weights = [], []
    for _ in range(epochs):
        order = rng.permutation(len(x))
        seconds.append(common.timed(lambda order=order: engine.sgd_epoch(x, labels, order,
                                                                         eta)))
        weights.append([w.copy() for w in net.weights] + [b.copy() for b in net.biases])
    return seconds, weights


def main() -> None:
    parser = arguments.script_parser(__doc__)
    parser.add_argument("--epochs", type=arguments.positive, default=8)
    parser.add_argument("--eta", type=float, default=100.0)
    parser.add_argument("--train-size", type=common.train_size, default=mnist.N_TRAIN)
    parser.add_argument("--data", default=str(common.default_data()))
    args = parser.parse_args()
    x, labels = mnist.load(args.data, np.float32, ("train",), args.train_size)["train"]
    flushed, w_flushed = trained(x, labels, args.eta, args.epochs, True)
    ieee, w_ieee = trained(x, labels, args.eta, args.epochs, False)
    print(f"[784, 30, 10], quadratic cost, eta {args.eta:g}, {len(x)} images; CPU seconds "
          "an epoch, subnormals flushed / IEEE (ratio); same weights")
    for k, (a, b) in enumerate(zip(flushed, ieee, strict=True)):
        same = all(np.array_equal(p, q) for p, q in zip(w_flushed[k], w_ieee[k], strict=True))
        print(f"epoch {k + 1}: {a:.3f} / {b:.3f} ({b / a:.2f}x); {same}")


if __name__ == "__main__":
    raise SystemExit(exit_status(main))
