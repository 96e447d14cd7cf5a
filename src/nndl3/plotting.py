"""Every figure of the chapter, in one plotting style.

A figure is described by its entry under `figures:` in the config (family, title, series,
the book's numbers to mark); each family below turns such a description and its inputs
into a matplotlib figure. Seeds are drawn as their mean with a shaded min-max band; the
book's own published run of a series (`book:` in the config) is a thin dashed line of the
series' colour, darkened, drawn over the band, so where it leaves the band shows at once.
Accuracies are stored as fractions and shown in percent; the book's numbers are given in
percent.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import colors  # noqa: E402

from . import atomic, book_runs  # noqa: E402

STYLE = {
    "figure.figsize": (6.4, 4.2),
    "figure.dpi": 110,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "lines.linewidth": 1.6,
}
BOOK_COLOR = "0.25"
LABELS = {
    "training_cost": "Training cost",
    "training_accuracy": "Training accuracy (%)",
    "evaluation_cost": "{set} cost",
    "evaluation_accuracy": "{set} accuracy (%)",
}


def metric_label(metric: str, evaluation: str) -> str:
    return LABELS[metric].format(set=evaluation.capitalize())


def scale(metric: str) -> float:
    return 100.0 if metric.endswith("accuracy") else 1.0


def band(ax, x, mean, lo, hi, label, n_seeds, **style):
    line, = ax.plot(x, mean, label=f"{label} (mean of {n_seeds})" if n_seeds > 1 else label,
                    **style)
    if n_seeds > 1:
        ax.fill_between(x, lo, hi, color=line.get_color(), alpha=0.2, linewidth=0)
    return line


def book_line(ax, x, y, color, label):
    """The book's single published run: dashed, in the darkened colour of our series."""
    dark = colors.to_rgb(color)
    ax.plot(x, y, color=tuple(0.55 * c for c in dark), linestyle=(0, (3, 1.5)), linewidth=1.1,
            label=f"book, {label}: its single published run", zorder=3)


def draw_marks(ax, marks, book=None):
    """The book's numbers: horizontal lines (y), vertical lines (x), points, or the points of
    a published training-size sweep (`book: <file>`)."""
    for mark in marks or ():
        label = mark.get("label")
        if "book" in mark:
            published = book_runs.points(book, mark["book"])
            mark = {**mark, "points": [(n, 100 * v) for n, v in published.items()]}
        if "y" in mark:
            ax.axhline(mark["y"], color=BOOK_COLOR, linestyle="--", linewidth=1, label=label)
        elif "x" in mark:
            ax.axvline(mark["x"], color=BOOK_COLOR, linestyle=":", linewidth=1.2, label=label)
        elif "points" in mark:
            xs, ys = zip(*mark["points"], strict=True)
            ax.plot(xs, ys, linestyle="none", marker=mark.get("marker", "x"), markersize=7,
                    color=mark.get("color", BOOK_COLOR), label=label)


def curves(fig_spec: dict, aggregates: dict, book: dict | None = None) -> plt.Figure:
    """Metric vs epoch for one or more runs, optionally within an epoch window."""
    fig, ax = plt.subplots()
    lo, hi = fig_spec.get("epochs", (0, None))
    for series in fig_spec["series"]:
        agg = aggregates[series["run"]]
        stats = agg["metrics"][series["metric"]]
        epochs = np.array(agg["monitored_epochs"])
        keep = (epochs >= lo) & (epochs <= (hi if hi is not None else epochs.max()))
        k = scale(series["metric"])
        line = band(ax, epochs[keep], k * np.array(stats["mean"])[keep],
                    k * np.array(stats["min"])[keep], k * np.array(stats["max"])[keep],
                    series["label"], len(agg["seeds"]))
        if "book" in series:
            published = book_runs.curve(book, *book_runs.reference(series["book"]))
            shown = (published["epochs"] >= lo) & (published["epochs"] <= epochs[keep].max())
            book_line(ax, published["epochs"][shown], k * published["values"][shown],
                      line.get_color(), series["label"])
    first = aggregates[fig_spec["series"][0]["run"]]
    ax.set_xlabel("Epoch")
    ax.set_ylabel(fig_spec.get("ylabel") or metric_label(fig_spec["series"][0]["metric"],
                                                         first["spec"]["evaluation"]))
    draw_marks(ax, fig_spec.get("marks"), book)
    return finish(fig, ax, fig_spec)


def final_values(agg: dict, metric: str) -> np.ndarray:
    """The metric after the last epoch, one value per seed."""
    return np.array([row[-1] for row in agg["metrics"][metric]["per_seed"]])


def spec_value(spec: dict, dotted: str):
    value = spec
    for key in dotted.split("."):
        value = value[key]
    return value


def sweep(fig_spec: dict, aggregates: dict, svm_results: list[dict],
          book: dict | None = None) -> plt.Figure:
    """A final metric vs a run parameter (training size, rotation angle), seeds as a band."""
    fig, ax = plt.subplots()
    for series in fig_spec["series"]:
        aggs = [aggregates[r] for r in series["runs"]]
        xs = np.array([spec_value(a["spec"], series["x"]) for a in aggs], dtype=float)
        k = scale(series["metric"])
        ys = np.array([k * final_values(a, series["metric"]) for a in aggs])
        order = np.argsort(xs)
        band(ax, xs[order], ys.mean(axis=1)[order], ys.min(axis=1)[order],
             ys.max(axis=1)[order], series["label"], ys.shape[1], marker="o", markersize=3)
    if svm_results:
        xs = [r["train_size"] for r in svm_results]
        ax.plot(xs, [100 * r["accuracy"] for r in svm_results], marker="s", markersize=3,
                label=fig_spec.get("svm_label", "SVM"))
    ax.set_xscale(fig_spec.get("xscale", "linear"))
    ax.set_xlabel(fig_spec["xlabel"])
    ax.set_ylabel(fig_spec["ylabel"])
    draw_marks(ax, fig_spec.get("marks"), book)
    return finish(fig, ax, fig_spec)


def neuron(fig_spec: dict, result: dict) -> plt.Figure:
    """Cost vs epoch of the single neuron, with its output before and after."""
    fig, ax = plt.subplots()
    ax.plot(np.arange(len(result["cost"])), result["cost"], label=f"{result['cost_kind']} cost")
    out = result["output"]
    ax.text(0.98, 0.95, f"w0 = {result['w0']}, b0 = {result['b0']}, eta = {result['eta']}\n"
            f"output {out[0]:.2f} -> {out[-1]:.2f}", transform=ax.transAxes, ha="right",
            va="top", fontsize=9)
    ax.set_xlabel("Epoch")
    ax.set_ylabel("Cost")
    ax.set_ylim(bottom=0)
    draw_marks(ax, fig_spec.get("marks"))
    return finish(fig, ax, fig_spec)


def digit(fig_spec: dict, pixels: np.ndarray) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(3.2, 3.4))
    ax.imshow(pixels.reshape(28, 28), cmap="Greys", vmin=0, vmax=1)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    ax.set_title(fig_spec["title"])
    fig.tight_layout()
    return fig


FUNCTIONS = {
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), r"$\sigma(z) = 1/(1+e^{-z})$"),
    "tanh": (np.tanh, r"$\tanh(z)$"),
    "relu": (lambda z: np.maximum(0, z), r"$\max(0, z)$"),
}


def function(fig_spec: dict) -> plt.Figure:
    fig, ax = plt.subplots()
    f, label = FUNCTIONS[fig_spec["function"]]
    z = np.linspace(-5, 5, 401)
    ax.plot(z, f(z), label=label)
    ax.set_xlabel("z")
    ax.set_ylabel(fig_spec["ylabel"])
    return finish(fig, ax, fig_spec)


def finish(fig, ax, fig_spec) -> plt.Figure:
    ax.set_title(fig_spec["title"])
    if "ylim" in fig_spec:
        ax.set_ylim(*fig_spec["ylim"])
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc=fig_spec.get("legend", "best"))
    fig.tight_layout()
    return fig


def save(fig, path) -> None:
    with atomic.atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)


def styled(draw, *args):
    """Draw one figure under the project's style."""
    with plt.rc_context(STYLE):
        return draw(*args)
