"""Atomic writes: whole or nothing, and with the permissions of any new file."""

import os

import pytest

from nndl3 import atomic


def test_an_output_gets_the_mode_the_umask_gives(tmp_path):
    old = os.umask(0o022)
    try:
        atomic.write_text(tmp_path / "out.txt", "x")
    finally:
        os.umask(old)
    assert (tmp_path / "out.txt").stat().st_mode & 0o777 == 0o644


def test_a_failed_write_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError), atomic.atomic_path(tmp_path / "out.json") as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []
