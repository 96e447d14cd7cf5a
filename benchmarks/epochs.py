"""One epoch of SGD per implementation (fast, numpy, reference, torch), their agreement,
and the evaluation call (`output_z`). Each `prepare_*` does the untimed set-up and
returns the function that trains one epoch."""

from __future__ import annotations

import statistics

import numpy as np
from common import ETA, SIZES, M, fresh_network, shuffled, timed
from reference import ReferenceNetwork

from nndl3.fast import FastNetwork
from nndl3.network import one_hot


def prepare_fast(x, labels, sizes):
    engine, order = FastNetwork(fresh_network(sizes, x.dtype), x), shuffled(len(x))
    return lambda: engine.sgd_epoch(x, labels, order, ETA)


def prepare_numpy(x, labels, sizes):
    net, order = fresh_network(sizes, x.dtype), shuffled(len(x))
    return lambda: net.sgd_epoch(x, labels, order, ETA)


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


def preparers(torch):
    """name -> prepare(x, labels, sizes), torch's only if it is installed."""
    timers = {"fast": prepare_fast, "numpy": prepare_numpy, "reference": prepare_reference}
    if torch is not None:
        timers["torch"] = lambda x, labels, sizes: prepare_torch(torch, x, labels, sizes)
    return timers


def warm_up(x, labels, torch):
    """Compile the Numba kernel for this dtype and touch every code path once, untimed."""
    xs, ls = x[:200], labels[:200]
    prepare_fast(xs, ls, SIZES)()
    prepare_numpy(xs, ls, SIZES)()
    prepare_reference(xs[:20], ls[:20], SIZES)()
    if torch is not None:
        prepare_torch(torch, xs, ls, SIZES)()


def agreement(x, labels, n=1000):
    """Largest weight difference from the NumPy engine after one epoch on n images (float64):
    the implementations timed here must compute the same thing."""
    x, labels, sizes = x[:n], labels[:n], SIZES
    order = shuffled(n)
    numpy_net = fresh_network(sizes, x.dtype)
    numpy_net.sgd_epoch(x, labels, order, ETA)
    fast_net = fresh_network(sizes, x.dtype)
    FastNetwork(fast_net, x).sgd_epoch(x, labels, order, ETA)
    start = fresh_network(sizes, x.dtype)
    ref = ReferenceNetwork(start.weights, start.biases, x.dtype)
    ref.sgd_epoch(ReferenceNetwork.training_data(x, labels, x.dtype), order, ETA, M)

    def diff(weights):
        return max(float(np.max(np.abs(a - b))) for a, b in
                   zip(weights, numpy_net.weights, strict=True))

    return {"examples": n, "fast_vs_numpy": diff(fast_net.weights),
            "reference_vs_numpy": diff(ref.weights)}


def time_output_z(data, hidden, repeats):
    """Median seconds of one output_z call on the test images, fast engine and NumPy."""
    x, labels = data["train"]
    xt = data["test"][0]
    sizes = [SIZES[0], hidden, SIZES[-1]]
    net = fresh_network(sizes, x.dtype)
    engine = FastNetwork(net, x)
    engine.output_z(xt)
    return {"images": len(xt), "network": sizes, "dtype": x.dtype.name,
            "fast_seconds": statistics.median(timed(lambda: engine.output_z(xt))
                                              for _ in range(5 * repeats)),
            "numpy_seconds": statistics.median(timed(lambda: net.output_z(xt))
                                               for _ in range(repeats))}


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
