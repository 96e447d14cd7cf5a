"""benchmarks/common.py's timing helpers: what a ratio of two engines is measured on."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def bench_common(monkeypatch):
    """benchmarks/common.py, imported without leaving its one-thread settings in this
    process's environment (the later tests' subprocesses run as a user's would)."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    monkeypatch.delitem(sys.modules, "common", raising=False)
    saved = dict(os.environ)
    try:
        import common
    finally:
        os.environ.clear()
        os.environ.update(saved)
    monkeypatch.delitem(sys.modules, "common")
    return common


def test_interleaved_epochs_alternate_and_each_engine_gets_its_own_median(monkeypatch):
    common = bench_common(monkeypatch)
    ran = []

    def prepare(name):
        return lambda: (lambda: ran.append(name))

    timed = common.interleaved_median_seconds({"a": prepare("a"), "b": prepare("b")}, 3)
    assert ran == ["a", "b"] * 3  # a machine slower for a while slows both alike
    assert set(timed) == {"a", "b"}
    for median, times, walls in timed.values():
        assert len(times) == len(walls) == 3 and min(times) <= median <= max(times)
