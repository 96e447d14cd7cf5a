"""Time the fast engine's epochs on a network whose sigmoids saturate, with subnormal
numbers flushed to zero (the engine's default, nndl3.subnormals) and with IEEE subnormals,
and compare the weights the two give.

    python benchmarks/subnormals.py [--epochs N] [--eta ETA]

The network: chapter 1's run `quad_30_eta100` as config/config.yaml makes it, at --eta
(the run's by default; eta 3 saturates more slowly), on the first --train-size training
images. Prints each epoch's CPU seconds both ways, their ratio,
and whether the weights after each epoch are the same to the bit.
"""

from __future__ import annotations

import common
import numpy as np

from nndl3 import arguments, fast, mnist, workflow_config
from nndl3.errors import exit_status
from nndl3.network import Network
from nndl3.options import Options
from nndl3.train import streams

RUN = "quad_30_eta100"


def trained(x, labels, spec: dict, epochs: int, flush: bool):
    """Per-epoch CPU seconds and weights of one engine, from seed 1."""
    eta = spec["eta"]
    net = Network.create(spec["sizes"], spec["init"], streams(1)["init"], x.dtype,
                         Options.of(spec))
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
    spec = workflow_config.run_spec(workflow_config.load(common.ROOT), RUN)
    parser.add_argument("--eta", type=float, default=spec["eta"])
    parser.add_argument("--train-size", type=common.train_size, default=mnist.N_TRAIN)
    parser.add_argument("--data", default=str(common.default_data()))
    args = parser.parse_args()
    spec = {**spec, "eta": args.eta}
    x, labels = mnist.load(args.data, np.dtype(spec["dtype"]), ("train",),
                           args.train_size)["train"]
    flushed, w_flushed = trained(x, labels, spec, args.epochs, True)
    ieee, w_ieee = trained(x, labels, spec, args.epochs, False)
    print(f"{spec['sizes']}, {spec['cost']} cost, eta {args.eta:g}, {len(x)} images; CPU "
          "seconds an epoch, subnormals flushed / IEEE (ratio); same weights")
    for k, (a, b) in enumerate(zip(flushed, ieee, strict=True)):
        same = all(np.array_equal(p, q) for p, q in zip(w_flushed[k], w_ieee[k], strict=True))
        print(f"epoch {k + 1}: {a:.3f} / {b:.3f} ({b / a:.2f}x); {same}")


if __name__ == "__main__":
    raise SystemExit(exit_status(main))
