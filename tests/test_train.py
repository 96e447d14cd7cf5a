"""train.py: a run's seeds, streams, stopping rules, divergence, engine choice and
records."""

import io
import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from nndl3 import fast
from nndl3 import train as train_module
from nndl3.errors import UserError
from nndl3.network import Network
from nndl3.train import SCHEDULE_FLOOR, Stopper, streams, train

from .conftest import options

QUIET = io.StringIO


def metrics_json(records):
    return [json.dumps(r["metrics"]) for r in records]

def test_same_spec_and_seed_give_identical_metrics(tiny_data, base_spec):
    first = train("r", base_spec, tiny_data, log=open("/dev/null", "w"))
    second = train("r", base_spec, tiny_data, log=open("/dev/null", "w"))
    assert metrics_json(first) == metrics_json(second)
    m = first[0]["metrics"]
    assert len(m["evaluation_accuracy"]) == 3 and m["evaluation_accuracy"][-1] > 0.5

@pytest.mark.parametrize("extra", [{}, {"dropout": 0.5, "lmbda": 1.0},
                                   {"rotation": {"max_degrees": 15, "copies": 1}}])
def test_seeds_trained_together_equal_seeds_trained_alone(tiny_data, base_spec, extra):
    spec = {**base_spec, **extra, "seeds": [1, 2, 3]}
    together = train("r", spec, tiny_data, log=open("/dev/null", "w"))
    alone = [train("r", {**spec, "seeds": [s]}, tiny_data, log=open("/dev/null", "w"))[0]
             for s in spec["seeds"]]
    assert metrics_json(together) == metrics_json(alone)
    assert len(set(metrics_json(together))) == 3  # and the seeds really differ

def test_different_seed_differs(tiny_data, base_spec):
    a = train("r", base_spec, tiny_data, log=open("/dev/null", "w"))
    b = train("r", {**base_spec, "seeds": [4]}, tiny_data, log=open("/dev/null", "w"))
    assert metrics_json(a) != metrics_json(b)

def test_float32_and_numpy_engine_also_learn(tiny_data, base_spec):
    for extra in ({"dtype": "float32"}, {"engine": "numpy"}):
        rec = train("r", {**base_spec, **extra}, tiny_data, log=open("/dev/null", "w"))[0]
        assert rec["metrics"]["evaluation_accuracy"][-1] > 0.5

def test_every_epoch_trains_in_a_fresh_order(tiny_data, base_spec, monkeypatch):
    from nndl3 import network

    orders = []
    original = network.Network.sgd_epoch

    def spy(self, x, labels, order, *args, **kwargs):
        orders.append(np.array(order))
        return original(self, x, labels, order, *args, **kwargs)

    monkeypatch.setattr(network.Network, "sgd_epoch", spy)
    train("r", {**base_spec, "engine": "numpy"}, tiny_data, log=open("/dev/null", "w"))
    assert len(orders) == 3
    for a, b in zip(orders, orders[1:], strict=False):
        assert sorted(a) == sorted(b) and not np.array_equal(a, b)

def poisoned(data, set_name, start=0):
    """A copy of data whose `set_name` images from `start` on are NaN: using them shows."""
    x, y = data[set_name]
    x = x.copy()
    x[start:] = np.nan
    return {**data, set_name: (x, y)}

def test_a_run_trains_on_the_first_n_training_images(tiny_data, base_spec):
    spec = {**base_spec, "train_size": 200, "epochs": 1}
    (record,) = train("r", spec, poisoned(tiny_data, "train", start=200), log=io.StringIO())
    assert all(np.isfinite(v).all() for v in record["metrics"].values())

@pytest.mark.parametrize("evaluation,other", [("validation", "test"), ("test", "validation")])
def test_a_run_is_scored_on_its_own_evaluation_set(tiny_data, base_spec, evaluation, other):
    """Its evaluation monitors are finite with the other held-out set NaN, and differ from
    the run scored on that other set (the training set would not do either)."""
    spec = {**base_spec, "evaluation": evaluation, "epochs": 1}
    (record,) = train("r", spec, poisoned(tiny_data, other), log=io.StringIO())
    assert np.isfinite(record["metrics"]["evaluation_cost"]).all()
    (scored_on_other,) = train("r", {**spec, "evaluation": other}, tiny_data, log=io.StringIO())
    assert record["metrics"]["evaluation_cost"] != record["metrics"]["training_cost"]
    assert record["metrics"]["evaluation_cost"] != scored_on_other["metrics"]["evaluation_cost"]

def test_dropout_draws_a_fresh_mask_for_every_mini_batch(tiny_data, base_spec):
    from nndl3.options import Options
    from nndl3.runspec import validate
    from nndl3.train import SeedRun

    x, y = tiny_data["train"]
    spec = validate({**base_spec, "dropout": 0.5, "sizes": [784, 40, 10]}, "spec")
    run = SeedRun("r", spec, Options.of(spec), 3, x, y, {})
    (masks,) = run.dropout_masks(50)
    assert masks.shape == (50, 40) and abs(masks.mean() - 0.5) < 0.05
    assert len({row.tobytes() for row in masks}) == 50

# plain SGD, every option named: not the schema's defaults, which a run takes too
PLAIN = dict(cost="cross-entropy", output="sigmoid", hidden="sigmoid", dropout=0.0,
             regularization="l2", lmbda=0.0, momentum=0.0, schedule=0, mini_batch=10)


def by_hand_costs(spec, data, **option):
    """The evaluation cost per epoch of `spec`'s network trained by hand: plain SGD, with
    `option`."""
    rng = streams(spec["seeds"][0])
    by_hand_options = options(eta=spec["eta"], **{**PLAIN, **option})
    net = Network.create(spec["sizes"], spec["init"], rng["init"], options=by_hand_options)
    x, labels = data["train"]
    costs = []
    for _ in range(spec["epochs"]):
        net.sgd_epoch(x, labels, rng["shuffle"].permutation(len(x)), spec["eta"])
        costs.append(train_module.evaluate(net, *data[spec["evaluation"]], by_hand_options)[0])
    return costs


def test_a_run_of_the_default_options_is_plain_sgd_bit_for_bit(tiny_data, base_spec):
    """The schema's defaults (no momentum, sigmoid neurons, no stopping rule) train as the
    plain network by hand."""
    spec = {**base_spec, "engine": "numpy", "monitor": ["evaluation_cost"]}
    (record,) = train("r", spec, tiny_data, log=QUIET())
    assert record["metrics"]["evaluation_cost"] == by_hand_costs(spec, tiny_data)

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

def test_a_new_best_restarts_the_schedules_count():
    """Two epochs without a new best, a new best, two more: never three in a row, so eta
    is never halved (the test above halves just before each new best, so it cannot tell)."""
    stopper = Stopper(1.0, early_stopping=0, schedule=3)
    assert [stopper.after_epoch(a) for a in [0.5, 0.4, 0.4, 0.6, 0.5, 0.5]] == [None] * 6
    assert stopper.eta == 1.0


@pytest.mark.parametrize("rows", [2, 7])
def test_the_evaluation_cost_is_the_mean_over_the_rows_plus_the_penalty_over_them(rows):
    """Independent of the code: zero weights give sigmoid outputs of 1/2, a cross-entropy
    of ln 2 per output, 3 ln 2 per row whatever the rows; W = 0.5 everywhere (3 x 4) adds
    lambda / (2 n) * sum w^2 = 12 * 0.25 / (2 n)."""
    x, labels = np.zeros((rows, 4)), np.arange(rows) % 3
    zero = Network([np.zeros((3, 4))], [np.zeros(3)], options(lmbda=1.0))
    cost, _ = train_module.evaluate(zero, x, labels, zero.options)
    assert cost == pytest.approx(3 * np.log(2))
    half = Network([np.full((3, 4), 0.5)], [np.zeros(3)], options(lmbda=1.0))
    cost, _ = train_module.evaluate(half, x, labels, half.options)
    assert cost == pytest.approx(3 * np.log(2) + 12 * 0.25 / (2 * rows))


def test_monitor_every_measures_every_nth_epoch_and_the_last(tiny_data, base_spec):
    spec = {**base_spec, "epochs": 5, "monitor_every": 2, "engine": "numpy"}
    (record,) = train("every", spec, tiny_data, log=io.StringIO())
    assert record["monitored_epochs"] == [1, 3, 4]


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
    records = train("r", spec, tiny_data, log=QUIET())
    assert any(r["stopped_at_epoch"] < 39 for r in records)  # the rule fired, here checked
    for record in records:
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
    assert record["stop_reason"].startswith("schedule")  # it halved until it stopped
    assert etas[-1] == 0.5 / 64  # the epoch after it would have trained at 1/128

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
        # its weights are NaN there: no monitor is measured on them (an accuracy would be
        # the share of the one digit every image then gets)
        assert record["monitored_epochs"][-1] == epoch
        assert all(values[-1] is None for values in record["metrics"].values())
    (sane,) = train("r", base_spec, tiny_data, log=QUIET())
    assert sane["diverged_at_epoch"] is None

def test_a_nan_output_of_finite_weights_classifies_nothing():
    # argmax takes a NaN for the largest value: a row of NaN outputs would count as a digit
    class Outputs:
        def output_z(self, x):
            z = np.eye(3)
            z[1] = np.nan
            return z

    labels = np.array([0, 1, 2])
    _, accuracy = train_module.evaluate(Outputs(), np.zeros((3, 4)), labels, options(),
                                        with_cost=False)
    assert np.isnan(accuracy)


def test_git_commit_is_recorded_or_null(monkeypatch):
    """The checkout's HEAD where the package is in one (the tests run from the checkout),
    None where git cannot tell."""
    package = Path(train_module.__file__).resolve().parent
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=package, capture_output=True,
                          text=True).stdout.strip()
    assert len(head) == 40, "the tests run from a git checkout"
    assert train_module.git_commit() == head

    def no_git(*args, **kwargs):
        raise FileNotFoundError("git")

    monkeypatch.setattr(train_module.subprocess, "run", no_git)
    assert train_module.git_commit() is None

TECHNIQUES = [{"hidden": "tanh"}, {"hidden": "relu"}, {"cost": "log-likelihood"},
           {"momentum": 0.7}, {"hidden": "relu", "cost": "log-likelihood", "momentum": 0.5}]

@pytest.mark.parametrize("option", TECHNIQUES, ids=lambda o: "-".join(map(str, o.values())))
def test_training_applies_each_option(tiny_data, base_spec, option):
    """A run with an option equals the network trained by hand with it, bit for bit (and
    differs from the run without it), so the option and the run's eta reach the engine.
    The cost, not the accuracy, which is about 1 on these digits whatever the training."""
    option = {**option, "output": "softmax"} if option.get("cost") else option
    spec = {**base_spec, **option, "engine": "numpy", "monitor": ["evaluation_cost"]}
    (record,) = train("r", spec, tiny_data, log=QUIET())
    assert record["metrics"]["evaluation_cost"] == by_hand_costs(spec, tiny_data, **option)
    (plain,) = train("r", {**base_spec, "engine": "numpy", "monitor": ["evaluation_cost"]},
                     tiny_data, log=QUIET())
    assert record["metrics"] != plain["metrics"]


def test_the_options_are_built_from_the_spec_output_included(tiny_data, base_spec):
    from nndl3.options import Options
    from nndl3.runspec import validate
    from nndl3.train import SeedRun

    spec = validate({**base_spec, "cost": "log-likelihood", "output": "softmax",
                             "momentum": 0.5, "lmbda": 2.0, "regularization": "l1"}, "spec")
    options = Options.of(spec)
    assert (options.output, options.momentum, options.regularization) == ("softmax", 0.5, "l1")
    x, y = tiny_data["train"]
    run = SeedRun("r", spec, options, 3, x, y, {})
    assert run.net.options is options and run.engine.net.options is options
    np.testing.assert_allclose(run.net.feedforward(x[:5]).sum(axis=1), 1.0)  # softmax


def test_engine_fast_refuses_two_hidden_layers_by_name(tiny_data, base_spec):
    with pytest.raises(UserError, match=r"engine: fast: sizes \[784, 12, 8, 10\]"):
        train("r", {**base_spec, "engine": "fast", "sizes": [784, 12, 8, 10]}, tiny_data,
              log=QUIET())
    log = io.StringIO()
    (record,) = train("r", {**base_spec, "sizes": [784, 12, 8, 10]}, tiny_data, log=log)
    assert record["engine"] == "numpy" and "exactly one hidden layer" in log.getvalue()


def test_a_command_runs_blas_on_one_thread_whatever_the_machine():
    """design.md: BLAS runs one thread per job, so `--cores N` runs N jobs side by side
    and a result does not depend on the threads BLAS would pick (cli sets it before NumPy
    loads BLAS). Checked in a process whose environment asks for nothing."""
    import os
    import sys

    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    code = ("import nndl3.cli, numpy, threadpoolctl; "
            "print(sorted({p['num_threads'] for p in threadpoolctl.threadpool_info() "
            "if p['user_api'] == 'blas'}))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=60, check=True).stdout
    assert out.strip() == "[1]"
