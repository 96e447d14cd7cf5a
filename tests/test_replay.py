"""The replay of the author's runs: his streams, his shuffle, his draw order, network2's
arithmetic, and the exact comparison with the published lists."""

import copy
import json
import random
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from nndl3 import book_runs, paths, replay, replay_check, replay_spec, workflow_config
from nndl3 import replay_random as rnd
from nndl3.replay_network import BookNetwork

from .conftest import cli_commands, read_book

ROOT = Path(__file__).resolve().parents[1]


def python2_shuffle_reference(items: list, rng: random.Random) -> None:
    """Python 2.7's random.shuffle, line for line."""
    for i in reversed(range(1, len(items))):
        j = int(rng.random() * (i + 1))
        items[i], items[j] = items[j], items[i]


def test_shuffle_is_python2s_with_the_seeded_twister():
    items = np.arange(10)
    rnd.python2_shuffle(items, rnd.python_stream(12345678))
    reference = list(range(10))
    python2_shuffle_reference(reference, random.Random(12345678))
    assert items.tolist() == reference == [6, 4, 0, 8, 2, 3, 9, 1, 5, 7]
    python3 = list(range(10))
    random.Random(12345678).shuffle(python3)
    assert python3 != reference  # Python 3's shuffle draws its indices otherwise


def test_shuffle_is_in_place_and_cumulative():
    """Each epoch shuffles the list as the previous epoch left it, from one stream."""
    items, stream = np.arange(50), rnd.python_stream(7)
    reference, rng = list(range(50)), random.Random(7)
    for _ in range(3):
        rnd.python2_shuffle(items, stream)
        python2_shuffle_reference(reference, rng)
        assert items.tolist() == reference
    rng = random.Random(7)  # shuffling the original order each epoch gives another list
    for _ in range(3):
        fresh = list(range(50))
        python2_shuffle_reference(fresh, rng)
    assert items.tolist() != fresh


def test_draw_order_default_then_large():
    """network2: biases then weights / sqrt(n_in) at construction; large_weight_initializer
    draws biases then weights again, unscaled, after them."""
    sizes = [6, 4, 3]
    stream = rnd.numpy_stream(5)
    w_default, b_default = rnd.default_draws(stream, sizes)
    w_large, b_large = rnd.large_draws(stream, sizes)
    flat = np.random.RandomState(5).randn(2 * (4 + 3 + 4 * 6 + 3 * 4))
    parts = np.split(flat, np.cumsum([4, 3, 24, 12, 4, 3, 24, 12])[:-1])
    assert np.array_equal(b_default[0].ravel(), parts[0]) and b_default[0].shape == (4, 1)
    assert np.array_equal(b_default[1].ravel(), parts[1])
    assert np.array_equal(w_default[0], parts[2].reshape(4, 6) / np.sqrt(6))
    assert np.array_equal(w_default[1], parts[3].reshape(3, 4) / np.sqrt(4))
    assert np.array_equal(b_large[0].ravel(), parts[4])
    assert np.array_equal(w_large[0], parts[6].reshape(4, 6))
    assert np.array_equal(w_large[1], parts[7].reshape(3, 4))


def test_python_stream_is_random_seeded_with_the_same_integer():
    rng = random.Random(12345678)
    assert rnd.python_stream(12345678).random_sample(5).tolist() == [rng.random()
                                                                      for _ in range(5)]


def test_ordered_sum_adds_examples_in_turn():
    """np.add.reduce over the outer axis adds the rows one after another (no pairwise sum):
    the order network2 accumulates a mini-batch's gradients in."""
    rng = np.random.default_rng(0)
    terms = rng.standard_normal((10, 3, 7)) * 10.0 ** rng.integers(-8, 8, (10, 3, 7))
    in_turn = terms[0].copy()
    for t in terms[1:]:
        in_turn = in_turn + t
    assert np.array_equal(np.add.reduce(terms, axis=0), in_turn)


def network2_step(weights, biases, batch, eta, lmbda, n):
    """network2.update_mini_batch, one example at a time (the test's reference)."""
    sums_w = [np.zeros_like(w) for w in weights]
    sums_b = [np.zeros_like(b) for b in biases]
    for x, y in batch:
        acts, a = [x], x
        for w, b in zip(weights, biases, strict=True):
            a = 1.0 / (1.0 + np.exp(-(np.dot(w, a) + b)))
            acts.append(a)
        delta = acts[-1] - y
        grads = []
        for layer in range(len(weights) - 1, -1, -1):
            grads.append((delta, np.dot(delta, acts[layer].T)))
            if layer:
                delta = np.dot(weights[layer].T, delta) * acts[layer] * (1 - acts[layer])
        for layer, (gb, gw) in enumerate(reversed(grads)):
            sums_b[layer] = sums_b[layer] + gb
            sums_w[layer] = sums_w[layer] + gw
    m = len(batch)
    return ([(1 - eta * (lmbda / n)) * w - (eta / m) * nw for w, nw in
             zip(weights, sums_w, strict=True)],
            [b - (eta / m) * nb for b, nb in zip(biases, sums_b, strict=True)])


@pytest.mark.parametrize("ordered", [True, False])
def test_vectorized_update_is_network2s(ordered):
    sizes = [8, 5, 3]
    weights, biases = rnd.large_draws(rnd.numpy_stream(1), sizes)
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, (10, 8)) / 256
    labels = rng.integers(0, 3, 10)
    y = np.eye(3)[labels]
    net = BookNetwork(weights, biases, ordered=ordered)
    net.update(x, y, 0.5, 0.1, 1000)
    ref_w, ref_b = network2_step(weights, biases, [(xi[:, None], yi[:, None])
                                                   for xi, yi in zip(x, y, strict=True)], 0.5, 0.1,
                                 1000)
    for ours, ref in zip(net.weights + net.biases, ref_w + [b.ravel() for b in ref_b],
                         strict=True):
        assert np.allclose(ours, ref, rtol=1e-13, atol=1e-15)


def synthetic_data(n=60, n_eval=40, pixels=16, seed=3):
    rng = np.random.default_rng(seed)

    def images(k):
        return rng.integers(0, 256, (k, pixels)) / 256, rng.integers(0, 10, k)

    return {"train": images(n), "validation": images(n_eval), "test": images(n_eval)}


def tiny_spec(pixels=16):
    run = {"network": [pixels, 6, 10], "init": "default", "training": "list", "train_size": 60,
           "epochs": 3, "eta": 0.5, "lmbda": 0.1, "evaluation": "validation",
           "monitor": list(book_runs.LISTS), "result": "lists", "mini_batch": 10}
    return {"layout": "list", "seed": 11,
            "runs": [run, {**run, "network": None, "init": "large"},
                     {**run, "training": "slice", "train_size": 25, "lmbda": 0.0,
                      "evaluation": "none", "monitor": [], "result": "validation_percent"}]}


def test_a_short_replay_is_deterministic_and_carries_the_streams():
    spec, data = tiny_spec(), synthetic_data()
    first = replay.replay_file(spec, data, "numpy", log=None)
    assert first == replay.replay_file(copy.deepcopy(spec), synthetic_data(), "numpy", log=None)
    assert [len(v) for v in first[0]] == [3, 3, 3, 3] and isinstance(first[2], float)
    # the second training starts from the first's streams: alone, it differs
    alone = replay.replay_file({**spec, "runs": [{**spec["runs"][1], "network": [16, 6, 10]}]},
                               data, "numpy", log=None)
    assert alone[0] != first[1]


@pytest.mark.parametrize("engine", ["numpy-blas", "compiled"])
def test_replay_engines_agree_on_tiny_data(engine):
    """Every run's every list (counts equal, costs to rounding) and the last run's
    validation percentage: the engines differ in their order of sums only."""
    spec, data = tiny_spec(), synthetic_data()
    ordered = replay.replay_file(spec, data, "numpy", log=None)
    other = replay.replay_file(spec, data, engine, log=None)
    for ours, theirs in zip(ordered[:2], other[:2], strict=True):
        for name, a, b in zip(book_runs.LISTS, ours, theirs, strict=True):
            assert len(a) == len(b) == 3, name
            if name.endswith("accuracy"):
                assert a == b, name
            else:
                np.testing.assert_allclose(a, b, rtol=1e-12, err_msg=name)
    assert ordered[2] == other[2]


def published(file="overfitting.json"):
    return json.loads((ROOT / book_runs.DIR / file).read_text())


def test_identical_lists_pass():
    book = read_book()
    table = replay_check.rows(book, {"overfitting.json": published()})
    assert len(table) == 4 and all(r["status"] == "PASS" for r in table)
    assert all(r["identical"] == r["epochs"] == 400 for r in table)
    assert replay_check.summary(table) == ("the author's 1 published runs replayed: 4 of 4 "
                                           "lists identical to the image")


@pytest.mark.parametrize("index,epoch,change", [(1, 17, 1), (0, 250, 1e-6), (2, 3, -1e-6)])
def test_a_changed_count_or_cost_fails_at_its_first_epoch(index, epoch, change):
    book = read_book()
    lists = published()
    lists[index][epoch] += change
    lists[index][epoch + 5] += change
    table = replay_check.rows(book, {"overfitting.json": lists})
    bad = [r for r in table if r["status"] == "FAIL"]
    assert [r["list"] for r in bad] == [book_runs.LISTS[index]]
    assert bad[0]["first_divergent_epoch"] == epoch and bad[0]["identical"] == 398
    assert f"| {epoch} | FAIL |" in replay_check.section(table)


def test_a_cost_within_the_tolerance_passes():
    book = read_book()
    lists = published()
    lists[0][9] += 1e-12
    (row,) = [r for r in replay_check.rows(book, {"overfitting.json": lists})
              if r["list"] == "evaluation_cost"]
    assert row["status"] == "PASS" and row["max_cost_diff"] == pytest.approx(1e-12, rel=0.1)


def test_svm_sweep_is_compared_as_counts():
    book = read_book()
    svm = [{"train_size": n, "pixel_divisor": 256, "evaluation": "validation",
            "accuracy": round(v * 100) / 10_000}
           for n, v in zip(book_runs.SIZES, book["more_data_svm.json"], strict=True)]
    (row,) = replay_check.rows(book, {}, svm)
    assert row["status"] == "PASS" and row["identical"] == 9
    svm[4] = {**svm[4], "accuracy": svm[4]["accuracy"] + 1e-4}
    (row,) = replay_check.rows(book, {}, svm)
    assert row["status"] == "FAIL" and row["first_divergent_epoch"] == 4


def config_spec(file: str) -> dict:
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    return workflow_config.replay_specs(config)[file]


@pytest.mark.realdata
def test_first_epochs_of_overfitting_json_are_the_books(real_data):
    from nndl3 import mnist

    epochs = 10
    spec = config_spec("overfitting.json")
    spec["runs"][0]["epochs"] = epochs
    data = mnist.load(real_data, np.float64, replay_spec.data_sets(spec),
                      replay_spec.train_size(spec), mnist.BOOK_PIXEL_DIVISOR)
    ours = replay.replay_file(spec, data, "numpy", log=None)
    book = published()
    for name, mine, theirs in zip(book_runs.LISTS, ours, book, strict=True):
        if name.endswith("accuracy"):
            assert mine == theirs[:epochs]
        else:
            assert np.max(np.abs(np.subtract(mine, theirs[:epochs]))) <= replay_check.COST_TOLERANCE


def test_compiled_engine_agrees_on_tiny_data():
    spec, data = tiny_spec(), synthetic_data()
    ordered = replay.replay_file(spec, data, "numpy", log=None)
    compiled = replay.replay_file(spec, data, "compiled", log=None)
    assert ordered[0][1] == compiled[0][1] and ordered[1][3] == compiled[1][3]
    assert np.allclose(ordered[1][0], compiled[1][0], rtol=1e-12)


def test_a_known_deviation_is_reported_not_failed(tmp_path):
    book = read_book()
    lists = published()
    lists[1][30] += 1
    table = replay_check.rows(book, {"overfitting.json": lists}, known={
        "overfitting.json.evaluation_accuracy": "measured cause"})
    (row,) = [r for r in table if r["status"] != "PASS"]
    assert row["status"] == "known deviation" and row["known_deviation"] == "measured cause"
    assert "Known deviation (overfitting.json.evaluation_accuracy): measured cause" in \
        replay_check.section(table)


def test_the_report_section_reads_replays_and_names_a_stranger(tmp_path):
    (tmp_path / "overfitting.json").write_text(json.dumps(published()))
    book = read_book()
    expected = {"quantities": [{"id": "overfit_test_best", "book": 82.27, "book_precision":
                                0.005, "source": {"run": "overfit_1k", "metric":
                                                  "evaluation_accuracy", "reduce": "best"}}]}
    rows, text = replay_check.report_section(expected, book, [tmp_path / "overfitting.json"],
                                             {})
    table, text_rows = replay_check.from_report(rows)
    assert len(table) == 4 and "4 of 4 lists" in text
    assert [(r["row"], r["status"]) for r in text_rows] == [("overfit_test_best", "PASS")]
    assert replay_check.counts(table) == {"files": 1, "lists": 4, "identical": 4}
    (tmp_path / "other.json").write_text("[]")
    with pytest.raises(replay_check.UserError, match="other.json: not the replay"):
        replay_check.report_section(expected, book, [tmp_path / "other.json"], {})


@pytest.mark.parametrize("cut, words", [
    (lambda lists: lists[1].__delitem__(slice(5, None)), "[1]: not a list of "),
    (lambda lists: lists.pop(), "the top level: not a list of 4"),
    (lambda lists: lists[0].__setitem__(3, "x"), "[0][3]: 'x' where the published file has a "
                                                 "number")])
def test_a_replay_laid_out_otherwise_than_its_published_file_is_named(tmp_path, cut, words):
    """What the report and the figure read: a list cut short broke their arithmetic (NumPy's
    'could not broadcast') or was drawn against the whole."""
    from nndl3 import plotting

    lists = published()
    cut(lists)
    given = tmp_path / "overfitting.json"
    given.write_text(json.dumps(lists))
    book = read_book()
    with pytest.raises(replay_check.UserError, match=f"^{re.escape(f'{given}: {words}')}"):
        replay_check.report_section({"quantities": []}, book, [given], {})
    spec = {"family": "replay", "title": "t", "replay": {
        "file": "overfitting.json", "lists": ["evaluation_accuracy"]}}
    with pytest.raises(replay_check.UserError, match=f"^{re.escape(f'{given}: {words}')}"):
        plotting.replay(spec, replay_check.read([given]), book)
    with pytest.raises(replay_check.UserError,  # no path given: the workflow's file
                       match=f"^{re.escape(f'results/replay/overfitting.json: {words}')}"):
        plotting.replay(spec, {"overfitting.json": lists}, book)


def test_the_replay_figure_draws_both_runs_and_their_difference():
    from nndl3 import plotting

    book = read_book()
    spec = {"family": "replay", "title": "t", "replay": {
        "file": "overfitting.json", "lists": ["evaluation_accuracy", "evaluation_cost"]}}
    ours = published()
    ours[1][10] += 3  # the replay three images better than the book at epoch 10
    fig = plotting.styled(plotting.replay, spec, {"overfitting.json": ours}, book)
    top, bottom = fig.axes[0], fig.axes[2]
    assert len(fig.axes) == 4 and len(top.lines) == 2
    replayed, book_line = top.lines
    accuracy = 100 * np.array(published()[1]) / 10_000  # evaluation_accuracy, in percent
    assert replayed.get_label() == "replay from the author's seed"
    assert book_line.get_label() == "book, overfitting.json: its single published run"
    np.testing.assert_allclose(replayed.get_ydata(), 100 * np.array(ours[1]) / 10_000)
    np.testing.assert_allclose(book_line.get_ydata(), accuracy)
    assert top.get_ylabel() == "Test accuracy (%)" and fig.axes[1].get_ylabel() == "Test cost"
    difference = np.zeros(len(accuracy))
    difference[10] = 3  # replay minus book, in images
    np.testing.assert_array_equal(bottom.lines[0].get_ydata(), difference)
    assert bottom.get_ylabel() == "replay - book\n(images)"


def test_the_gate_fails_on_a_failing_replayed_list_and_docs_show_the_table(tmp_path):
    from nndl3 import docs, report

    book = read_book()
    lists = published()
    lists[3][7] -= 1
    table = replay_check.rows(book, {"overfitting.json": lists})
    document = {"rows": [], "replay": table}
    assert report.failed(document) == ["overfitting.json.training_accuracy"]
    (tmp_path / "results").mkdir()
    (tmp_path / paths.REPRODUCTION_JSON).write_text(json.dumps(document))
    block = docs.replay_table(tmp_path)
    assert block == replay_check.table_markdown(table) and "| 399 of 400 |  | 7 | FAIL |" in block


def test_a_replay_figure_must_name_a_replayed_file_and_a_published_list():
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    good = {"family": "replay", "replay": {"file": "overfitting.json",
                                           "lists": ["evaluation_cost"]}}
    workflow_config.check_replay_figure("f", good, config)
    with pytest.raises(replay_check.UserError, match="f: replay: file 'x.json' is not"):
        workflow_config.check_replay_figure("f", {"replay": {"file": "x.json"}}, config)
    with pytest.raises(replay_check.UserError, match="unknown list 'cost'"):
        workflow_config.check_replay_figure(
            "f", {"replay": {"file": "overfitting.json", "lists": ["cost"]}}, config)


def test_every_replay_spec_of_the_workflow_passes_its_check():
    from .conftest import ROOT

    specs = workflow_config.replay_specs(workflow_config.load(ROOT))
    assert specs and all(replay_spec.checked(s) == s for s in specs.values())


@pytest.mark.parametrize("change, words", [
    (lambda s: s["runs"][0].update(epochs=0), "--spec: runs.0.epochs: 0 is less than"),
    (lambda s: s["runs"][0].pop("eta"), "--spec: runs.0: 'eta' is a required property"),
    (lambda s: s["runs"][0].update(mini_batch=0), "--spec: runs.0.mini_batch: 0 is less"),
    (lambda s: s.update(seed=-1), "--spec: seed: -1 is less than the minimum of 0"),
    (lambda s: s.update(layout="by_key"), "--spec: runs.0: 'key' is a required property"),
    (lambda s: s.update(layout="by_key", runs=[{**s["runs"][0], "key": "a"}] * 2),
     "--spec: layout by_key: runs' keys ['a', 'a']"),
    (lambda s: s.update(runs=3), "not a replay spec"),
    # what the schema cannot say: each was found only as the job ran, or never
    (lambda s: s.update(runs=s["runs"] * 2),
     "--spec: layout one: the value of one run, and runs has 2"),  # the second was dropped
    (lambda s: s["runs"][0].update(network=[100, 30, 10]),
     "--spec: runs.0.network: [100, 30, 10] must start with 784 inputs"),
    (lambda s: s["runs"][0].update(network=None), "--spec: runs.0: no network"),
    (lambda s: s["runs"][0].update(evaluation="none"),
     "--spec: runs.0: monitor evaluation_cost needs an evaluation set"),
    (lambda s: s.update(layout="list", runs=[s["runs"][0], {**s["runs"][0], "network": None,
                                                            "training": "list",
                                                            "train_size": 500}]),
     "--spec: runs.1: training: list trains on all 1000 images the file's runs load")])
def test_a_wrong_replay_spec_is_one_line_naming_the_key(tmp_path, capsys, change, words):
    """The replay job checks its --spec against the schema the workflow's config is
    checked against (replay.schema.yaml): epochs 0 was replayed as a file of no epochs."""
    from nndl3 import cli

    from .conftest import ROOT

    spec = copy.deepcopy(workflow_config.replay_specs(
        workflow_config.load(ROOT))["overfitting.json"])
    change(spec)
    out = tmp_path / "replay.json"
    assert cli.main(["replay", "--spec", json.dumps(spec), "--data",
                     str(tmp_path / "absent.npz"), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err, err
    assert not out.exists()


@pytest.mark.parametrize("change, words", [
    (lambda files: files.update({"overfiting.json": files.pop("overfitting.json")}),
     "overfiting.json: not a published file of `published:` (one of more_data.json"),
    (lambda files: files["overfitting.json"]["runs"][0].update(network=[100, 30, 10]),
     "overfitting.json: runs.0.network: [100, 30, 10] must start with 784 inputs")])
def test_a_replay_the_job_would_refuse_stops_the_workflow_at_start(change, words):
    from nndl3.errors import UserError

    from .conftest import ROOT

    config = workflow_config.load(ROOT)
    change(config["replay"]["scripts"]["overfitting"])
    with pytest.raises(UserError, match=f"^config replay.scripts.overfitting.{re.escape(words)}"):
        workflow_config.check(config)


def test_the_config_refuses_a_file_laid_out_by_key_without_keys():
    """The schema the job checks its spec by is the config's: the workflow refuses such a
    file when it loads its config, not in the replay job."""
    from nndl3.errors import UserError

    from .conftest import ROOT

    config = workflow_config.load(ROOT)
    files = config["replay"]["scripts"]["overfitting"]
    file = next(iter(files))
    files[file]["layout"] = "by_key"
    for run in files[file]["runs"]:
        run.pop("key", None)
    with pytest.raises(UserError, match=f"replay.scripts.overfitting.{file}.runs.0: 'key' "
                       "is a required property"):
        workflow_config.validate(config, ROOT / "workflow" / "schemas" / "config.schema.yaml")


def test_the_replay_engines_are_one_list_wherever_they_are_named():
    """replay.ENGINES is the list; the command's --engine choices and the config schema's
    enum (both read before replay is imported) name the same engines."""
    engine = next(a for a in cli_commands()["replay"]._actions if a.dest == "engine")
    schema = yaml.safe_load((Path(__file__).parents[1] / paths.CONFIG_SCHEMA).read_text())
    enum = schema["properties"]["replay"]["properties"]["engine"]["enum"]
    assert set(engine.choices) == set(enum) == set(replay.ENGINES)
    doc = (Path(__file__).parents[1] / "docs" / "replay.md").read_text()
    section = doc.split("## Engines")[1].split("\n## ")[0]
    assert set(re.findall(r"^- `([\w-]+)`:", section, re.M)) == set(replay.ENGINES)


def test_a_replay_without_the_book_is_refused_before_the_check_runs(tmp_path):
    """--replay without --book is refused first, naming the option, not after the whole
    evaluation (here its inputs do not even exist)."""
    from nndl3 import report
    from nndl3.errors import UserError

    missing = str(tmp_path / "missing.yaml")
    with pytest.raises(UserError, match="^--replay: needs --book"):
        report.build(missing, missing, missing, (), (), replay_paths=(missing,))


def test_network2_s_element_by_element_sigmoid_changes_no_value():
    """docs/replay.md: network2 of May 2014 applied its sigmoid through `np.vectorize`, one
    float64 scalar at a time; the replay applies it to whole arrays. Bit for bit the same,
    saturated inputs included, on this machine's numpy."""
    from nndl3.replay_network import sigmoid

    rng = np.random.default_rng(1)
    z = np.concatenate([rng.uniform(-800, 800, 50_000), rng.normal(0, 3, 50_000)])
    with np.errstate(over="ignore"):
        by_element = np.vectorize(sigmoid)(z)
    assert by_element.tobytes() == sigmoid(z).tobytes()
