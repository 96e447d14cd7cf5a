"""aggregate.py: seeds that stop apart or diverge, aggregated, and what reads the
aggregates (figures, the check)."""

import io
import json
import subprocess
import sys

import numpy as np
import pytest

from nndl3 import aggregate as agg_module
from nndl3 import check, plotting
from nndl3.errors import UserError
from nndl3.train import train

from .test_train import diverging

QUIET = io.StringIO


def record(seed, values, stopped=None, diverged=None):
    return {"run": "r", "seed": seed, "spec": {"eta": 0.5}, "metrics": {"acc": values},
            "monitored_epochs": list(range(len(values))), "seconds_per_epoch": [1.0],
            "stopped_at_epoch": len(values) - 1 if stopped is None else stopped,
            "diverged_at_epoch": diverged}

def test_aggregate_is_over_the_seeds_still_running():
    agg = agg_module.aggregate([record(1, [0.1, 0.2, 0.3, 0.4]), record(2, [0.3, 0.4]),
                                record(3, [0.2, None, None], diverged=1)])
    acc = agg["metrics"]["acc"]
    assert acc["n"] == [3, 2, 1, 1]
    np.testing.assert_allclose(acc["mean"], [0.2, 0.3, 0.3, 0.4])
    assert acc["per_seed"][1] == [0.3, 0.4, None, None]
    assert agg["stopped_at_epoch"] == [3, 1, 2] and agg["diverged_at_epoch"] == [None, None, 1]

def test_diverged_seeds_aggregate_plot_and_fail_the_check(tiny_data, base_spec, tmp_path):
    wild = train("wild", {**diverging(base_spec), "seeds": [1]}, tiny_data, log=QUIET())
    sane = train("wild", {**base_spec, "seeds": [2]}, tiny_data, log=QUIET())
    # one run whose seed 1 diverges: the aggregate refuses records of different specs, so
    # the sane seed's record is labelled with the wild spec it stands in for
    sane[0]["spec"] = {**wild[0]["spec"], "seeds": sane[0]["spec"]["seeds"]}
    agg = agg_module.aggregate(sane + wild)
    assert agg["diverged_at_epoch"] == [None, wild[0]["diverged_at_epoch"]]
    assert agg["metrics"]["evaluation_accuracy"]["n"][-1] == 1
    path = tmp_path / "wild.json"
    path.write_text(json.dumps(agg))
    out = tmp_path / "f.png"
    spec = {"family": "curves", "title": "t",
            "series": [{"run": "wild", "metric": "evaluation_accuracy", "label": "x"}]}
    proc = subprocess.run([sys.executable, "-m", "nndl3", "plot", "--spec", json.dumps(spec),
                           "--aggregates", str(path), "--out", str(out)], capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr
    row = {"id": "r", "section": 2, "quantity": "q", "book": 90.0, "book_precision": 100.0,
           "source": {"run": "wild", "metric": "evaluation_accuracy", "reduce": "best"}}
    (result,) = check.evaluate({"gate": {"family_false_failure": 0.01, "detectable_power": 0.8},
                                "quantities": [row]}, {"seeds": [1, 2], "seed_sd": {"r": 1.0}},
                               check.Inputs({"wild": agg}))
    assert result["status"] == "FAIL" and "wild seed 1 at epoch" in result["reason"]

def test_a_run_whose_every_seed_diverged_before_its_first_monitored_epoch(tiny_data,
                                                                            base_spec):
    spec = {**diverging(base_spec), "epochs": 3, "monitor_every": 3}
    records = train("wild", spec, tiny_data, log=QUIET())
    assert [r["monitored_epochs"] for r in records] == [[], []]  # the case itself
    agg = agg_module.aggregate(records)
    assert agg["monitored_epochs"] == [] and agg["metrics"]["evaluation_accuracy"]["n"] == []
    assert agg["stopped_at_epoch"] == [r["diverged_at_epoch"] for r in records]
    row = {"id": "r", "section": 2, "quantity": "q", "book": 90.0, "book_precision": 100.0,
           "source": {"run": "wild", "metric": "evaluation_accuracy", "reduce": "final"}}
    expected = {"gate": {"family_false_failure": 0.01, "detectable_power": 0.8},
                "quantities": [row]}
    calibration = {"seeds": [1, 2], "seed_sd": {"r": 1.0}}
    (result,) = check.evaluate(expected, calibration, check.Inputs({"wild": agg}))
    assert result["status"] == "FAIL" and result["n"] == 0
    assert result["reason"].startswith("diverged: wild seed 1 at epoch")
    assert result["reason"].endswith("not measured: run 'wild' has no monitored epoch")
    book = {"wild": {**agg["spec"], "eta": 0.5}}  # trained otherwise than the book: changed
    (result,) = check.evaluate(expected, calibration, check.Inputs({"wild": agg}),
                               book_settings=book)
    assert result["status"] == "changed" and "diverged: wild seed 1" in result["reason"]
    assert "not measured" in result["reason"]
    # the figures: no point and no bar, and the legend says why
    fig = plotting.sweep({"title": "t", "xlabel": "n", "ylabel": "%", "series": [
        {"runs": ["wild"], "x": "train_size", "metric": "evaluation_accuracy", "label": "x"}]},
        {"wild": agg}, [])
    assert "wild: seeds 1, 2 diverged, no value" in fig.axes[0].get_legend_handles_labels()[1]
    assert np.isnan(plotting.bar_values({"run": "wild"}, {"wild": agg}, [], {})).all()
    fig = plotting.bars({"title": "t", "bars": [{"label": "x", "run": "wild"}]},
                        {"wild": agg}, [], {})
    assert fig.axes[0].texts[0].get_text() == "nan, mean of 2  (seeds 1, 2 diverged)"
    fig = plotting.curves({"title": "t", "series": [
        {"run": "wild", "metric": "evaluation_accuracy", "label": "x"}]}, {"wild": agg})
    assert [r["diverged_at_epoch"] for r in records] == [0, 0]  # both at once: one mark
    assert "seeds 1, 2 diverged (epoch 0)" in fig.axes[0].get_legend_handles_labels()[1]

def test_a_seed_with_no_finite_value_has_no_reduced_value():
    rows = np.array([[0.5, 0.2, 0.3], [np.nan, np.nan, np.nan]])  # seed 2 diverged at once
    for reduce in ("argmin_epoch", "argmax_epoch", "best", "lowest", "last_epoch"):
        values = check.per_seed(rows, [0, 1, 2], reduce)
        assert np.isfinite(values[0]) and np.isnan(values[1]), reduce
    agg = agg_module.aggregate([record(1, [None], diverged=0), record(2, [None], diverged=0)])
    row = {"id": "r", "section": 2, "quantity": "q", "book": 15.0, "book_precision": 1.0,
           "source": {"run": "r", "metric": "acc", "reduce": "argmin_epoch"}}
    (result,) = check.evaluate({"gate": {"family_false_failure": 0.01,
                                         "detectable_power": 0.8}, "quantities": [row]},
                               {"seeds": [1, 2], "seed_sd": {"r": 1.0}},
                               check.Inputs({"r": agg}))
    assert result["status"] == "FAIL" and result["n"] == 0
    assert result["reason"].endswith("not measured: run 'r' has no finite acc: every seed "
                                      "diverged by its first monitored epoch")

def test_figure_with_eta_panel_and_seeds_stopping_apart(tiny_data, base_spec, tmp_path):
    # 50 images: few enough that the seeds' validation accuracy stalls at different epochs
    spec = {**base_spec, "evaluation": "validation", "epochs": 30, "seeds": [1, 2, 3],
            "train_size": 50}
    inputs, stopped = [], {}
    for run, extra in (("fixed", {}), ("early", {"early_stopping": 2}),
                       ("sched", {"schedule": 1})):
        agg = agg_module.aggregate(train(run, {**spec, **extra}, tiny_data, log=QUIET()))
        inputs.append(tmp_path / f"{run}.json")
        inputs[-1].write_text(json.dumps(agg))
        stopped[run] = agg["stopped_at_epoch"]
    assert "eta" in agg and set(stopped["fixed"]) == {29}
    assert all(len(set(stopped[run])) > 1 for run in ("early", "sched")), stopped
    out = tmp_path / "f.png"
    fig = {"family": "curves", "title": "t", "eta_panel": True,
           "series": [{"run": r, "metric": "evaluation_accuracy", "label": r}
                      for r in ("fixed", "early", "sched")]}
    proc = subprocess.run([sys.executable, "-m", "nndl3", "plot", "--spec", json.dumps(fig),
                           "--aggregates", *map(str, inputs), "--out", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_records_of_other_specs_or_a_seed_twice_are_refused():
    with pytest.raises(UserError, match="^seed 1: run r: seed 1 given twice"):
        agg_module.aggregate([record(1, [0.5]), record(1, [0.5])])
    with pytest.raises(UserError, match=r"^b.json: run r: seed 1 given twice \(also a.json\)$"):
        agg_module.aggregate([record(1, [0.5]), record(1, [0.5])], ["a.json", "b.json"])
    other = {**record(2, [0.5]), "spec": {"eta": 3.0}}
    with pytest.raises(UserError, match="^seed 2: run r trained with another spec than "
                                         "seed 1$"):
        agg_module.aggregate([record(1, [0.5]), other])
    with pytest.raises(UserError, match="^b.json: run r trained with another spec than a.json$"):
        agg_module.aggregate([record(1, [0.5]), other], ["a.json", "b.json"])
    elsewhere = {**record(1, [0.5]), "run": "s"}
    with pytest.raises(UserError, match="^b.json: run s, does not belong with a.json, run r "):
        agg_module.aggregate([record(1, [0.5, 0.6]), elsewhere], ["a.json", "b.json"])


def test_the_statistics_take_each_epoch_over_its_finite_seeds_with_ddof_1():
    """Epoch 0: seeds 1, 2, 3, sd 1; epoch 1: 1 and 3 (the third NaN), sd sqrt(2)."""
    stats = agg_module.statistics(np.array([[1.0, 1.0], [2.0, 3.0], [3.0, np.nan]]))
    assert stats["mean"] == [2.0, 2.0] and stats["n"] == [3, 2]
    assert stats["sd"] == pytest.approx([1.0, 2 ** 0.5])
