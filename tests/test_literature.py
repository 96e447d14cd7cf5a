"""The literature runs (config/literature.yaml): their specs, schedules, training loop,
progress lines, and the check's `not run` rows."""

import io
import json
import math
import re
import subprocess
import sys

import numpy as np
import pytest
import yaml
from scipy import stats as sp

from nndl3 import literature, literature_check, paths, runspec, stats, workflow_config
from nndl3.errors import UserError

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
    spec = literature.run_spec(CONFIG, LITERATURE, run, "miniature")
    assert spec["train_size"] <= 5000 and spec["epochs"] <= 3


@pytest.mark.parametrize("run", list(LITERATURE["probe"]))
def test_a_probe_is_the_run_on_the_full_data_for_its_first_epochs(run):
    full = literature.run_spec(CONFIG, LITERATURE, run)
    probe = literature.run_spec(CONFIG, LITERATURE, run, "probe")
    assert probe["epochs"] < full["epochs"]
    assert {k: v for k, v in probe.items() if k != "epochs"} == {
        k: v for k, v in full.items() if k != "epochs"}



def test_the_long_elastic_run_is_the_elastic_run_continued():
    """docs/literature.md: simard_elastic_long's first 300 epochs are simard_elastic's (so
    its seeds are compared with that run's seed by seed): the same spec but for its
    epochs."""
    short = literature.run_spec(CONFIG, LITERATURE, "simard_elastic")
    long = literature.run_spec(CONFIG, LITERATURE, "simard_elastic_long")
    assert long["epochs"] > short["epochs"]
    assert {k: v for k, v in long.items() if k != "epochs"} == {
        k: v for k, v in short.items() if k != "epochs"}


def test_a_reworded_description_leaves_a_literature_runs_spec_as_it_is():
    """The spec is the job's param: a changed one reruns every seed, hours each."""
    import copy

    reworded = copy.deepcopy(LITERATURE)
    reworded["runs"]["simard_elastic"]["description"] = "reworded"
    assert literature.run_spec(CONFIG, reworded, "simard_elastic") == literature.run_spec(
        CONFIG, LITERATURE, "simard_elastic")

@pytest.fixture
def epochs_seen(monkeypatch):
    """What train_seed hands the network each epoch: the weights it starts from (first
    epoch), the training images (CSR) and the order."""
    from nndl3.wide import WideNetwork

    seen = []
    train = WideNetwork.sgd_epoch

    def spy(self, csr, labels, order, *args):
        seen.append({"weights": [w.copy() for w in self.weights],
                     "csr": [a.copy() for a in csr], "order": order.copy()})
        return train(self, csr, labels, order, *args)

    monkeypatch.setattr(WideNetwork, "sgd_epoch", spy)
    return seen


SIMARD_RUNS = ("simard_plain", "simard_plain_online", "simard_affine", "simard_affine_half",
               "simard_elastic", "simard_elastic_long")


def test_a_seed_draws_the_same_network_and_order_in_every_simard_run(epochs_seen):
    """docs/literature.md: why a varied choice is compared with its row seed by seed. Each
    Simard run as configured, made small (a narrower network on fewer images, 2 epochs),
    trains seed 2 from the same weights in the same order each epoch."""
    data = tiny_data(60)
    by_run = {}
    for run in SIMARD_RUNS:
        spec = {**literature.run_spec(CONFIG, LITERATURE, run), "sizes": [784, 20, 10],
                "train_size": 60, "epochs": 2}
        epochs_seen.clear()
        literature.train_seed(run, spec, 2, data, io.StringIO())
        by_run[run] = list(epochs_seen)
    first = by_run["simard_plain"]
    for run, seen in by_run.items():
        assert len(seen) == 2, run
        for epoch, ours in zip(seen, first, strict=True):
            assert np.array_equal(epoch["order"], ours["order"]), run
        assert all(np.array_equal(a, b) for a, b in zip(
            seen[0]["weights"], first[0]["weights"], strict=True)), run
    assert not np.array_equal(first[0]["order"], first[1]["order"])  # a fresh order per epoch


@pytest.mark.parametrize("how", [
    {"kind": "elastic", "sigma": 4.0, "alpha": 34.0},
    {"kind": "affine", "max_degrees": 15.0, "max_shift": 2.0, "max_skew": 0.2}])
def test_a_distorted_run_trains_on_the_images_its_stream_draws(epochs_seen, how):
    """Each epoch's training images are a fresh distortion of the originals, drawn in turn
    from the seed's `augment` stream: not the originals (a run that drew them and trained
    on the plain images would pass every other test)."""
    from nndl3.distort import distort
    from nndl3.train import streams
    from nndl3.wide import csr

    spec, data = tiny_spec(distortion=how), tiny_data()
    literature.train_seed("t", spec, 1, data, io.StringIO())
    x = data["train"][0]
    augment = streams(1)["augment"]
    plain = csr(x)
    for epoch in epochs_seen:
        drawn = csr(distort(x, how, augment))
        assert all(np.array_equal(a, b) for a, b in zip(epoch["csr"], drawn, strict=True))
        assert not (len(epoch["csr"][2]) == len(plain[2])
                    and np.array_equal(epoch["csr"][2], plain[2]))
    assert len(epochs_seen) == spec["epochs"]


def test_a_scale_without_an_entry_for_the_run_is_one_line():
    with pytest.raises(UserError, match="probe: no entry for run 'simard_plain'") as probe:
        literature.run_spec(CONFIG, LITERATURE, "simard_plain", "probe")
    with pytest.raises(UserError,
                       match="--scale: 'big' is not one of runs, miniature, probe") as big:
        literature.run_spec(CONFIG, LITERATURE, "simard_plain", "big")
    assert "\n" not in str(probe.value) + str(big.value)


def test_a_probe_figure_reads_the_probe_records():
    from nndl3 import figures

    fig = LITERATURE["figures"]["dropout_probe"]
    files = figures.literature_files(fig, CONFIG)
    assert files and all(f.startswith("results/literature/probe/") for f in files)
    with pytest.raises(UserError, match="figure scale: 'big'"):
        figures.literature_files({**fig, "scale": "big"}, CONFIG)


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
                          str(tmp_path / "s.json"), "--run", "r", "--data", paths.DATA,
                          "--out-dir", str(tmp_path)], capture_output=True, text=True)
    assert out.returncode == 1 and "snakemake --cores 2 literature" in out.stderr
    assert out.stderr.count("\n") == 1


def test_a_bad_literature_run_is_named():
    bad = {**LITERATURE, "runs": {"x": {"distortion": {"kind": "elastic", "sigma": 4}}}}
    with pytest.raises(Exception, match="runs.x: distortion"):
        literature.run_spec(CONFIG, bad, "x")
    with pytest.raises(Exception, match="no run 'nope'"):
        literature.run_spec(CONFIG, LITERATURE, "nope")


@pytest.mark.parametrize("key, value", [("hidden", "relu"), ("cost", "quadratic"),
                                        ("lmbda", 5.0), ("monitor_every", 5),
                                        ("rotation", {"max_degrees": 90, "copies": 1})])
def test_what_the_wide_engine_does_not_take_is_refused_not_ignored(key, value):
    """config/config.yaml's defaults of such an option stay the book runs' (the literature
    runs train, and record, the wide engine's own); a literature run that sets it is refused
    (the engine would train its own and record the setting)."""
    config = {**CONFIG, "defaults": {**CONFIG["defaults"], key: value}}
    simard = literature.run_spec(config, LITERATURE, "simard_plain")
    assert simard[key] == runspec.defaults()[key] != value
    assert workflow_config.run_spec(config, "xent_30")[key] == value
    bad = {**LITERATURE, "runs": {"x": {**LITERATURE["runs"]["simard_plain"], key: value}}}
    with pytest.raises(UserError, match=rf"runs.x: {key}: .*engine 'wide' trains "):
        literature.run_spec(CONFIG, bad, "x")


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
    # the second on one thread (snakemake --cores 1): its distortions drawn before each
    # epoch rather than beside the one before, the same record
    first, again = (literature.train_seed("t", spec, 1, data, log, threads=threads)
                    for log, threads in zip(logs, (2, 1), strict=True))
    one = literature.TrainingImages(data["train"][0], spec.get("distortion"),
                                    np.random.default_rng(0), threads=1)
    assert isinstance(getattr(one, "pool", None), literature.InThisThread) == ("distortion" in keys)
    other = literature.train_seed("t", spec, 2, data, io.StringIO())
    assert first["test_accuracy"] == again["test_accuracy"]
    assert first["validation_accuracy"] == again["validation_accuracy"]
    assert len(again["distortion_seconds"]) == len(first["distortion_seconds"])
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


def record(run, accuracy, miniature=False, seed=0):
    return {"run": run, "seed": seed, "test_at_best": accuracy, "n_test": 10000,
            "best_epoch": 5, "miniature": miniature}


def seeded(run, accuracies, seeds=None):
    """One record per accuracy, of seeds 0, 1, ... unless given."""
    seeds = range(len(accuracies)) if seeds is None else seeds
    return [record(run, a, seed=s) for a, s in zip(accuracies, seeds, strict=True)]


ALPHA = 0.01
ROW = {"id": "r", "run": "simard_plain", "book": 98.4, "book_precision": 0.05, "quantity": "q"}


def test_a_row_without_three_seeds_is_not_run():
    assert literature_check.evaluate(ROW, [], ALPHA)["status"] == "not run"
    two = [record("simard_plain", 0.984), record("simard_plain", 0.985)]
    assert literature_check.evaluate(ROW, two, ALPHA)["status"] == "not run"
    minis = [record("simard_plain", 0.5, miniature=True)] * 3
    row = literature_check.evaluate(ROW, two[:1] + minis, ALPHA)
    assert row["status"] == "not run" and row["reason"] == (
        "1 seed(s) of run simard_plain, 3 needed; 3 record(s) of its miniature, which do "
        "not count")
    probes = [{**record("simard_plain", 0.5), "scale": "probe"}] * 3
    assert literature_check.evaluate(ROW, two[:1] + probes, ALPHA)["status"] == "not run"


def test_the_tolerance_is_the_seed_and_binomial_spread():
    three = [record("simard_plain", a) for a in (0.983, 0.984, 0.986)]
    r = literature_check.evaluate(ROW, three, ALPHA)
    seed_sd = float(np.std([98.3, 98.4, 98.6], ddof=1))
    binomial = 100 * np.sqrt(r["mean"] / 100 * (1 - r["mean"] / 100) / 10000)
    assert r["seed_sd"] == pytest.approx(seed_sd) and r["binomial_sd"] == pytest.approx(binomial)
    # V = sd^2 (1 + 1/3) + binomial^2; df = V^2 / ((sd^2 (4/3))^2 / 2): the binomial part
    # is known, so only the seed part enters the denominator
    seed_part = seed_sd ** 2 * 4 / 3
    v = seed_part + binomial ** 2
    df = v ** 2 / (seed_part ** 2 / 2)
    assert r["df"] == pytest.approx(df)
    assert r["tolerance"] == pytest.approx(sp.t.ppf(1 - 0.01 / 2, df) * np.sqrt(v) + 0.05)
    assert r["status"] == "pass"
    # by hand, sd 0.1528 and binomial 0.1242: V = 0.04653, df 4.47, t(0.995, 4.47) = 4.29
    assert 0.97 < r["tolerance"] < 0.98
    # seeds that agree exactly: the known binomial part alone, a normal quantile
    same = literature_check.evaluate(ROW, [record("simard_plain", 0.984)] * 3, ALPHA)
    assert same["df"] > 1e9 and same["tolerance"] == pytest.approx(
        sp.norm.ppf(1 - 0.01 / 2) * 100 * np.sqrt(0.984 * 0.016 / 10000) + 0.05)
    far = [record("simard_plain", a) for a in (0.950, 0.951, 0.952)]
    assert literature_check.evaluate(ROW, far, ALPHA)["status"] == "FAIL"


VARIED = {**ROW, "id": "v", "run": "simard_affine", "varies": "r"}


def test_a_row_varying_a_choice_is_compared_with_its_row_seed_by_seed():
    base = seeded("simard_plain", (0.984, 0.986, 0.985))
    # seeds given out of order: paired by seed number, not by position
    moved = seeded("simard_affine", (0.992, 0.990, 0.991), seeds=(1, 0, 2))
    results = [literature_check.evaluate(r, base + moved, ALPHA) for r in (ROW, VARIED)]
    assert results[1]["varies"] == "r" and results[1]["values"] == pytest.approx(
        [99.0, 99.2, 99.1]) and results[1]["seeds"] == [0, 1, 2]
    (choice,) = literature_check.choices([ROW, VARIED], results)
    assert choice["difference"] == pytest.approx(0.6) and choice["seeds"] == [0, 1, 2]
    assert choice["p"] == pytest.approx(stats.paired([99.0, 99.2, 99.1],
                                                     [98.4, 98.6, 98.5])["p"])
    assert choice["p"] < 1e-9  # every seed 0.6 points higher
    same = literature_check.evaluate(VARIED, seeded("simard_affine", (0.984, 0.986, 0.985)),
                                     ALPHA)
    assert literature_check.choices([ROW, VARIED], [results[0], same])[0]["p"] == 1.0
    # not compared while either has not run
    assert literature_check.choices([ROW, VARIED], [results[0], literature_check.evaluate(
        VARIED, [], ALPHA)]) == []
    assert "against `r`, seeds 0, 1, 2: +0.60 points" in literature_check.markdown(
        results, literature_check.choices([ROW, VARIED], results))


def test_a_continued_run_is_compared_with_its_own_seeds_not_as_an_independent_sample():
    """simard_elastic_long holds simard_elastic's first 300 epochs: where the longer run
    found nothing better, its seed's value is the shorter run's. Welch's test takes the
    two as independent samples; the paired test sees the one seed that moved."""
    base = seeded("simard_plain", (0.9903, 0.9915, 0.9917))
    longer = seeded("simard_affine", (0.9911, 0.9915, 0.9917))
    results = [literature_check.evaluate(r, base + longer, ALPHA) for r in (ROW, VARIED)]
    (choice,) = literature_check.choices([ROW, VARIED], results)
    assert choice["t"] == pytest.approx(1.0) and choice["df"] == 2
    assert choice["p"] == pytest.approx(stats.paired([0.08, 0, 0], [0, 0, 0])["p"])


def test_a_choice_without_seeds_in_common_is_not_compared():
    base = seeded("simard_plain", (0.984, 0.985, 0.986))
    other = seeded("simard_affine", (0.990, 0.991, 0.992), seeds=(2, 3, 4))
    results = [literature_check.evaluate(r, base + other, ALPHA) for r in (ROW, VARIED)]
    (choice,) = literature_check.choices([ROW, VARIED], results)
    assert choice["reason"] == "1 seed(s) in common, 3 needed" and "p" not in choice
    assert "against `r`: not compared, 1 seed(s) in common" in literature_check.markdown(
        results, [choice])


def test_a_row_varying_a_choice_is_outside_the_false_failure_family(tmp_path):
    assert literature_check.family([ROW, VARIED]) == 1
    bad = tmp_path / "expected.yaml"
    bad.write_text(yaml.safe_dump({"literature": [ROW, {**VARIED, "varies": "nope"}]}))
    with pytest.raises(UserError, match="varies: 'nope' is not another row's id"):
        literature_check.rows(bad)


ABOVE = {**ROW, "id": "a", "run": "simard_elastic", "book": 99.3, "above": "r"}


def test_the_papers_order_is_reported_seed_by_seed_and_a_reversal_said():
    """docs/literature.md's rows block: whether ours keep the paper's order (Simard's elastic
    above affine above plain), paired by seed; reported, never a row's status."""
    base = seeded("simard_plain", (0.9918, 0.9920, 0.9925))
    lower = seeded("simard_elastic", (0.9903, 0.9915, 0.9917))
    results = [literature_check.evaluate(r, base + lower, ALPHA) for r in (ROW, ABOVE)]
    (order,) = literature_check.orders([ROW, ABOVE], results)
    assert order["paper_difference"] == pytest.approx(0.9)
    assert order["difference"] == pytest.approx(-0.0933, abs=1e-4)
    assert order["order"] == "reversed" and order["seeds"] == [0, 1, 2]
    assert order["p"] == pytest.approx(stats.paired([99.03, 99.15, 99.17],
                                                    [99.18, 99.20, 99.25])["p"])
    text = literature_check.markdown(results, (), [order])
    assert "- `a` above `r` in the paper (+0.90 points); ours, seeds 0, 1, 2: -0.09 points" \
           in text and text.rstrip().endswith("**reversed**")
    higher = seeded("simard_elastic", (0.9930, 0.9935, 0.9931))
    results = [literature_check.evaluate(r, base + higher, ALPHA) for r in (ROW, ABOVE)]
    assert literature_check.orders([ROW, ABOVE], results)[0]["order"] == "as the paper"
    same = seeded("simard_elastic", (0.9918, 0.9920, 0.9925))
    results = [literature_check.evaluate(r, base + same, ALPHA) for r in (ROW, ABOVE)]
    assert literature_check.orders([ROW, ABOVE], results)[0]["order"] == "equal"
    # not compared while either has not run
    assert literature_check.orders([ROW, ABOVE], [results[0], literature_check.evaluate(
        ABOVE, [], ALPHA)]) == []


def test_an_order_the_papers_numbers_do_not_have_is_refused(tmp_path):
    bad = tmp_path / "expected.yaml"
    bad.write_text(yaml.safe_dump({"literature": [ROW, {**ABOVE, "book": 98.0}]}))
    with pytest.raises(UserError, match="above: 'r', but its book 98.0 is not above 98.4"):
        literature_check.rows(bad)
    bad.write_text(yaml.safe_dump({"literature": [ROW, {**ABOVE, "book": ROW["book"]}]}))
    with pytest.raises(UserError, match=f"is not above {ROW['book']}"):  # equal: not above
        literature_check.rows(bad)
    bad.write_text(yaml.safe_dump({"literature": [ROW, {**ABOVE, "above": "a"}]}))
    with pytest.raises(UserError, match="above: 'a' is not another row's id"):
        literature_check.rows(bad)
    for wrong in ({"above": ["r"]}, {"varies": {"r": 1}}):
        bad.write_text(yaml.safe_dump({"literature": [ROW, {**ABOVE, **wrong}]}))
        with pytest.raises(UserError, match="is not another row's id"):
            literature_check.rows(bad)
    bad.write_text(yaml.safe_dump({"literature": [ROW, {**ABOVE, "book": "99.3"}]}))
    with pytest.raises(UserError, match="book: '99.3' is not a number"):
        literature_check.rows(bad)
    for precision in (0, -0.05, float("nan")):  # a paper's rounded number has a precision
        bad.write_text(yaml.safe_dump({"literature": [{**ROW, "book_precision": precision}]}))
        with pytest.raises(UserError, match="book_precision: .* is not a positive number"):
            literature_check.rows(bad)


def test_the_check_of_the_repository_reports_every_row_not_run_without_records(tmp_path):
    out = subprocess.run([sys.executable, "-m", "nndl3", "literature-check", "--expected",
                          str(ROOT / "config" / "expected.yaml"), "--out-md",
                          str(tmp_path / "r.md"), "--out-json", str(tmp_path / "r.json")],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    rows = json.loads((tmp_path / "r.json").read_text())["rows"]
    expected = yaml.safe_load((ROOT / "config" / "expected.yaml").read_text())["literature"]
    assert [r["run"] for r in rows] == [row["run"] for row in expected]
    assert {"simard_plain", "simard_affine", "simard_elastic", "dropout_maxnorm"} <= {
        r["run"] for r in rows}  # the four numbers the chapter cites
    assert {r["status"] for r in rows} == {"not run"}
    assert f"0 passed, 0 weak, 0 failed, {len(rows)} not run" in out.stdout


def test_an_unknown_run_is_one_line_and_exit_1(tmp_path):
    out = subprocess.run([sys.executable, "-m", "nndl3", "literature-train", "--run", "nope",
                          "--seed", "1", "--data", paths.DATA, "--out",
                          str(tmp_path / "x.json"), "--config",
                          str(ROOT / "config" / "config.yaml"), "--literature",
                          str(ROOT / "config" / "literature.yaml")],
                         capture_output=True, text=True)
    assert out.returncode == 1
    assert out.stderr.count("\n") == 1 and "no run 'nope'" in out.stderr
    assert not (tmp_path / "x.json").exists()


def test_the_probe_summary_says_where_each_probed_run_stands(tmp_path):
    files = []
    for run, seed, accuracies, best in (("b", 2, [0.1, 0.9, 0.95], 2), ("a", 1, [0.1, 0.8], 1),
                                        ("b", 1, [0.1, 0.97, 0.96], 1)):
        files.append(tmp_path / f"{run}-{seed}.json")
        files[-1].write_text(json.dumps({**curve_record(run, seed, accuracies, best),
                                         "scale": "probe"}))
    out = tmp_path / "summary.json"
    done = subprocess.run([sys.executable, "-m", "nndl3", "literature-probe", "--records",
                           *map(str, files), "--out", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    runs = json.loads(out.read_text())["runs"]
    assert [r["run"] for r in runs] == ["b", "a"]
    assert runs[0]["seeds"] == [1, 2] and runs[0]["epochs"] == 3
    assert runs[0]["test_last"] == pytest.approx([96.0, 95.0])
    assert runs[0]["test_at_best"] == pytest.approx([97.0, 95.0])
    assert runs[0]["best_epochs"] == [1, 2]
    from nndl3 import literature_docs

    (tmp_path / paths.LITERATURE_PROBE_JSON).parent.mkdir(parents=True)
    (tmp_path / paths.LITERATURE_PROBE_JSON).write_text(out.read_text())
    assert "| `b` | 3 | 96.00, 95.00 | 97.00 (1), 95.00 (2) |" in (
        literature_docs.literature_probe(tmp_path))


@pytest.mark.parametrize("second, message", [
    ({"seed": 1}, "run a seed 1 again (also "),
    ({"test_accuracy": [0.1, 0.2], "validation_accuracy": [0.1, 0.05]},
     "2 epochs, where the run's other seeds have 1"),
    ({"best_epoch": None}, "best_epoch None, test_at_best 0.1: not the epoch best on "
                           "validation (0) and the test accuracy there (0.1)"),
    # what a hand-edited record showed as a result: a test accuracy read at no epoch
    ({"test_at_best": 0.99}, "best_epoch 0, test_at_best 0.99: not the epoch best on "
                             "validation (0)"),
    ({"best_epoch": 99}, "best_epoch 99, test_at_best 0.1: not the epoch best"),
    ({"n_test": 0}, "n_test 0: not a number of test images"),
    ({"spec": "x"}, "'spec' is 'x', not a mapping"),
])
def test_the_probe_summary_refuses_records_that_do_not_fit(tmp_path, second, message):
    first = {**curve_record("a", 1, [0.1], 0), "scale": "probe"}
    files = [tmp_path / "1.json", tmp_path / "2.json"]
    files[0].write_text(json.dumps(first))
    other = {**first, "seed": 2, **second}
    files[1].write_text(json.dumps({k: v for k, v in other.items() if v is not None}))
    out = tmp_path / "summary.json"
    done = subprocess.run([sys.executable, "-m", "nndl3", "literature-probe", "--records",
                           *map(str, files), "--out", str(out)], capture_output=True, text=True)
    assert done.returncode == 1 and done.stderr.count("\n") == 1
    assert f"{files[1]}: {message}" in done.stderr
    assert not out.exists()


def test_the_probe_summary_refuses_a_record_that_is_not_a_probes(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps({**curve_record("a", 1, [0.1], 0), "scale": "runs"}))
    out = tmp_path / "summary.json"
    done = subprocess.run([sys.executable, "-m", "nndl3", "literature-probe", "--records",
                           str(path), "--out", str(out)], capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1
    assert f"{path}: a record of scale 'runs', not a probe's" in done.stderr
    assert not out.exists()


CURVE_FIGURES = [name for name, fig in LITERATURE["figures"].items()
                 if fig["family"] == "literature_curves"]


def curve_record(run, seed, accuracies, best):
    return {"schema": literature.RECORD_SCHEMA, "run": run, "seed": seed,
            "test_accuracy": accuracies, "validation_accuracy": accuracies,
            "best_epoch": best, "test_at_best": accuracies[best], "n_test": 10_000,
            "spec": {}}


def test_the_curve_figures_draw_every_run_and_the_papers_numbers():
    """The curve figures together draw every literature run, and a figure's `paper` is the
    paper's error of the run's row in config/expected.yaml, where the run has one."""
    expected = yaml.safe_load((ROOT / "config" / "expected.yaml").read_text())["literature"]
    rows = {row["run"]: row["book"] for row in expected}
    drawn = [s["run"] for name in CURVE_FIGURES for s in LITERATURE["figures"][name]["series"]]
    assert set(drawn) == set(LITERATURE["runs"])
    for name in CURVE_FIGURES:
        for series in LITERATURE["figures"][name]["series"]:
            if series["run"] in rows:
                assert series["paper"] == pytest.approx(100 - rows[series["run"]])


def test_a_curve_figure_draws_the_seeds_mean_band_paper_and_best_epochs(tmp_path):
    """Drawn through the registry (nndl3.figures, as `python -m nndl3 plot` does): the
    seeds' mean test error per epoch, their min-max band, the paper's error, each seed's
    test error at its best validation epoch; a run without records is named not run."""
    from matplotlib.collections import PolyCollection

    from nndl3 import figures

    fig_spec = LITERATURE["figures"]["simard_curves"]
    paths = []
    for seed, top in ((1, 0.980), (2, 0.984), (3, 0.988)):
        for run in ("simard_plain", "simard_elastic"):
            path = tmp_path / f"{run}-{seed}.json"
            path.write_text(json.dumps(curve_record(run, seed, [0.97, top, top - 0.002], 1)))
            paths.append(str(path))
    fig = figures.draw(fig_spec, {"literature": paths})
    ax = fig.axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    plain = lines["no distortion (mean of 3)"]
    assert np.allclose(plain.get_ydata(), [3.0, 1.6, 1.8])
    assert np.allclose(lines["no distortion: paper 1.6 %"].get_ydata(), [1.6, 1.6])
    dots = lines["no distortion: at best validation"]
    assert list(dots.get_xdata()) == [1, 1, 1]
    assert np.allclose(dots.get_ydata(), [2.0, 1.6, 1.2])
    assert "affine: not run" in lines and not len(lines["affine: not run"].get_xdata())
    band = [c for c in ax.collections if isinstance(c, PolyCollection)][0]
    assert np.isclose(band.get_paths()[0].vertices[:, 1].max(), 3.0)  # epoch 0: all at 97 %
    assert ax.get_ylim() == tuple(fig_spec["ylim"])


def test_a_curve_figure_leaves_its_error_axis_when_a_run_ends_above_it(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps(curve_record("dropout_maxnorm", 1, [0.1, 0.1], 0)))
    from nndl3 import figures

    fig = figures.draw(LITERATURE["figures"]["dropout_curves"], {"literature": [str(path)]})
    assert fig.axes[0].get_ylim()[1] > 90


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
    # one alpha (the schema's least): one row of panels, not an IndexError
    fig = plotting.elastic_digits({**spec, "alphas": [34.0]}, {"train": (x, labels)})
    assert len(fig.axes) == 3


# the probe of the hidden-only bound: docs/literature.md states both (test_restated_values)
HINTON_PROBE_IMAGES, HINTON_PROBE_BATCHES = 300, 3


def hinton_after_three_batches(spec):
    """dropout_maxnorm's network after three mini-batches of its first epoch on synthetic
    digits: the second hidden layer's test-time activations, and that layer's weights."""
    from nndl3 import wide
    from nndl3.train import streams

    x, labels = synthetic_digits(HINTON_PROBE_IMAGES, dtype=np.float32)
    rng = streams(1)
    net = literature.create(spec, rng["init"])
    images = wide.csr(x)
    batches = np.arange(HINTON_PROBE_IMAGES).reshape(HINTON_PROBE_BATCHES, spec["mini_batch"])
    with np.errstate(over="ignore"):
        for rows in batches:
            net.step(images, labels, rows, literature.eta_of(spec, 0),
                     literature.momentum_of(spec, 0), rng["dropout"])
        a1 = wide.sigmoid(x @ net.w1t + net.biases[0])
        a2 = wide.sigmoid((a1 * 0.5) @ net.rest[0].T + net.biases[1])
    return a2, net.rest[0]


def saturated(a):
    return float(np.mean((a < 0.01) | (a > 0.99)))


def test_dropout_maxnorm_with_the_papers_hidden_bound_only_saturates_at_once():
    """The deviation of docs/literature.md (Choices): Hinton 2012's settings with the bound
    on the hidden neurons only, as the paper words it (eta 10 damped by 1 - 0.5, weights
    N(0, 0.01^2), max-norm 15, logistic neurons), drive the second hidden layer into
    saturation within three mini-batches of its first epoch, its weights onto the max-norm
    bound: its neurons then pass back no gradient, and the run stays at chance."""
    spec = literature.run_spec(CONFIG, LITERATURE, "dropout_maxnorm")
    a2, w2 = hinton_after_three_batches({**spec, "max_norm_output": False})
    assert saturated(a2) > 0.95
    assert np.einsum("ij,ij->i", w2, w2).max() == pytest.approx(spec["max_norm"], rel=1e-4)


def test_the_dropout_runs_bound_their_output_neurons_and_need_a_bound_to_do_so():
    """The deviation above is configured on every dropout run, and is a schema option that
    says what it needs."""
    for run in ("dropout_maxnorm", "dropout_maxnorm_input", "dropout_none"):
        spec = literature.run_spec(CONFIG, LITERATURE, run)
        assert spec["max_norm_output"] and spec["max_norm"] == 15.0
    spec = {**CONFIG["defaults"], "seeds": [1], "engine": "wide", "max_norm_output": True}
    with pytest.raises(UserError, match="max_norm_output: true bounds the output neurons"):
        runspec.validate(spec, "here")
    spec = {**CONFIG["defaults"], "seeds": [1], "engine": "wide", "max_norm": 15.0,
            "sizes": [784, 10]}
    with pytest.raises(UserError, match=r"sizes \[784, 10\] have none"):
        runspec.validate(spec, "here")
    runspec.validate({**spec, "max_norm_output": True}, "here")


def test_the_cost_block_refuses_a_cost_measured_for_other_runs(tmp_path):
    """benchmarks/literature_cost.py's record must cover config/literature.yaml's runs at
    their epochs, or the docs block would price runs that are not the configured ones."""
    from nndl3 import literature_docs

    (tmp_path / "config").mkdir()
    (tmp_path / paths.LITERATURE_CONFIG).write_text(
        (ROOT / paths.LITERATURE_CONFIG).read_text())
    rows = [{"run": name, "epochs": spec.get("epochs"), "epochs_measured": 4,
             "cpu_per_epoch": 1.0, "wall_per_epoch": 1.0, "cpu_hours_per_seed": 0.1}
            for name, spec in LITERATURE["runs"].items()]
    cost = tmp_path / paths.LITERATURE_COST
    cost.parent.mkdir()
    cost.write_text(json.dumps({"rows": rows, "seeds": 3, "total_cpu_hours": 1.0}))
    assert "| `simard_plain` |" in literature_docs.literature_cost(tmp_path)
    cost.write_text(json.dumps({"rows": rows[1:], "seeds": 3, "total_cpu_hours": 1.0}))
    with pytest.raises(UserError, match=f"or not at all: {rows[0]['run']} .*literature_cost"):
        literature_docs.literature_cost(tmp_path)


def wide_record(ratio, distort_seconds):
    distortion = {"images": 50000, "distort_seconds": distort_seconds, "csr_seconds": 0.1,
                  "nonzero_share": 0.26, "wide_epoch_seconds": 1.0}
    return {"targets": {"wide_over_numpy_at_least": 6},
            "one_hidden": {"ratio": ratio}, "distortion": {"elastic": distortion}}


def test_the_wide_target_line_follows_the_numbers():
    from nndl3 import literature_docs

    text = literature_docs.wide_targets(wide_record(6.6, 0.8))
    assert "**6.6x the NumPy engine** (at least 6x: met)" in text
    assert "elastic distortions and their CSR form 0.90 s against the wide epoch on them " \
           "1.00 s (within it: met)" in text
    text = literature_docs.wide_targets(wide_record(5.2, 0.95))
    assert "(at least 6x: not met)" in text and "(within it: not met)" in text
    # judged as printed: 5.96 reads 6.0x, and 6.0x meets at least 6x
    assert "**6.0x the NumPy engine** (at least 6x: met)" in literature_docs.wide_targets(
        wide_record(5.96, 0.8))
    assert "no target line" in literature_docs.wide_targets({})


def test_the_design_doc_states_the_wide_benchmark_target():
    import ast

    tree = ast.parse((ROOT / "benchmarks" / "wide.py").read_text())
    targets = next(ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)
                   and getattr(n.targets[0], "id", None) == "TARGETS")
    design = " ".join((ROOT / "docs" / "design.md").read_text().split())
    assert f"[784, 800, 10] float32 at least {targets['wide_over_numpy_at_least']:g}x the " \
           "NumPy mini-batch engine" in design


def test_literature_md_states_the_configured_values_it_describes():
    """docs/literature.md describes the runs in words; the values it names are the config's
    and the schema's, so that neither changes without the other."""
    doc = " ".join((ROOT / "docs" / "literature.md").read_text().split())
    options = doc[doc.index("with the options of `src/nndl3/run.schema.yaml` ("):][:200]
    assert all(f"`{name}`" in options for name in runspec.WIDE_ONLY)
    digits = LITERATURE["figures"]["simard_elastic_digits"]
    assert (f"sigma {', '.join(f'{s:g}' for s in digits['sigmas'])} and alpha "
            f"{', '.join(f'{a:g}' for a in digits['alphas'])}") in doc
    affine = LITERATURE["runs"]["simard_affine"]["distortion"]
    assert (f"rotation uniform in +-{affine['max_degrees']:g} degrees, horizontal skew "
            f"(x += s y) uniform in +-{affine['max_skew']:g}, shift uniform in "
            f"+-{affine['max_shift']:g} pixels") in doc
    plain = literature.run_spec(CONFIG, LITERATURE, "simard_plain")
    decay = plain["eta_decay"]
    assert (f"**Simard, epochs**: {plain['epochs']} (\"hundreds\"), eta multiplied by "
            f"{decay['factor']:g} every {decay['every']}") in doc
    assert (f"mini-batch {plain['mini_batch']} at eta = {plain['eta']:g}, i.e. "
            f"{plain['eta'] / plain['mini_batch']:g} per image's gradient") in doc
    online = literature.run_spec(CONFIG, LITERATURE, "simard_plain_online")
    assert online["mini_batch"] == 1
    assert f"the plain run with per-image updates at {online['eta']:g}" in doc
    longer = literature.run_spec(CONFIG, LITERATURE, "simard_elastic_long")
    assert f"the elastic run for {longer['epochs']} epochs" in doc
    assert f"**Simard, biases**: drawn like the weights, N(0, {plain['init_std']:g}^2)" in doc
    half = LITERATURE["runs"]["simard_affine_half"]["distortion"]
    assert all(half[k] == affine[k] / 2 for k in affine if k != "kind")
    assert "the same run at half of each range" in doc
    hinton = literature.run_spec(CONFIG, LITERATURE, "dropout_maxnorm")
    damped = hinton["eta"] * (1 - hinton["momentum_schedule"]["start"])
    assert (f"**Hinton, network**: {hinton['sizes']} (the figure's nets have two hidden "
            "layers of") in doc
    assert f"biases N(0, {hinton['init_std']:g}^2) like the weights" in doc
    assert f"with the rate of {hinton['eta']:g} ({damped:g} after the damping)" in doc
    assert f"incoming weights at {hinton['max_norm']:g}, after every update" in doc
    assert "the bias is left out of that length (choice" in doc
    # the 500-epoch elastic run continues the 300-epoch one by this many epochs
    elastic = literature.run_spec(CONFIG, LITERATURE, "simard_elastic")
    assert (f"it is the {elastic['epochs']}-epoch run continued: its first {elastic['epochs']} "
            f"epochs are that run's, so a seed's value moves only where the "
            f"{longer['epochs'] - elastic['epochs']} more epochs") in doc
    assert f"which shows from epoch {elastic['epochs']} on" in doc
    # what the wide engine does not take, each option of runspec.WIDE_FIXED in words
    said = {"hidden": "sigmoid neurons", "output": "sigmoid neurons",
            "cost": "cross-entropy cost", "lmbda": "no penalty", "regularization": "no penalty",
            "early_stopping": "no stopping rule", "schedule": "no learning-rate halving",
            "monitor_every": "a measurement every epoch", "rotation": "no rotations"}
    assert set(said) == set(runspec.WIDE_FIXED)
    fixed = doc[doc.index("The wide engine trains "):doc.index("(`nndl3.runspec.WIDE_FIXED`)")]
    assert all(words in fixed for words in said.values()), fixed


def test_the_committed_literature_result_is_what_the_check_makes_of_its_seeds():
    """results/literature/runs/reproduction.json, committed as docs/literature.md's rows
    block's input (its records are hours of CPU), is what today's check and today's
    config/expected.yaml make of the seeds it holds: a change to either that would change
    the block fails here until the result is remade (`snakemake literature`)."""
    committed = json.loads((ROOT / paths.LITERATURE_JSON.format(scale="runs")).read_text())
    expected = ROOT / "config" / "expected.yaml"
    records = [{"run": r["run"], "seed": seed, "test_at_best": value / 100, "n_test": 10000,
                "best_epoch": epoch}
               for r in committed["rows"] if "values" in r
               for seed, value, epoch in zip(r["seeds"], r["values"], r["best_epochs"],
                                             strict=True)]
    rows, results = literature_check.judged(expected, records)
    assert [r["id"] for r in committed["rows"]] == [row["id"] for row in rows]
    for mine, theirs in zip(results, committed["rows"], strict=True):
        assert mine["status"] == theirs["status"]
        if "tolerance" in theirs:
            assert mine["tolerance"] == pytest.approx(theirs["tolerance"], rel=1e-9)
    for key, make in (("choices", literature_check.choices),
                      ("orders", literature_check.orders)):
        made = json.loads(json.dumps(make(rows, results)))
        assert len(made) == len(committed[key])
        for mine, theirs in zip(made, committed[key], strict=True):
            assert mine.keys() == theirs.keys()
            for k, v in theirs.items():
                assert mine[k] == (pytest.approx(v, rel=1e-9)
                                   if isinstance(v, float) else v), (key, k)


def test_the_docs_name_the_literature_runs_log_and_checkpoint_paths_the_workflow_uses():
    """The log path is literature_train's `log:` (workflow/rules/literature.smk:
    paths.LITERATURE_LOG), the checkpoint folder paths.LITERATURE_CHECKPOINT's: the docs
    that tell a user where to look follow them."""
    rules = (ROOT / "workflow" / "rules" / "literature.smk").read_text()
    rule = rules[rules.index("rule literature_train:"):]
    assert re.match(r"\s*paths\.LITERATURE_LOG,", rule[rule.index("log:") + 4:])
    shown = paths.LITERATURE_LOG.format(scale="runs", run="<run>", seed="<seed>")
    for doc in ("literature.md", "cluster.md"):
        assert f"`{shown}`" in (ROOT / "docs" / doc).read_text(), doc
    folder = paths.LITERATURE_CHECKPOINT[:paths.LITERATURE_CHECKPOINT.index("{")]
    assert f"`{folder}` (`nndl3.paths.LITERATURE_CHECKPOINT`)" in " ".join(
        (ROOT / "docs" / "literature.md").read_text().split())


def test_the_rows_block_says_which_rows_were_made_by_other_code_than_this_checkouts():
    from nndl3.literature_docs import provenance

    def made(row_id, codes):
        return {"id": row_id, "values": [99.0] * len(codes), "seeds": [1, 2, 3][:len(codes)],
                **({"code": codes} if codes[0] != "absent" else {})}

    now = "abc"
    assert provenance([{"id": "a", "status": "not run"}], now) == "No row is made."
    assert provenance([made("a", [now] * 3), {"id": "b"}], now) == (
        "Every made row's records were made by this checkout's `literature-train` "
        "(code `abc`).")
    text = provenance([made("a", [now] * 3), made("b", [now, "old", None]),
                       made("c", ["absent"] * 3)], now)
    assert text.endswith("remakes it): this checkout's: `a`, `b`; not recorded (the row "
                         "predates the records' `code`): `b`, `c`; code `old`: `b`.")


def test_the_papers_effect_is_its_difference_to_what_it_compares_the_number_with():
    """To an `above` row either way, to `compared_with`; a `varies` row has its row's."""
    middle = {**ROW, "id": "m", "book": 98.9, "above": "r"}
    top = {**ROW, "id": "t", "book": 99.3, "above": "m"}
    other = {**ROW, "id": "o", "book": 98.7, "compared_with": 98.4}
    alone = {**ROW, "id": "x", "book": 97.0}
    same = {**ROW, "id": "s", "book": 97.0, "compared_with": 97.0}  # no difference reported
    effects = literature_check.paper_effects([ROW, middle, top, VARIED, other, alone, same])
    assert effects.pop("x") is None and effects.pop("s") is None
    assert effects == pytest.approx({"r": 0.5, "m": 0.4, "t": 0.4, "v": 0.5, "o": 0.3})


def test_a_pass_that_cannot_see_the_papers_effect_is_weak():
    """The detectable shift is the gate's: the tolerance plus t(power, df) sds of the
    difference; above the paper's effect, a pass is `weak`, and a fail stays a fail."""
    spread = [record("simard_plain", a) for a in (0.983, 0.984, 0.986)]
    result = literature_check.evaluate(ROW, spread, ALPHA)
    sigma = literature_check.difference_spread(result["seed_sd"], 3, result["binomial_sd"])
    shift = result["tolerance"] + sp.t.ppf(0.8, result["df"]) * sigma.sigma
    other = {**ROW, "id": "o", "compared_with": 98.4 - 0.5}
    (judged,) = literature_check.with_power([other], [{**result, "id": "o"}], 0.8, ALPHA)
    assert judged["detectable_shift"] == pytest.approx(shift)
    assert judged["paper_effect"] == pytest.approx(0.5) and judged["status"] == "weak"
    wide = {**other, "compared_with": 98.4 - shift - 0.01}
    (seen,) = literature_check.with_power([wide], [{**result, "id": "o"}], 0.8, ALPHA)
    assert seen["status"] == "pass"
    # a weak row judged again is judged afresh (a stored result made by this code is weak
    # already): against an effect its shift can see, a pass
    (again,) = literature_check.with_power([wide], [judged], 0.8, ALPHA)
    assert again["status"] == "pass"
    failed = {**result, "id": "o", "status": "FAIL"}
    assert literature_check.with_power([other], [failed], 0.8, ALPHA)[0]["status"] == "FAIL"
    not_run = literature_check.evaluate(ROW, [], ALPHA)
    assert literature_check.with_power([ROW], [not_run], 0.8, ALPHA) == [not_run]


def test_what_more_seeds_could_see_is_the_gates_shift_at_more_seeds():
    """With unlimited seeds the spread is known (normal quantiles) and the mean's own part
    gone; with no seed spread only the binomial part and the precision remain; the seeds
    a row needs are the fewest whose shift, by hand, is within the paper's effect."""
    spread = [record("simard_plain", a) for a in (0.983, 0.984, 0.986)]
    result = literature_check.evaluate(ROW, spread, ALPHA)
    sd, b = result["seed_sd"], result["binomial_sd"]
    z = sp.norm.ppf(1 - ALPHA / 2) + sp.norm.ppf(0.8)
    unlimited = z * math.hypot(sd, b) + 0.05

    def by_hand(n):
        s = literature_check.difference_spread(sd, n, b)
        return (sp.t.ppf(1 - ALPHA / 2, s.df) + sp.t.ppf(0.8, s.df)) * s.sigma + 0.05

    # an effect the rows' 3 seeds cannot see, but 9 or more can
    effect = (by_hand(8) + by_hand(9)) / 2
    other = {**ROW, "id": "o", "compared_with": 98.4 - effect}
    (judged,) = literature_check.with_power([other], [{**result, "id": "o"}], 0.8, ALPHA)
    assert judged["shift_unlimited"] == pytest.approx(unlimited)
    assert judged["shift_no_spread"] == pytest.approx(z * b + 0.05)
    assert judged["status"] == "weak" and judged["seeds_to_see"] == 9
    assert literature_check.more_seeds_lines([judged])[-1] == (
        "- within the paper's effect from more seeds at the seed spread measured: `o` "
        "from 9 seeds")
    # an effect below the shift with unlimited seeds: no number of seeds sees it
    (never,) = literature_check.with_power(
        [{**other, "compared_with": 98.4 - (unlimited - 0.01)}], [{**result, "id": "o"}],
        0.8, ALPHA)
    assert never["seeds_to_see"] is None
    assert literature_check.more_seeds_lines([never])[-1].startswith(
        "- weak with any number of seeds at the seed spread measured")
    # an effect unlimited seeds see but 10,000 do not: neither "any number" nor a count
    beyond = (unlimited + by_hand(literature_check.MOST_SEEDS)) / 2
    (far,) = literature_check.with_power(
        [{**other, "compared_with": 98.4 - beyond}], [{**result, "id": "o"}], 0.8, ALPHA)
    assert far["seeds_to_see"] is None and far["shift_unlimited"] < beyond
    assert literature_check.more_seeds_lines([far])[-1] == (
        "- within the paper's effect only beyond 10,000 seeds at the seed spread measured: `o`")
    (floor,) = literature_check.with_power(
        [{**other, "compared_with": 98.4 - z * b}], [{**result, "id": "o"}], 0.8, ALPHA)
    assert literature_check.more_seeds_lines([floor])[-1].startswith(
        "- weak whatever the seeds and their spread")
    (seen,) = literature_check.with_power(
        [{**other, "compared_with": 98.4 - 2 * unlimited}], [{**result, "id": "o"}], 0.8,
        ALPHA)
    assert seen["status"] == "pass" and seen["seeds_to_see"] == 3
    assert literature_check.more_seeds_lines([seen]) == []


def test_compared_with_must_be_a_number(tmp_path):
    bad = tmp_path / "expected.yaml"
    bad.write_text(yaml.safe_dump({"literature": [{**ROW, "compared_with": "98.4"}]}))
    with pytest.raises(UserError, match=r"literature r: compared_with: '98.4' is not a number"):
        literature_check.rows(bad)


@pytest.mark.parametrize("argv, words", [
    (["--run", "simard_elastc", "--seed", "1"], "config/literature.yaml: runs: no run "
     "'simard_elastc' (one of simard_plain,"),
    (["--run", "simard_elastic", "--seed", "7"], "--seed: 7 is not one of the run's seeds "
     "[1, 2, 3] (config `seeds:`)"),
    (["--run", "simard_elastic", "--seed", "4", "--spec", '{"seeds": [4]}'],
     "--spec: engine: 'auto': the literature runs train with engine 'wide'")])
def test_check_only_refuses_a_literature_run_seed_or_spec_the_job_would(argv, words, capsys):
    """Before hours of CPU are queued: `--check-only` checks what the job checks first."""
    from nndl3 import cli

    assert cli.main(["--check-only", "literature-train", *argv, "--out", "x.json"]) == 1
    assert capsys.readouterr().err.startswith(f"error: {words}")


def test_the_workflow_passes_a_literature_job_the_spec_of_its_merged_config(tmp_path):
    """A --configfile's seed reaches the job (it read the committed config/config.yaml and
    refused seed 4) in a spec of that seed alone; a scale without the run passes none, and
    the job names that."""
    mine = tmp_path / "mine.yaml"
    mine.write_text("seeds: [1, 2, 3, 4]\n")

    def command(target):
        out = subprocess.run([sys.executable, "-m", "snakemake", "-n", "-p", "--cores", "1",
                              target, "--configfile", str(mine)], cwd=ROOT,
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        (line,) = [x for x in (out.stdout + out.stderr).splitlines()
                   if "python -m nndl3 literature-train" in x]
        return line

    line = command("results/literature/miniature/simard_elastic/seed-4.json")
    spec = json.loads(re.search(r"--spec '(\{.*?\})'", line).group(1))
    assert spec["seeds"] == [4] and spec["engine"] == "wide"  # its seed alone: see below
    assert "--threads 1" in line  # a distorted run's 2 threads, scaled to --cores 1
    # seed 1's spec is the same with seed 4 added: adding a seed reruns no other seed
    seed_1 = command("results/literature/miniature/simard_elastic/seed-1.json")
    mine.write_text("seeds: [1, 2, 3]\n")
    assert command("results/literature/miniature/simard_elastic/seed-1.json") == seed_1
    # a seed the config does not have is no target (it planned a run with a spec for it)
    other = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--cores", "1",
                            "results/literature/miniature/simard_elastic/seed-4.json",
                            "--configfile", str(mine)], cwd=ROOT, capture_output=True,
                           text=True, timeout=120)
    assert other.returncode == 1
    assert "No rule to produce results/literature/miniature/simard_elastic/seed-4.json" in \
        other.stdout + other.stderr
    assert "--spec" not in command("results/literature/miniature/simard_plain/seed-1.json")


def test_a_record_or_figure_of_a_scale_that_is_none_is_named(tmp_path):
    """A record of scale 'huge' was read and counted as no row's; a figure spec of it was
    drawn. Both name the scale now (paths.LITERATURE_SCALES)."""
    from nndl3 import figures
    from nndl3.errors import UserError

    path = tmp_path / "r.json"
    path.write_text(json.dumps({**curve_record("simard_plain", 1, [0.9], 0), "scale": "huge"}))
    with pytest.raises(UserError, match=f"^{path}: scale: 'huge' is not one of runs, "):
        literature.read_record(path)
    path.write_text(json.dumps({**curve_record("simard_plain", 1, [0.9], 0), "scale": "probe"}))
    assert literature.read_record(path)["scale"] == "probe"
    fig = {**LITERATURE["figures"]["dropout_curves"], "scale": "huge"}
    with pytest.raises(UserError, match="^--spec: scale: 'huge' is not one of runs, "):
        figures.checked(fig, "--spec")


def test_the_wide_rows_say_the_settings_their_record_names():
    """The wide table's words for a row come from the record (what the benchmark ran, from
    config/literature.yaml's run), not typed beside it."""
    from nndl3 import literature_docs

    row = {"run": "dropout_maxnorm", "momentum": 0.5,
           "options": {"dropout": 0.5, "max_norm": 15.0, "input_dropout": 0.0}}
    assert literature_docs.wide_settings(row) == (
        " (`dropout_maxnorm`; wide: dropout 0.5, max-norm, momentum 0.5)")
    assert literature_docs.wide_settings({"run": "simard_plain", "momentum": 0.0,
                                          "options": {"dropout": 0.0}}) == " (`simard_plain`)"
    assert literature_docs.wide_settings({}) == ""


def test_the_wide_benchmark_times_the_configured_runs():
    """benchmarks/wide.py's networks and distortions are config/literature.yaml's runs'."""
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import wide

    specs = wide.specs()
    assert specs["one_hidden"] == literature.run_spec(
        workflow_config.read_committed(ROOT / paths.CONFIG), LITERATURE, "simard_plain")
    assert specs["two_hidden"]["sizes"] == LITERATURE["runs"]["dropout_maxnorm"]["sizes"]
    assert specs["elastic"]["distortion"] == LITERATURE["runs"]["simard_elastic"]["distortion"]


def test_a_row_whose_paper_number_is_compared_before_it_is_checked_is_named(tmp_path):
    """The row an `above` names was compared with before its own book was checked: a
    quoted number there was an 'unexpected TypeError'."""
    bad = tmp_path / "expected.yaml"
    bad.write_text(yaml.safe_dump({"literature": [ABOVE, {**ROW, "book": "98.4"}]}))
    with pytest.raises(UserError, match="literature r: book: '98.4' is not a number"):
        literature_check.rows(bad)


def test_a_row_not_run_says_whether_it_could_pass_at_all():
    """Before its hours of CPU: with no seed spread and unlimited seeds, the test set's
    binomial spread at the paper's number and the paper's precision alone; above the
    paper's effect, the row can only be weak if it passes (dropout_maxnorm_test)."""
    z = sp.norm.ppf(1 - ALPHA / 2) + sp.norm.ppf(0.8)
    floor = z * 100 * math.sqrt(0.984 * 0.016 / 10_000) + ROW["book_precision"]
    not_run = literature_check.evaluate(ROW, [], ALPHA)
    close = {**ROW, "compared_with": ROW["book"] - (floor - 0.01)}
    (r,) = literature_check.with_power([close], [not_run], 0.8, ALPHA)
    assert r["status"] == "not run" and r["shift_no_spread"] == pytest.approx(floor)
    assert literature_check.more_seeds_lines([r])[-1] == (
        "- not run, and weak if it passes, whatever its seeds: at the paper's number, the "
        "test set's binomial spread and the paper's precision alone make the detectable "
        f"shift exceed the paper's effect: `r` ({floor:.2f} > {floor - 0.01:.2f})")
    far = {**ROW, "compared_with": ROW["book"] - (floor + 0.01)}
    (seen,) = literature_check.with_power([far], [not_run], 0.8, ALPHA)
    assert literature_check.more_seeds_lines([seen]) == []
