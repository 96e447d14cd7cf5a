"""Every figure of the chapter, in one plotting style.

A figure is described by its entry under `figures:` in the config (family, title, series,
the book's numbers to mark); each family below turns such a description and its inputs
into a matplotlib figure. Seeds are drawn as their mean with a shaded min-max band; where
seeds stop at different epochs (early stopping, the schedule, divergence) the mean is over
the seeds still running, each stop is marked and labelled with how many seeds go on, and
a diverged seed is marked with an x. The book's own published run of a series (`book:` in
the config) is a thin dashed line of the series' colour, darkened, drawn over the band, so
where it leaves the band shows at once. Accuracies are stored as fractions and shown in
percent; the book's numbers are given in percent. A figure drawn from a run trained with
other settings than the book's says so in red above the plot (`changed_note`).
"""

from __future__ import annotations

import sys
import textwrap
from fractions import Fraction

import matplotlib

matplotlib.use("Agg")
# matplotlib's own defaults under the project's STYLE, whatever matplotlibrc the user has
# (the current folder's, ~/.config's): a file no rule tracks must not change a figure
matplotlib.rcdefaults()
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import colors  # noqa: E402

from . import atomic, book_runs  # noqa: E402
from .aggregate import diverged_seeds  # noqa: E402
from .errors import UserError  # noqa: E402
from .figures import BAR_METRIC, FUNCTION_Z, FUNCTIONS, drawn_functions  # noqa: E402
from .readers import LAST_EPOCH  # noqa: E402
from .tolerance import scale  # noqa: E402

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
    # a legend the data shows through was hard to read where "best" found no free corner
    "legend.frameon": True,
    "legend.framealpha": 0.85,
    "legend.edgecolor": "none",
    "lines.linewidth": 1.6,
}
BOOK_COLOR = "0.25"
CHANGED_GID = "changed"  # the artists of a changed run's series (widened)
NOTE_WIDTH = 60  # characters a line of a label or note a config of one's own makes long
LABELS = {
    "training_cost": "Training cost",
    "training_accuracy": "Training accuracy (%)",
    "evaluation_cost": "{set} cost",
    "evaluation_accuracy": "{set} accuracy (%)",
}


def metric_label(metric: str, evaluation: str) -> str:
    return LABELS[metric].format(set=evaluation.capitalize())


def changed_label(label: str, changed: str | None) -> str:
    """The config's label, which names the book's setting, and, for a line or bar trained
    otherwise (`changed`: what with, changed.trained_with), what it was trained with."""
    # wrapped: a run's changed settings can outgrow the figure (a legend off its edge)
    return textwrap.fill(f"{label} (changed: {changed})", NOTE_WIDTH) if changed else label


def band(ax, x, mean, lo, hi, label, n_seeds, changed=None, **style):
    """Our seeds' mean and min-max band; `changed`: what a line trained otherwise than the
    book was trained with (changed_label)."""
    label = changed_label(label, changed)
    if np.isfinite(mean).sum() == 1 and "marker" not in style:  # one point: no line shows it
        style = {**style, "marker": "o", "markersize": 4}
    line, = ax.plot(x, mean, label=f"{label} (mean of {n_seeds})" if n_seeds > 1 else label,
                    gid=CHANGED_GID if changed else None, **style)
    if n_seeds > 1:
        ax.fill_between(x, lo, hi, color=line.get_color(), alpha=0.2, linewidth=0,
                        gid=CHANGED_GID if changed else None)
    return line


def darkened(color) -> tuple:
    """The colour the book's marks take beside our series of `color`."""
    return tuple(0.55 * c for c in colors.to_rgb(color))


def book_line(ax, x, y, color, label):
    """The book's single published run: dashed, in the darkened colour of our series."""
    ax.plot(x, y, color=darkened(color), linestyle=(0, (3, 1.5)), linewidth=1.1,
            label=f"book, {label}: its single published run", zorder=3)


def recipe_band(ax, x, band: dict, shown, color, label):
    """The author's recipe over its seeds (nndl3.recipe): the min-max band of the book's
    own recipe at x, hatched in the book line's colour, so a reader sees whether the
    book's single run is typical of it. shown: which of the band's points to draw."""
    dark = darkened(color)
    ax.fill_between(np.asarray(x)[shown], np.array(band["min"])[shown],
                    np.array(band["max"])[shown], facecolor="none", edgecolor=dark,
                    hatch="////", linewidth=0, alpha=0.45, zorder=2,
                    label=f"book's recipe, {label}: {band['n']} seeds (min-max)")


def draw_marks(ax, marks, book=None, recipe=None):
    """The book's numbers: horizontal lines (y), vertical lines (x), points, or the points of
    a published training-size sweep (`book: <file>`), with its recipe's band if `recipe`
    has it."""
    for mark in marks or ():
        label = mark.get("label")
        if "book" in mark:
            band_of = (recipe or {}).get(mark["book"])
            if band_of:
                recipe_band(ax, band_of["x"], band_of, slice(None), BOOK_COLOR, mark["book"])
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


def floats(values) -> np.ndarray:
    """A list that may hold nulls (no seed running, or not finite) as floats with NaN."""
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def draw_stops(ax, agg: dict, color, window) -> None:
    """Mark where seeds stop before the run's last epoch (a dotted line at each stopping
    epoch, labelled with how many seeds go on; the legend lists the epochs) and where seeds
    diverged (an x on the epoch axis)."""
    epochs = list(agg["monitored_epochs"])
    counts = agg["metrics"][next(iter(agg["metrics"]))].get("n")
    stops = agg.get("stopped_at_epoch") or []
    reasons = agg.get("stop_reason") or [None] * len(stops)
    lo, hi = window
    # a stop before the spec's last epoch (older aggregates without reasons: before the last)
    early = sorted(e for e, why in zip(stops, reasons, strict=True)
                   if e is not None and lo <= e <= hi
                   and (why != LAST_EPOCH if why else e < epochs[-1]))
    for i, epoch in enumerate(sorted(set(early))):
        ax.axvline(epoch, color=color, linestyle=":", linewidth=1.2,
                   label=f"seeds stop: epoch {', '.join(map(str, early))}" if i == 0 else None)
        if counts and epoch in epochs:
            after = epochs.index(epoch) + 1
            ax.text(epoch, 0.02, f" {counts[after] if after < len(counts) else 0} left",
                    color=color,
                    fontsize=7, rotation=90, va="bottom", ha="right",
                    transform=ax.get_xaxis_transform())
    by_epoch: dict[int, list] = {}
    for seed, epoch in diverged_seeds(agg):
        if lo <= epoch <= hi:
            by_epoch.setdefault(epoch, []).append(seed)
    for epoch, seeds in by_epoch.items():
        diverged_mark(ax, epoch, color, f"{seeds_named(seeds)} diverged (epoch {epoch})")


def diverged_mark(ax, x, color, label) -> None:
    """An x on the x axis where seeds diverged, named in the legend."""
    ax.plot(x, 0, marker="x", color=color, markersize=8, linestyle="none",
            transform=ax.get_xaxis_transform(), clip_on=False, label=label)


def seeds_named(seeds) -> str:
    """`seed 2`, `seeds 1, 3`."""
    return f"seed{'s' * (len(seeds) > 1)} {', '.join(map(str, seeds))}"


def outside(ax, series: list[dict], aggregates: dict, window) -> None:
    """Name, on the figure and on stderr, each run with no monitored epoch in the window
    (a run shortened by a config of one's own): otherwise its curve is silently missing."""
    lo, hi = window
    missing = []
    for run in dict.fromkeys(s["run"] for s in series):
        epochs = aggregates[run]["monitored_epochs"]
        if not any(lo <= e and (hi is None or e <= hi) for e in epochs):
            why = [f"epochs {epochs[0]}-{epochs[-1]}" if epochs else "no monitored epoch"]
            if diverged := [seed for seed, _ in diverged_seeds(aggregates[run])]:
                why.append(f"{seeds_named(diverged)} diverged")
            missing.append(f"{run} ({'; '.join(why)})")
    if missing:
        text = (f"no epoch in the window [{lo}, {'end' if hi is None else hi}]: "
                f"{', '.join(missing)}")
        ax.text(0.5, 0.5, textwrap.fill(text, NOTE_WIDTH), transform=ax.transAxes,
                ha="center", va="center")
        print(f"warning: {text}", file=sys.stderr)


def series_curve(ax, agg: dict, series: dict, window, book: dict | None,
                 recipe: dict | None = None):
    """One series: mean over the seeds still running, min-max band, stops marked, and the
    book's published run of it, if it has one, with its recipe's band (`recipe`: curve id
    -> band, figures.read_recipe)."""
    stats = agg["metrics"][series["metric"]]
    epochs = np.array(agg["monitored_epochs"])
    lo, hi = window
    end = hi if hi is not None else last_epoch(agg)
    keep = (epochs >= lo) & (epochs <= end)
    k = scale(series["metric"])
    mean = k * floats(stats["mean"])[keep]
    line = band(ax, epochs[keep], mean, k * floats(stats["min"])[keep],
                k * floats(stats["max"])[keep], series["label"], len(agg["seeds"]),
                series.get("changed"))
    draw_stops(ax, agg, line.get_color(), (lo, end))
    if "book" in series and keep.any():  # a shortened run may not reach the window
        published = book_runs.curve(book, *book.published.of_run(series["run"]),
                                    series["metric"])
        shown = (published["epochs"] >= lo) & (published["epochs"] <= epochs[keep].max())
        book_line(ax, published["epochs"][shown], k * published["values"][shown],
                  line.get_color(), series["label"])
        band_of = (recipe or {}).get(published["id"])
        if band_of:  # in the check's units: accuracy in points already
            at = np.array(band_of["epochs"])
            recipe_band(ax, at, band_of, (at >= lo) & (at <= epochs[keep].max()),
                        line.get_color(), series["label"])
    return line


def last_epoch(agg: dict) -> int:
    """A run's last epoch: its last monitored one, or a later one where a seed stopped (a
    seed may diverge between monitored epochs, or before the first)."""
    stops = (e for e in agg.get("stopped_at_epoch") or () if e is not None)
    return max([*agg["monitored_epochs"], *stops], default=0)


def eta_panel(ax, fig_spec: dict, aggregates: dict, colors: list) -> None:
    """eta vs epoch: constant for a run without a schedule (to its last epoch), one step
    line per seed with one (seeds halve eta at different epochs)."""
    for series, color in zip(fig_spec["series"], colors, strict=True):
        agg = aggregates[series["run"]]
        if "eta" not in agg:
            eta, end = agg["spec"]["eta"], last_epoch(agg)
            ax.plot([0, end], [eta, eta], color=color, linewidth=1.2)
            continue
        for row in agg["eta"]["per_seed"]:
            etas = floats(row)
            ax.step(np.arange(len(etas)), etas, where="post", color=color, linewidth=1.2,
                    alpha=0.7)
    ax.set_yscale("log", base=2)
    ticks = sorted({v for a in aggregates.values() for v in eta_values(a)})
    ax.set_yticks(ticks, [str(Fraction(v).limit_denominator(1 << 20)) for v in ticks])
    ax.minorticks_off()
    ax.set_ylabel("eta")
    ax.set_xlabel("Epoch")


def eta_values(agg: dict) -> set:
    if "eta" in agg:
        return {v for row in agg["eta"]["per_seed"] for v in row if v is not None}
    return {agg["spec"]["eta"]}


def curves(fig_spec: dict, aggregates: dict, book: dict | None = None,
           recipe: dict | None = None) -> plt.Figure:
    """Metric vs epoch for one or more runs, optionally within an epoch window; with
    `eta_panel`, a second panel below shows the learning rate per epoch."""
    if fig_spec.get("eta_panel"):
        fig, (ax, ax_eta) = plt.subplots(2, 1, sharex=True, figsize=(6.4, 5.6),
                                         gridspec_kw={"height_ratios": [3, 1.3]})
    else:
        fig, ax = plt.subplots()
    window = fig_spec.get("epochs", (0, None))
    lines = [series_curve(ax, aggregates[s["run"]], s, window, book, recipe)
             for s in fig_spec["series"]]
    outside(ax, fig_spec["series"], aggregates, window)
    first = aggregates[fig_spec["series"][0]["run"]]
    ax.set_ylabel(fig_spec.get("ylabel") or metric_label(fig_spec["series"][0]["metric"],
                                                         first["spec"]["evaluation"]))
    draw_marks(ax, fig_spec.get("marks"), book)
    if fig_spec.get("eta_panel"):
        eta_panel(ax_eta, fig_spec, aggregates, [line.get_color() for line in lines])
    else:
        ax.set_xlabel("Epoch")
    return finish(fig, ax, fig_spec)


def final_values(agg: dict, metric: str) -> np.ndarray:
    """The metric after the last epoch, one value per seed (NaN for a diverged seed, and
    for every seed of a run whose seeds all stopped before their first monitored epoch)."""
    return floats([row[-1] if row else None for row in agg["metrics"][metric]["per_seed"]])


def spec_value(spec: dict, dotted: str):
    value = spec
    for key in dotted.split("."):
        value = value[key]
    return value


def sweep(fig_spec: dict, aggregates: dict, svm_results: list[dict],
          book: dict | None = None, recipe: dict | None = None) -> plt.Figure:
    """A final metric vs a run parameter (training size, rotation angle), seeds as a band."""
    fig, ax = plt.subplots()
    for series in fig_spec["series"]:
        aggs = [aggregates[r] for r in series["runs"]]
        xs = np.array([spec_value(a["spec"], series["x"]) for a in aggs], dtype=float)
        k = scale(series["metric"])
        ys = np.array([k * final_values(a, series["metric"]) for a in aggs])
        order = np.argsort(xs)
        line = band(ax, xs[order], ys.mean(axis=1)[order], ys.min(axis=1)[order],
                    ys.max(axis=1)[order], series["label"], ys.shape[1], series.get("changed"),
                    marker="o", markersize=3)
        for run, agg, x in zip(series["runs"], aggs, xs, strict=True):
            if seeds := [seed for seed, _ in diverged_seeds(agg)]:  # its point is missing
                diverged_mark(ax, x, line.get_color(),
                              f"{run}: {seeds_named(seeds)} diverged, no value")
    if svm_results:
        xs = [r["train_size"] for r in svm_results]
        ax.plot(xs, [100 * r["accuracy"] for r in svm_results], marker="s", markersize=3,
                label=fig_spec.get("svm_label", "SVM"))
    ax.set_xscale(fig_spec.get("xscale", "linear"))
    ax.set_xlabel(fig_spec["xlabel"])
    ax.set_ylabel(fig_spec["ylabel"])
    draw_marks(ax, fig_spec.get("marks"), book, recipe)
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


def training_image(data: dict, index: int) -> np.ndarray:
    """Training image `index`; one beyond the training set is the entry's error, named."""
    images = data["train"][0]
    if index >= len(images):
        raise UserError(f"--spec: index: {index} is beyond the {len(images):,} training "
                        f"images (0 to {len(images) - 1})")
    return images[index]


def image_axes(ax, pixels: np.ndarray) -> None:
    """An image of 28 x 28 pixels in [0, 1], dark on white, without ticks or grid."""
    ax.imshow(pixels.reshape(28, 28), cmap="Greys", vmin=0, vmax=1)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)


def digit(fig_spec: dict, data: dict) -> plt.Figure:
    """Training image `index`, rotated by `degrees` as the expansion of section 6 rotates."""
    from .augment import rotate_image

    pixels = rotate_image(training_image(data, fig_spec["index"]), fig_spec["degrees"])
    fig, ax = plt.subplots(figsize=(3.2, 3.4))
    image_axes(ax, pixels)
    ax.set_title(fig_spec["title"])
    fig.tight_layout()
    return fig


def digits(fig_spec: dict, data: dict) -> plt.Figure:
    """The first `count` training images side by side, each with its label below, as
    chapter 1 opens ("504192")."""
    x, y = data["train"]
    count = fig_spec["count"]
    fig, axes = plt.subplots(1, count, squeeze=False, figsize=(1.1 * count, 1.6))
    for ax, pixels, label in zip(axes[0], x[:count], y[:count], strict=True):
        image_axes(ax, pixels)
        ax.set_xlabel(f"label {label}", fontsize=9)
    fig.suptitle(fig_spec["title"], fontsize=11)
    fig.tight_layout()
    return fig


def elastic_digits(fig_spec: dict, data: dict) -> plt.Figure:
    """Training image `index` under elastic distortions (Simard 2003, fig. 2): a grid of
    `sigmas` (columns) by `alphas` (rows), each from the same uniform fields (a generator
    seeded with `seed` afresh per panel), so the panels differ by sigma and alpha alone."""
    from .distort import SIDE, elastic_fields, resample

    image = training_image(data, fig_spec["index"]).reshape(1, SIDE, SIDE).astype(np.float32)
    sigmas, alphas = fig_spec["sigmas"], fig_spec["alphas"]
    fig, axes = plt.subplots(len(alphas), len(sigmas) + 1, squeeze=False,  # one alpha too
                             figsize=(1.6 * (len(sigmas) + 1), 1.75 * len(alphas)))
    for row, alpha in enumerate(alphas):
        image_axes(axes[row, 0], image[0])
        axes[row, 0].set_title("original", fontsize=8)
        for col, sigma in enumerate(sigmas, start=1):
            dy, dx = elastic_fields(1, sigma, alpha, np.random.default_rng(fig_spec["seed"]))
            image_axes(axes[row, col], resample(image, dy, dx)[0])
            axes[row, col].set_title(f"sigma {sigma:g}, alpha {alpha:g}", fontsize=8)
    fig.suptitle(fig_spec["title"], fontsize=10)
    fig.tight_layout()
    return fig


def literature_curves(fig_spec: dict, records: list[dict]) -> plt.Figure:
    """Test error (%) per epoch of the literature runs (nndl3.literature) of `series`
    (`run`, `label`, `paper`: the paper's test error in %): each run's seeds as their mean
    and min-max band, the paper's error as a dashed line of the series' colour, and each
    seed's test error at its epoch best on validation (the papers' reading, the checked
    number) as a dot. A series without records is named in the legend as not run. The
    legend names each series once and the dashes and dots once for all, so that it stays
    small beside six series; an earlier series is drawn over a later one, so a run that
    continues another (simard_elastic_long) shows where it leaves it. The error axis is
    `ylim` unless a seed ends above it."""
    fig, ax = plt.subplots()
    palette = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    last, handles = [], []
    for i, series in enumerate(fig_spec["series"]):
        color = palette[i % len(palette)]
        mine = [r for r in records if r["run"] == series["run"]]
        label, paper, on_top = series["label"], series["paper"], 2.5 - 0.01 * i
        ax.axhline(paper, color=color, linestyle="--", linewidth=1,
                   label=f"{label}: paper {paper:g} %")
        if not mine:
            handles.append(ax.plot([], [], color=color, label=f"{label}: not run")[0])
            continue
        length = min(len(r["test_accuracy"]) for r in mine)
        error = 100 * (1 - np.array([r["test_accuracy"][:length] for r in mine]))
        handles.append(band(ax, np.arange(length), error.mean(axis=0), error.min(axis=0),
                            error.max(axis=0), label, len(mine), color=color, zorder=on_top))
        ax.plot([r["best_epoch"] for r in mine], [100 * (1 - r["test_at_best"]) for r in mine],
                linestyle="none", marker="o", markersize=4, color=color, zorder=on_top + 0.5,
                label=f"{label}: at best validation")
        last.extend(error[:, -1])
    handles += [plt.Line2D([], [], color=BOOK_COLOR, linestyle="--", linewidth=1,
                           label="the paper's error (dashed, in its series' colour)"),
                plt.Line2D([], [], color=BOOK_COLOR, linestyle="none", marker="o",
                           markersize=4, label="a seed at its best validation epoch")]
    ax.set_xlabel("Epoch")
    ax.set_ylabel("Test error (%)")
    limits = fig_spec.get("ylim")
    fig_spec = {k: v for k, v in fig_spec.items() if k != "ylim"}
    if limits and (not last or max(last) <= limits[1]):
        ax.set_ylim(*limits)
    return finish(fig, ax, fig_spec, handles)


def function(fig_spec: dict) -> plt.Figure:
    """One function (`function`) or several on one axes (`functions`), over FUNCTION_Z."""
    fig, ax = plt.subplots()
    z = np.linspace(*FUNCTION_Z, 400)  # an even count: no sample at z = 0, the step is vertical
    for name in drawn_functions(fig_spec):  # each a key of FUNCTIONS (figures.checked)
        f, label = FUNCTIONS[name]
        ax.plot(z, f(z), label=label)
    ax.set_xlabel("z")
    ax.set_ylabel(fig_spec["ylabel"])
    return finish(fig, ax, fig_spec)


def bar_values(bar: dict, aggregates: dict, svm_results: list[dict],
               baselines: dict) -> np.ndarray:
    """A bar's test accuracy (percent): per seed, the best epoch of a network run; one value
    for an SVM fit's score on a set or a baseline; or a fixed value (random guessing)."""
    if "run" in bar:
        agg = aggregates[bar["run"]]
        return 100 * np.array([np.nanmax(floats(r)) if any(v is not None for v in r)
                               else np.nan for r in agg["metrics"][BAR_METRIC]["per_seed"]])
    if "svm" in bar:
        result = next((r for r in svm_results if r["train_size"] == bar["svm"]), None)
        if result is None:
            raise UserError(f"--svm: the figure draws the SVM fit of {bar['svm']} images, "
                            "and none was given")
        return np.array([100 * result["scores"][bar["scores"]]["accuracy"]])
    if "baseline" in bar:
        return np.array([100 * baselines[bar["baseline"]]["accuracy"]])
    return np.array([float(bar["value"])])


def bars(fig_spec: dict, aggregates: dict, svm_results: list[dict],
         baselines: dict) -> plt.Figure:
    """Horizontal bars, one per entry of `bars` (`run`: a run's best epoch per seed; `svm:
    N, scores: test`; a `baseline` of results/baselines/; or a fixed `value`): the mean of
    our seeds with their min-max range, and the book's number (`book`) as a grey mark."""
    entries = fig_spec["bars"]
    fig, ax = plt.subplots(figsize=(8.4, 0.42 * len(entries) + 1.4))
    ys = np.arange(len(entries))[::-1]
    ranged = marked = False
    for y, bar in zip(ys, entries, strict=True):
        values = bar_values(bar, aggregates, svm_results, baselines)
        mean = float(values.mean())
        ax.barh(y, mean, color=f"C{0 if 'run' in bar else 1}", alpha=0.75)
        if len(values) > 1:
            ax.plot([values.min(), values.max()], [y, y], color="black", linewidth=1.4,
                    label=None if ranged else "min-max of the seeds")
            ranged = True
        if "book" in bar:
            ax.plot(bar["book"], y, marker="|", markersize=15, markeredgewidth=2.2,
                    color=BOOK_COLOR, label=None if marked else "book")
            marked = True
        seeds = f", mean of {len(values)}" if len(values) > 1 else ""
        book = f"  (book {bar['book']:g})" if "book" in bar else ""
        bad = diverged_seeds(aggregates[bar["run"]]) if "run" in bar else []
        lost = f"  ({seeds_named([seed for seed, _ in bad])} diverged)" if bad else ""
        ax.text(1.01, y, f"{mean:.2f}{seeds}{book}{lost}", va="center", fontsize=8,
                transform=ax.get_yaxis_transform(), clip_on=False)
    ax.set_yticks(ys, [changed_label(b["label"], b.get("changed")) for b in entries],
                  fontsize=8)
    ax.set_xlabel(fig_spec.get("xlabel", "Test accuracy (%)"))
    ax.set_xlim(*fig_spec.get("xlim", (0, 100)))
    ax.grid(axis="y", visible=False)
    return finish(fig, ax, fig_spec)


def finish(fig, ax, fig_spec, handles=None) -> plt.Figure:
    """Title, limits and legend (of every labelled artist, unless `handles` are given)."""
    ax.set_title(fig_spec["title"])
    if "ylim" in fig_spec:
        ax.set_ylim(*fig_spec["ylim"])
    if handles or (handles is None and ax.get_legend_handles_labels()[0]):
        ax.legend(handles=handles, loc=fig_spec.get("legend", "best"))
    fig.tight_layout()
    return fig


def widened(ax) -> None:
    """A fixed y range (a figure's `ylim`, chosen for the book's numbers) widened to show
    the lines and bands of changed runs (band's CHANGED_GID): their values may lie far
    outside it. What the book's settings drew keeps the range the figure chose."""
    ys = [np.asarray(ln.get_ydata(), dtype=float) for ln in ax.get_lines()
          if ln.get_gid() == CHANGED_GID]
    ys += [path.vertices[:, 1] for c in ax.collections if c.get_gid() == CHANGED_GID
           for path in c.get_paths()]
    ys = np.concatenate(ys) if ys else np.array([])
    ys = ys[np.isfinite(ys)]
    if not len(ys):
        return
    lo, hi = ys.min(), ys.max()
    bottom, top = ax.get_ylim()
    if lo < bottom or hi > top:
        pad = 0.03 * (max(hi, top) - min(lo, bottom))
        ax.set_ylim(min(bottom, lo - pad), max(top, hi + pad))


def changed_note(fig, change: str) -> None:
    """Say on the figure's face that a run it draws is not the book's setup (nndl3.changed):
    a red line above the plot, room made for it."""
    fig.text(0.01, 0.995, f"Changed from the book: {change}", ha="left", va="top",
             fontsize=7, color="C3", wrap=True)
    fig.tight_layout(rect=(0, 0, 1, 0.95))


def save(fig, path) -> None:
    with atomic.atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)


def styled(draw, *args):
    """Draw one figure under the project's style."""
    with plt.rc_context(STYLE):
        return draw(*args)


def replay(fig_spec: dict, replayed: dict, book: dict) -> plt.Figure:
    """A published run and its replay from the author's seed (nndl3.replay): one column per
    list (`replay: {file, key, lists}`), the two runs above, replay minus book below, so
    that "identical" is seen rather than read."""
    from .replay_check import laid_out_as_published

    laid_out_as_published(replayed, book)
    entry = fig_spec["replay"]
    file, key, names = entry["file"], entry.get("key"), entry["lists"]
    fig, axes = plt.subplots(2, len(names), sharex=True, squeeze=False, figsize=(9.6, 5.6),
                             gridspec_kw={"height_ratios": [3, 1.4]})
    for column, name in enumerate(names):
        published = book_runs.curve(book, file, key, name)
        ours = book_runs.curve(book_runs.Book({file: replayed[file]}, book.published), file,
                               key, name)
        ax, ax_diff = axes[0, column], axes[1, column]
        x, factor = published["epochs"], scale(name)
        ax.plot(x, factor * ours["values"], color="C0", linewidth=2.6, alpha=0.45,
                label="replay from the author's seed")
        book_line(ax, x, factor * published["values"], "C0", file)
        ax.set_ylabel(metric_label(name, entry.get("evaluation", "test")))
        diff = ours["values"] - published["values"]
        if name.endswith("accuracy"):  # back to counts of images
            size = (book_runs.EVALUATION_SIZE if name.startswith("evaluation")
                    else book.published.runs[(file, key)][1])
            diff = np.rint(diff * size)
            ax_diff.set_ylabel("replay - book\n(images)")
            ax_diff.set_ylim(min(-2, diff.min() - 1), max(2, diff.max() + 1))
        else:
            ax_diff.set_ylabel("replay - book")
        ax_diff.plot(x, diff, color="C3", linewidth=1.0)
        ax_diff.axhline(0, color=BOOK_COLOR, linewidth=0.6)
        ax_diff.set_xlabel("Epoch")
        ax.legend(loc="best")
    fig.suptitle(fig_spec["title"], fontsize=11)
    fig.tight_layout()
    return fig
