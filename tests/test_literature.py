"""The literature runs (config/literature.yaml): their specs, schedules, training loop,
progress lines, and the check's `not run` rows."""

import io
import json
import subprocess
import sys

import numpy as np
import pytest
import yaml

from nndl3 import literature, literature_check, runspec, workflow_config

from .conftest import ROOT, synthetic_digits

CONFIG = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
LITERATURE = literature.load_config(ROOT / "config" / "literature.yaml")
NEW_KEYS = runspec.WIDE_ONLY


@pytest.mark.parametrize("run", list(LITERATURE["runs"]))
def test_every_literature_run_is_a_valid_wide_spec(run):
    spec = literature.run_spec(CONFIG, LITERATURE, run)
    assert spec["engine"] == "wide" and spec["evaluation"] == "validation"
    assert spec["train_size"] == 50000 and spec["seeds"] == CONFIG["seeds"]
    assert spec["sizes"][1] >= 800


@pytest.mark.parametrize("run", list(LITERATURE["miniature"]))
def test_the_miniature_is_small(run):
    spec = literature.run_spec(CONFIG, LITERATURE, run, miniature=True)
    assert spec["train_size"] <= 5000 and spec["epochs"] <= 3


def test_the_new_options_leave_every_existing_run_as_it_was():
    """No default in the schema: the book's runs' specs (and so their records) gain no key."""
    props = runspec.schema()["properties"]
    for key in NEW_KEYS:
        assert key in props and "default" not in props[key]
    for run in CONFIG["runs"]:
        spec = workflow_config.run_spec(CONFIG, run)
        assert not set(NEW_KEYS) & set(spec) and spec["engine"] != "wide"


def test_the_literature_options_need_the_wide_engine(tmp_path):
    spec = {**CONFIG["defaults"], "seeds": [1], "max_norm": 15.0}
    with pytest.raises(Exception, match="max_norm: only engine 'wide'"):
        runspec.validate(spec, "here")
    (tmp_path / "s.json").write_text(json.dumps({**spec, "engine": "wide"}))
    out = subprocess.run([sys.executable, "-m", "nndl3", "train", "--spec",
                          str(tmp_path / "s.json"), "--run", "r", "--data", "data/mnist.npz",
                          "--out-dir", str(tmp_path)], capture_output=True, text=True)
    assert out.returncode == 1 and "snakemake --cores 2 literature" in out.stderr
    assert out.stderr.count("\n") == 1


def test_a_bad_literature_run_is_named():
    bad = {**LITERATURE, "runs": {"x": {"distortion": {"kind": "elastic", "sigma": 4}}}}
    with pytest.raises(Exception, match="runs.x: distortion"):
        literature.run_spec(CONFIG, bad, "x")
    with pytest.raises(Exception, match="no run 'nope'"):
        literature.run_spec(CONFIG, LITERATURE, "nope")


def test_schedules():
    simard = literature.run_spec(CONFIG, LITERATURE, "simard_plain")
    assert literature.eta_of(simard, 99) == simard["eta"]
    assert literature.eta_of(simard, 100) == pytest.approx(0.3 * simard["eta"])
    assert literature.eta_of(simard, 250) == pytest.approx(0.09 * simard["eta"])
    assert literature.momentum_of(simard, 7) == 0.0
    hinton = literature.run_spec(CONFIG, LITERATURE, "dropout_maxnorm")
    assert literature.eta_of(hinton, 3) == pytest.approx(10 * 0.998**3)
    assert literature.momentum_of(hinton, 0) == 0.5
    assert literature.momentum_of(hinton, 250) == pytest.approx(0.745)
    assert literature.momentum_of(hinton, 500) == literature.momentum_of(hinton, 2999) == 0.99


def tiny_spec(**keys):
    spec = {**CONFIG["defaults"], **LITERATURE["defaults"], "sizes": [784, 20, 10],
            "init_std": 0.05, "eta": 0.5, "epochs": 3, "train_size": 300, "seeds": [1, 2],
            **keys}
    return runspec.validate(spec, "test")


def tiny_data(n=300):
    x, labels = synthetic_digits(n + 200, dtype=np.float32)
    return {"train": (x[:n], labels[:n]), "validation": (x[n:n + 100], labels[n:n + 100]),
            "test": (x[n + 100:], labels[n + 100:])}


@pytest.mark.parametrize("keys", [
    {},
    {"distortion": {"kind": "elastic", "sigma": 4.0, "alpha": 34.0}},
    {"distortion": {"kind": "affine", "max_degrees": 15.0, "max_shift": 2.0, "max_skew": 0.2},
     "dropout": 0.5, "input_dropout": 0.2, "max_norm": 15.0, "mini_batch": 30,
     "momentum_schedule": {"start": 0.5, "end": 0.99, "epochs": 2, "damped": True}},
])
def test_a_seed_trains_reproducibly_with_a_progress_line_per_epoch(keys):
    spec, data = tiny_spec(**keys), tiny_data()
    logs = [io.StringIO(), io.StringIO()]
    first, again = (literature.train_seed("t", spec, 1, data, log) for log in logs)
    other = literature.train_seed("t", spec, 2, data, io.StringIO())
    assert first["test_accuracy"] == again["test_accuracy"]
    assert first["validation_accuracy"] != other["validation_accuracy"]
    lines = logs[0].getvalue().splitlines()
    assert len(lines) == 3 and lines[-1].startswith("epoch    2/3  validation ")
    assert "time left 0.00 h" in lines[-1]
    best = first["best_epoch"]
    assert first["validation_accuracy"][best] == max(first["validation_accuracy"])
    assert first["test_at_best"] == first["test_accuracy"][best]
    assert len(first["distortion_seconds"]) == (3 if "distortion" in keys else 0)
    if not keys:  # plain SGD on the synthetic digits: it learns
        assert first["validation_accuracy"][-1] > 0.5


def record(run, accuracy, miniature=False):
    return {"run": run, "test_at_best": accuracy, "n_test": 10000, "best_epoch": 5,
            "miniature": miniature}


ALPHA = 0.01
ROW = {"id": "r", "run": "simard_plain", "book": 98.4, "book_precision": 0.05, "quantity": "q"}


def test_a_row_without_three_seeds_is_not_run():
    assert literature_check.evaluate(ROW, [], ALPHA)["status"] == "not run"
    two = [record("simard_plain", 0.984), record("simard_plain", 0.985)]
    assert literature_check.evaluate(ROW, two, ALPHA)["status"] == "not run"
    minis = [record("simard_plain", 0.5, miniature=True)] * 3
    assert literature_check.evaluate(ROW, two[:1] + minis, ALPHA)["status"] == "not run"


def test_the_tolerance_is_the_seed_and_binomial_spread():
    three = [record("simard_plain", a) for a in (0.983, 0.984, 0.986)]
    r = literature_check.evaluate(ROW, three, ALPHA)
    seed_sd = float(np.std([98.3, 98.4, 98.6], ddof=1))
    binomial = 100 * np.sqrt(r["mean"] / 100 * (1 - r["mean"] / 100) / 10000)
    assert r["seed_sd"] == pytest.approx(seed_sd) and r["binomial_sd"] == pytest.approx(binomial)
    # t(1 - 0.01 / 2, 2 df) = 9.9248 (tables): the gate's rule at alpha 0.01, 3 seeds
    assert r["tolerance"] == pytest.approx(9.9248 * np.hypot(seed_sd, binomial) * np.sqrt(4 / 3)
                                           + 0.05, rel=1e-4)
    assert r["status"] == "pass"
    far = [record("simard_plain", a) for a in (0.950, 0.951, 0.952)]
    assert literature_check.evaluate(ROW, far, ALPHA)["status"] == "FAIL"


def test_the_check_of_the_repository_reports_every_row_not_run_without_records(tmp_path):
    out = subprocess.run([sys.executable, "-m", "nndl3", "literature-check", "--expected",
                          str(ROOT / "config" / "expected.yaml"), "--out-md",
                          str(tmp_path / "r.md"), "--out-json", str(tmp_path / "r.json")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    rows = json.loads((tmp_path / "r.json").read_text())["rows"]
    assert [r["run"] for r in rows] == ["simard_plain", "simard_affine", "simard_elastic",
                                        "dropout_maxnorm"]
    assert {r["status"] for r in rows} == {"not run"}
    assert "0 passed, 0 failed, 4 not run" in out.stdout


def test_an_unknown_run_is_one_line_and_exit_1(tmp_path):
    out = subprocess.run([sys.executable, "-m", "nndl3", "literature-train", "--run", "nope",
                          "--seed", "1", "--data", "data/mnist.npz", "--out",
                          str(tmp_path / "x.json"), "--config",
                          str(ROOT / "config" / "config.yaml"), "--literature",
                          str(ROOT / "config" / "literature.yaml")],
                         capture_output=True, text=True)
    assert out.returncode == 1
    assert out.stderr.count("\n") == 1 and "no run 'nope'" in out.stderr
    assert not (tmp_path / "x.json").exists()


def test_the_figures_draw_each_run_with_the_papers_number():
    from nndl3 import literature_plots

    records = [{"run": run, "test_accuracy": [0.97, 0.98, 0.985 + 0.001 * seed]}
               for run in ("simard_plain", "simard_elastic", "dropout_maxnorm")
               for seed in range(3)]
    fig = literature_plots.simard_curves(records)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["simard_plain (3 seeds)", "simard_plain: paper 1.6 %",
                      "simard_elastic (3 seeds)", "simard_elastic: paper 0.7 %"]
    assert fig.axes[0].get_ylim() == (0, 4)
    fig = literature_plots.dropout_curves(records)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["dropout_maxnorm (3 seeds)", "dropout_maxnorm: paper 1.3 %"]


def test_the_elastic_digit_figure_uses_the_same_fields_in_every_panel():
    from nndl3 import plotting

    x, labels = synthetic_digits(3, dtype=np.float64)
    spec = {"index": 0, "seed": 1, "sigmas": [2.0, 4.0], "alphas": [0.0, 34.0], "title": "t"}
    fig = plotting.elastic_digits(spec, {"train": (x, labels)})
    images = [ax.get_images()[0].get_array() for ax in fig.axes]
    assert len(images) == 6
    original = x[0].reshape(28, 28)
    assert np.allclose(images[1], original, atol=1e-6)  # alpha 0: the digit itself
    assert not np.allclose(images[4], original, atol=1e-2)  # sigma 2, alpha 34 moves it
    assert not np.allclose(images[4], images[5], atol=1e-2)  # sigma changes the field
