"""The book's recipe as a sampler (nndl3.recipe): derived from our run's spec, network.py's
and network2's draws, network.py's update, the records it writes, and the recipe
calibration's rows."""

import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from nndl3 import (
    aggregate,
    book_runs,
    calibration,
    check,
    mnist,
    paths,
    readers,
    recipe,
    recipe_plan,
    recipe_spec,
    records,
    replay_check,
    runspec,
    workflow_config,
)
from nndl3 import replay_random as rnd
from nndl3.errors import UserError
from nndl3.replay_network import BookNetwork

from .conftest import synthetic_digits
from .test_replay import published, synthetic_data

ROOT = Path(__file__).resolve().parents[1]


# what check.load_expected requires of an expected-values file beside its rows
GATE_KEYS = {"rule": "r", "gate": {"family_false_failure": 0.01, "detectable_power": 0.8}}


def images():
    return synthetic_data(pixels=784)


def config() -> dict:
    return yaml.safe_load((ROOT / "config" / "config.yaml").read_text())


def tiny(**over) -> dict:
    """A run spec for images() (784 pixels, 60 training images, 40 to evaluate)."""
    spec = {"sizes": [784, 6, 10], "cost": "cross-entropy", "init": "large", "eta": 0.5,
            "lmbda": 0.1, "regularization": "l2", "dropout": 0.0, "epochs": 4,
            "mini_batch": 10, "train_size": 60, "evaluation": "validation",
            "monitor": ["training_cost", "evaluation_accuracy"], "dtype": "float32",
            "engine": "auto", "seeds": [1]}
    return runspec.validate({**spec, **over}, "test spec")


@pytest.mark.parametrize("run", ["quad_30", "l2_full", "init_30_default", "size_100",
                                 "eta_25", "overfit_1k"])
def test_a_recipe_is_its_runs_spec(run):
    spec = workflow_config.run_spec(config(), run)
    got = recipe.of(spec)
    for key in ("sizes", "cost", "eta", "lmbda", "epochs", "mini_batch", "train_size",
                "evaluation", "monitor", "monitor_every"):
        assert got[key] == spec[key], key
    chapter1 = spec["cost"] == "quadratic"
    assert got["program"] == ("network.py" if chapter1 else "network2.py")
    assert got["draws"] == (["large"] if chapter1 else
                            ["default", "large"] if spec["init"] == "large" else ["default"])


@pytest.mark.parametrize("change,what", [
    ({"eta": 0.1}, ("eta", 0.1)), ({"init": "default"}, ("draws", ["default"])),
    ({"cost": "quadratic", "lmbda": 0.0, "evaluation": "test",
      "monitor": ["evaluation_accuracy"]}, ("program", "network.py")),
    ({"lmbda": 2.0}, ("lmbda", 2.0))])
def test_a_changed_spec_changes_its_recipe(change, what):
    key, value = what
    assert recipe.of(tiny(**change))[key] == value != recipe.of(tiny())[key]


@pytest.mark.parametrize("change,reason", [
    ({"momentum": 0.5}, "momentum 0.5"), ({"dropout": 0.5}, "dropout 0.5"),
    ({"regularization": "l1"}, "regularization l1"),
    ({"early_stopping": 10, "evaluation": "validation"}, "early_stopping 10"),
    ({"hidden": "tanh"}, "hidden tanh"),
    ({"rotation": {"max_degrees": 15, "copies": 1}}, "rotated copies"),
    ({"cost": "quadratic"}, "network.py has no regularization"),
    ({"cost": "quadratic", "lmbda": 0.0, "init": "default"}, "network.py draws N"),
    ({"sizes": [784, 10]}, "one hidden layer")])
def test_a_technique_the_author_lacks_has_no_recipe(change, reason):
    spec = tiny(**change)
    assert reason in recipe_spec.missing(spec)
    with pytest.raises(UserError, match=f"run x: no recipe .*{reason}"):
        recipe.of(spec, "run x")


def runs_the_check_reads(cfg: dict, expected: dict) -> set[str]:
    """The runs a row of expected.yaml or a published curve (config `published:`) names,
    found from the files themselves (not through recipe_plan's or calibration's code)."""
    runs, named = set(cfg["runs"]), set()
    for row in expected["quantities"]:
        named |= set(check.runs_of(row["source"]))
    todo = list(cfg["published"]["runs"].values())
    while todo:
        value = todo.pop()
        if isinstance(value, str):
            named.add(value)
        else:
            todo += value.values() if isinstance(value, dict) else value
    for pattern in cfg["published"]["sweeps"].values():  # size_{n}: every run of the sweep
        named |= {r for r in runs if re.fullmatch(pattern.replace("{n}", r"\d+"), r)}
    return named & runs


def test_every_run_the_check_reads_says_its_recipe_or_why_none():
    cfg = config()
    expected = check.load_expected(ROOT / "config" / "expected.yaml")
    got = recipe_plan.read_recipes(cfg, expected)
    read = runs_the_check_reads(cfg, expected)
    assert 0 < len(read) < len(cfg["runs"])  # the selection selects
    assert set(got) == read
    assert all(isinstance(v, dict) or v.startswith("none (") for v in got.values())
    assert got["quad_30"]["program"] == "network.py" and got["l2_full"]["program"] == \
        "network2.py"
    assert got["hp_early"].startswith("none (early_stopping")
    assert got["softmax_30"].startswith("none (output softmax")


def test_network_py_draws_biases_then_weights_from_n01_first():
    """network.py's Network.__init__: randn(y, 1) per layer, then randn(y, x), nothing before."""
    net = recipe.network(recipe.of(tiny(cost="quadratic", lmbda=0.0, evaluation="test",
                                        monitor=["evaluation_accuracy"])),
                         rnd.numpy_stream(9), "numpy")
    flat = np.random.RandomState(9).randn(6 + 10 + 784 * 6 + 6 * 10)
    b1, b2, w1, w2 = np.split(flat, np.cumsum([6, 10, 784 * 6]))
    assert np.array_equal(net.biases[0], b1) and np.array_equal(net.biases[1], b2)
    assert np.array_equal(net.weights[0], w1.reshape(6, 784))
    assert np.array_equal(net.weights[1], w2.reshape(10, 6))
    assert net.cost == "quadratic"


def test_network2_large_init_comes_after_the_default_draws():
    net = recipe.network(recipe.of(tiny()), rnd.numpy_stream(9), "numpy")
    stream = rnd.numpy_stream(9)
    rnd.default_draws(stream, [784, 6, 10])
    weights, biases = rnd.large_draws(stream, [784, 6, 10])
    assert all(np.array_equal(a, b) for a, b in zip(net.weights, weights, strict=True))
    assert np.array_equal(net.biases[0], biases[0].ravel())


def network_py_step(weights, biases, batch, eta):
    """network.py's update_mini_batch, line for line (columns are examples)."""
    nabla_w = [np.zeros(w.shape) for w in weights]
    nabla_b = [np.zeros(b.shape) for b in biases]
    for x, y in batch:
        acts, zs = [x], []
        for w, b in zip(weights, biases, strict=True):
            zs.append(np.dot(w, acts[-1]) + b)
            acts.append(1.0 / (1.0 + np.exp(-zs[-1])))
        s = acts[-1]
        delta = (acts[-1] - y) * (s * (1 - s))
        grads = [(delta, np.dot(delta, acts[-2].T))]
        s = acts[-2]
        delta = np.dot(weights[-1].T, delta) * (s * (1 - s))
        grads.append((delta, np.dot(delta, acts[-3].T)))
        for layer, (gb, gw) in enumerate(reversed(grads)):
            nabla_b[layer] = nabla_b[layer] + gb
            nabla_w[layer] = nabla_w[layer] + gw
    m = len(batch)
    return ([w - (eta / m) * nw for w, nw in zip(weights, nabla_w, strict=True)],
            [b - (eta / m) * nb for b, nb in zip(biases, nabla_b, strict=True)])


def test_the_quadratic_update_is_network_pys():
    weights, biases = rnd.large_draws(rnd.numpy_stream(2), [8, 5, 3])
    rng = np.random.default_rng(2)
    x, labels = rng.integers(0, 256, (10, 8)) / 256, rng.integers(0, 3, 10)
    y = np.eye(3)[labels]
    net = BookNetwork(weights, biases, cost="quadratic")
    net.update(x, y, 3.0, 0.0, 50000)
    ref_w, ref_b = network_py_step(weights, biases, [(xi[:, None], yi[:, None])
                                                     for xi, yi in zip(x, y, strict=True)], 3.0)
    for ours, ref in zip(net.weights + net.biases, ref_w + [b.ravel() for b in ref_b],
                         strict=True):
        assert np.allclose(ours, ref, rtol=1e-13, atol=1e-15)
    cross = BookNetwork(weights, biases)  # the cross-entropy delta would move them otherwise
    cross.update(x, y, 3.0, 0.0, 50000)
    assert not np.allclose(cross.weights[1], net.weights[1])


def learnable_images() -> dict:
    """images()' sizes, with labels the pixels carry (conftest.synthetic_digits): the
    engines' accuracies then move with what they learn, not with chance."""
    x, labels = synthetic_digits(140, seed=4)
    return {"train": (x[:60], labels[:60]), "validation": (x[60:100], labels[60:100]),
            "test": (x[100:], labels[100:])}


ALL_METRICS = ["training_cost", "training_accuracy", "evaluation_cost", "evaluation_accuracy"]


@pytest.mark.parametrize("over", [{"monitor": ALL_METRICS},  # network.py monitors the
                                  {"cost": "quadratic", "lmbda": 0.0,  # test accuracy alone
                                   "evaluation": "test", "monitor": ["evaluation_accuracy"],
                                   "eta": 3.0, "epochs": 8}])  # chapter 1's rate
def test_engines_agree_and_a_seed_gives_one_record(over):
    """Every metric: the accuracies equal, the costs to rounding (the engines differ in
    their order of sums only), on data they learn: an engine that trained another cost or
    update would differ."""
    spec, data = tiny(**over), learnable_images()
    compiled = recipe.train("t", spec, 5, data, "compiled", log=None)
    numpy = recipe.train("t", spec, 5, data, "numpy", log=None)
    assert sorted(compiled["metrics"]) == sorted(over["monitor"])
    for name in over["monitor"]:
        if name.endswith("accuracy"):
            assert compiled["metrics"][name] == numpy["metrics"][name], name
        else:
            np.testing.assert_allclose(compiled["metrics"][name], numpy["metrics"][name],
                                       rtol=1e-12, err_msg=name)
    learnt = compiled["metrics"]["evaluation_accuracy"]
    assert learnt[-1] > learnt[0]  # it learns: the accuracies compared carry the updates
    assert compiled["metrics"] == recipe.train("t", spec, 5, data, "compiled",
                                               log=None)["metrics"]
    assert compiled["metrics"] != recipe.train("t", spec, 6, data, "compiled",
                                               log=None)["metrics"]


def test_a_recipe_record_is_a_run_record_that_aggregates(tmp_path):
    spec, data = tiny(epochs=6, monitor_every=3), images()
    made = [recipe.train("t", spec, seed, data, "compiled", log=None) for seed in (1, 2)]
    paths = records.write_all(made, tmp_path)
    read = [records.read(p) for p in paths]
    assert read[0]["monitored_epochs"] == [2, 5] and read[0]["recipe"]["program"] == \
        "network2.py"
    counts = np.array(read[0]["metrics"]["evaluation_accuracy"]) * 40
    assert np.array_equal(counts, np.round(counts))  # a count of the 40 images, as a fraction
    agg = aggregate.aggregate(read)
    assert agg["seeds"] == [1, 2] and agg["run"] == "t"
    assert len(agg["metrics"]["training_cost"]["per_seed"][1]) == 2


@pytest.mark.realdata
def test_overfit_1ks_recipe_from_the_authors_seed_is_his_published_run(real_data):
    """overfit_1k's recipe with seed 12345678 is fig/overfitting.py: the published counts."""
    epochs = 3
    spec = {**workflow_config.run_spec(config(), "overfit_1k"), "epochs": epochs}
    data = mnist.load(real_data, np.float64, ("train", "test"), 1000, mnist.BOOK_PIXEL_DIVISOR)
    got = recipe.train("overfit_1k", runspec.validate(spec, "t"), rnd.SEED, data, "compiled",
                       log=None)
    book = published("overfitting.json")  # evaluation cost, accuracy, training cost, accuracy
    assert [round(a * 10000) for a in got["metrics"]["evaluation_accuracy"]] == book[1][:epochs]
    assert [round(a * 1000) for a in got["metrics"]["training_accuracy"]] == book[3][:epochs]
    assert np.max(np.abs(np.subtract(got["metrics"]["evaluation_cost"], book[0][:epochs]))) \
        <= replay_check.COST_TOLERANCE


ROW = {"id": "r", "section": 2, "quantity": "q", "book": 95.0, "calibration_seeds": [101, 120],
       "source": {"run": "xent", "metric": "evaluation_accuracy", "reduce": "best"}}


def test_the_recipe_calibration_measures_rows_whose_runs_have_a_recipe_over_its_seeds():
    rows = [ROW, {**ROW, "id": "s", "source": {**ROW["source"], "run": "softmax"}},
            {"id": "svm", "source": {"svm": 100}}]
    got = calibration.recipe_rows({"quantities": rows}, {"xent": {}})
    assert [r["id"] for r in got["quantities"]] == ["r", "svm"]
    assert "calibration_seeds" not in got["quantities"][0]


def cli(*args):
    return subprocess.run([sys.executable, "-m", "nndl3", *args], capture_output=True,
                          text=True, cwd=ROOT)


def test_a_run_without_a_recipe_is_refused_in_one_line(tmp_path):
    spec = json.dumps({**tiny(), "momentum": 0.5})
    out = cli("recipe", "--spec", spec, "--run", "m", "--data", str(tmp_path / "none.npz"),
              "--out-dir", str(tmp_path))
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert out.stderr.strip() == ("error: run m: no recipe (momentum 0.5: not in the "
                                  "author's code)")


def band(n_epochs, low, n=20):
    return {"n": n, "epochs": list(range(n_epochs)), "mean": [low + 1.0] * n_epochs,
            "min": [low] * n_epochs, "max": [low + 2.0] * n_epochs}


def test_a_figure_of_a_published_run_draws_the_band_of_that_runs_recipe(tmp_path):
    """The hatched band is the recipe of the series' own run and metric, between its min
    and max, labelled with its seeds; another curve's band is not drawn."""
    from matplotlib.collections import PolyCollection

    from nndl3 import plotting

    from .conftest import read_book
    from .test_plotting import write_aggregate

    agg = records.read_aggregate(write_aggregate(tmp_path, "l2_full"))
    recipe_bands = {"l2_full.evaluation_accuracy": band(30, 90.0),
                    "l2_full.training_accuracy": band(30, 50.0),
                    "xent_30.evaluation_accuracy": band(30, 10.0)}
    fig = plotting.curves({"family": "curves", "title": "t", "series": [
        {"run": "l2_full", "metric": "evaluation_accuracy", "label": "test", "book": True}]},
        {"l2_full": agg}, read_book(), recipe_bands)
    ax = fig.axes[0]
    hatched = [c for c in ax.collections if isinstance(c, PolyCollection) and c.get_hatch()]
    (drawn,) = hatched
    assert drawn.get_label() == "book's recipe, test: 20 seeds (min-max)"
    ys = drawn.get_paths()[0].vertices[:, 1]
    assert ys.min() == 90.0 and ys.max() == 92.0
    xs = drawn.get_paths()[0].vertices[:, 0]
    assert xs.max() == 4  # the window of our 5-epoch run, not the band's 30 epochs
    plain = plotting.curves({"family": "curves", "title": "t", "series": [
        {"run": "l2_full", "metric": "evaluation_accuracy", "label": "test", "book": True}]},
        {"l2_full": agg}, read_book(), {})
    assert not [c for c in plain.axes[0].collections if c.get_hatch()]


def test_the_curves_family_takes_the_recipe_bands_only_beside_a_book_run():
    from nndl3 import figures

    assert "recipe" in figures.FAMILIES["curves"].roles
    assert figures.recipe_files({"series": [{"run": "a"}]}, {}) == []


def test_the_installed_recipe_covers_every_row_and_published_curve_of_a_recipe_run():
    """config/recipe.yaml and recipe_curves.json (`snakemake install_recipe`): every seeded
    row whose runs all have a recipe, over recipe_seeds, and every published curve, with
    its band (what the figures draw)."""
    cfg = config()
    expected = check.load_expected(ROOT / "config" / "expected.yaml")
    points = yaml.safe_load((ROOT / "config" / "recipe.yaml").read_text())
    curve_doc = json.loads((ROOT / "config" / "recipe_curves.json").read_text())
    seeds = cfg["recipe_seeds"]
    assert points["seeds"] == seeds == curve_doc["seeds"]
    assert len(seeds) >= 20  # the recipe's spread enters every tolerance: not on a few seeds
    have = recipe_plan.recipes(cfg, cfg["runs"])
    for row in expected["quantities"]:
        if check.seeded(row) and all(isinstance(have[r], dict)
                                     for r in check.runs_of(row["source"])):
            assert sorted(points["per_seed"][row["id"]]) == seeds, row["id"]
        elif check.seeded(row):
            assert row["id"] not in points["seed_sd"], row["id"]
    ours = json.loads((ROOT / "config" / "calibration_curves.json").read_text())
    # a band for every published curve, and for the published sweep (more_data.json)
    assert set(curve_doc["curves"]) == set(ours["curves"]) <= set(curve_doc["bands"])


def test_the_recipe_spot_check_passes_on_the_stored_seed_and_fails_in_one_line(tmp_path):
    """`calibration-check --recipe` (snakemake recipe_check): a row of a run without a
    recipe is skipped, not missing; a re-trained value that moved fails naming it."""
    rows = [{**ROW, "book_precision": 0.005, "source": {**ROW["source"], "run": "t"}},
            {**ROW, "id": "s", "book_precision": 0.005,
             "source": {**ROW["source"], "run": "softmax"}}]
    (tmp_path / "expected.yaml").write_text(yaml.safe_dump({"quantities": rows, **GATE_KEYS}))
    labels = tmp_path / "labels.npz"
    np.savez(labels, **{f"{s}_y": np.arange(10) for s in ("train", "validation", "test")})
    record = recipe.train("t", tiny(), 3, images(), "compiled", log=None)
    (path,) = records.write_all([record], tmp_path / "runs")
    best = round(100 * max(record["metrics"]["evaluation_accuracy"]), 4)
    (tmp_path / "recipe_curves.json").write_text(json.dumps(
        {"provenance": {"command": calibration.RECIPE_COMMAND}, "seeds": [3], "n_check": 3,
         "curves": {}}))

    def spot(stored, seeds=(3,), made_by=calibration.RECIPE_COMMAND):
        (tmp_path / "recipe.yaml").write_text(yaml.safe_dump(
            {"provenance": {"command": made_by}, "seeds": list(seeds), "seed_sd": {"r": 1.0},
             "per_seed": {"r": {3: stored}}}))
        return cli("calibration-check", "--recipe", "--records", str(path),
                   "--expected", str(tmp_path / "expected.yaml"),
                   "--calibration", str(tmp_path / "recipe.yaml"),
                   "--curve-calibration", str(tmp_path / "recipe_curves.json"),
                   "--book", str(ROOT / "book_runs" / "overfitting.json"),
                   "--labels", str(labels))

    ok = spot(best)
    assert ok.returncode == 0, ok.stderr
    assert "recipe check: seed 3 re-trained gives the stored value of all 1" in ok.stdout
    moved = spot(best - 0.01)
    assert moved.returncode == 1 and "Traceback" not in moved.stderr
    assert f"MISMATCH row r seed 3: stored {best - 0.01}, re-trained {best}" in moved.stdout
    assert moved.stderr.strip().startswith("error: recipe check: 1 stored value(s) differ")
    assert "install_recipe" in moved.stderr
    other = spot(best, seeds=(4, 5))  # not a recalibration to ask for: another seed's records
    assert other.returncode == 1 and "MISMATCH" not in other.stdout
    assert other.stderr.strip().endswith("seed 3 of the records is not one of its "
                                         "calibration seeds [4, 5]")
    # the chapter's calibration given by mistake: its pass would have been of nothing
    chapter = spot(best, made_by="snakemake calibrate (python -m nndl3 calibrate)")
    assert chapter.returncode == 1 and chapter.stderr.strip().endswith(
        "not the recipe's calibration (--recipe checks that)")
    # the chapter's curve calibration, the option's default, left in by mistake
    spot(best)
    curves_default = cli("calibration-check", "--recipe", "--records", str(path),
                         "--expected", str(tmp_path / "expected.yaml"),
                         "--calibration", str(tmp_path / "recipe.yaml"),
                         "--book", str(ROOT / "book_runs" / "overfitting.json"),
                         "--labels", str(labels))
    assert curves_default.returncode == 1 and curves_default.stderr.strip().endswith(
        "not the recipe's calibration (--recipe checks that)")
    assert "calibration_curves.json: made by" in curves_default.stderr


def test_a_published_sweep_draws_its_recipes_band_at_each_size(tmp_path):
    from matplotlib.collections import PolyCollection

    from nndl3 import plotting

    from .conftest import read_book
    from .test_plotting import write_aggregate

    aggs = {f"s{n}": records.read_aggregate(write_aggregate(tmp_path, f"s{n}", train_size=n))
            for n in (100, 1000)}
    sizes = list(book_runs.SIZES)
    bands = {"more_data.json": {"n": 20, "x": sizes, "mean": [60.0] * 9, "min": [55.0] * 9,
                                "max": [65.0] * 9}}
    fig = plotting.sweep({"family": "sweep", "title": "t", "xlabel": "N", "ylabel": "acc",
                          "series": [{"runs": ["s100", "s1000"], "x": "train_size",
                                      "metric": "evaluation_accuracy", "label": "net"}],
                          "marks": [{"book": "more_data.json", "label": "book"}]},
                         aggs, [], read_book(), bands)
    (drawn,) = [c for c in fig.axes[0].collections
                if isinstance(c, PolyCollection) and c.get_hatch()]
    vertices = drawn.get_paths()[0].vertices
    assert drawn.get_label() == "book's recipe, more_data.json: 20 seeds (min-max)"
    assert vertices[:, 1].min() == 55.0 and vertices[:, 1].max() == 65.0
    assert vertices[:, 0].min() == 100 and vertices[:, 0].max() == 50000


def test_the_bands_are_each_curves_seed_min_mean_max_in_points():

    from .test_curves import BOOK, CURVE, aggregate_around

    aggs = aggregate_around(CURVE["values"], 0.5, n=6)
    agg = aggs[CURVE["run"]]
    book = book_runs.Book({"overfitting.json": BOOK["overfitting.json"]}, BOOK.published)
    bands = calibration.measure_bands(book, aggs, [2, 3, 4, 5, 6])
    rows = 100 * np.array(agg["metrics"]["evaluation_accuracy"]["per_seed"])[1:]
    got = bands[CURVE["id"]]
    assert got["n"] == 5 and got["epochs"] == list(range(len(CURVE["values"])))
    assert got["min"] == [round(float(v), 6) for v in rows.min(axis=0)]
    assert got["max"] == [round(float(v), 6) for v in rows.max(axis=0)]
    assert got["mean"] == [round(float(v), 6) for v in rows.mean(axis=0)]
    assert list(bands) == [CURVE["id"]]  # our aggregate monitors no other published list


def test_calibrate_recipe_writes_the_calibrations_format_with_bands(tmp_path):
    """`calibrate --recipe`: the calibration's own files (seed_sd, per_seed over the recipe
    seeds, curves), its own header and command, the bands; a row of a run without a
    recipe aggregate left out, where the plain calibration fails on it."""

    from .test_calibration import aggregate as agg_of
    from .test_curves import BOOK, CURVE, aggregate_around

    seeds = [1, 2, 3, 4, 5]
    curve_agg = aggregate_around(CURVE["values"], 0.5, n=5)[CURVE["run"]]
    curve_agg["spec"] = {"evaluation": "test"}
    paths = []
    for agg in (agg_of("xent", seeds, [0.90, 0.92, 0.94, 0.96, 0.91]), curve_agg):
        paths.append(tmp_path / f"{agg['run']}.json")
        paths[-1].write_text(json.dumps(agg))
    rows = [{**ROW, "book_precision": 0.005},
            {**ROW, "id": "s", "book_precision": 0.005,
             "source": {**ROW["source"], "run": "softmax"}}]
    (tmp_path / "expected.yaml").write_text(yaml.safe_dump({"quantities": rows, **GATE_KEYS}))
    labels = tmp_path / "labels.npz"
    np.savez(labels, **{f"{s}_y": np.arange(10) for s in ("train", "validation", "test")})
    book = book_runs.Book({"overfitting.json": BOOK["overfitting.json"]}, BOOK.published)
    out, out_curves = tmp_path / "recipe.yaml", tmp_path / "recipe_curves.json"
    points, curve_doc = calibration.calibrate(tmp_path / "expected.yaml", paths, book, labels,
                                              seeds, out, out_curves, 3, recipe=True)
    assert out.read_text().startswith(calibration.RECIPE_HEADER)
    stored = readers.calibration(out)
    assert stored["per_seed"] == {"r": {1: 90.0, 2: 92.0, 3: 94.0, 4: 96.0, 5: 91.0}}
    assert list(stored["seed_sd"]) == ["r"] and stored["seeds"] == seeds
    assert stored["provenance"]["command"] == calibration.RECIPE_COMMAND
    curves_read = readers.curve_calibration(out_curves)
    assert list(curves_read["curves"]) == list(curves_read["bands"]) == [CURVE["id"]]
    plain = (tmp_path / "expected.yaml", paths, book, labels, seeds, tmp_path / "c.yaml",
             tmp_path / "c.json", 3)
    with pytest.raises(UserError, match=r"run xent lacks seed\(s\) 101, 120 that row 'r'"):
        calibration.calibrate(*plain)  # the row's own seeds are our network's
    for row in rows:
        del row["calibration_seeds"]
    (tmp_path / "expected.yaml").write_text(yaml.safe_dump({"quantities": rows, **GATE_KEYS}))
    with pytest.raises(UserError, match="no aggregate of run 'softmax'"):
        calibration.calibrate(*plain)


def test_the_cost_block_is_measured_when_complete_and_estimated_per_run_before(tmp_path):
    import shutil

    from nndl3 import docs
    from nndl3.bench_docs import cores_minutes

    (tmp_path / "config").mkdir()
    for name in ("config.yaml", "expected.yaml"):
        shutil.copy(ROOT / "config" / name, tmp_path / "config" / name)
    cfg = config()
    runs = recipe_plan.recipe_runs(cfg, check.load_expected(ROOT / "config" / "expected.yaml"))
    seeds = cfg["recipe_seeds"]

    def bench(run, seed, cpu):
        path = tmp_path / paths.BENCHMARK.format(rule="recipe", name=f"{run}/seed-{seed}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"s\th:m:s\tcpu_time\n{2 * cpu}\t0\t{cpu}\n")

    for i, run in enumerate(runs):
        bench(run, seeds[0], 1.0 + (i == 0))  # the first run costs 2 s a seed, the rest 1 s
    bench("not_a_recipe_run", seeds[0], 100.0)
    total = len(runs) * len(seeds)
    assert docs.recipe_time(tmp_path) == (
        f"`snakemake recipe_check` (CI): seed {seeds[0]} of each run, {len(runs) + 1} CPU "
        f"seconds ({cores_minutes(len(runs) + 1)}). "
        f"`snakemake recipe_seeds`: {len(runs)} runs x {len(seeds)} seeds = {total} training "
        f"jobs; {len(runs)} measured so far ({len(runs) + 1} CPU seconds); at each run's "
        f"measured mean, all of them would take about {(len(runs) + 1) * len(seeds)} CPU "
        f"seconds ({cores_minutes((len(runs) + 1) * len(seeds))}).\n")
    for run in runs:
        for seed in seeds:
            bench(run, seed, 1.0)
    assert docs.recipe_time(tmp_path).endswith(
        f"{total} training jobs; {total} CPU seconds in all ({cores_minutes(total)}; the "
        f"jobs' own wall times add up to {2 * total} s).\n")


def test_the_workflow_plans_the_recipe_runs_without_loading_numba():
    """recipe_spec holds the spec logic apart from the sampler's engines: the modules the
    Snakefile imports (common.smk's `from nndl3 import ...`) load no Numba, which every
    Snakemake start would pay for."""
    smk = (ROOT / "workflow" / "rules" / "common.smk").read_text()
    modules = re.findall(r"^from nndl3 import (\w+)", smk, flags=re.M)
    assert "recipe_plan" in modules
    probe = (f"import importlib, sys\nfor m in {modules!r}: importlib.import_module('nndl3.' + m)\n"
             "print(sorted(m for m in ('numba', 'scipy', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_the_recipe_commands_engines_are_the_samplers():
    """cli names them without importing the sampler (Numba); recipe.ENGINES is the list,
    and the command's default is the one default (recipe.train has none of its own)."""
    from .conftest import cli_commands

    engine = next(a for a in cli_commands()["recipe"]._actions if a.dest == "engine")
    assert set(engine.choices) == set(recipe.ENGINES) and engine.default in recipe.ENGINES
    assert inspect.signature(recipe.train).parameters["engine"].default is inspect.Parameter.empty


def spec_keys_read(source: str) -> set[str]:
    """The string keys a module's code reads from a name `spec`: `spec["k"]`,
    `spec.get("k", ...)`."""
    import ast

    keys = set()
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)
                and node.value.id == "spec" and isinstance(node.slice, ast.Constant)):
            keys.add(node.slice.value)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "get" and isinstance(node.func.value, ast.Name)
              and node.func.value.id == "spec" and node.args
              and isinstance(node.args[0], ast.Constant)):
            keys.add(node.args[0].value)
    return keys


def test_every_run_setting_is_placed_for_the_recipe():
    """A setting the run schema gains must be placed here: taken into the recipe (`of`,
    or refused by `missing`), refused at any value but its off one (`ABSENT`, which must
    be the schema's default), the wide engine's alone, or not the recipe's to take (it
    trains in float64 on its own engines). Else a run using it would get a recipe that
    ignores it. What is taken is read from recipe_spec's code (its `spec["key"]` and
    `spec.get("key")`), so a key `of` stops reading counts too."""
    from nndl3 import recipe_spec, runspec

    taken = spec_keys_read(inspect.getsource(recipe_spec))
    assert {"sizes", "eta", "rotation", "monitor_every"} <= taken  # the reading is seen
    not_the_recipes = {"description", "seeds", "dtype", "engine"}
    schema = runspec.schema()["properties"]
    assert set(schema) == (taken | set(recipe_spec.ABSENT) | set(runspec.WIDE_ONLY)
                           | not_the_recipes)
    defaults = runspec.defaults()
    assert {key: defaults[key] for key in recipe_spec.ABSENT} == recipe_spec.ABSENT
