"""The tuned SVM's spec, candidates and search, checked on the way in (nndl3.tuned_inputs):
a broken one is one line naming the file or option, the key and the value."""

import json

import pytest

from nndl3 import baselines, cli, tuned_inputs
from nndl3.errors import UserError

from .conftest import ROOT

GRID = [{"C": 1.0, "gamma": 0.05}, {"C": 10.0, "gamma": 0.05}, {"C": 10.0, "gamma": 0.01}]
SPEC = {"grid": GRID, "search_size": 100, "budget_cpu_seconds": 600}


def scored(accuracies=(0.8, 0.9, 0.7)):
    return [{**params, "validation_accuracy": a, "cpu_seconds": 1.0}
            for params, a in zip(GRID, accuracies, strict=True)]


@pytest.mark.parametrize("change, words", [
    ({"grid": []}, "grid: [] should be non-empty"),
    ({"grid": [{"C": 1.0, "gamma": 0}]}, "grid.0.gamma: 0 is less than or equal to the "
                                         "minimum of 0"),
    ({"search_size": 0}, "search_size: 0 is less than the minimum of 10"),
    ({"search_size": 1.5}, "search_size: 1.5 is not of type 'integer'"),
    ({"budget_cpu_seconds": -1}, "budget_cpu_seconds: -1 is less than the minimum of 0")])
def test_a_wrong_spec_names_its_key_and_value(change, words):
    """By tuned_svm.schema.yaml, the rules the config's `tuned_svm` was checked by."""
    with pytest.raises(UserError, match="^--spec: ") as raised:
        tuned_inputs.spec({**SPEC, **change})
    assert words in str(raised.value)


def test_the_spec_the_workflow_gives_passes():
    """As workflow/rules/common.smk's tuned_spec passes it: the config's `tuned_svm`."""
    from nndl3 import workflow_config

    spec = json.loads(json.dumps(workflow_config.load(ROOT)["tuned_svm"]))
    assert tuned_inputs.spec(spec) == spec


def write_search(tmp_path, doc) -> str:
    path = tmp_path / "search.json"
    path.write_text(json.dumps(doc))
    return str(path)


def test_a_search_from_select_passes_and_is_returned_unchanged(tmp_path):
    doc = baselines.select(GRID, scored(), 100, 1e9)
    spec = {**SPEC, "budget_cpu_seconds": 1e9}
    assert tuned_inputs.search(write_search(tmp_path, doc), spec) == doc


@pytest.mark.parametrize("problem, words", [
    ("best not tried", "best {'C': 10.0, 'gamma': 0.01} is none of the candidates tried"),
    ("best gamma 0", "best: {'C': 1.0, 'gamma': 0}: not C and gamma"),
    ("another grid", "searched another grid than --spec's"),
    ("accuracy 2", "tried[1]: validation_accuracy: 2: not in [0, 1]"),
    ("nothing tried", "tried: []: no candidate tried"),
    ("no best", "tuned SVM search lacks key(s) 'best'"),
    ("another size", "search_size: 200, not --spec's 100"),
    ("another budget", "budget_cpu_seconds: 600, not --spec's 1.5"),
    ("seconds x", "cpu_seconds: 'x': not a number of seconds")])
def test_a_wrong_search_names_its_key_and_value(tmp_path, problem, words):
    doc = baselines.select(GRID, scored(), 100, budget_cpu_seconds=1.5)  # tries 2 of 3
    if problem == "best not tried":
        doc["best"] = dict(GRID[2])
    elif problem == "best gamma 0":
        doc["best"] = {"C": 1.0, "gamma": 0}
    elif problem == "another grid":
        doc["skipped"] = [{"C": 99.0, "gamma": 0.01}]
    elif problem == "accuracy 2":
        doc["tried"][1]["validation_accuracy"] = 2
    elif problem == "nothing tried":
        doc["tried"] = []
    elif problem == "another size":
        doc["search_size"] = 200
    elif problem == "another budget":
        doc["budget_cpu_seconds"] = 600
    elif problem == "seconds x":
        doc["cpu_seconds"] = "x"
    else:
        del doc["best"]
    path = write_search(tmp_path, doc)
    with pytest.raises(UserError, match=f"^{path}") as raised:
        tuned_inputs.search(path, {**SPEC, "budget_cpu_seconds": 1.5})
    assert words in str(raised.value)


def test_the_svm_part_job_refuses_a_search_whose_best_it_did_not_try(tmp_path, capsys):
    """Before, the part was solved with any C and gamma the file held."""
    doc = baselines.select(GRID, scored(), 100, 1e9)
    doc["best"] = {"C": 5.0, "gamma": 0.05}
    path = write_search(tmp_path, doc)
    out = tmp_path / "part.npz"
    assert cli.main(["svm-part", "--search", path, "--part", "0", "--parts", "2", "--data",
                     str(tmp_path / "absent.npz"), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is none of the candidates tried" in err, err
    assert not out.exists()
