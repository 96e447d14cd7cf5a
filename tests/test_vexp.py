"""The vector sigmoid gives the bits of the scalar one (libm's expf) or declines."""

from __future__ import annotations

import platform
from pathlib import Path

import numpy as np
import pytest
from numba import njit

from nndl3 import vexp


@njit
def sigmoid(a, z, n):
    return vexp.sigmoid(a, z, n)


@njit
def sigmoid_widened(a, z, n):
    return vexp.sigmoid_widened(a, z, n)


VECTOR = {False: (sigmoid, vexp.scalar_sigmoid), True: (sigmoid_widened,
                                                          vexp.scalar_sigmoid_widened)}


def test_table_is_glibcs():
    """Two entries of glibc's __exp2f_data.tab, as its source prints them."""
    assert vexp.TABLE[0] == 0x3FF0000000000000
    assert vexp.TABLE[1] == 0x3FEFD9B0D3158574


def glibc_on_x86_64_with_fma() -> bool:
    """Where libm's expf is glibc's __expf_fma (glibc 2.28 on), which the vector code
    follows: told from the platform, not from the code under test (which would skip the
    test it fails)."""
    libc, version = platform.libc_ver()
    if platform.machine() != "x86_64" or libc != "glibc" or \
            tuple(map(int, version.split(".")[:2])) < (2, 28):
        return False
    try:
        return "fma" in Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return False


@pytest.mark.parametrize("widened", [False, True])
def test_vector_sigmoid_has_the_scalar_bits_on_random_floats(widened):
    """Two million float32 of random bits with |z| < 2^7 (other values than the probes
    the engine checks): every row on libm's main path gives the scalar bits, with the
    division in float32 (training) as in float64 (the monitors), and the engine's own
    check passes. Where libm is not glibc's __expf_fma the engine does not use the vector
    code (skipped)."""
    if not glibc_on_x86_64_with_fma():
        pytest.skip("this libm's expf is another algorithm: the engine keeps the scalar one")
    assert vexp.matches_libm(widened)
    bits = np.random.default_rng(5).integers(0, 1 << 32, 1 << 21, dtype=np.uint64)
    z = bits.astype(np.uint32).view(np.float32)
    z = z[np.abs(z) < 128]
    z = z[:len(z) // 64 * 64].reshape(-1, 64)
    differ, kept = vexp.disagreements(z, widened)
    assert differ == 0 and kept > 0.5 * len(z)


def test_the_widened_sigmoid_is_not_the_float32_one():
    """The two divisions differ on some inputs: each variant's check compares with its own
    scalar code, so a mix-up would fail it."""
    z = vexp.probes()
    a32, a64 = np.zeros_like(z), np.zeros_like(z)
    for i in range(len(z)):
        vexp.scalar_sigmoid(a32[i], z[i], z.shape[1])
        vexp.scalar_sigmoid_widened(a64[i], z[i], z.shape[1])
    assert (a32.view(np.uint32) != a64.view(np.uint32)).any()


def test_the_engine_keeps_the_scalar_sigmoid_where_libm_differs(monkeypatch):
    from nndl3 import fast
    from nndl3.network import Network
    from nndl3.options import Options

    net = Network.create([784, 30, 10], "large", np.random.default_rng(0), np.float32,
                         Options(eta=0.5, mini_batch=10))
    x = np.zeros((4, 784), np.float32)
    assert fast.FastNetwork(net, x).codes[-1] == vexp.matches_libm()
    monkeypatch.setattr(vexp, "matches_libm", lambda: False)
    assert not fast.FastNetwork(net, x).codes[-1]


@pytest.mark.parametrize("widened", [False, True])
@pytest.mark.parametrize("n", [1, 7, 8, 10, 30, 32])
def test_only_the_first_n_lanes_are_written(n, widened):
    vector, scalar = VECTOR[widened]
    z = np.linspace(-5, 5, 32).astype(np.float32)
    a = np.full(32, 7, np.float32)
    assert vector(a, z, n)
    expected = np.full(32, 7, np.float32)
    scalar(expected, z, n)
    assert a.view(np.uint32).tolist() == expected.view(np.uint32).tolist()


@pytest.mark.parametrize("widened", [False, True])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, 100.0, -100.0])
def test_off_the_main_path_it_declines(bad, widened):
    """A live lane that libm treats apart makes it return False; past n it does not."""
    vector = VECTOR[widened][0]
    z = np.zeros(16, np.float32)
    z[9] = bad
    assert not vector(np.zeros(16, np.float32), z, 10)
    assert vector(np.zeros(16, np.float32), z, 9)


@pytest.mark.parametrize("widened", [False, True])
def test_float64_always_declines(widened):
    assert not VECTOR[widened][0](np.zeros(8), np.zeros(8), 8)
