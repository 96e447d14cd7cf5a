"""tools/compare_results.py, which shows a change kept the results bit for bit: silent on
two equal folders, one line per difference, the times not compared."""

import json

import pytest

from nndl3.errors import UserError
from tools import compare_results


def results(root, accuracy=0.9, seconds=1.0, extra=False):
    """A results/ folder with a seed record, an aggregate and the reproduction report."""
    (root / "runs" / "r").mkdir(parents=True)
    (root / "aggregates").mkdir()
    record = {k: None for k in compare_results.RECORD_KEYS}
    (root / "runs" / "r" / "seed-1.json").write_text(json.dumps(
        {**record, "metrics": {"evaluation_accuracy": [accuracy]}, "timing": {"s": seconds}}))
    (root / "aggregates" / "r.json").write_text(json.dumps(
        {"run": "r", "seconds_per_epoch_mean": seconds, "code": str(seconds)}))
    (root / "reproduction.json").write_text(json.dumps({"rows": [], "code": str(seconds)}))
    if extra:
        (root / "aggregates" / "s.json").write_text("{}")
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


def test_bad_folders_and_files_are_named(tmp_path, capsys):
    before = results(tmp_path / "a")
    with pytest.raises(SystemExit) as exit_:
        compare_results.main([str(before), str(tmp_path / "absent")])
    assert exit_.value.code == 2 and "absent: not a folder" in capsys.readouterr().err
    after = results(tmp_path / "b")
    (after / "aggregates" / "r.json").write_text("{")
    with pytest.raises(UserError, match=r"aggregates/r\.json: not JSON"):
        list(compare_results.differences(before, after))
