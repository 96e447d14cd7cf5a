"""The reference epoch, alone: bench.py's per-example reference ([784, 30, 10], float32,
timed on the first 5,000 images and scaled to 50,000), the unit in which the pipeline's
times are stated (docs/performance.md). A short run (seconds), which CI makes in the same
session as the pipeline:

    python benchmarks/reference_epoch.py [--out FILE | --after]
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import common  # first: the one-thread settings, before NumPy loads
import epochs
import numpy as np

from nndl3 import arguments, atomic, mnist, paths
from nndl3.bench_docs import HEADLINE
from nndl3.errors import exit_status

(SIZES, DTYPE), EXAMPLES, EPOCH = HEADLINE, common.REFERENCE_EXAMPLES, common.EPOCH_IMAGES


def main(argv=None) -> int:
    p = arguments.script_parser(__doc__)
    p.add_argument("--data", type=Path, default=None, help="prepared mnist.npz")
    p.add_argument("--repeats", type=arguments.positive, default=3, help="timings (median)")
    p.add_argument("--out", type=arguments.output_file, default=paths.REFERENCE_EPOCH)
    p.add_argument("--after", dest="out", action=arguments.output_flag(
                   paths.REFERENCE_EPOCH_AFTER),
                   help=f"measured after the pipeline: --out {paths.REFERENCE_EPOCH_AFTER}")
    args = p.parse_args(argv)
    x, labels = mnist.load(args.data or common.default_data(), np.dtype(DTYPE), ("train",),
                           EXAMPLES)["train"]
    seconds, times, _ = common.median_seconds(
        lambda: epochs.prepare_reference(x, labels, SIZES), args.repeats)
    doc = {"network": SIZES, "dtype": DTYPE, "timed_examples": EXAMPLES,
           "seconds_per_epoch": seconds * EPOCH / EXAMPLES, "cpu_seconds_timed": times,
           "date": datetime.date.today().isoformat()}
    atomic.write_text(args.out, json.dumps(doc) + "\n")
    print(f"reference epoch: {doc['seconds_per_epoch']:.2f} s (median of {args.repeats}, "
          f"{EXAMPLES:,} images scaled to {EPOCH:,}); wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(exit_status(main))
