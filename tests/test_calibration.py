"""The calibration: which seeds each run is trained with, the per-row and per-curve values
it stores, installing it, and the spot check that fails when a re-trained seed differs."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from nndl3 import book_runs, calibration, check, curves, stats
from nndl3.errors import UserError

from .conftest import PUBLISHED
from .test_curves import BOOK, CURVE, aggregate_around

ROW = {"id": "r", "section": 2, "quantity": "q", "book": 95.0, "book_precision": 0.005,
       "source": {"run": "xent", "metric": "evaluation_accuracy", "reduce": "best"}}
DEFAULT = [101, 102, 103, 104, 105]
GATE = {"family_false_failure": 0.01, "detectable_power": 0.8}


def aggregate(run, seeds, finals):
    return {"schema": "nndl3.aggregate/1", "run": run, "seeds": seeds,
            "spec": {"evaluation": "test"}, "monitored_epochs": [0, 1],
            "metrics": {"evaluation_accuracy": {"per_seed": [[v - 0.01, v] for v in finals]}}}


def test_every_run_a_row_or_curve_reads_gets_the_default_seeds_and_rows_add_theirs():
    rows = [ROW, {**ROW, "id": "s", "calibration_seeds": [101, 120],
                  "source": {**ROW["source"], "run": "wide", "minus_run": "xent"}},
            {"id": "svm", "source": {"svm": 100}}]
    seeds = calibration.run_seeds({"quantities": rows}, DEFAULT, PUBLISHED)
    assert set(curves.needed_runs(PUBLISHED)) <= set(seeds) and "l2_full" in seeds
    assert seeds["xent"] == sorted({*DEFAULT, 120}) and seeds["wide"] == [101, 120]


def test_rows_store_per_seed_values_over_their_own_seeds():
    agg = aggregate("xent", [101, 102, 103, 104, 105, 106], [0.90, 0.92, 0.94, 0.96, 0.91, 0.5])
    inputs = check.Inputs({"xent": agg})
    got = calibration.measure_rows({"quantities": [ROW]}, inputs, DEFAULT)
    assert got["per_seed"]["r"] == {101: 90.0, 102: 92.0, 103: 94.0, 104: 96.0, 105: 91.0}
    assert got["seed_sd"]["r"] == round(float(np.std([90, 92, 94, 96, 91], ddof=1)), 4)
    best3 = [max(g) for g in __import__("itertools").combinations([90, 92, 94, 96, 91], 3)]
    got = calibration.measure_rows({"quantities": [{**ROW, "best_of": 3}]}, inputs, DEFAULT)
    assert got["seed_sd"]["r"] == round(float(np.std(best3, ddof=1)), 4)


def test_best_of_sd_takes_each_groups_value_from_its_best_by_seed():
    row = {**ROW, "best_of": 2}
    values, by = np.array([1.0, 2.0, 3.0, 4.0]), np.array([4.0, 1.0, 2.0, 3.0])
    # pairs by index, best by `by`: (0,1)->1 (0,2)->1 (0,3)->1 (1,2)->3 (1,3)->4 (2,3)->4
    # mean 14/6, squared deviations sum 34/3, over 5 (ddof 1): sd = sqrt(34/15)
    assert calibration.row_sd(row, values, by) == round(math.sqrt(34 / 15), 4)
    # by the values themselves: the pairs' maxima 2, 3, 4, 3, 4, 4, sd sqrt(2/3)
    assert calibration.row_sd(row, values) == round(math.sqrt(2 / 3), 4)


def test_best_by_rows_store_raw_values_and_the_sd_of_each_groups_peak_seed():
    # seed 101 peaks highest (0.99 at epoch 0) but ends lowest: the final of each group is
    # read from its seed best at its peak, not the best final
    agg = {"schema": "nndl3.aggregate/1", "run": "xent", "seeds": DEFAULT,
           "spec": {"evaluation": "test"}, "monitored_epochs": [0, 1],
           "metrics": {"evaluation_accuracy": {"per_seed": [
               [0.99, 0.90], [0.93, 0.92], [0.95, 0.94], [0.94, 0.96], [0.92, 0.91]]}}}
    row = {**ROW, "best_of": 3, "best_by": "best",
           "source": {**ROW["source"], "reduce": "final"}}
    got = calibration.measure_rows({"quantities": [row]}, check.Inputs({"xent": agg}), DEFAULT)
    assert got["per_seed"]["r"] == {101: 90.0, 102: 92.0, 103: 94.0, 104: 96.0, 105: 91.0}
    peaks, finals = [99, 93, 95, 96, 92], [90, 92, 94, 96, 91]  # peak: best of both epochs
    picked = [finals[max(g, key=lambda i: peaks[i])]
              for g in __import__("itertools").combinations(range(5), 3)]
    assert picked.count(90) == 6  # seed 101 is in 6 of the 10 groups and best in each
    assert got["seed_sd"]["r"] == round(float(np.std(picked, ddof=1)), 4)


def test_best_of_ties_pick_the_first_seed_in_the_check_and_the_calibration():
    row = {**ROW, "best_of": 2}
    values, by = np.array([1.0, 2.0, 3.0]), np.array([5.0, 5.0, 0.0])
    assert check.best_of(row, values, by).tolist() == [1.0]
    # pairs (0,1)->0 (0,2)->0 (1,2)->1: values 1, 1, 2
    assert calibration.row_sd(row, values, by) == round(float(np.std([1, 1, 2], ddof=1)), 4)


def test_a_missing_run_or_seed_is_an_error_naming_it():
    with pytest.raises(UserError, match="no aggregate of run 'xent'"):
        calibration.measure_rows({"quantities": [ROW]}, check.Inputs({}), DEFAULT)
    agg = aggregate("xent", [101, 102], [0.9, 0.9])
    with pytest.raises(UserError, match="run xent lacks seed.s. 103, 104, 105"):
        calibration.measure_rows({"quantities": [ROW]}, check.Inputs({"xent": agg}), DEFAULT)


def test_install_keeps_a_file_whose_values_are_the_same(tmp_path):
    source, target = tmp_path / "new.yaml", tmp_path / "cal.yaml"
    doc = {"provenance": {"git_commit": "a"}, "seeds": [1], "seed_sd": {"r": 0.1}}
    target.write_text(yaml.safe_dump(doc))
    source.write_text(yaml.safe_dump({**doc, "provenance": {"git_commit": "b"}}))
    (line,) = calibration.install([(source, target, calibration.load_points(source),
                                    calibration.load_points)])
    assert "up to date" in line and "git_commit: a" in target.read_text()
    source.write_text(yaml.safe_dump({**doc, "seed_sd": {"r": 0.2}}))
    (line,) = calibration.install([(source, target, calibration.load_points(source),
                                    calibration.load_points)])
    assert "installed" in line and target.read_text() == source.read_text()


def test_an_unreadable_installed_file_is_replaced_with_its_pair(tmp_path):
    """A truncated installed file is replaced, not read as an error after its pair was
    written (the pair would be left half installed, and the rerun fail the same way)."""
    doc = {"provenance": {"git_commit": "a"}, "seeds": [1], "seed_sd": {"r": 0.1}}
    files = []
    for name in ("points", "other"):
        source, target = tmp_path / f"new_{name}.yaml", tmp_path / f"{name}.yaml"
        source.write_text(yaml.safe_dump({**doc, "seed_sd": {"r": 0.2}}))
        target.write_text(yaml.safe_dump(doc))
        files.append((source, target, calibration.load_points(source),
                      calibration.load_points))
    files[1][1].write_text("seeds: [1")  # truncated
    lines = calibration.install(files)
    assert [line.split(": ")[1] for line in lines] == [f"installed from {files[0][0]}",
                                                      f"installed from {files[1][0]}"]
    assert all(target.read_text() == source.read_text() for source, target, _, _ in files)


def test_the_spot_check_passes_on_the_stored_seed_and_names_a_difference():
    curve_agg = aggregate_around(CURVE["values"], 0.5, n=5)[CURVE["run"]]
    curve_agg["seeds"] = DEFAULT
    curve_agg["spec"] = {"evaluation": "test"}
    aggs = {"xent": aggregate("xent", DEFAULT, [0.90, 0.92, 0.94, 0.96, 0.91]),
            CURVE["run"]: curve_agg}
    book = book_runs.Book({"overfitting.json": BOOK["overfitting.json"]}, PUBLISHED)
    expected = {"quantities": [ROW], "gate": GATE}
    points = calibration.measure_rows(expected, check.Inputs(aggs), DEFAULT)
    curve_doc = {"curves": calibration.measure_curves(book, aggs, DEFAULT, expected, 3)}
    # the threshold at the Šidák share of the gate's rate over its row and this one curve
    assert curve_doc["curves"][CURVE["id"]]["simulated"]["alpha"] == stats.sidak(0.01, 2)
    curve_doc = json.loads(json.dumps(curve_doc))  # as stored: seeds become strings
    one = {run: calibration.subset(a, [102], "the test") for run, a in aggs.items()}
    compared, problems = calibration.spot_check(expected, book, points, curve_doc,
                                                check.Inputs(one), 102)
    assert problems == [] and compared == 2
    one["xent"]["metrics"]["evaluation_accuracy"]["per_seed"][0][-1] = 0.93
    one[CURVE["run"]]["metrics"]["evaluation_accuracy"]["per_seed"][0][5] += 0.01
    compared, problems = calibration.spot_check(expected, book, points, curve_doc,
                                                check.Inputs(one), 102)
    assert problems[0] == "row r seed 102: stored 92.0, re-trained 93.0"
    assert problems[1].startswith(f"curve {CURVE['id']} seed 102: stored epoch mean")
    assert len(book_runs.curves(book)) == 4


def test_the_committed_calibration_covers_every_row_and_curve_with_its_seeds():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    expected = check.load_expected(root / "config" / "expected.yaml")
    config = yaml.safe_load((root / "config" / "config.yaml").read_text())
    points = yaml.safe_load((root / "config" / "calibration.yaml").read_text())
    curve_doc = json.loads((root / "config" / "calibration_curves.json").read_text())
    default = config["calibration_seeds"]
    assert points["seeds"] == default == curve_doc["seeds"]
    # the curves' thresholds are simulated for the check's number of seeds
    assert curve_doc["n_check"] == len(config["seeds"])
    for row in expected["quantities"]:
        if "claim" in row:
            assert "book" not in row, row["id"]
        if not check.seeded(row):
            continue
        assert row["id"] in points["seed_sd"], row["id"]
        assert sorted(points["per_seed"][row["id"]]) == check.row_seeds(row, default)
        if any(k.endswith("_sds") for k in row.get("claim") or {}):
            assert row["id"] in points["claim_sd"], row["id"]
    for entry in curve_doc["curves"].values():
        assert sorted(map(int, entry["per_seed"])) == default


def test_curves_need_more_seeds_than_the_check_has():
    with pytest.raises(UserError, match=r"3 seed\(s\) \[1, 2, 3\]; the curves' held-out check "
                       "needs at least 4"):
        calibration.measure_curves(book_runs.Book({}, PUBLISHED), {}, [1, 2, 3],
                                   {"quantities": [], "gate": GATE}, 3)


def test_calibrate_with_too_few_seeds_says_so_before_measuring(tmp_path, capsys):
    """One line, before the rows' sds: one seed printed NumPy's 'Degrees of freedom <= 0'
    warning first."""
    from nndl3 import cli

    for name in ("a.json", "labels.npz"):  # never read: the seeds are refused first
        (tmp_path / name).write_text("")
    book = Path(__file__).resolve().parents[1] / "book_runs" / "overfitting.json"
    assert cli.main(["calibrate", "--aggregates", str(tmp_path / "a.json"), "--book",
                     str(book), "--labels", str(tmp_path / "labels.npz"),
                     "--seeds", "1", "--n-check", "3",
                     "--out", str(tmp_path / "c.yaml"),
                     "--out-curves", str(tmp_path / "c.json")]) == 1
    err = capsys.readouterr().err
    assert err == ("error: calibration: 1 seed(s) [1]; the curves' held-out check needs at "
                   "least 4 (one book, 3 of ours)\n")
