"""Chapter 1's figure families: the first digits with their labels, several functions on
one axes (step and sigmoid), and the bar chart of baselines against networks."""

import numpy as np
import pytest

from nndl3 import plotting

AGG = {"run": "a", "seeds": [1, 2], "monitored_epochs": [0, 1, 2],
       "metrics": {"evaluation_accuracy": {"per_seed": [[0.9, 0.95, 0.94], [0.8, None, None]]}}}
SVM = [{"train_size": 100, "accuracy": 0.5},
       {"train_size": 500, "accuracy": 0.7, "scores": {"test": {"accuracy": 0.69}}}]
BASELINES = {"darkness": {"accuracy": 0.2225}}
BARS = [{"label": "random", "value": 10, "book": 10},
        {"label": "darkness", "baseline": "darkness", "book": 22.25},
        {"label": "svm", "svm": 500, "scores": "test"},
        {"label": "net", "run": "a", "book": 95}]


def test_a_bar_is_each_seeds_best_epoch_or_one_deterministic_value():
    values = [plotting.bar_values(b, {"a": AGG}, SVM, BASELINES) for b in BARS]
    np.testing.assert_allclose(values[0], [10.0])
    np.testing.assert_allclose(values[1], [22.25])
    np.testing.assert_allclose(values[2], [69.0])
    np.testing.assert_allclose(values[3], [95.0, 80.0])  # a seed that stopped: its epochs


def test_the_bar_chart_draws_one_bar_per_entry_with_the_books_marks():
    fig = plotting.styled(plotting.bars, {"title": "t", "bars": BARS}, {"a": AGG}, SVM,
                          BASELINES)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [b["label"] for b in BARS]
    widths = sorted(round(p.get_width(), 2) for p in ax.patches)
    assert widths == [10.0, 22.25, 69.0, 87.5]
    assert "book" in ax.get_legend_handles_labels()[1]


def test_the_first_digits_are_drawn_with_their_labels():
    x = np.zeros((8, 784))
    data = {"train": (x, np.array([5, 0, 4, 1, 9, 2, 1, 3]))}
    fig = plotting.styled(plotting.digits, {"title": "t", "count": 6}, data)
    assert [ax.get_xlabel() for ax in fig.axes] == [f"label {d}" for d in (5, 0, 4, 1, 9, 2)]


def test_step_and_sigmoid_share_one_axes():
    fig = plotting.styled(plotting.function, {"title": "t", "ylabel": "y",
                                              "functions": ["step", "sigmoid"]})
    step, sigmoid = fig.axes[0].get_lines()
    z, s = step.get_data()
    assert set(s) == {0.0, 1.0} and np.all((s == 1) == (z > 0))
    assert sigmoid.get_ydata()[np.argmin(np.abs(z))] == pytest.approx(0.5, abs=0.01)


def test_one_function_as_before():
    fig = plotting.styled(plotting.function, {"title": "t", "ylabel": "y", "function": "relu"})
    assert len(fig.axes[0].get_lines()) == 1
