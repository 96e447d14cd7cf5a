"""Compare two results/ folders for a change that must keep results bit for bit: prints one
line per difference, nothing if there is none (exit status 1 if there is any).

    python tools/compare_results.py BEFORE/results results

Compared: every results/runs/*/seed-*.json's metrics and its stopping fields, every
results/aggregates/*.json whole but for the timing `seconds_per_epoch_mean` and the
provenance `code` (which code made it, nndl3.code), every SVM and baseline result but for
its times, every replayed list (results/replay/*) whole, and results/reproduction.json
whole but for its `code`. A file on one side only is a difference.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

RECORD_KEYS = ("metrics", "monitored_epochs", "stopped_at_epoch", "stop_reason",
               "diverged_at_epoch", "eta_per_epoch")
# what may differ between two runs of the same numbers: times, and which code made them
TIMING_KEYS = ("seconds_per_epoch_mean", "code", "fit_seconds", "predict_seconds",
               "cpu_seconds", "timing")


def files(root: Path, pattern: str) -> set[str]:
    return {str(p.relative_to(root)) for p in root.glob(pattern)}


def without_timing(value):
    """The aggregate with every timing key removed, at any depth."""
    if isinstance(value, dict):
        return {k: without_timing(v) for k, v in value.items() if k not in TIMING_KEYS}
    if isinstance(value, list):
        return [without_timing(v) for v in value]
    return value


def differences(before: Path, after: Path):
    for pattern, view in (("runs/*/seed-*.json", lambda r: {k: r[k] for k in RECORD_KEYS}),
                          ("aggregates/*.json", without_timing),
                          ("svm/*.json", without_timing),
                          ("baselines/*.json", without_timing),
                          ("replay/*", without_timing),
                          ("reproduction.json", without_timing)):
        names_before, names_after = files(before, pattern), files(after, pattern)
        for name in sorted(names_before ^ names_after):
            yield f"{name}: only in {'before' if name in names_before else 'after'}"
        for name in sorted(names_before & names_after):
            a = view(json.loads((before / name).read_text()))
            b = view(json.loads((after / name).read_text()))
            if a != b:
                keys = [k for k in a if a.get(k) != b.get(k)] if isinstance(a, dict) else []
                yield f"{name}: differs ({', '.join(keys) or 'whole'})"
    if not (before / "reproduction.json").is_file():
        yield "reproduction.json: missing in before"


def main(argv=None) -> int:
    before, after = map(Path, (argv or sys.argv[1:]))
    found = False
    for line in differences(before, after):
        print(line)
        found = True
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
