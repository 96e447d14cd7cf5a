"""The gate's false-failure rate, observed: the check over seed triples CI never uses.

    python benchmarks/gate_seeds.py --reports A/reproduction.json B/reproduction.json \
        [--calibration FILE] [--expected FILE] \
        [--out FILE]

Two measurements, both printed and written as JSON:

- each report given (the report of one seed triple, e.g. `snakemake check` run with
  `seeds: [4, 5, 6]` in a config file of one's own), its failed rows and curves, and the
  share of reports with at least one, beside the rate the report states;
- held out, without training: for every gated row, each calibration seed plays the book's
  draw and every n-seed subset of the others plays our mean (n: the committed config's
  number of `seeds`, the check's), with the sd (and its
  degrees of freedom) of those others; the share of cases outside the tolerance at a nominal
  rate large enough to be seen with 840 cases, by the t rule of `nndl3.tolerance` and by
  the K_SIGMA normal rule it replaced at the same nominal rate.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy import stats as sp

from nndl3 import arguments, atomic, check, paths, readers, report, tolerance, workflow_config
from nndl3.errors import UserError, exit_status
from nndl3.status import FAIL, PASS, WEAK

NOMINAL = 0.05  # large enough for 840 held-out cases per row to see (42 expected)


def triples(reports: list[str]) -> dict:
    """Each report's failures, and how many reports fail at all."""
    out = []
    for path in reports:
        doc = readers.reproduction(path)
        problem = report.unknown_status(doc)
        if problem:
            raise UserError(f"{path}: {problem}")
        failed = [r["id"] for r in doc["rows"] + doc.get("curves", [])
                  if r["status"] == FAIL]
        out.append({"report": path, "seeds": doc.get("check_seeds"), "failed": failed,
                    "changed": changed(doc["rows"], path),
                    "stated_rate": (doc.get("false_failure") or {}).get("rate")})
    return {"reports": out, "failing": sum(bool(r["failed"]) for r in out)}


K_SIGMA_FIELDS = ("known_deviation", "tolerance_k_sigma", "mean", "book", "tolerance")


def changed(rows: list[dict], path: str = "report") -> list[dict]:
    """The rows whose verdict differs under the K_SIGMA rule (`tolerance_k_sigma`)."""
    out = []
    for r in rows:
        if r.get("alpha") is None:
            continue  # exact rows
        k_sigma_fields(r, path)
        if r["known_deviation"] or r["tolerance_k_sigma"] is None:
            continue  # known deviations, and changed runs (no tolerance at all)
        tol = r["tolerance_k_sigma"]
        before = (check.claim_holds(r["claim"], r["mean"], tol) if r.get("claim")
                  else abs(r["mean"] - r["book"]) <= tol)
        if before != (r["status"] in (PASS, WEAK)) or r["status"] == WEAK:
            out.append({"id": r["id"], "k_sigma": PASS if before else FAIL,
                        "now": r["status"], "tolerance": r["tolerance"],
                        "tolerance_k_sigma": tol, "offset": r["mean"] - (r["book"] or 0)})
    return out


def k_sigma_fields(row: dict, path: str) -> None:
    """A row `changed` judges has its fields, numbers where it computes with them."""
    where = f"{path}: row {row.get('id')!r}"
    if missing := [k for k in K_SIGMA_FIELDS if k not in row]:
        raise UserError(f"{where}: no {', '.join(missing)} (a report of an older `check`; "
                        "rerun `snakemake check`)")
    for key in ("tolerance_k_sigma", "mean", "book", "tolerance"):
        if row[key] is not None and not readers.is_number(row[key]):
            raise UserError(f"{where}: {key}: {row[key]!r:.40} is not a number")


def held_out_row(values: np.ndarray, alpha: float, n: int) -> dict:
    """The share of held-out cases outside the tolerance, by t and by the normal rule."""
    cases = t_fail = z_fail = 0
    for i in range(len(values)):
        others = np.delete(values, i)
        s = tolerance.spread(float(others.std(ddof=1)), len(others) - 1, n)
        by_t, _ = tolerance.book_tolerance(s, alpha, 0.0)  # the check's rule, exact rows
        by_normal = sp.norm.ppf(1 - alpha / 2) * s.sigma
        for subset in itertools.combinations(range(len(others)), n):
            gap = abs(others[list(subset)].mean() - values[i])
            cases += 1
            t_fail += gap > by_t
            z_fail += gap > by_normal
    return {"cases": cases, "t": t_fail / cases, "normal": z_fail / cases}


def held_out(expected: dict, calibration: dict, alpha: float, n: int) -> dict:
    """held_out_row of every gated row with a spread, for a check of n seeds."""
    rows = {}
    for row in expected["quantities"]:
        values = (calibration.get("per_seed") or {}).get(row["id"])
        if not tolerance.gated(row) or row.get("claim") or row.get("best_of") or not values:
            continue
        values = np.array(list(values.values()), dtype=float)
        if values.std() > 0:
            rows[row["id"]] = held_out_row(values, alpha, n)
    mean = {k: float(np.mean([r[k] for r in rows.values()])) for k in ("t", "normal")}
    return {"nominal": alpha, "subset": n, "rows": rows, "mean": mean}


def main(argv=None) -> int:
    parser = arguments.script_parser(__doc__)
    # required: the record's triples are these reports', and none would write a record
    # without any over the committed one
    parser.add_argument("--reports", nargs="+", required=True, metavar="REPORT",
                        help="reproduction.json of each seed triple's `snakemake check`")
    parser.add_argument("--expected", default=paths.EXPECTED)
    parser.add_argument("--calibration", default=paths.CALIBRATION_INSTALLED)
    parser.add_argument("--out", type=arguments.output_file, default=paths.GATE_SEEDS)
    args = parser.parse_args(argv)
    doc = {"triples": triples(args.reports),
           "held_out": held_out(check.load_expected(args.expected),
                                readers.calibration(args.calibration), NOMINAL,
                                len(workflow_config.read_committed()["seeds"]))}
    for r in doc["triples"]["reports"]:
        print(f"{r['report']}: {len(r['failed'])} failed {', '.join(r['failed'])}")
        for c in r["changed"]:
            print(f"  {c['id']}: {c['k_sigma']} by {tolerance.K_SIGMA:g} sd "
                  f"(± {c['tolerance_k_sigma']:.3f}), {c['now']} now (± {c['tolerance']:.3f})")
    h = doc["held_out"]
    print(f"held out at a nominal {h['nominal']:g}, mean over {len(h['rows'])} rows: "
          f"t {h['mean']['t']:.4f}, normal {h['mean']['normal']:.4f}")
    atomic.write_json(args.out, doc)
    return 0


if __name__ == "__main__":
    raise SystemExit(exit_status(main))
