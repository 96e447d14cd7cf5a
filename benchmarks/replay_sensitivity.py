"""How far a rounding-level change moves a replayed run: the cause of a replay's divergence.

    python benchmarks/replay_sensitivity.py FILE [FILE ...] [--engines compiled numpy]
        [--data PATH] [--out FILE]

Replays each published file (its entry of config/config.yaml `replay:`) twice with the same
engine: as is, and with every initial weight moved by one unit in the last place
(np.nextafter towards +inf, in every network and every re-initialization): a change of the
size by which two orders of summation differ. (One weight's ulp is not enough: it is often
rounded away in the first update.)
A list that diverges from the published one only because our floating-point sums are not
the author's (his 2014 BLAS and libm) must be this sensitive: the nudged replay leaves the
replay at about the epoch where the replay leaves the book. Prints, per list, the first
epoch at which each pair differs (a count, or a cost by more than 1e-9) and the largest
cost difference. With several --engines, each replays every file (against the book, and
its CPU seconds); the first one is also nudged. Writes it all to --out, a JSON record that
docs/replay.md's block `replay-sensitivity` is rendered from (nndl3.bench_docs).
"""

from __future__ import annotations

import datetime
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from nndl3 import (  # noqa: E402
    arguments,
    atomic,
    book_runs,
    mnist,
    paths,
    replay,
    replay_check,
    replay_spec,
    workflow_config,
)
from nndl3.errors import exit_status  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
from common import cpu_model  # noqa: E402  (this script's folder, when imported by a test)


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


def lists(pairs) -> list[dict]:
    return [{"id": i, "first_divergent_epoch": e, "max_cost_diff": d} for i, e, d in pairs]


def main(argv=None) -> None:
    p = arguments.script_parser(__doc__)
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="a published file's name, as the config's `replay:` lists it "
                        "(overfitting.json, not its path in book_runs/)")
    p.add_argument("--engines", nargs="+", default=["compiled"], choices=sorted(replay.ENGINES))
    p.add_argument("--data", default=str(ROOT / paths.DATA))
    p.add_argument("--out", type=arguments.output_file,
                   default=str(ROOT / paths.REPLAY_SENSITIVITY))
    args = p.parse_args(argv)
    config = workflow_config.read_committed(ROOT / paths.CONFIG)
    specs = workflow_config.replay_specs(config)
    unknown = [file for file in args.files if file not in specs]
    if unknown:
        p.error(f"{', '.join(unknown)}: not the name of a file the config replays (one of "
                f"{', '.join(specs)})")
    published = book_runs.Published.from_config(config)
    book = book_runs.read_dir(published, ROOT / book_runs.DIR)
    first = args.engines[0]
    replay.ENGINES["nudged"] = nudged(first)
    record = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "cpu": cpu_model(), "engines": args.engines,
              "nudged_engine": first, "files": {}}
    for file in args.files:
        spec = specs[file]
        data = mnist.load(args.data, np.float64, replay_spec.data_sets(spec),
                          replay_spec.train_size(spec), mnist.BOOK_PIXEL_DIVISOR)
        entry = record["files"][file] = {"engines": {}}
        with open("/dev/null", "w") as quiet:
            replays = {}
            for engine in args.engines:
                start = time.process_time()
                replays[engine] = replay.replay_file(spec, data, engine, log=quiet)
                entry["engines"][engine] = {
                    "cpu_seconds": time.process_time() - start,
                    "lists": lists(first_divergence(book[file], replays[engine], file,
                                                    published))}
            other = replay.replay_file(spec, data, "nudged", log=quiet)
        entry["nudged"] = lists(first_divergence(replays[first], other, file, published))
        print(f"{file}: first divergent epoch (largest cost difference)")
        print("| list | " + " | ".join(f"{e} vs book" for e in args.engines)
              + f" | nudged {first} vs {first} |")
        print("|---" * (len(args.engines) + 2) + "|")
        for i, nudge in enumerate(entry["nudged"]):
            cells = [entry["engines"][e]["lists"][i] for e in args.engines] + [nudge]
            print(f"| {nudge['id']} | " + " | ".join(
                fmt(c["first_divergent_epoch"], c["max_cost_diff"]) for c in cells) + " |")
        print("CPU seconds: " + ", ".join(f"{e} {entry['engines'][e]['cpu_seconds']:.1f}"
                                          for e in args.engines), flush=True)
    atomic.write_json(args.out, record)
    print(f"wrote {args.out}")


def fmt(epoch, diff) -> str:
    where = "none" if epoch is None else f"epoch {epoch}"
    return where + ("" if diff is None else f" ({diff:.1e})")


if __name__ == "__main__":
    raise SystemExit(exit_status(main))
