"""The training epoch flushes subnormals to zero and leaves the thread's IEEE mode as it
found it; on a saturating network the weights are those of IEEE arithmetic."""

import numpy as np
import pytest
from numba import njit

from nndl3 import fast, subnormals
from nndl3.network import Network
from nndl3.options import Options

pytestmark = pytest.mark.skipif(not subnormals.X86, reason="the flush is x86's MXCSR")

TINY = np.float32(1e-38)  # below float32's smallest normal number
CONTROL = ~0x3F  # MXCSR without its sticky exception flags (set by any overflow on the way)


@njit
def halved(x):
    return x / np.float32(2)


def test_flush_zeroes_subnormal_results_and_restore_undoes_it():
    before = subnormals.mode()
    assert halved(TINY) != 0
    previous = subnormals.flush()
    try:
        assert previous == before and (subnormals.mode() & 0x8040) == 0x8040
        assert halved(TINY) == 0
    finally:
        subnormals.restore(previous)
    assert subnormals.mode() == before and halved(TINY) != 0


def inputs():
    rng = np.random.default_rng(0)
    x = (rng.random((600, 784)) * (rng.random((600, 784)) < 0.4)).astype(np.float32)
    return x, rng.integers(0, 10, 600)


def saturated(flush: bool, epochs: int = 3):
    """A [784, 30, 10] network at eta 100 (its sigmoids saturate), trained by the fast
    engine on random sparse inputs."""
    x, labels = inputs()
    net = Network.create([784, 30, 10], "large", np.random.default_rng(1), np.float32,
                         Options(cost="quadratic", eta=100.0, mini_batch=10))
    engine = fast.FastNetwork(net, x)
    engine.flush_subnormals = flush
    rng = np.random.default_rng(5)
    for _ in range(epochs):
        engine.sgd_epoch(x, labels, rng.permutation(600), 100.0)
    net.engine = engine  # the tests read what the epoch ran under
    return net


def test_an_epoch_flushes_while_it_runs_and_restores_the_threads_mode():
    before = subnormals.mode()
    assert before & subnormals.FTZ_DAZ == 0  # the test starts from IEEE arithmetic
    flushed, ieee = saturated(True, epochs=1), saturated(False, epochs=1)
    assert flushed.engine.epoch_mode & subnormals.FTZ_DAZ == subnormals.FTZ_DAZ
    assert ieee.engine.epoch_mode & subnormals.FTZ_DAZ == 0
    assert subnormals.mode() & CONTROL == before & CONTROL
    assert np.float32(TINY) / np.float32(2) != 0  # NumPy after the epoch: IEEE


def test_a_saturated_network_trains_to_the_same_bits_either_way():
    flushed, ieee = saturated(True), saturated(False)
    x, _ = inputs()
    z1 = x @ ieee.weights[0].T + ieee.biases[0]
    z2 = 1 / (1 + np.exp(-z1.astype(np.float64))) @ ieee.weights[1].T + ieee.biases[1]
    # some sigmoids are subnormal there (exp(-z) past float32's range, 1 / (1 + exp(-z))
    # not yet 0): the values the flush zeroes
    assert sum(((z > -103.9) & (z < -87.4)).sum() for z in (z1, z2)) > 100
    for a, b in zip(flushed.weights + flushed.biases, ieee.weights + ieee.biases, strict=True):
        np.testing.assert_array_equal(a, b)
