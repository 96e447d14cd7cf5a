"""Every figure family renders from small synthetic inputs, through the CLI the rules use."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nndl3.aggregate import aggregate


def fake_record(run, seed, spec, epochs=5):
    rng = np.random.default_rng(seed)
    metrics = {m: list(rng.uniform(0.5, 1.0, epochs)) for m in spec["monitor"]}
    return {"run": run, "seed": seed, "spec": spec, "monitored_epochs": list(range(epochs)),
            "metrics": metrics, "seconds_per_epoch": [0.1] * epochs}


def write_aggregate(tmp_path, run, **spec):
    spec = {"monitor": ["training_accuracy", "evaluation_accuracy"], "evaluation": "test",
            "train_size": 1000, "rotation": {"max_degrees": 0, "copies": 0}, **spec}
    path = tmp_path / f"{run}.json"
    path.write_text(json.dumps(aggregate([fake_record(run, s, spec) for s in (1, 2, 3)])))
    return str(path)


BOOK = Path(__file__).resolve().parents[1] / "book_runs"


def plot(tmp_path, spec, **inputs):
    """Draw through the CLI, the inputs by role (`aggregates=[...]`, `book=[...]`)."""
    out = tmp_path / "figure.png"
    options = [a for role, paths in inputs.items() for a in (f"--{role}", *map(str, paths))]
    proc = subprocess.run([sys.executable, "-m", "nndl3", "plot", "--spec", json.dumps(spec),
                           *options, "--out", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_curves_with_window_and_marks(tmp_path):
    inputs = [write_aggregate(tmp_path, "a")]
    plot(tmp_path, {"family": "curves", "title": "t", "epochs": [1, 3],
                    "series": [{"run": "a", "metric": "evaluation_accuracy", "label": "x"}],
                    "marks": [{"y": 80, "label": "book"}, {"x": 2, "label": "e"},
                              {"points": [[0, 70]], "label": "p"}]}, aggregates=inputs)


def test_curves_with_the_books_published_run(tmp_path):
    inputs = [write_aggregate(tmp_path, "overfit_1k")]
    plot(tmp_path, {"family": "curves", "title": "t", "series": [
        {"run": "overfit_1k", "metric": "evaluation_accuracy", "label": "test",
         "book": {"file": "overfitting.json", "list": "evaluation_accuracy"}}]},
         aggregates=inputs, book=[BOOK / "overfitting.json"])


def test_a_run_shorter_than_the_figures_window_still_draws(tmp_path):
    """A user's shortened run (5 epochs here) against a figure of epochs 200-399."""
    inputs = [write_aggregate(tmp_path, "overfit_1k")]
    plot(tmp_path, {"family": "curves", "title": "t", "epochs": [200, 399], "series": [
        {"run": "overfit_1k", "metric": "evaluation_accuracy", "label": "test",
         "book": {"file": "overfitting.json", "list": "evaluation_accuracy"}}]},
         aggregates=inputs, book=[BOOK / "overfitting.json"])


def test_sweep_with_the_books_published_points(tmp_path):
    inputs = [write_aggregate(tmp_path, f"s{n}", train_size=n) for n in (100, 1000)]
    plot(tmp_path, {"family": "sweep", "title": "t", "xlabel": "N", "ylabel": "acc",
                    "series": [{"runs": ["s100", "s1000"], "x": "train_size",
                                "metric": "evaluation_accuracy", "label": "net"}],
                    "marks": [{"book": "more_data.json", "label": "book"}]},
         aggregates=inputs, book=[BOOK / "more_data.json"])


def test_sweep_with_svm(tmp_path):
    inputs = [write_aggregate(tmp_path, f"s{n}", train_size=n) for n in (100, 1000)]
    svm = tmp_path / "svm.json"
    svm.write_text(json.dumps({"schema": "nndl3.svm/1", "train_size": 100, "accuracy": 0.3}))
    plot(tmp_path, {"family": "sweep", "title": "t", "xlabel": "N", "ylabel": "acc",
                    "xscale": "log", "svm": True,
                    "series": [{"runs": ["s100", "s1000"], "x": "train_size",
                                "metric": "evaluation_accuracy", "label": "net"}]},
         aggregates=inputs, svm=[svm])


def test_sweep_over_rotation_angle(tmp_path):
    inputs = [write_aggregate(tmp_path, f"r{a}", rotation={"max_degrees": a, "copies": 1})
              for a in (0, 90)]
    plot(tmp_path, {"family": "sweep", "title": "t", "xlabel": "deg", "ylabel": "acc",
                    "series": [{"runs": ["r0", "r90"], "x": "rotation.max_degrees",
                                "metric": "evaluation_accuracy", "label": "net"}]},
         aggregates=inputs)


@pytest.mark.parametrize("function", ["sigmoid", "tanh", "relu"])
def test_functions(tmp_path, function):
    plot(tmp_path, {"family": "function", "function": function, "title": "t", "ylabel": "y"})


def test_neuron(tmp_path):
    result = tmp_path / "n.json"
    subprocess.run([sys.executable, "-m", "nndl3", "neuron", "--w", "2", "--b", "2", "--cost",
                    "quadratic", "--eta", "0.15", "--out", str(result)], check=True,
                   capture_output=True)
    plot(tmp_path, {"family": "neuron", "title": "t"}, neuron=[result])


def test_digit_from_the_data(tmp_path):
    data = tmp_path / "mnist.npz"
    pixels = np.zeros((2, 784), np.uint8)
    pixels[1, 300:320] = 255
    np.savez(data, train_x=pixels, train_y=np.array([0, 5]))
    plot(tmp_path, {"family": "digit", "title": "t", "index": 1, "degrees": 15}, data=[data])


def plot_error(tmp_path, spec, *options):
    out = tmp_path / "figure.png"
    proc = subprocess.run([sys.executable, "-m", "nndl3", "plot", "--spec", json.dumps(spec),
                           *map(str, options), "--out", str(out)], capture_output=True, text=True)
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1, proc.stderr
    assert not out.exists()
    return proc.stderr


def test_inputs_are_typed_by_role(tmp_path):
    """An input under a role its family does not take, or a missing single file, is named."""
    aggregate = write_aggregate(tmp_path, "a")
    curves = {"family": "curves", "title": "t",
              "series": [{"run": "a", "metric": "evaluation_accuracy", "label": "x"}]}
    assert "--svm: a curves figure takes no svm input" in plot_error(
        tmp_path, curves, "--aggregates", aggregate, "--svm", aggregate)
    assert "SVM result of schema nndl3.svm/1" in plot_error(
        tmp_path, {"family": "sweep", "title": "t", "xlabel": "N", "ylabel": "a", "series": []},
        "--svm", aggregate)
    assert "--neuron: a neuron figure takes exactly one file, not 0" in plot_error(
        tmp_path, {"family": "neuron", "title": "t"})
    assert "--spec: family: unknown figure family 'pie'" in plot_error(
        tmp_path, {"family": "pie", "title": "t"})
