"""tools/compare_results.py, which shows a change kept the results bit for bit: silent on
two equal folders, one line per difference, the times not compared."""

import json

import pytest

from nndl3 import paths
from nndl3.errors import UserError
from tools import compare_results


def put(root, pattern, value, **wildcards):
    """value as JSON where nndl3.paths puts `pattern`'s file, in the results folder root."""
    path = root / pattern.format(**wildcards).removeprefix(compare_results.RESULTS)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value))


def results(root, accuracy=0.9, seconds=1.0, extra=False, output=0.09):
    """A results/ folder with a seed record, an aggregate, a single neuron's result and the
    reproduction report, each where the pipeline writes it."""
    record = {k: None for k in compare_results.RECORD_KEYS}
    put(root, paths.RECORD, {**record, "metrics": {"evaluation_accuracy": [accuracy]},
                             "timing": {"s": seconds}}, run="r", seed=1)
    put(root, paths.AGGREGATE, {"run": "r", "seconds_per_epoch_mean": seconds,
                                "code": str(seconds)}, run="r")
    put(root, paths.NEURON, {"output": [output], "code": str(seconds)}, neuron="n")
    put(root, paths.REPRODUCTION_JSON, {"rows": [], "code": str(seconds)})
    if extra:
        put(root, paths.AGGREGATE, {}, run="s")
    return root


def test_equal_results_differ_in_nothing_but_their_times(tmp_path):
    before = results(tmp_path / "a")
    assert list(compare_results.differences(before, results(tmp_path / "b", seconds=2.0))) \
        == []
    assert compare_results.main([str(before), str(tmp_path / "b")]) == 0


def test_a_changed_value_and_a_file_on_one_side_are_named(tmp_path, capsys):
    before = results(tmp_path / "a")
    after = results(tmp_path / "b", accuracy=0.91, extra=True)
    assert compare_results.main([str(before), str(after)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "runs/r/seed-1.json: differs (metrics)", "aggregates/s.json: only in after"]


def test_a_single_neurons_changed_output_is_named(tmp_path, capsys):
    before, after = results(tmp_path / "a"), results(tmp_path / "b", output=0.1)
    assert compare_results.main([str(before), str(after)]) == 1
    assert capsys.readouterr().out.splitlines() == ["neuron/n.json: differs (output)"]


def test_bad_folders_and_files_are_named(tmp_path, capsys):
    before = results(tmp_path / "a")
    with pytest.raises(SystemExit) as exit_:
        compare_results.main([str(before), str(tmp_path / "absent")])
    assert exit_.value.code == 2 and "absent: not a folder" in capsys.readouterr().err
    after = results(tmp_path / "b")
    (after / "aggregates" / "r.json").write_text("{")
    with pytest.raises(UserError, match=r"aggregates/r\.json: not JSON"):
        list(compare_results.differences(before, after))


def test_records_and_results_of_other_shapes_are_differences_not_crashes(tmp_path, capsys):
    """A record without eta_per_epoch (optional to the record reader) compares as one; a
    record that is a list, and an aggregate that is a mapping on one side and a list on the
    other, are differences (they stopped the tool on KeyError, TypeError, AttributeError)."""
    before, after = results(tmp_path / "a"), results(tmp_path / "b")
    for root in (before, after):
        record = root / paths.RECORD.format(run="r", seed=1).removeprefix(
            compare_results.RESULTS)
        doc = json.loads(record.read_text())
        del doc["eta_per_epoch"]
        record.write_text(json.dumps(doc))
    assert compare_results.main([str(before), str(after)]) == 0
    put(after, paths.RECORD, [1], run="r", seed=1)
    put(after, paths.AGGREGATE, [1], run="r")
    assert compare_results.main([str(before), str(after)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        "runs/r/seed-1.json: differs (whole)", "aggregates/r.json: differs (whole)"]
