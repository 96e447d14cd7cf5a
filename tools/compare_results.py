"""Compare two results/ folders for a change that must keep results bit for bit: prints one
line per difference, nothing if there is none (exit status 1 if there is any).

    python tools/compare_results.py BEFORE/results results

Compared, each kind where nndl3.paths puts it: every seed record's metrics and its stopping
fields (RECORD_KEYS); every aggregate, SVM, baseline and single-neuron result, and the
reproduction report's JSON, whole but for the keys of TIMING_KEYS at any depth (times, and
the provenance `code`: which code made it, nndl3.code); every replayed list whole. A file
on one side only is a difference.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from nndl3 import arguments, paths
from nndl3.errors import UserError, exit_status

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


RESULTS = "results/"


def under_results(pattern: str) -> str:
    """A nndl3.paths pattern as a glob inside the results folder: every {wildcard} a *."""
    if not pattern.startswith(RESULTS):
        raise ValueError(f"{pattern}: not under {RESULTS}")
    return re.sub(r"\{[^}]*\}", "*", pattern.removeprefix(RESULTS))


def record_view(record):
    """A record's compared keys (a key it lacks, as eta_per_epoch may be, as None); what is
    no mapping, whole."""
    if not isinstance(record, dict):
        return record
    return {k: record.get(k) for k in RECORD_KEYS}


# what is compared, and how much of it
COMPARED = ((paths.RECORD, record_view), (paths.AGGREGATE, without_timing),
            (paths.SVM, without_timing), (paths.BASELINE, without_timing),
            (paths.NEURON, without_timing), (paths.REPLAY, without_timing),
            (paths.REPRODUCTION_JSON, without_timing))


def read(path: Path):
    try:
        return json.loads(path.read_text())
    except ValueError as exc:
        raise UserError(f"{path}: not JSON ({exc})") from None


def folder(text: str) -> Path:
    """argparse's type for a results folder."""
    if not Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"{text}: not a folder")
    return Path(text)


def differences(before: Path, after: Path):
    for path, view in COMPARED:
        pattern = under_results(path)
        names_before, names_after = files(before, pattern), files(after, pattern)
        for name in sorted(names_before ^ names_after):
            yield f"{name}: only in {'before' if name in names_before else 'after'}"
        for name in sorted(names_before & names_after):
            a, b = (view(read(root / name)) for root in (before, after))
            if a != b:
                keys = ([k for k in a if a.get(k) != b.get(k)]
                        if isinstance(a, dict) and isinstance(b, dict) else [])
                yield f"{name}: differs ({', '.join(keys) or 'whole'})"
    report = under_results(paths.REPRODUCTION_JSON)
    if not (before / report).is_file():
        yield f"{report}: missing in before"


def main(argv=None) -> int:
    p = arguments.script_parser(__doc__)
    p.add_argument("before", type=folder, help="the results/ folder before the change")
    p.add_argument("after", type=folder, help="the results/ folder after it")
    args = p.parse_args(argv)
    before, after = args.before, args.after
    found = False
    for line in differences(before, after):
        print(line)
        found = True
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(exit_status(main))
