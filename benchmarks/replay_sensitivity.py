"""How far a rounding-level change moves a replayed run: the cause of a replay's divergence.

    python benchmarks/replay_sensitivity.py FILE [FILE ...] [--engine compiled] [--data PATH]

Replays each published file (its entry of config/config.yaml `replay:`) twice with the same
engine: as is, and with every initial weight moved by one unit in the last place
(np.nextafter towards +inf, in every network and every re-initialization): a change of the
size by which two orders of summation differ. (One weight's ulp is not enough: it is often
rounded away in the first update.)
A list that diverges from the published one only because our floating-point sums are not
the author's (his 2014 BLAS and libm) must be this sensitive: the nudged replay leaves the
replay at about the epoch where the replay leaves the book. Prints, per list, the first
epoch at which each pair differs (a count, or a cost by more than 1e-9) and the largest
cost difference.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from nndl3 import book_runs, mnist, replay, replay_check, workflow_config  # noqa: E402


def nudged(engine):
    """An engine whose every (re)initialization has every weight one ulp higher."""
    base = replay.ENGINES[engine]

    def make(weights, biases):
        net = base(*nudge(weights, biases))
        net_set = net.set
        net.set = lambda w, b: net_set(*nudge(w, b))
        return net

    return make


def nudge(weights, biases):
    return [np.nextafter(w, np.inf) for w in weights], biases


def first_divergence(a: dict, b: dict, file: str, published) -> list[tuple]:
    """(list id, first divergent epoch or None, largest difference) of b against a."""
    table = replay_check.rows(book_runs.Book({file: a}, published), {file: b})
    return [(r["id"], r["first_divergent_epoch"], r["max_cost_diff"]) for r in table]


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("files", nargs="+")
    p.add_argument("--engine", default="compiled", choices=sorted(replay.ENGINES))
    p.add_argument("--data", default=str(ROOT / "data" / "mnist.npz"))
    args = p.parse_args(argv)
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    specs = workflow_config.replay_specs(config)
    published = book_runs.Published.from_config(config)
    book = book_runs.read_dir(published, ROOT / book_runs.DIR)
    replay.ENGINES["nudged"] = nudged(args.engine)
    for file in args.files:
        spec = specs[file]
        data = mnist.load(args.data, np.float64, replay.data_sets(spec), replay.train_size(spec),
                          replay.BOOK_PIXEL_DIVISOR)
        with open("/dev/null", "w") as quiet:
            ours = replay.replay_file(spec, data, args.engine, log=quiet)
            other = replay.replay_file(spec, data, "nudged", log=quiet)
        print(f"{file} ({args.engine}): first divergent epoch (largest cost difference)")
        print("| list | replay vs book | nudged replay vs replay |")
        print("|---|---|---|")
        for (list_id, book_epoch, book_diff), (_, nudge_epoch, nudge_diff) in zip(
                first_divergence(book[file], ours, file, published),
                first_divergence(ours, other, file, published), strict=True):
            print(f"| {list_id} | {fmt(book_epoch, book_diff)} | {fmt(nudge_epoch, nudge_diff)} |")


def fmt(epoch, diff) -> str:
    where = "none" if epoch is None else f"epoch {epoch}"
    return where + ("" if diff is None else f" ({diff:.1e})")


if __name__ == "__main__":
    main()
