"""Chapter 1's eta = 100 network, seed by seed, in the config's dtype and in float64.

    python benchmarks/eta100_seeds.py [--seeds 1 2 3] [--out FILE]

The row `ch1_30_eta100_one_digit` of config/expected.yaml (a known deviation) asks whether
the network answers one digit for every image at every epoch, as the book's transcript does
(1009 correct at epochs 0-3, 982 at 27-29: the test counts of the digits 9 and 4). Is
freezing on several answers instead a matter of our float32? This trains the row's run,
its spec made as the workflow makes it (nndl3.workflow_config.run_spec from
config/config.yaml), once as configured and once with `dtype: float64` (the book's NumPy
dtype), the only difference, on the check seeds and the calibration seeds (`seeds` and
`calibration_seeds` of the config; --seeds to choose others). For each seed and dtype it
records the test count (correct of 10,000) at every epoch, the row's value computed by the
check itself (nndl3.check.regenerate with the row's source) and the digit(s) whose count
each epoch's equals. The document is written to paths.ETA100_SEEDS (atomically)
and its table printed: `python -m nndl3 docs` puts the same table into
docs/reproduction-gate.md. Each dtype's wall time is recorded beside its seeds (a timing:
the block does not show it).
"""

from __future__ import annotations

import os

import nndl3  # noqa: F401, I001  first: it sets Numba's cache folder before Numba loads

# one BLAS thread unless told otherwise, as `python -m nndl3 train` (nndl3.cli) trains
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from nndl3 import arguments, atomic, check, mnist, paths, readers, runspec, workflow_config  # noqa: E402
from nndl3.aggregate import aggregate  # noqa: E402
from nndl3.docs import eta100_table  # noqa: E402
from nndl3.errors import UserError, exit_status  # noqa: E402
from nndl3.train import train  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ROW = "ch1_30_eta100_one_digit"
OTHER_DTYPE = "float64"  # the book's network.py computes in NumPy's default, float64


def row_source(expected: dict, expected_path) -> dict:
    """The source (run, metric, reduce) of the row, as the check reads it."""
    rows = {r["id"]: r for r in expected["quantities"]}
    if ROW not in rows:
        raise UserError(f"{expected_path}: no row {ROW!r}")
    source = rows[ROW]["source"]
    if source.get("reduce") != "one_digit_fraction":
        raise UserError(f"{expected_path}: {ROW}: source.reduce: {source.get('reduce')!r}, "
                        "not the one_digit_fraction this measures")
    return source


def specs(config: dict, run: str, seeds: list[int]) -> dict:
    """{dtype: the run's spec}: the config's own, and the same with dtype float64."""
    config = {**config, "seeds": seeds}
    own = workflow_config.run_spec(config, run)
    runs = {**config["runs"], run: {**config["runs"][run], "dtype": OTHER_DTYPE}}
    other = workflow_config.run_spec({**config, "runs": runs}, run)
    return {own["dtype"]: own, OTHER_DTYPE: other}  # one entry if the config is float64


def trained(run: str, spec: dict, data_path) -> tuple[list[dict], int, float]:
    """The run's records (one per seed), the size of its evaluation set, wall seconds."""
    data = mnist.load(data_path, np.dtype(spec["dtype"]), ("train", spec["evaluation"]),
                      spec["train_size"])
    start = time.perf_counter()
    with open(os.devnull, "w") as quiet:  # the per-epoch progress lines
        records = train(run, spec, data, log=quiet)
    return records, len(data[spec["evaluation"]][1]), time.perf_counter() - start


def digits_of(correct: list[int | None], counts: list[int]) -> list[list[int]]:
    """For each epoch, the digits whose count in the evaluation set the epoch's equals
    (a network that answers that digit for every image); [] for any other epoch."""
    return [[d for d, c in enumerate(counts) if c == n] for n in correct]


def per_seed(records: list[dict], source: dict, counts: list[int], n: int) -> list[dict]:
    """Each seed's test counts, digits and the row's value, by the check's own code."""
    metric = source["metric"]
    inputs = check.Inputs({source["run"]: aggregate(records)},
                          class_counts={records[0]["spec"]["evaluation"]: counts})
    values = check.regenerate(source, inputs)
    out = []
    for record, value in zip(records, values, strict=True):
        correct = [None if a is None else round(a * n) for a in record["metrics"][metric]]
        out.append({"seed": record["seed"], "correct": correct,
                    "digits": digits_of(correct, counts), source["reduce"]: float(value)})
    return out


def book_transcript(expected: dict, expected_path, run: str) -> dict:
    """The run's transcript as the text prints it (epoch: correct of 10,000; the epochs in
    between elided): config/expected.yaml's `transcripts`."""
    transcripts = expected.get("transcripts") or {}
    if run not in transcripts:
        raise UserError(f"{expected_path}: transcripts: no transcript of run {run!r}")
    return transcripts[run]


def measure(config: dict, source: dict, seeds: list[int], data_path, transcript: dict) -> dict:
    run = source["run"]
    by_dtype = {}
    for dtype, spec in specs(config, run, seeds).items():
        counts = mnist.class_counts(data_path)[spec["evaluation"]]
        print(f"{run}, {dtype}: training seeds {', '.join(map(str, seeds))}", file=sys.stderr,
              flush=True)
        records, n, seconds = trained(run, spec, data_path)
        by_dtype[dtype] = {"engine": records[0]["engine"], "wall_seconds": round(seconds, 1),
                           "seeds": per_seed(records, source, counts, n)}
    return {"row": ROW, "run": run, "source": source, "seeds": seeds,
            "evaluation": spec["evaluation"], "class_counts": counts,
            "epochs": records[0]["monitored_epochs"], "config_dtype": next(iter(by_dtype)),
            "book_transcript": {str(e): c for e, c in transcript.items()},
            "by_dtype": by_dtype, "git_commit": records[0]["git_commit"],
            "versions": records[0]["versions"]}


def parse_args(argv=None):
    p = arguments.script_parser(__doc__)
    p.add_argument("--config", default=str(ROOT / paths.CONFIG))
    p.add_argument("--expected", default=str(ROOT / paths.EXPECTED))
    p.add_argument("--data", default=str(ROOT / paths.DATA))
    p.add_argument("--seeds", type=int, nargs="+", default=None,
                   help="default: the config's seeds and calibration_seeds")
    p.add_argument("--out", type=arguments.output_file,
                   default=str(ROOT / paths.ETA100_SEEDS))
    return p.parse_args(argv)


def run(args) -> dict:
    config = readers.yaml_mapping(args.config, "config", ("seeds", "calibration_seeds",
                                                          "defaults", "runs"))
    for key in ("seeds", "calibration_seeds"):  # the seeds it trains by default
        runspec.validate_key({"seeds": config[key]}, "seeds", f"{args.config} ({key})")
    expected = check.load_expected(args.expected)
    source = row_source(expected, args.expected)
    if source["run"] not in config["runs"]:
        raise UserError(f"{args.config}: runs: no run {source['run']!r} (row {ROW})")
    return measure(config, source, seeds_of(config, args.seeds), args.data,
                   book_transcript(expected, args.expected, source["run"]))


def seeds_of(config: dict, given: list[int] | None) -> list[int]:
    """The seeds given (checked as the command line's), else the config's check seeds, then
    its calibration seeds."""
    if given:
        runspec.validate_key({"seeds": given}, "seeds", "--seeds")
    return given or list(dict.fromkeys(config["seeds"] + config["calibration_seeds"]))


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        document = run(args)
    except UserError as exc:  # here, not only in exit_status: the tests call main
        print(f"error: {exc}", file=sys.stderr)
        return 1
    atomic.write_json(args.out, document)
    print(eta100_table(document), end="")  # docs/reproduction-gate.md's block, the same text
    return 0


if __name__ == "__main__":
    raise SystemExit(exit_status(main))
