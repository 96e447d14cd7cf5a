"""The chapter's techniques (section 10): softmax + log-likelihood, tanh and ReLU hidden
neurons, momentum, early stopping, the learning-rate schedule; and divergence."""

import io
import json
import subprocess
import sys

import numpy as np
import pytest

from nndl3 import aggregate as agg_module
from nndl3 import check, fast, runspec
from nndl3 import train as train_module
from nndl3.errors import UserError
from nndl3.network import Network, cost_value, one_hot, softmax
from nndl3.train import SCHEDULE_FLOOR, Stopper, streams, train

from .conftest import options, synthetic_digits

QUIET = io.StringIO


# ---------------------------------------------------------------- the math


# The gradient checks of softmax + log-likelihood and of tanh and ReLU hidden layers are
# in test_network.py, with the book's costs.


def test_log_likelihood_is_minus_log_softmax_of_the_label_and_finite():
    z = np.array([[1.0, 2.0, 3.0], [1000.0, -1000.0, 0.0]])
    y = one_hot([0, 1], 3)
    expected = -np.log(softmax(z[:1])[0, 0]) + 2000.0  # -ln a_y; the second row: 2000 exactly
    np.testing.assert_allclose(cost_value("log-likelihood", z, y), expected, rtol=1e-12)
    net = Network.create([4, 3, 3], "default", np.random.default_rng(0),
                         options=options(cost="log-likelihood"))
    np.testing.assert_allclose(net.feedforward(np.ones((2, 4))).sum(axis=1), 1.0)


@pytest.mark.parametrize("hidden", ["tanh", "relu"])
def test_dropped_neurons_get_no_gradient(hidden):
    rng = np.random.default_rng(5)
    net = Network.create([6, 5, 3], "default", rng, options=options(dropout=0.5, hidden=hidden))
    x, y = rng.uniform(0, 1, (4, 6)), one_hot([0, 1, 2, 0], 3)
    mask = np.array([True, False, True, False, True])
    grad_w, grad_b = net.backprop(x, y, [mask])
    assert np.all(grad_w[0][~mask] == 0) and np.all(grad_b[0][~mask] == 0)


@pytest.mark.parametrize("regularization,lmbda", [("l2", 0.0), ("l2", 2.0), ("l1", 2.0)])
def test_momentum_update_over_two_steps(regularization, lmbda):
    """v <- mu v - (eta lambda / n) w' - (eta/m) sum grad, w <- w + v (biases: no w' term),
    with w' = w (L2) or sgn(w) (L1); the velocity carries over to the second step."""
    eta, mu, n = 0.3, 0.6, 50
    rng = np.random.default_rng(2)
    net = Network.create([5, 4, 2], "default", rng, options=options(
        momentum=mu, lmbda=lmbda, regularization=regularization))
    ref = [p.copy() for p in net.weights + net.biases]
    velocity = [np.zeros_like(p) for p in ref]
    batches = [(rng.uniform(0, 1, (3, 5)), one_hot([0, 1, 1], 2)),
               (rng.uniform(0, 1, (2, 5)), one_hot([1, 0], 2))]  # m = 3, then a partial 2
    for x, y in batches:
        probe = Network([p.copy() for p in ref[:2]], [p.copy() for p in ref[2:]])
        grads = sum(probe.backprop(x, y), [])
        for i, (p, g) in enumerate(zip(ref, grads, strict=True)):
            decay = 0.0
            if i < 2 and lmbda:
                decay = eta * lmbda / n * (p if regularization == "l2" else np.sign(p))
            velocity[i] = mu * velocity[i] - decay - eta / len(x) * g
            ref[i] = p + velocity[i]
        net.update_with_momentum(x, y, eta, n)
    for got, want in zip(net.weights + net.biases, ref, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_momentum_zero_is_plain_sgd_bit_for_bit(tiny_data, base_spec):
    plain = train("r", base_spec, tiny_data, log=QUIET())
    explicit = train("r", {**base_spec, "momentum": 0.0, "hidden": "sigmoid",
                           "output": "sigmoid", "early_stopping": 0, "schedule": 0},
                     tiny_data, log=QUIET())
    assert [r["metrics"] for r in plain] == [r["metrics"] for r in explicit]


# ---------------------------------------------------------------- stopping rules


def test_schedule_halves_exactly_when_the_rule_fires_and_stops_at_1_128():
    stopper = Stopper(0.8, early_stopping=0, schedule=2)
    accuracies = [0.5, 0.6, 0.6, 0.55, 0.7] + [0.1] * 20
    etas, stops = [], []
    for epoch, acc in enumerate(accuracies):
        etas.append(stopper.eta)  # eta the epoch trained with
        reason = stopper.after_epoch(acc)
        if reason:
            stops.append(epoch)
            break
    # best at epochs 0, 1, 4; no improvement at 2, 3 -> halve after epoch 3; then every
    # 2 epochs after 4: after 6, 8, 10, 12, 14, 16 -> 0.8 / 2**7 = 0.8 / 128
    assert etas[:5] == [0.8] * 4 + [0.4]
    assert etas[5:7] == [0.4, 0.4] and etas[7] == 0.2
    assert stops == [16] and stopper.eta == pytest.approx(0.8 * SCHEDULE_FLOOR)
    assert sorted(set(etas)) == [0.8 / 2 ** k for k in range(6, -1, -1)]


def test_early_stopping_stops_at_the_first_epoch_that_completes_n_without_improvement():
    stopper = Stopper(0.5, early_stopping=3, schedule=0)
    accuracies = [0.5, 0.6, 0.6, 0.59, 0.61, 0.6, 0.6, 0.6, 0.9]
    reasons = [stopper.after_epoch(a) for a in accuracies]
    first = next(i for i, r in enumerate(reasons) if r)
    assert first == 7  # best 0.61 at epoch 4; epochs 5, 6, 7 without a new best
    assert stopper.eta == 0.5  # early stopping alone never touches eta


def test_records_say_where_and_why_a_seed_stopped(tiny_data, base_spec):
    spec = {**base_spec, "evaluation": "validation", "epochs": 40, "early_stopping": 2,
            "seeds": [1, 2, 3]}
    for record in train("r", spec, tiny_data, log=QUIET()):
        acc = record["metrics"]["evaluation_accuracy"]
        stop = record["stopped_at_epoch"]
        assert len(acc) == stop + 1 == len(record["monitored_epochs"])
        if stop < 39:
            assert record["stop_reason"].startswith("early_stopping")
            best = int(np.argmax(acc))  # first best: later equal values are no improvement
            assert stop == best + 2
        assert record["eta_per_epoch"] is None and record["diverged_at_epoch"] is None


def test_schedule_records_eta_per_epoch(tiny_data, base_spec):
    spec = {**base_spec, "evaluation": "validation", "epochs": 60, "schedule": 1}
    (record,) = train("r", spec, tiny_data, log=QUIET())
    etas = record["eta_per_epoch"]
    assert len(etas) == record["stopped_at_epoch"] + 1
    assert etas[0] == 0.5 and all(b in (a, a / 2) for a, b in zip(etas, etas[1:], strict=False))
    if record["stop_reason"].startswith("schedule"):
        assert etas[-1] == 0.5 / 64  # the epoch after it would have trained at 1/128


# ---------------------------------------------------------------- the run spec


@pytest.mark.parametrize("bad,message", [
    ({"output": "softmax"}, "softmax output goes with cost 'log-likelihood'"),
    ({"cost": "log-likelihood"}, "output: 'sigmoid' with cost 'log-likelihood'"),
    ({"early_stopping": 10}, "early_stopping: 10 watches the validation accuracy"),
    ({"schedule": 10, "evaluation": "validation", "monitor": ["training_cost"]},
     "schedule: 10 needs evaluation_accuracy in monitor"),
    ({"momentum": 1.0}, "momentum: 1.0 is greater than or equal to the maximum of 1"),
    ({"hidden": "softplus"}, "hidden: 'softplus' is not one of"),
])
def test_bad_option_names_key_and_value(base_spec, bad, message):
    with pytest.raises(UserError, match=message):
        runspec.validate({**base_spec, **bad}, "spec.yaml")


# ---------------------------------------------------------------- engines


def test_auto_trains_the_new_options_with_the_fast_engine(tiny_data, base_spec):
    log = io.StringIO()
    records = train("r", {**base_spec, "hidden": "tanh", "seeds": [1, 2]}, tiny_data, log=log)
    assert {r["engine"] for r in records} == {"fast"}
    assert "NumPy engine" not in log.getvalue()


def test_engine_fast_refuses_what_it_cannot_do(tiny_data, base_spec, monkeypatch):
    class Refusing(ValueError):
        pass

    def refuse(*args, **kwargs):
        raise Refusing("momentum 0.9 is not supported")

    monkeypatch.setattr(fast, "UnsupportedByFastEngine", Refusing)
    monkeypatch.setattr(fast, "FastNetwork", refuse)
    with pytest.raises(UserError, match="engine: fast: momentum 0.9 is not supported"):
        train("r", {**base_spec, "engine": "fast", "momentum": 0.9}, tiny_data, log=QUIET())
    log = io.StringIO()
    (record,) = train("r", {**base_spec, "momentum": 0.9}, tiny_data, log=log)
    assert record["engine"] == "numpy" and "momentum 0.9 is not supported" in log.getvalue()


OPTIONS = [{"hidden": "tanh"}, {"hidden": "relu"}, {"cost": "log-likelihood"},
           {"momentum": 0.7}, {"hidden": "relu", "cost": "log-likelihood", "momentum": 0.5}]


@pytest.mark.parametrize("option", OPTIONS, ids=lambda o: "-".join(map(str, o.values())))
def test_engines_agree_where_both_support_an_option(option):
    """The fast engine held to the NumPy one on each option both support."""
    x, labels = synthetic_digits(205)
    nets = []
    for engine in ("numpy", "fast"):
        rng = streams(7)
        net = Network.create([784, 13, 10], "default", rng["init"],
                             options=options(lmbda=1.0, eta=0.1, **option))
        trainer = net if engine == "numpy" else fast.FastNetwork(net, x)
        for _ in range(2):
            order = rng["shuffle"].permutation(len(x))
            trainer.sgd_epoch(x, labels, order, 0.1)
        nets.append(net)
    for a, b in zip(nets[0].weights + nets[0].biases, nets[1].weights + nets[1].biases,
                    strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------- divergence


def diverging(base_spec):
    return {**base_spec, "eta": 1000.0, "lmbda": 5.0, "dtype": "float32", "seeds": [1, 2]}


def test_a_diverging_run_says_so_once_per_seed_and_records_the_epoch(tiny_data, base_spec):
    log = io.StringIO()
    records = train("wild", diverging(base_spec), tiny_data, log=log)
    warnings = [line for line in log.getvalue().splitlines() if line.startswith("warning")]
    assert len(warnings) == 2
    for record, line in zip(records, warnings, strict=True):
        epoch = record["diverged_at_epoch"]
        assert epoch is not None and record["stopped_at_epoch"] == epoch
        assert f"run wild, seed {record['seed']}: diverged at epoch {epoch}" in line
        json.dumps(record, allow_nan=False)  # valid JSON: no NaN, nulls instead
    (sane,) = train("r", base_spec, tiny_data, log=QUIET())
    assert sane["diverged_at_epoch"] is None


def test_diverged_seeds_aggregate_plot_and_fail_the_check(tiny_data, base_spec, tmp_path):
    wild = train("wild", {**diverging(base_spec), "seeds": [1]}, tiny_data, log=QUIET())
    sane = train("wild", {**base_spec, "seeds": [2]}, tiny_data, log=QUIET())
    agg = agg_module.aggregate(sane + wild)
    assert agg["diverged_at_epoch"] == [None, wild[0]["diverged_at_epoch"]]
    assert agg["metrics"]["evaluation_accuracy"]["n"][-1] == 1
    path = tmp_path / "wild.json"
    path.write_text(json.dumps(agg))
    out = tmp_path / "f.png"
    spec = {"family": "curves", "title": "t",
            "series": [{"run": "wild", "metric": "evaluation_accuracy", "label": "x"}]}
    proc = subprocess.run([sys.executable, "-m", "nndl3", "plot", "--spec", json.dumps(spec),
                           "--inputs", str(path), "--out", str(out)], capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr
    row = {"id": "r", "section": 2, "quantity": "q", "book": 90.0, "book_precision": 100.0,
           "source": {"run": "wild", "metric": "evaluation_accuracy", "reduce": "best"}}
    (result,) = check.evaluate({"quantities": [row]}, {"seeds": [], "seed_sd": {"r": 1.0}},
                               {"wild": agg}, {}, {})
    assert result["status"] == "FAIL" and "wild seed 1 at epoch" in result["reason"]


# ---------------------------------------------------------------- seeds that stop apart


def record(seed, values, stopped=None, diverged=None):
    return {"run": "r", "seed": seed, "spec": {"eta": 0.5}, "metrics": {"acc": values},
            "monitored_epochs": list(range(len(values))), "seconds_per_epoch": [1.0],
            "stopped_at_epoch": len(values) - 1 if stopped is None else stopped,
            "diverged_at_epoch": diverged}


def test_aggregate_is_over_the_seeds_still_running():
    agg = agg_module.aggregate([record(1, [0.1, 0.2, 0.3, 0.4]), record(2, [0.3, 0.4]),
                                record(3, [0.2, None, None], diverged=1)])
    acc = agg["metrics"]["acc"]
    assert acc["n"] == [3, 2, 1, 1]
    np.testing.assert_allclose(acc["mean"], [0.2, 0.3, 0.3, 0.4])
    assert acc["per_seed"][1] == [0.3, 0.4, None, None]
    assert agg["stopped_at_epoch"] == [3, 1, 2] and agg["diverged_at_epoch"] == [None, None, 1]


def test_check_reductions_read_each_seeds_own_epochs():
    rows = np.array([[0.1, 0.5, 0.4, 0.45], [0.3, 0.6, np.nan, np.nan]])
    epochs = [0, 1, 2, 3]
    assert check.per_seed(rows, epochs, "best").tolist() == [0.5, 0.6]
    assert check.per_seed(rows, epochs, "final").tolist() == [0.45, 0.6]
    assert check.per_seed(rows, epochs, "last_epoch").tolist() == [3, 1]


CLAIM = {"id": "c", "section": 10, "quantity": "a minus b", "claim": {"at_least": 0.0},
         "source": {"run": "a", "minus_run": "b", "metric": "evaluation_accuracy",
                    "reduce": "best"}}


@pytest.mark.parametrize("a,status", [([0.951, 0.949, 0.950], "pass"),  # -0.1 pt, within 3sd/sqrt3
                                      ([0.930, 0.935, 0.932], "FAIL")])  # -2 pts
def test_claim_rows_hold_an_inequality_within_the_seed_spread(a, status):
    aggregates = {run: {"monitored_epochs": [0], "seeds": [1, 2, 3],
                        "metrics": {"evaluation_accuracy": {"per_seed": [[v] for v in values]}}}
                  for run, values in (("a", a), ("b", [0.951, 0.950, 0.952]))}
    (row,) = check.evaluate({"quantities": [CLAIM]}, {"seeds": [], "seed_sd": {"c": 0.3}},
                            aggregates, {}, {})
    assert row["status"] == status
    assert row["tolerance"] == pytest.approx(3 * 0.3 / np.sqrt(3))
    assert "claim: ≥ 0" in check.markdown([row], {"rule": "r"})


def test_git_commit_is_recorded_or_null(monkeypatch):
    commit = train_module.git_commit()
    assert commit is None or len(commit) == 40

    def no_git(*args, **kwargs):
        raise FileNotFoundError("git")

    monkeypatch.setattr(train_module.subprocess, "run", no_git)
    assert train_module.git_commit() is None


def test_engines_agree_on_the_stopping_rules(tiny_data, base_spec):
    """Early stopping and the schedule live in the training loop: both engines follow them
    (the fast engine is exercised here before and after it learns the other options)."""
    spec = {**base_spec, "evaluation": "validation", "epochs": 12, "schedule": 1,
            "early_stopping": 4, "seeds": [1, 2]}
    numpy_runs = train("r", {**spec, "engine": "numpy"}, tiny_data, log=QUIET())
    fast_runs = train("r", {**spec, "engine": "fast"}, tiny_data, log=QUIET())
    assert {r["engine"] for r in fast_runs} == {"fast"}
    for a, b in zip(numpy_runs, fast_runs, strict=True):
        assert a["eta_per_epoch"] == b["eta_per_epoch"]
        assert (a["stopped_at_epoch"], a["stop_reason"]) == (b["stopped_at_epoch"],
                                                            b["stop_reason"])
        for name, values in a["metrics"].items():
            np.testing.assert_allclose(values, b["metrics"][name], rtol=1e-9)


@pytest.mark.parametrize("option", OPTIONS, ids=lambda o: "-".join(map(str, o.values())))
def test_training_applies_each_option(tiny_data, base_spec, option):
    """A run with an option equals the network trained by hand with it (and differs from
    the run without it), so the option reaches the engine."""
    option = {**option, "output": "softmax"} if option.get("cost") else option
    spec = {**base_spec, **option, "engine": "numpy", "monitor": ["evaluation_accuracy"]}
    (record,) = train("r", spec, tiny_data, log=QUIET())
    rng = streams(spec["seeds"][0])
    net = Network.create(spec["sizes"], spec["init"], rng["init"], options=options(
        cost=spec["cost"], hidden=spec.get("hidden", "sigmoid"),
        momentum=spec.get("momentum", 0.0), eta=spec["eta"]))
    x, labels = tiny_data["train"]
    xt, lt = tiny_data["test"]
    by_hand = []
    for _ in range(spec["epochs"]):
        net.sgd_epoch(x, labels, rng["shuffle"].permutation(len(x)), spec["eta"])
        by_hand.append(float(np.mean(np.argmax(net.output_z(xt), axis=1) == lt)))
    assert record["metrics"]["evaluation_accuracy"] == by_hand
    (plain,) = train("r", {**base_spec, "engine": "numpy", "monitor": ["evaluation_cost"]},
                     tiny_data, log=QUIET())
    (mine,) = train("r", {**spec, "monitor": ["evaluation_cost"]}, tiny_data, log=QUIET())
    assert mine["metrics"] != plain["metrics"]


def test_until_epoch_compares_runs_over_their_common_epochs():
    aggregates = {"long": {"monitored_epochs": [0, 1, 2, 3], "seeds": [1],
                           "metrics": {"evaluation_accuracy": {"per_seed": [[.5, .6, .7, .9]]}}},
                  "short": {"monitored_epochs": [0, 1], "seeds": [1],
                            "metrics": {"evaluation_accuracy": {"per_seed": [[.55, .58]]}}}}
    source = {"run": "short", "minus_run": "long", "metric": "evaluation_accuracy",
              "reduce": "best", "until_epoch": 1}
    np.testing.assert_allclose(check.regenerate(source, aggregates, {}, {}), [-2.0])


def test_figure_with_eta_panel_and_seeds_stopping_apart(tiny_data, base_spec, tmp_path):
    spec = {**base_spec, "evaluation": "validation", "epochs": 30, "seeds": [1, 2, 3]}
    inputs = []
    for run, extra in (("fixed", {}), ("early", {"early_stopping": 2}),
                       ("sched", {"schedule": 1})):
        agg = agg_module.aggregate(train(run, {**spec, **extra}, tiny_data, log=QUIET()))
        inputs.append(tmp_path / f"{run}.json")
        inputs[-1].write_text(json.dumps(agg))
    assert "eta" in agg and min(agg["stopped_at_epoch"]) < 29
    out = tmp_path / "f.png"
    fig = {"family": "curves", "title": "t", "eta_panel": True,
           "series": [{"run": r, "metric": "evaluation_accuracy", "label": r}
                      for r in ("fixed", "early", "sched")]}
    proc = subprocess.run([sys.executable, "-m", "nndl3", "plot", "--spec", json.dumps(fig),
                           "--inputs", *map(str, inputs), "--out", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_every_seeded_row_has_a_calibrated_sd_and_claims_name_no_book_value():
    from pathlib import Path

    import yaml

    root = Path(__file__).resolve().parents[1]
    expected = check.load_expected(root / "config" / "expected.yaml")
    seed_sd = yaml.safe_load((root / "config" / "calibration.yaml").read_text())["seed_sd"]
    for row in expected["quantities"]:
        if "run" in row["source"]:
            assert row["id"] in seed_sd, row["id"]
        if "claim" in row:
            assert "book" not in row and row["section"] == 10
