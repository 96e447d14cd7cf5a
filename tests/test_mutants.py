"""The mutants catalogue still fits the code it mutates: every patch finds its one statement
in its function and changes it into code that still parses; a patch that no longer finds
it fails here."""

import ast
import re
from pathlib import Path

import pytest

from tools import mutants

ROOT = Path(__file__).resolve().parents[1]
PATCHES = [(name, patch) for name, (_, patches, _) in mutants.MUTANTS.items()
           for patch in patches]


@pytest.mark.parametrize("name,patch", PATCHES,
                         ids=[f"{name}:{p.function}" for name, p in PATCHES])
def test_every_mutant_patch_applies_to_one_statement(name, patch):
    source = (ROOT / patch.file).read_text()
    mutated = mutants.apply(source, patch)
    assert mutated != source
    ast.parse(mutated)


def test_a_patch_that_finds_nothing_fails():
    source = "def f(x):\n    y = x + 1\n    return y\n"
    with pytest.raises(mutants.PatchError):
        mutants.apply(source, mutants.Patch("f.py", "f", "x - 1", "x"))
    with pytest.raises(mutants.PatchError):
        mutants.apply(source, mutants.Patch("f.py", "g", "x + 1", "x"))
    assert "y = x - 1" in mutants.apply(source, mutants.Patch("f.py", "f", "x + 1", "x - 1"))


def test_a_patch_holds_through_a_reformatting():
    """Layout, quotes and comments of the statement do not matter."""
    before = "def f(x):\n    return x['a'] + 1\n"
    after = 'def f(x):\n    # a comment\n    return (\n        x["a"]\n        + 1\n    )\n'
    patch = mutants.Patch("f.py", "f", "x['a'] + 1", "x['a'] - 1")
    for source in (before, after):
        assert "return x['a'] - 1" in mutants.apply(source, patch)


def test_a_text_record_converts_to_the_json_form(tmp_path):
    record = tmp_path / "mutants.txt"
    record.write_text(
        "control                -          unmutated copy\n"
        "                                 tests failing in every copy (not counted): t::a\n"
        "l2_dropped             caught     L2 dropped\n"
        "                                 test: tests/test_x.py::test_y\n"
        "                                 check: l2_1k_test_best 83.04 vs book 87.1 (tol 1.33)\n"
        "tanh_prime             caught     tanh'\n"
        "                                 test: tests/test_z.py::test_w\n"
        "                                 check: all rows within tolerance\n")
    doc = mutants.from_txt(record)
    assert doc["control"] == {"tests_failing": ["t::a"], "check_failing": None}
    assert doc["mutants"] == [
        {"name": "l2_dropped", "what": "L2 dropped", "caught": True,
         "test": "tests/test_x.py::test_y",
         "check": [{"id": None, "text": "l2_1k_test_best 83.04 vs book 87.1 (tol 1.33)"}]},
        {"name": "tanh_prime", "what": "tanh'", "caught": True,
         "test": "tests/test_z.py::test_w", "check": None}]  # no runs: the check never ran


@pytest.mark.parametrize("text, words", [
    ("control  -  unmutated copy\n", "has no '(not counted): ' line"),
    ("control  -  unmutated copy\n   tests failing in every copy (not counted): none\n"
     "renamed_mutant  caught  x\n", "mutant 'renamed_mutant' is not one of"),
    ("control  -  unmutated copy\n   tests failing in every copy (not counted): none\n"
     "control  -  the check\n", "(the check's) has no `check:` line"),
])
def test_a_text_record_that_cannot_convert_is_named(tmp_path, text, words):
    """Each stopped on 'unexpected KeyError'."""
    from nndl3.errors import UserError

    (tmp_path / "m.txt").write_text(text)
    with pytest.raises(UserError, match=re.escape(words)):
        mutants.from_txt(tmp_path / "m.txt")
