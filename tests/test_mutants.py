"""The mutants catalogue still fits the code it mutates: every patch finds its text once."""

from pathlib import Path

import pytest

from . import mutants

ROOT = Path(__file__).resolve().parents[1]
PATCHES = [(name, path, original) for name, (_, patches, _) in mutants.MUTANTS.items()
           for path, original, _ in patches]


@pytest.mark.parametrize("name,path,original", PATCHES,
                         ids=[f"{name}:{path}" for name, path, _ in PATCHES])
def test_every_mutant_patch_applies_exactly_once(name, path, original):
    assert (ROOT / path).read_text().count(original) == 1
