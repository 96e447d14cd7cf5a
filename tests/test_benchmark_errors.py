"""The benchmark scripts refuse bad input in one line naming it, before their work, and say
why they fail: each of these stopped on an 'unexpected' exception, after the work it
wasted, or with no line at all."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import backprop_claims  # noqa: E402
import curve_simulation  # noqa: E402
import literature_cost  # noqa: E402
import pipeline  # noqa: E402
import svm_hugepages  # noqa: E402
import svm_options  # noqa: E402

from nndl3 import paths  # noqa: E402
from nndl3.errors import UserError  # noqa: E402


def test_a_mistyped_literature_run_is_refused_before_the_data_is_read(tmp_path):
    """The runs were measured one by one, a mistyped name refused after those before it."""
    with pytest.raises(UserError, match="no run 'simard_plian'"):
        literature_cost.main(["--runs", "simard_plain", "simard_plian",
                              "--data", str(tmp_path / "absent.npz"),
                              "--out", str(tmp_path / "cost.json")])


def test_an_svm_part_job_that_fails_stops_the_hugepages_benchmark_in_one_line(monkeypatch):
    monkeypatch.setattr(svm_hugepages.common, "child_seconds",
                        lambda *a, **k: {"wall": 0.1, "user": 0.1, "system": 0.0,
                                         "returncode": 1})
    with pytest.raises(UserError, match=r"svm-part` failed \(exit status 1"):
        svm_hugepages.part_job("data.npz", 3, Path("part.npz"), {})


def test_more_svm_images_than_mnist_trains_on_are_refused(tmp_path, capsys):
    """They were fitted on the 50,000 there are, and reported as 50,001."""
    with pytest.raises(SystemExit) as exit_:  # refused before the (absent) data is read
        svm_options.main(["--sizes", "100", "50001", "--data", str(tmp_path / "absent.npz")])
    assert exit_.value.code == 2
    assert "--sizes: 50001: at most 50,000" in capsys.readouterr().err


@pytest.mark.parametrize("content, words", [
    ('{"seeds": [1], "n_check": 3, "curv', "curve calibration truncated"),
    ('{"seeds": [1], "n_check": 3}', "lacks key(s) 'curves'"),
])
def test_a_broken_installed_curve_calibration_is_named(tmp_path, monkeypatch, content, words):
    path = tmp_path / paths.CALIBRATION_CURVES_INSTALLED
    path.parent.mkdir(parents=True)
    path.write_text(content)
    monkeypatch.setattr(curve_simulation, "ROOT", tmp_path)
    with pytest.raises(UserError) as caught:
        curve_simulation.main([])
    assert str(caught.value).startswith(f"{path}: ") and words in str(caught.value)


def test_the_pipeline_counts_the_training_jobs_this_run_ran(tmp_path):
    """It counted every benchmark file: a tree rebuilt in part keeps older runs' files."""
    import os
    import time

    folder = tmp_path / paths.BENCHMARK_DIR.format(rule="train")
    folder.mkdir(parents=True)
    (folder / "old.tsv").write_text("s\n1\n")
    os.utime(folder / "old.tsv", (time.time() - 60, time.time() - 60))
    started = time.time()
    (folder / "new.tsv").write_text("s\n1\n")
    pattern = paths.BENCHMARK.format(rule="train", name="*")
    assert pipeline.ran_since(started, pattern, tmp_path) == 1


def test_a_gradient_check_that_fails_says_so(tmp_path, monkeypatch, capsys):
    """It exited 1 with no line saying why."""
    monkeypatch.setattr(backprop_claims.mnist, "load", lambda *a, **k: {
        "train": (np.zeros((20, 784)), np.zeros(20, dtype=np.int64))})
    monkeypatch.setattr(backprop_claims, "time_epochs",
                        lambda *a: {"reference (per example)": 2.0, "numpy": 1.0})
    monkeypatch.setattr(backprop_claims, "time_passes", lambda *a: {
        "forward": 1.0, "backprop": 2.0, "finite_difference": 3.0})
    monkeypatch.setattr(backprop_claims, "gradient_agreement",
                        lambda *a: {"largest": 0.01, "relative": 0.002})
    monkeypatch.setattr(backprop_claims, "backprop_tables", lambda doc: "")
    monkeypatch.setattr(backprop_claims.common, "machine", lambda torch: {})
    out = tmp_path / "claims.json"
    assert backprop_claims.main(["--out", str(out)]) == 1
    assert ("error: finite differences and backprop differ by 0.002 of the largest "
            "component, not below 0.0001") in capsys.readouterr().err
    assert json.loads(out.read_text())["gradient_check"]["relative"] == 0.002
