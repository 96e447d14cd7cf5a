"""runspec.py: the one validation of a run spec, and its defaults."""

import io
import json

import pytest

from nndl3 import runspec
from nndl3 import train as train_module
from nndl3.errors import UserError
from nndl3.train import train

QUIET = io.StringIO


@pytest.mark.parametrize("bad,message", [
    ({"eta": -1}, "eta: -1 is less than or equal to the minimum of 0"),
    ({"cost": "hinge"}, "cost: 'hinge' is not one of"),
    ({"etta": 0.1}, "Additional properties are not allowed \\('etta' was unexpected\\)"),
    ({"sizes": [100, 10]}, "sizes: \\[100, 10\\] must start with 784"),
])
def test_bad_spec_names_key_and_value(base_spec, bad, message):
    with pytest.raises(UserError, match=message):
        runspec.validate({**base_spec, **bad}, "spec.yaml")

@pytest.mark.parametrize("bad,message", [
    ({"output": "softmax"}, "softmax output goes with cost 'log-likelihood'"),
    ({"cost": "log-likelihood"}, "output: 'sigmoid' with cost 'log-likelihood'"),
    ({"early_stopping": 10}, "early_stopping: 10 watches the validation accuracy"),
    ({"schedule": 10, "evaluation": "validation", "monitor": ["training_cost"]},
     "schedule: 10 needs evaluation_accuracy in monitor"),
    ({"early_stopping": 10, "evaluation": "validation", "monitor_every": 2},
     "early_stopping: 10 needs evaluation_accuracy in monitor and monitor_every 1"),
    ({"momentum": 1.0}, "momentum: 1.0 is greater than or equal to the maximum of 1"),
    ({"hidden": "softplus"}, "hidden: 'softplus' is not one of"),
    ({"sizes": [784, 10], "hidden": "relu"}, "hidden: 'relu' acts on hidden neurons, and "
     "sizes \\[784, 10\\] have none"),
    ({"sizes": [784, 10], "dropout": 0.5}, "dropout: 0.5 acts on hidden neurons"),
    ({"rotation": {"max_degrees": 15, "copies": 0}},
     "rotation: max_degrees 15 with copies 0 adds no rotated image"),
])
def test_bad_option_names_key_and_value(base_spec, bad, message):
    with pytest.raises(UserError, match=message):
        runspec.validate({**base_spec, **bad}, "spec.yaml")


def test_validate_fills_in_every_default_once_and_is_idempotent(base_spec):
    spec = runspec.validate(base_spec, "spec")
    assert isinstance(spec, runspec.Spec)
    assert spec == {**runspec.defaults(), **base_spec}
    assert runspec.validate(spec, "spec") == spec
    assert runspec.validate({**base_spec, "hidden": "tanh"}, "spec")["hidden"] == "tanh"


def test_the_workflow_passes_validated_complete_specs():
    from pathlib import Path

    from nndl3 import workflow_config

    root = Path(__file__).resolve().parents[1]
    config = workflow_config.load(root)
    for run in config["runs"]:
        spec = workflow_config.run_spec(config, run)
        assert isinstance(spec, runspec.Spec) and set(runspec.defaults()) <= set(spec)
        # what the job receives (JSON text) validates to the same spec, defaults included
        assert runspec.load(json.dumps(spec)) == spec


def test_training_does_not_validate_a_validated_spec_again(tiny_data, base_spec, monkeypatch):
    spec = runspec.validate(base_spec, "spec")

    def again(*args):
        raise AssertionError("validated twice")

    monkeypatch.setattr(train_module, "validate", again)
    train("r", spec, tiny_data, log=io.StringIO())
    with pytest.raises(AssertionError, match="validated twice"):
        train("r", dict(spec), tiny_data, log=io.StringIO())


def test_the_seeds_of_the_command_line_are_validated(base_spec):
    with pytest.raises(UserError, match=r"^--seeds: seeds: \[1, 1\] has non-unique elements$"):
        runspec.load(json.dumps(base_spec), seeds=[1, 1])
    with pytest.raises(UserError, match=r"^--seeds: seeds\.0: -1 is less than the minimum of 0$"):
        runspec.load(json.dumps(base_spec), seeds=[-1])
    assert runspec.load(json.dumps(base_spec), seeds=[5, 6])["seeds"] == [5, 6]


def test_a_small_number_the_workflow_passes_as_json_is_a_number(base_spec):
    """json.dumps writes 1e-05, which PyYAML would read as text."""
    text = json.dumps({**base_spec, "lmbda": 0.00001})
    assert "1e-05" in text
    assert runspec.load(text)["lmbda"] == 0.00001


def test_a_yaml_flow_mapping_is_a_spec_too():
    assert runspec.load("{epochs: 2, seeds: [1]}")["epochs"] == 2


@pytest.mark.parametrize("text, message", [
    ('{"dropout": NaN, "seeds": [1]}', "dropout: nan is not a finite number"),
    ('{"epochs": 2.0, "seeds": [1]}', "epochs: 2.0 is not of type 'integer'"),
    ('{"epochs": 2, "seeds": [1.0]}', "seeds.0: 1.0 is not of type 'integer'"),
    ("{eta: 1e-1, seeds: [1]}", "eta: '1e-1' is not of type 'number' \\(YAML reads 1e-1 as "
     "text; with a point and a signed exponent it is a number: 1.0e-1\\)")])
def test_a_value_of_the_wrong_kind_is_named(text, message):
    with pytest.raises(UserError, match=message):
        runspec.load(text)


@pytest.mark.parametrize("text", ['{"eta": 0.1, "eta": 0.5, "seeds": [1]}',
                                  "{eta: 0.1, eta: 0.5, seeds: [1]}"])
def test_a_key_given_twice_in_a_spec_is_refused(text):
    with pytest.raises(UserError, match="the key 'eta' given twice"):
        runspec.load(text)


def test_every_monitor_is_named_alike_wherever_one_is_read():
    """The monitors a run may ask for (run.schema.yaml) are the lists of the author's
    files, those a replay may ask for, and those the figures label and describe: a monitor
    added to one place and not the others would be refused, or drawn without words."""
    from pathlib import Path

    import yaml

    from nndl3 import book_runs, docs, plotting

    from .conftest import entries

    package = Path(runspec.__file__).parent
    run = yaml.safe_load((package / "run.schema.yaml").read_text())
    replay = yaml.safe_load((package / "replay.schema.yaml").read_text())

    def monitors(schema):  # every `monitor` array's item enum in a schema
        return [set(value["items"]["enum"]) for _, value in entries(schema, {"monitor"})
                if isinstance(value, dict) and "items" in value]

    [ours] = monitors(run)
    assert monitors(replay) == [ours]
    assert ours == set(book_runs.LISTS) == set(docs.METRIC_WORDS) == set(plotting.LABELS)
