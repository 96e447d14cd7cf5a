"""docs/performance.md's kernel blocks, rendered from a small synthetic record of
benchmarks/bench.py (nndl3.bench_docs): every number comes from the record, and what the
text says of it (a target met or not) follows the numbers."""

import ast
import copy
import json
import re
from pathlib import Path

import pytest

from nndl3 import bench_docs, docs, paths

ROOT = Path(__file__).resolve().parents[1]


def row(impl, hidden, dtype, seconds, speedup):
    return {"implementation": impl, "network": [784, hidden, 10], "dtype": dtype,
            "seconds_per_epoch": seconds, "examples_per_second": 50_000 / seconds,
            "speedup_vs_reference": speedup}


RECORD = {
    "machine": {"cpu": "Test CPU 9000", "cpu_count": 2, "date": "2026-12-03T12:00:00+00:00",
                "instruction_sets": ["avx2", "fma", "avx512f"],
                "compiled_for": {"numba_cpu_name": "rocketlake", "numba_cpu_features": "host",
                                 "openblas_coretype": "auto"},
                "git_commit": "abcdef123456", "load_average_at_start": [1.25, 1.0, 1.0],
                "load_average_at_end": [1.5, 1.0, 1.0], "python": "3.12.1",
                "numpy": "2.4.6", "numba": "0.68.1", "scipy": "1.16.0", "torch": None},
    "settings": {"train_size": 50_000, "mini_batch": 10, "eta": 0.5, "lmbda": 0.0,
                 "repeats": 3, "reference_repeats": 1, "reference_examples": 5000},
    "results": [row("fast", 30, "float32", 0.02, 100.0),
                row("numpy", 30, "float32", 0.2, 10.0),
                row("reference", 30, "float32", 2.0, 1.0)],
    "floor": [{"network": [784, 30, 10], "dtype": "float32", "nonzero_pixels": 7_503_280,
               "flops_per_epoch": 0.99e9, "peak_flops": 132e9, "floor_seconds": 0.0075,
               "fast_seconds": 0.02, "fast_over_floor": 2.6667}],
    "output_z": [{"network": [784, 30, 10], "dtype": "float32", "images": 10_000,
                  "fast_seconds": 0.0027, "numpy_seconds": 0.0052}],
    "targets": {"speedup_vs_reference_at_least": 90, "floor_multiple_at_most": 2.5},
    "kernel_history": {"reference_seconds": 2.0, "floor_seconds": 0.0075, "versions": [
        {"commit": "1bc1962", "change": "the start", "seconds_per_epoch": 0.04,
         "seconds_timed": [0.039, 0.04, 0.042]},
        {"commit": "working tree", "change": "this checkout", "seconds_per_epoch": 0.02,
         "seconds_timed": [0.02, 0.021, 0.019]},
        {"commit": "cafe123", "change": "a small step", "seconds_per_epoch": 0.0195,
         "seconds_timed": [0.0195, 0.0198, 0.0205]}]},
    "seeds_together": {"ratio_epoch": 7.5, "ratio_wall": 2.25, "runs": [
        {"seeds": 1, "engine": "fast", "epoch_seconds": 0.1, "wall_seconds": 1.0},
        {"seeds": 8, "engine": "fast", "epoch_seconds": 0.75, "wall_seconds": 2.25}]},
}


@pytest.fixture
def repo(tmp_path):
    def write(record):
        (tmp_path / "results").mkdir(exist_ok=True)
        (tmp_path / paths.KERNEL_BENCH).write_text(json.dumps(record))
        return tmp_path
    return write


def test_the_bench_block_shows_the_machine_the_table_and_the_floor(repo):
    text = bench_docs.kernel_bench(repo(RECORD))
    assert "run on 2026-12-03: Test CPU 9000, 2 cores (instruction sets: avx2, fma, avx512f" in text
    assert "Numba compiled for `rocketlake`" in text and "commit `abcdef123456`" in text
    assert "load 1.2 at the start, 1.5 at the end" in text and "median of 3 epoch(s)" in text
    assert "| fast (Numba, sparse inputs) | [784, 30, 10] | float32 | 0.020 | 2,500,000 | " \
           "100.0x |" in text
    assert "| reference, per example | [784, 30, 10] | float32 | 2.000 | 25,000 | 1.0x |" in text
    assert "timed on 5,000 images, 1 time(s), and scaled to 50,000" in text
    assert "| [784, 30, 10] | float32 | 7,503,280 | 0.99 | 132 | 7.5 | 20.0 | 2.7x |" in text
    assert "| [784, 30, 10] | float32 | 10,000 | 2.70 | 5.20 |" in text


def test_the_targets_sentence_follows_the_numbers(repo):
    text = bench_docs.kernel_bench(repo(RECORD))
    assert "**100.0x the reference** (at least 90x: met)" in text
    assert "**2.7x the floor** (at most 2.5x: not met)" in text
    slower = copy.deepcopy(RECORD)
    slower["results"][0]["speedup_vs_reference"] = 50.0
    slower["floor"][0]["fast_over_floor"] = 2.0
    text = bench_docs.kernel_bench(repo(slower))
    assert "(at least 90x: not met)" in text and "(at most 2.5x: met)" in text
    old = copy.deepcopy(RECORD)
    del old["targets"]
    assert "has no target line" in bench_docs.kernel_bench(repo(old))


def test_the_history_block_gives_each_step_and_its_spread(repo):
    text = bench_docs.kernel_history(repo(RECORD))
    assert "the reference of that run: 2.000 s per epoch, the floor 7.5 ms" in text
    assert "| `1bc1962` | 40.0 | 39.0-42.0 | - | 50.0x | 5.3x | the start |" in text
    assert "| working tree | 20.0 | 19.0-21.0 | 2.00x | 100.0x | 2.7x | this checkout |" in text
    assert "| `cafe123` | 19.5 | 19.5-20.5 | 1.03x (within the noise) | 102.6x | 2.6x | " \
           "a small step |" in text
    none = copy.deepcopy(RECORD)
    none["kernel_history"] = None
    assert "did not time the kernel's history" in bench_docs.kernel_history(repo(none))


def test_the_seeds_block(repo):
    text = bench_docs.seeds_together(repo(RECORD))
    assert "8 seeds took **7.50x the training time of 1** (0.750 s against 0.100 s)" in text
    assert "2.25x the wall time" in text


def test_the_blocks_are_rendered_into_the_docs(repo):
    root = repo(RECORD)
    (root / "docs").mkdir()
    names = ("kernel-bench", "kernel-history", "seeds-together")
    (root / "docs" / "performance.md").write_text("".join(
        f"<!-- generated: {n} -->\nhand-copied 71.8x\n<!-- end generated -->\n" for n in names))
    # a committed record's blocks are compared: a hand-copied one differs
    assert docs.run(root, check=True)[0] == [f"docs/performance.md: block {n}" for n in names]
    docs.run(root, check=False)
    text = (root / "docs" / "performance.md").read_text()
    assert "71.8x" not in text and "Test CPU 9000" in text and "`1bc1962`" in text
    assert docs.run(root, check=True)[0] == []


def test_a_count_edited_in_the_replay_sensitivity_block_fails_the_check(tmp_path):
    """The block's lists and counts are results of its committed record (replay.md and the
    replay's known deviations cite them): compared, though it holds CPU seconds too."""
    (tmp_path / "results").mkdir()
    (tmp_path / "docs").mkdir()
    (tmp_path / paths.REPLAY_SENSITIVITY).write_text(json.dumps(SENSITIVITY))
    doc = tmp_path / "docs" / "replay.md"
    doc.write_text("<!-- generated: replay-sensitivity -->\n<!-- end generated -->\n")
    docs.run(tmp_path, check=False)
    assert docs.run(tmp_path, check=True)[0] == []
    doc.write_text(doc.read_text().replace("`compiled` 1 of 3", "`compiled` 3 of 3"))
    assert docs.run(tmp_path, check=True)[0] == ["docs/replay.md: block replay-sensitivity"]


def test_the_performance_doc_holds_the_blocks_and_no_copied_table():
    text = (ROOT / "docs" / "performance.md").read_text()
    section = text[:text.index("## Chapter 2's claims")]
    for name in ("kernel-bench", "kernel-history", "seeds-together"):
        assert f"<!-- generated: {name} -->" in section
    outside = docs.BLOCK.sub("", section)
    assert not re.search(r"\d+(\.\d+)?x\b|\d ms\b|s / epoch \|", outside), outside


def test_the_design_doc_states_bench_py_targets():
    """docs/design.md's targets are the ones bench.py writes to its record and the block
    judges the run by."""
    tree = ast.parse((ROOT / "benchmarks" / "bench.py").read_text())
    targets = next(ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign)
                   and getattr(n.targets[0], "id", None) == "TARGETS")
    design = (ROOT / "docs" / "design.md").read_text()
    assert f"at least {targets['speedup_vs_reference_at_least']:g}x the per-example" in design
    assert f"within {targets['floor_multiple_at_most']:g}x of the" in design


def lst(list_id, epoch, diff):
    return {"id": list_id, "first_divergent_epoch": epoch, "max_cost_diff": diff}


SENSITIVITY = {
    "date": "2026-12-03T12:00:00+00:00", "cpu": "Test CPU 9000",
    "engines": ["compiled", "numpy"], "nudged_engine": "compiled",
    "files": {
        "a.json": {"engines": {
            "compiled": {"cpu_seconds": 10.04, "lists": [lst("a.json.training_cost", 2, 0.02),
                                                         lst("a.json.evaluation_accuracy", 3,
                                                             None)]},
            "numpy": {"cpu_seconds": 70.0, "lists": [lst("a.json.training_cost", 2, 0.03),
                                                     lst("a.json.evaluation_accuracy", None,
                                                         None)]}},
            "nudged": [lst("a.json.training_cost", 2, 0.02),
                       lst("a.json.evaluation_accuracy", 5, None)]},
        "b.json": {"engines": {
            "compiled": {"cpu_seconds": 15.5, "lists": [lst("b.json.training_cost", None,
                                                            1e-14)]},
            "numpy": {"cpu_seconds": 27.9, "lists": [lst("b.json.training_cost", None, 1e-14)]}},
            "nudged": [lst("b.json.training_cost", None, 1e-14)]}}}


def test_the_replay_sensitivity_block(tmp_path):
    (tmp_path / "results").mkdir()
    (tmp_path / paths.REPLAY_SENSITIVITY).write_text(json.dumps(SENSITIVITY))
    text = bench_docs.replay_sensitivity(tmp_path)
    assert "run on 2026-12-03 (Test CPU 9000)" in text
    assert "| a.json | training_cost | epoch 2 (cost 2e-02) | epoch 2 (cost 3e-02) | " \
           "epoch 2 (cost 2e-02) |" in text
    assert "| a.json | evaluation_accuracy | epoch 3 | identical | epoch 5 |" in text
    assert "| b.json | training_cost | identical (cost 1e-14) |" in text
    assert "Lists identical to the book: `compiled` 1 of 3, `numpy` 2 of 3." in text
    assert "Of the 2 lists `compiled`'s replay does not give, the nudged replay leaves " \
           "that replay at the epoch where it leaves the book in 1." in text
    assert "| a.json | 10.0 | 70.0 |" in text and "| b.json | 15.5 | 27.9 |" in text


def test_the_replay_doc_holds_the_block_and_no_copied_time_table():
    text = (ROOT / "docs" / "replay.md").read_text()
    assert "<!-- generated: replay-sensitivity -->" in text
    assert "| file | compiled (the config's `replay.engine`)" not in text
    assert not re.search(r"\d CPU-minutes|\d+ to \d+ times faster", text)


def test_time_estimates_read_as_english():
    """CPU seconds over ESTIMATE_CORES cores, rounded to minutes, with the noun's number."""
    per_minute = 60 * bench_docs.ESTIMATE_CORES
    cores = f"on {bench_docs.ESTIMATE_CORES} cores"
    assert bench_docs.cores_minutes(0.4 * per_minute) == f"under a minute {cores}"
    assert bench_docs.cores_minutes(1.2 * per_minute) == f"about 1 minute {cores}"
    assert bench_docs.cores_minutes(31 * per_minute) == f"about 31 minutes {cores}"
