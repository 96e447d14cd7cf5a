"""Every figure family draws what its entry and its inputs say: the series (our seeds' mean),
the band (their min and max), the book's published run or points, the marks and the labels.
Drawn in process from small synthetic inputs, through the registry the plot command uses
(figures.draw: each role read by its reader); one test draws through the command line."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib import colors

from nndl3 import book_runs, figures
from nndl3.aggregate import aggregate
from nndl3.errors import UserError
from nndl3.readers import LAST_EPOCH

from .conftest import PUBLISHED

BOOK = Path(__file__).resolve().parents[1] / "book_runs"


def fake_record(run, seed, spec, epochs=5):
    rng = np.random.default_rng(seed)
    metrics = {m: list(rng.uniform(0.5, 1.0, epochs)) for m in spec["monitor"]}
    return {"run": run, "seed": seed, "spec": spec, "monitored_epochs": list(range(epochs)),
            "metrics": metrics, "seconds_per_epoch": [0.1] * epochs}


def write_aggregate(tmp_path, run, epochs=5, **spec):
    spec = {"monitor": ["training_accuracy", "evaluation_accuracy"], "evaluation": "test",
            "train_size": 1000, "rotation": {"max_degrees": 0, "copies": 0}, **spec,
            "epochs": epochs}
    path = tmp_path / f"{run}.json"
    path.write_text(json.dumps(aggregate([fake_record(run, s, spec, epochs)
                                          for s in (1, 2, 3)])))
    return path


def per_seed(path, metric) -> np.ndarray:
    """Percent, seeds by epochs, straight from the aggregate file."""
    return 100 * np.array(json.loads(Path(path).read_text())["metrics"][metric]["per_seed"])


def draw(spec, **inputs):
    """The figure as the plot command draws it, its inputs by role."""
    return figures.draw(spec, {role: [str(p) for p in inputs.get(role, ())]
                               for role in figures.ROLES}, PUBLISHED)


def line(ax, label):
    (found,) = [ln for ln in ax.get_lines() if ln.get_label() == label]
    return found


def band_at(ax, x, color=None) -> tuple[float, float]:
    """The shaded band's lowest and highest y at x (fill_between's polygon); the band of
    the line of `color` where several are drawn."""
    (band,) = [c for c in ax.collections if color is None
               or np.allclose(c.get_facecolor()[0][:3], colors.to_rgb(color))]
    vertices = band.get_paths()[0].vertices
    ys = vertices[np.isclose(vertices[:, 0], x), 1]
    return ys.min(), ys.max()


def published(file, key, name) -> np.ndarray:
    """A published list in percent (accuracies) as the file holds it."""
    lists = book_runs.run_lists({file: json.loads((BOOK / file).read_text())}, file, key)
    values = np.array(lists[book_runs.LISTS.index(name)], dtype=float)
    return 100 * values / book_runs.EVALUATION_SIZE if name.endswith("accuracy") else values


def assert_series(ax, label, path, metric, epochs):
    """Our series: the seeds' mean over `epochs`, and the band of their min and max."""
    seeds = per_seed(path, metric)[:, epochs]
    drawn = line(ax, f"{label} (mean of 3)")
    np.testing.assert_array_equal(drawn.get_xdata(), epochs)
    np.testing.assert_allclose(drawn.get_ydata(), seeds.mean(axis=0))
    for i, epoch in enumerate(epochs):
        np.testing.assert_allclose(band_at(ax, epoch, drawn.get_color()),
                                   (seeds[:, i].min(), seeds[:, i].max()))


def test_curves_draw_the_window_the_band_and_every_mark(tmp_path):
    path = write_aggregate(tmp_path, "a")
    fig = draw({"family": "curves", "title": "t", "epochs": [1, 3],
                "series": [{"run": "a", "metric": "evaluation_accuracy", "label": "x"}],
                "marks": [{"y": 80, "label": "book"}, {"x": 2, "label": "e"},
                          {"points": [[0, 70]], "label": "p"}]}, aggregates=[path])
    ax = fig.axes[0]
    assert_series(ax, "x", path, "evaluation_accuracy", [1, 2, 3])
    assert list(line(ax, "book").get_ydata()) == [80, 80]
    assert list(line(ax, "e").get_xdata()) == [2, 2]
    assert (list(line(ax, "p").get_xdata()), list(line(ax, "p").get_ydata())) == ([0], [70])
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == (
        "t", "Epoch", "Test accuracy (%)")
    assert ax.get_legend_handles_labels()[1] == ["x (mean of 3)", "book", "e", "p"]


def test_each_series_draws_the_published_run_of_its_own_run(tmp_path):
    """Two runs repeating two runs of one published file: each book line is its own."""
    paths = [write_aggregate(tmp_path, run, evaluation="validation")
             for run in ("init_30_large", "init_30_default")]
    fig = draw({"family": "curves", "title": "t", "series": [
        {"run": "init_30_large", "metric": "evaluation_accuracy", "label": "old", "book": True},
        {"run": "init_30_default", "metric": "evaluation_accuracy", "label": "new",
         "book": True}]}, aggregates=paths, book=[BOOK / "weight_initialization_30.json"])
    ax = fig.axes[0]
    for label, path, key in (("old", paths[0], "large_weight_initialization"),
                             ("new", paths[1], "default_weight_initialization")):
        assert_series(ax, label, path, "evaluation_accuracy", [0, 1, 2, 3, 4])
        book = line(ax, f"book, {label}: its single published run")
        np.testing.assert_array_equal(book.get_xdata(), range(5))  # to our last epoch
        np.testing.assert_allclose(book.get_ydata(), published(
            "weight_initialization_30.json", key, "evaluation_accuracy")[:5])
    assert ax.get_ylabel() == "Validation accuracy (%)"


def test_the_book_line_is_the_series_metric(tmp_path):
    path = write_aggregate(tmp_path, "overfit_1k")
    fig = draw({"family": "curves", "title": "t", "series": [
        {"run": "overfit_1k", "metric": "training_accuracy", "label": "train", "book": True}]},
        aggregates=[path], book=[BOOK / "overfitting.json"])
    book = line(fig.axes[0], "book, train: its single published run")
    raw = json.loads((BOOK / "overfitting.json").read_text())
    expected = 100 * np.array(raw[book_runs.LISTS.index("training_accuracy")][:5]) / 1000
    np.testing.assert_allclose(book.get_ydata(), expected)  # of the 1,000 training images


def test_a_seed_that_stops_early_is_marked_and_the_eta_panel_drawn(tmp_path):
    """Seed 2 stops after epoch 2: a dotted line there says how many seeds go on, the mean
    after it is over the two left, and the panel below draws each seed's eta."""
    spec = {"monitor": ["evaluation_accuracy"], "evaluation": "validation", "eta": 0.5}
    records = [fake_record("a", s, spec) for s in (1, 2, 3)]
    records[1]["metrics"]["evaluation_accuracy"] = records[1]["metrics"][
        "evaluation_accuracy"][:3]
    records[1]["monitored_epochs"] = [0, 1, 2]
    for r, stop, etas in zip(records, (4, 2, 4), ([0.5] * 5, [0.5, 0.5, 0.25], [0.5] * 5),
                             strict=True):
        r.update(stopped_at_epoch=stop, eta_per_epoch=etas,
                 stop_reason=LAST_EPOCH if stop == 4 else "no improvement in 1")
    path = tmp_path / "a.json"
    path.write_text(json.dumps(aggregate(records)))
    fig = draw({"family": "curves", "title": "t", "eta_panel": True, "series": [
        {"run": "a", "metric": "evaluation_accuracy", "label": "x"}]}, aggregates=[path])
    ax, ax_eta = fig.axes
    stop = line(ax, "seeds stop: epoch 2")
    assert list(stop.get_xdata()) == [2, 2] and stop.get_linestyle() == ":"
    assert [t.get_text() for t in ax.texts] == [" 2 left"]
    kept = 100 * np.array([records[i]["metrics"]["evaluation_accuracy"] for i in (0, 2)])
    np.testing.assert_allclose(line(ax, "x (mean of 3)").get_ydata()[3:],
                               kept.mean(axis=0)[3:])
    drawn = [tuple(y[np.isfinite(y)]) for y in (ln.get_ydata() for ln in ax_eta.get_lines())]
    assert sorted(drawn) == sorted(tuple(r["eta_per_epoch"]) for r in records)
    assert (ax_eta.get_ylabel(), ax_eta.get_xlabel()) == ("eta", "Epoch")


def test_a_run_shorter_than_the_figures_window_draws_no_book_line(tmp_path, capsys):
    """A user's shortened run (5 epochs here) against a figure of epochs 200-399: no curve,
    and the figure and stderr say why."""
    path = write_aggregate(tmp_path, "overfit_1k")
    fig = draw({"family": "curves", "title": "t", "epochs": [200, 399], "series": [
        {"run": "overfit_1k", "metric": "evaluation_accuracy", "label": "test", "book": True}]},
        aggregates=[path], book=[BOOK / "overfitting.json"])
    ax = fig.axes[0]
    assert len(line(ax, "test (mean of 3)").get_xdata()) == 0
    assert ax.get_legend_handles_labels()[1] == ["test (mean of 3)"]
    note = "no epoch in the window [200, 399]: overfit_1k (epochs 0-4)"
    assert [t.get_text() for t in ax.texts] == [note]
    assert capsys.readouterr().err == f"warning: {note}\n"


def test_a_window_that_ends_before_it_begins_or_too_many_digits_are_refused():
    curves = {"family": "curves", "title": "t", "epochs": [20, 10], "series": [
        {"run": "r", "metric": "evaluation_accuracy", "label": "x"}]}
    with pytest.raises(UserError, match=r"^f: epochs: \[20, 10\]: the last epoch is before"):
        figures.checked(curves, "f")
    figures.checked({**curves, "epochs": [10, None]}, "f")
    with pytest.raises(UserError, match=r"^f: ylim: \[90, 50\]: the upper limit is not above"):
        figures.checked({**curves, "epochs": [10, 20], "ylim": [90, 50]}, "f")
    bars = {"family": "bars", "title": "t", "bars": [{"label": "x", "value": 10}]}
    with pytest.raises(UserError, match=r"^f: xlim: \[50, 50\]: the upper limit is not above"):
        figures.checked({**bars, "xlim": [50, 50]}, "f")
    with pytest.raises(UserError, match="count: 100000 is greater than the maximum of 100"):
        figures.checked({"family": "digits", "title": "t", "count": 100000}, "f")


def final(path, metric="evaluation_accuracy") -> np.ndarray:
    return per_seed(path, metric)[:, -1]


def test_sweep_draws_the_final_values_and_the_books_points(tmp_path):
    paths = [write_aggregate(tmp_path, f"s{n}", train_size=n) for n in (1000, 100)]
    fig = draw({"family": "sweep", "title": "t", "xlabel": "N", "ylabel": "acc",
                "series": [{"runs": ["s1000", "s100"], "x": "train_size",
                            "metric": "evaluation_accuracy", "label": "net"}],
                "marks": [{"book": "more_data.json", "label": "book"}]},
               aggregates=paths, book=[BOOK / "more_data.json"])
    ax = fig.axes[0]
    small, large = final(paths[1]), final(paths[0])
    net = line(ax, "net (mean of 3)")
    assert list(net.get_xdata()) == [100, 1000]  # sorted by the swept value
    np.testing.assert_allclose(net.get_ydata(), [small.mean(), large.mean()])
    np.testing.assert_allclose(band_at(ax, 100), (small.min(), small.max()))
    np.testing.assert_allclose(band_at(ax, 1000), (large.min(), large.max()))
    book = line(ax, "book")
    assert list(book.get_xdata()) == list(book_runs.SIZES)
    assert list(book.get_ydata()) == json.loads((BOOK / "more_data.json").read_text())
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("t", "N", "acc")


def test_sweep_draws_each_svm_fit(tmp_path):
    paths = [write_aggregate(tmp_path, f"s{n}", train_size=n) for n in (100, 1000)]
    svm = []
    for n, accuracy in ((1000, 0.8), (100, 0.3)):
        svm.append(tmp_path / f"svm{n}.json")
        svm[-1].write_text(json.dumps({"schema": "nndl3.svm/1", "train_size": n,
                                       "accuracy": accuracy}))
    fig = draw({"family": "sweep", "title": "t", "xlabel": "N", "ylabel": "acc",
                "xscale": "log", "svm": True, "series": [
                    {"runs": ["s100", "s1000"], "x": "train_size",
                     "metric": "evaluation_accuracy", "label": "net"}]},
               aggregates=paths, svm=svm)
    ax = fig.axes[0]
    assert (list(line(ax, "SVM").get_xdata()), list(line(ax, "SVM").get_ydata())) == (
        [100, 1000], [30, 80])
    assert ax.get_xscale() == "log"


def test_sweep_over_rotation_angle(tmp_path):
    paths = [write_aggregate(tmp_path, f"r{a}", rotation={"max_degrees": a, "copies": 1})
             for a in (90, 0)]
    fig = draw({"family": "sweep", "title": "t", "xlabel": "deg", "ylabel": "acc",
                "series": [{"runs": ["r90", "r0"], "x": "rotation.max_degrees",
                            "metric": "evaluation_accuracy", "label": "net"}]},
               aggregates=paths)
    net = line(fig.axes[0], "net (mean of 3)")
    assert list(net.get_xdata()) == [0, 90]
    np.testing.assert_allclose(net.get_ydata(), [final(paths[1]).mean(), final(paths[0]).mean()])


@pytest.mark.parametrize("name,at_one", [("sigmoid", 1 / (1 + np.exp(-1))),
                                         ("tanh", np.tanh(1)), ("relu", 1.0)])
def test_a_function_is_drawn_over_minus_5_to_5(name, at_one):
    fig = draw({"family": "function", "function": name, "title": "t", "ylabel": "y"})
    (drawn,) = fig.axes[0].get_lines()
    z, y = drawn.get_xdata(), drawn.get_ydata()
    assert (z[0], z[-1]) == (-5, 5)
    assert np.interp(1.0, z, y) == pytest.approx(at_one, abs=1e-3)
    assert (fig.axes[0].get_title(), fig.axes[0].get_ylabel()) == ("t", "y")


def test_neuron_draws_its_cost_per_epoch(tmp_path):
    result = tmp_path / "n.json"
    subprocess.run([sys.executable, "-m", "nndl3", "neuron", "--w", "2", "--b", "2", "--cost",
                    "quadratic", "--eta", "0.15", "--epochs", "300", "--out", str(result)],
                   check=True,
                   capture_output=True)
    fig = draw({"family": "neuron", "title": "t", "neuron": "n"}, neuron=[result])
    ax = fig.axes[0]
    cost = json.loads(result.read_text())["cost"]
    np.testing.assert_array_equal(line(ax, "quadratic cost").get_ydata(), cost)
    assert "output 0.98 -> " in ax.texts[0].get_text()  # w = b = 2: sigmoid(4)
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("t", "Epoch", "Cost")


def test_digit_draws_the_indexed_image_rotated(tmp_path):
    from nndl3.augment import rotate_image

    data = tmp_path / "mnist.npz"
    pixels = np.zeros((2, 784), np.uint8)
    pixels[1, 300:320] = 255
    np.savez(data, train_x=pixels, train_y=np.array([0, 5]))
    fig = draw({"family": "digit", "title": "t", "index": 1, "degrees": 15}, data=[data])
    (image,) = fig.axes[0].get_images()
    np.testing.assert_allclose(image.get_array(),
                               rotate_image(pixels[1] / 255.0, 15).reshape(28, 28), atol=1e-6)
    assert fig.axes[0].get_title() == "t"


def test_the_first_digits_with_their_labels(tmp_path):
    data = tmp_path / "mnist.npz"
    pixels = np.arange(7)[:, None] * np.ones((7, 784), np.uint8)
    np.savez(data, train_x=pixels, train_y=np.arange(7)[::-1])
    fig = draw({"family": "digits", "title": "t", "count": 6}, data=[data])
    assert [ax.get_xlabel() for ax in fig.axes] == [f"label {d}" for d in (6, 5, 4, 3, 2, 1)]
    assert [ax.get_images()[0].get_array()[0, 0] * 255 for ax in fig.axes] == pytest.approx(
        range(6))
    one = draw({"family": "digits", "title": "t", "count": 1}, data=[data])  # one Axes, no list
    assert [ax.get_xlabel() for ax in one.axes] == ["label 6"]


def test_bars_of_baselines_and_networks_with_the_books_numbers(tmp_path):
    path = write_aggregate(tmp_path, "net")
    svm, dark = tmp_path / "svm.json", tmp_path / "darkness.json"
    svm.write_text(json.dumps({"schema": "nndl3.svm/1", "train_size": 100, "accuracy": 0.3,
                               "scores": {"test": {"correct": 29, "of": 100,
                                                   "accuracy": 0.29}}}))
    dark.write_text(json.dumps({"schema": "nndl3.baseline/1", "classifier": "darkness",
                                "evaluation": "test", "correct": 22, "of": 100,
                                "accuracy": 0.22}))
    bars = [{"label": "random", "value": 10, "book": 10},
            {"label": "darkness", "baseline": "darkness", "book": 22.25},
            {"label": "svm", "svm": 100, "scores": "test"},
            {"label": "net", "run": "net", "book": 95}]
    fig = draw({"family": "bars", "title": "t", "bars": bars},
               aggregates=[path], svm=[svm], baselines=[dark])
    ax = fig.axes[0]
    best = per_seed(path, "evaluation_accuracy").max(axis=1)
    assert [t.get_text() for t in ax.get_yticklabels()] == [b["label"] for b in bars]
    np.testing.assert_allclose([p.get_width() for p in ax.patches], [10, 22, 29, best.mean()])
    book = [ln.get_xdata()[0] for ln in ax.get_lines() if ln.get_marker() == "|"]
    assert book == [10, 22.25, 95]
    assert list(line(ax, "min-max of the seeds").get_xdata()) == [best.min(), best.max()]
    # the legend names the book's marks once, whichever bar is the first to have one
    first_unmarked = draw({"family": "bars", "title": "t", "bars": bars[2:]},
                          aggregates=[path], svm=[svm], baselines=[dark])
    assert [t.get_text() for t in first_unmarked.axes[0].get_legend().get_texts()].count(
        "book") == 1
    with pytest.raises(UserError, match="the SVM fit of 200 images, and none was given"):
        draw({"family": "bars", "title": "t", "bars": [{**bars[2], "svm": 200}]},
             aggregates=[path], svm=[svm], baselines=[dark])


def test_the_plot_command_writes_the_png(tmp_path):
    path = write_aggregate(tmp_path, "a")
    out = tmp_path / "figure.png"
    spec = {"family": "curves", "title": "t",
            "series": [{"run": "a", "metric": "evaluation_accuracy", "label": "x"}]}
    proc = subprocess.run([sys.executable, "-m", "nndl3", "plot", "--spec", json.dumps(spec),
                           "--aggregates", str(path), "--out", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


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
    assert "not an SVM result: it is an aggregate (schema" in plot_error(
        tmp_path, {"family": "sweep", "title": "t", "xlabel": "N", "ylabel": "a", "series": []},
        "--svm", aggregate)
    assert "--neuron: a neuron figure takes exactly one file, not 0" in plot_error(
        tmp_path, {"family": "neuron", "title": "t", "neuron": "n"})
    assert "--spec: family: unknown figure family 'pie'" in plot_error(
        tmp_path, {"family": "pie", "title": "t"})
    # a key of the wrong type is named, not left to fail inside the drawing
    assert "error: --spec: series: 'oops' is not of type 'array'" in plot_error(
        tmp_path, {**curves, "series": "oops"}, "--aggregates", aggregate)


def test_a_series_drawn_with_the_book_needs_its_published_run(tmp_path):
    path = write_aggregate(tmp_path, "overfit_1k")
    spec = {"family": "curves", "title": "t", "series": [
        {"run": "overfit_1k", "metric": "evaluation_accuracy", "label": "x", "book": True}]}
    with pytest.raises(UserError, match="series overfit_1k has book: true, and no file"):
        draw(spec, aggregates=[path])
    with pytest.raises(UserError, match=r"draws overfitting.json \(its published run\), "
                                        "which is not among"):
        draw(spec, aggregates=[path], book=[BOOK / "regularized.json"])


def test_an_unknown_function_or_an_image_beyond_the_training_set_is_named(tmp_path):
    with pytest.raises(UserError, match=r"^--spec: function: 'sigmoidd' is not one of step, "
                                        r"sigmoid, tanh, relu$"):
        draw({"family": "function", "function": "sigmoidd", "title": "t", "ylabel": "y"})
    data = tmp_path / "mnist.npz"
    np.savez(data, train_x=np.zeros((2, 784), np.uint8), train_y=np.array([0, 5]))
    for family, keys in (("digit", {"degrees": 15}),
                         ("elastic_digits", {"seed": 1, "sigmas": [4.0], "alphas": [34.0]})):
        with pytest.raises(UserError, match=r"^--spec: index: 2 is beyond the 2 training "
                                            r"images \(0 to 1\)$"):
            draw({"family": family, "title": "t", "index": 2, **keys}, data=[data])


def test_a_run_s_aggregate_given_twice_is_named_not_one_dropped(tmp_path):
    from nndl3 import figures, readers
    doc = {"schema": readers.AGGREGATE_SCHEMA, "run": "r", "seeds": [1],
           "monitored_epochs": [0], "metrics": {"evaluation_accuracy": {
               "per_seed": [[0.5]], "mean": [0.5], "sd": [None], "min": [0.5], "max": [0.5]}}}
    paths = [tmp_path / "a.json", tmp_path / "b.json"]
    for path in paths:
        path.write_text(json.dumps(doc))
    with pytest.raises(UserError, match=r"b.json: a second aggregate of run 'r'"):
        figures.ROLES["aggregates"].read(paths)


def test_a_users_matplotlibrc_does_not_reach_the_figures(tmp_path):
    """matplotlib reads ./matplotlibrc (and ~/.config's) at import; no rule tracks those
    files, so the figures draw on matplotlib's defaults under the project's style."""
    (tmp_path / "matplotlibrc").write_text("lines.linewidth: 5\nfont.size: 20\n")
    probe = ("import matplotlib; user = matplotlib.rcParams['font.size']; "
             "import nndl3.plotting; print(user, matplotlib.rcParams['font.size'], "
             "matplotlib.rcParams['lines.linewidth'])")
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == ["20.0", "10.0", "1.5"]  # the file was read, and undone


def test_matplotlibs_font_cache_is_kept_apart_from_other_environments(tmp_path):
    """~/.cache/matplotlib is shared by every environment of a matplotlib version, and a
    font list rebuilt there while another's install was removed changed the figures' text:
    the package puts it under the current directory, one folder per matplotlib install,
    unless MPLCONFIGDIR is set."""
    import os

    probe = "import nndl3, matplotlib; print(matplotlib.get_cachedir())"
    env = {k: v for k, v in os.environ.items() if k != "MPLCONFIGDIR"}
    ours = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env,
                          capture_output=True, text=True, check=True).stdout.strip()
    assert Path(ours).parent == tmp_path / ".cache" / "matplotlib"
    mine = tmp_path / "mine"
    given = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path,
                           env={**env, "MPLCONFIGDIR": str(mine)}, capture_output=True,
                           text=True, check=True).stdout.strip()
    assert given == str(mine)
