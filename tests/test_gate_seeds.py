"""benchmarks/gate_seeds.py: the rows a seed triple judges otherwise than the 3 sd rule, and
the held-out count, on hand-made inputs."""

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import gate_seeds as script  # noqa: E402


def r(i, status, mean, tol, tol_k, **extra):
    return {"id": i, "status": status, "mean": mean, "book": 95.0, "claim": None,
            "tolerance": tol, "tolerance_k_sigma": tol_k, "alpha": 0.001,
            "known_deviation": None, **extra}


def test_changed_lists_verdicts_that_moved_and_weak_rows():
    rows = [r("same", "pass", 95.1, 0.4, 0.3),
            r("weak", "weak", 95.1, 0.4, 0.3),
            r("narrower", "FAIL", 95.5, 0.4, 0.6),  # a recipe sd below ours can do this
            r("claim", "pass", -0.1, 0.2, 0.05, claim={"at_least": 0.0}, book=None),
            r("known", "known deviation", 97.0, 0.4, 0.3, known_deviation="why"),
            r("exact", "pass", 95.0, 0.01, 0.01, alpha=None),
            r("run changed", "changed", 95.0, None, None)]  # check.py: no tolerance
    got = {c["id"]: (c["k_sigma"], c["now"]) for c in script.changed(rows)}
    assert got == {"weak": ("pass", "weak"), "narrower": ("pass", "FAIL"),
                   "claim": ("FAIL", "pass")}


def test_held_out_counts_each_seed_against_each_triple_of_the_others():
    # 5 seeds: 5 held out x C(4, 3) triples = 20 cases; only 100 held out lies outside
    # (the others' sd is 1.29 then, and about 49 when 100 is among them)
    got = script.held_out_row(script.np.array([0.0, 1.0, 2.0, 3.0, 100.0]), 0.05, 3)
    assert got == {"cases": 20, "t": pytest.approx(0.2), "normal": pytest.approx(0.2)}
    # the two rules apart: 5 held out, the others' sd 1.29, sigma 1.29 sqrt(1 + 1/3) = 1.49;
    # its 4 triples miss it by 3 to 4, above 1.96 sigma = 2.92, below t(3) sigma = 4.74;
    # every other held-out seed lies within 1.96 sigma of all its triples
    got = script.held_out_row(script.np.array([0.0, 1.0, 2.0, 3.0, 5.0]), 0.05, 3)
    assert got == {"cases": 20, "t": 0.0, "normal": pytest.approx(0.2)}


def test_the_docs_block_names_the_subset_size_the_record_was_made_with(tmp_path):
    """The held-out sentence renders the record's own subset size (none stored: words, not
    this checkout's constant), with or without seed triples."""
    from nndl3 import docs, paths

    record = {"triples": {"reports": [], "failing": 0},
              "held_out": {"nominal": 0.05, "subset": 4, "rows": {"r": {}},
                           "mean": {"t": 0.05, "normal": 0.08}}}
    (tmp_path / "results").mkdir()
    (tmp_path / paths.GATE_SEEDS).write_text(json.dumps(record))
    assert "each 4-seed subset of the others" in docs.gate_seeds(tmp_path)
    del record["held_out"]["subset"]
    (tmp_path / paths.GATE_SEEDS).write_text(json.dumps(record))
    assert "each subset, of the check's size, of the others" in docs.gate_seeds(tmp_path)


@pytest.mark.parametrize("argv", [[], ["--reports"]])
def test_without_reports_it_writes_nothing(argv, tmp_path, capsys):
    """Run bare, it wrote a record of no triples over the committed one."""
    out = tmp_path / "gate_seeds.json"
    out.write_text("{}\n")
    with pytest.raises(SystemExit) as stopped:
        script.main([*argv, "--out", str(out)])
    assert stopped.value.code == 2 and "--reports" in capsys.readouterr().err
    assert out.read_text() == "{}\n"
