"""benchmarks/backprop_claims.py: its finite-difference gradient is the one it times, and
its check against backprop agrees on a correct network and catches a wrong gradient."""

import re
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import backprop_claims as claims  # noqa: E402

from nndl3.network import Network, one_hot  # noqa: E402
from nndl3.options import Options  # noqa: E402


@pytest.fixture
def tiny():
    rng = np.random.default_rng(4)
    net = Network.create([6, 4, 3], "large", rng, options=Options(cost="quadratic"))
    x = rng.uniform(0, 1, (5, 6))
    return net, x, one_hot(rng.integers(0, 3, 5), 3)


def test_finite_differences_agree_with_backprop(tiny):
    net, x, y = tiny
    check = claims.gradient_agreement(net, x, y)
    assert check["parameters"] == 6 * 4 + 4 * 3 + 4 + 3
    assert check["relative"] < 1e-4 and check["max_abs_gradient"] > 1e-3


def test_the_parameters_are_restored_after_each_difference(tiny):
    net, x, y = tiny
    before = [p.copy() for p in net.weights + net.biases]
    claims.finite_difference_gradient(net, x, y)
    for kept, now in zip(before, net.weights + net.biases, strict=True):
        np.testing.assert_array_equal(kept, now)


def test_a_wrong_gradient_is_caught(tiny, monkeypatch):
    net, x, y = tiny
    right = net.backprop

    def off_by_one_weight(x, y, masks=None):
        grad_w, grad_b = right(x, y, masks)
        grad_w[0][1, 2] += 0.1 * np.max(np.abs(grad_w[0]))
        return grad_w, grad_b

    monkeypatch.setattr(net, "backprop", off_by_one_weight)
    assert claims.gradient_agreement(net, x, y)["relative"] > 1e-3


def test_the_printed_tables_are_the_docs_block():
    """The benchmark prints docs/performance.md's generated block: one formatter for both."""
    from nndl3 import bench_docs, docs

    assert claims.backprop_tables is bench_docs.backprop_tables
    assert docs.BLOCKS["backprop-claims"].made_here  # its record is not committed


def test_the_block_says_where_when_and_how_often_it_was_measured():
    """The block's first line comes from the document, not from prose beside it."""
    from nndl3.bench_docs import backprop_run_line

    machine = {"date": "2026-12-04T18:00:00+00:00", "cpu": "Some CPU", "cpu_count": 2,
               "load_average_at_start": [0.25, 0.1, 0.0], "git_commit": "abc1234"}
    line = backprop_run_line({"machine": machine, "repeats": 3, "pass_calls": 200})
    assert line == ("Measured on 2026-12-04 on Some CPU (2 CPUs, load 0.2 at the start), "
                    "commit abc1234; each time the median CPU time of 3 runs (a forward or "
                    "backprop pass: of 200 calls).")
    assert backprop_run_line({"repeats": 5}).startswith("Machine and date not recorded")
    assert claims.pass_calls(3) == 200 and claims.pass_calls(500) == 500


def test_the_performance_doc_states_the_agreement_the_run_requires():
    said = " ".join((Path(__file__).resolve().parents[1] / "docs" / "performance.md")
                    .read_text().split())
    stated = re.search(r"differ by more than (\S+) of the largest component", said)
    assert stated and float(stated[1]) == claims.AGREEMENT  # the doc's number, read exactly


def test_the_docs_quote_chapter_2_s_claims_as_the_benchmark_compares_them():
    """'about 2x faster' and 'about the cost of two forward passes' in both docs: the
    numbers this benchmark compares its timings with (TEXT)."""
    from .test_restated_values import prose, word

    faster = f"about {claims.TEXT['matrix_speedup']:g}x faster than chapter 1's loop"
    passes = word(int(claims.TEXT["backprop_in_forward_passes"]))
    for doc in ("docs/experiments.md", "docs/performance.md"):
        assert faster in prose(doc), doc
        assert f"at about the cost of {passes} forward passes" in prose(doc), doc
