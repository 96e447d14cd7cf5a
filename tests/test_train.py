import io
import json

import numpy as np
import pytest

from nndl3 import runspec
from nndl3.errors import UserError
from nndl3.train import train


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


@pytest.mark.parametrize("bad,message", [
    ({"eta": -1}, "eta: -1 is less than or equal to the minimum of 0"),
    ({"cost": "hinge"}, "cost: 'hinge' is not one of"),
    ({"etta": 0.1}, "Additional properties are not allowed \\('etta' was unexpected\\)"),
    ({"sizes": [100, 10]}, "sizes: \\[100, 10\\] must start with 784"),
])
def test_bad_spec_names_key_and_value(base_spec, bad, message):
    with pytest.raises(UserError, match=message):
        runspec.validate({**base_spec, **bad}, "spec.yaml")


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
    spec = {**base_spec, "evaluation": evaluation, "epochs": 1}
    (record,) = train("r", spec, poisoned(tiny_data, other), log=io.StringIO())
    assert np.isfinite(record["metrics"]["evaluation_cost"]).all()


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
