"""The explicit SIMD row operations give the bits of the plain loops they replace.

Each is compared with the same arithmetic written one element at a time in NumPy
(same operations, same order, no fused multiply-add), for float32 and float64 and for
row lengths of one to nine vectors, which take every pass width of `simd` (1-4 vectors
and a split into several passes)."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit

from nndl3 import simd
from nndl3.fast import aligned_zeros, to_csr

# The intrinsics are callable from compiled code only: one compiled caller each.


@njit
def rows_sum(z, b, w, indices, values, start, end):
    simd.rows_sum(z, b, w, indices, values, start, end)


@njit
def rows_sum_pair(za, zb, b, w, indices, values, sa, ea, sb, eb):
    simd.rows_sum_pair(za, zb, b, w, indices, values, sa, ea, sb, eb)


@njit
def dense_sum(z, w, a, n):
    simd.dense_sum(z, w, a, n)


@njit
def dense_sums(z, w, a, n, count):
    simd.dense_sums(z, w, a, n, count)


@njit
def rows_step(w, step, d, indices, values, start, end):
    simd.rows_step(w, step, d, indices, values, start, end)


@njit
def prefetch(array, start, end):
    simd.prefetch(array, start, end)


DTYPES = (np.float32, np.float64)


def problem(dtype, vectors, n_images=7, n_in=50, seed=0):
    """A sparse input (CSR, about a third of the pixels nonzero, one image without any),
    a weight matrix with rows of `vectors` whole vectors, and a bias."""
    rng = np.random.default_rng(seed)
    width = simd.lanes(np.dtype(dtype)) * vectors
    x = (rng.random((n_images, n_in)) * (rng.random((n_images, n_in)) < 0.35)).astype(dtype)
    x[3] = 0
    w = aligned_zeros((n_in, width), dtype)
    w[...] = rng.standard_normal((n_in, width))
    b = aligned_zeros(width, dtype)
    b[...] = rng.standard_normal(width)
    return x, to_csr(x), w, b


def loop_sum(b, w, indices, values, start, end):
    """b + values[p] * w[indices[p]] added one pixel at a time, as the scalar kernel did."""
    z = b.copy()
    for p in range(start, end):
        z = z + values[p] * w[indices[p]]
    return z


def loop_step(w, step, d, indices, values, start, end):
    w = w.copy()
    for p in range(start, end):
        row = indices[p]
        w[row] = w[row] - (step * values[p]) * d
    return w


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("vectors", [1, 2, 3, 4, 5, 9])
def test_rows_sum_gives_the_bits_of_the_loop(dtype, vectors):
    x, (indptr, indices, values), w, b = problem(dtype, vectors)
    for r in range(len(x)):
        z = aligned_zeros(w.shape[1], dtype)
        rows_sum(z, b, w, indices, values, indptr[r], indptr[r + 1])
        assert np.array_equal(z, loop_sum(b, w, indices, values, indptr[r], indptr[r + 1]))
        # and it is the layer's weighted input, up to rounding
        np.testing.assert_allclose(z, b + x[r] @ w, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("vectors", [1, 2, 3, 4, 5, 9])
def test_rows_step_gives_the_bits_of_the_loop(dtype, vectors):
    x, (indptr, indices, values), w, b = problem(dtype, vectors)
    step = np.dtype(dtype).type(0.37)
    for r in range(len(x)):
        expected = loop_step(w, step, b, indices, values, indptr[r], indptr[r + 1])
        rows_step(w, step, b, indices, values, indptr[r], indptr[r + 1])
        assert np.array_equal(w, expected)


def test_rows_step_leaves_other_rows_alone():
    x, (indptr, indices, values), w, b = problem(np.float32, 2)
    before = w.copy()
    rows_step(w, np.float32(1), b, indices, values, indptr[0], indptr[1])
    touched = np.zeros(len(w), bool)
    touched[indices[indptr[0]:indptr[1]]] = True
    assert np.array_equal(w[~touched], before[~touched])
    assert not np.array_equal(w[touched], before[touched])


def test_shapes_the_code_cannot_handle_are_refused():
    """The engine checks its arrays once (the SIMD loops do not): a row of 20 float32 is
    not whole vectors; a vector shorter than a row would be written past its end. And a
    float64 step for float32 weights has no intrinsic."""
    from numba.core.errors import TypingError

    x, (indptr, indices, values), w, b = problem(np.float32, 2)
    simd.check_rows(w, b)
    with pytest.raises(ValueError, match="not a whole number of 16-element vectors"):
        simd.check_rows(np.zeros((5, 20), np.float32))
    with pytest.raises(ValueError, match="does not hold a row of 32"):
        simd.check_rows(w, np.zeros(16, np.float32))
    with pytest.raises(ValueError, match="does not hold a row"):
        simd.check_rows(w, b.astype(np.float64))
    with pytest.raises(TypingError):
        rows_step(w, 0.5, b, indices, values, indptr[0], indptr[1])


def test_prefetch_is_only_a_hint():
    values = np.arange(1000, dtype=np.float32)
    before = values.copy()
    prefetch(values, 0, 1000)
    prefetch(values, 10, 10)
    assert np.array_equal(values, before)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("vectors", [1, 2, 3])
@pytest.mark.parametrize("n", [0, 1, 30])
def test_dense_sum_gives_the_bits_of_the_loop(dtype, vectors, n):
    """The output layer's form: z += a[h] w[h] for h < n, h in order."""
    rng = np.random.default_rng(1)
    width = simd.lanes(np.dtype(dtype)) * vectors
    w = aligned_zeros((32, width), dtype)
    w[...] = rng.standard_normal(w.shape)
    a = rng.random(32).astype(dtype)
    z = aligned_zeros(width, dtype)
    z[...] = rng.standard_normal(width)
    expected = z.copy()
    for h in range(n):
        expected = expected + a[h] * w[h]
    dense_sum(z, w, a, n)
    assert np.array_equal(z, expected)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("vectors", [1, 2, 3])
@pytest.mark.parametrize("count", [0, 1, 4, 7, 10])
def test_dense_sums_gives_each_row_the_bits_of_dense_sum(dtype, vectors, count):
    """Several images' output layers at once (full groups and every remainder): row e is
    `dense_sum` of row e alone; the rows from count on are left alone."""
    rng = np.random.default_rng(2)
    width = simd.lanes(np.dtype(dtype)) * vectors
    w = aligned_zeros((32, width), dtype)
    w[...] = rng.standard_normal(w.shape)
    a = aligned_zeros((11, 32), dtype)
    a[...] = rng.random(a.shape)
    z = aligned_zeros((11, width), dtype)
    z[...] = rng.standard_normal(z.shape)
    expected = z.copy()
    for e in range(count):
        dense_sum(expected[e], w, a[e], 30)
    dense_sums(z, w, a, 30, count)
    assert np.array_equal(z, expected)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("vectors", [1, 2, 3, 5])
def test_rows_sum_pair_gives_each_image_its_own_bits(dtype, vectors):
    """Two images at once, of every pair of lengths here (longer first, shorter first,
    equal, empty): each result is that image's `rows_sum`."""
    x, (indptr, indices, values), w, b = problem(dtype, vectors)
    for r in range(len(x)):
        for s in range(len(x)):
            za = aligned_zeros(w.shape[1], dtype)
            zb = aligned_zeros(w.shape[1], dtype)
            rows_sum_pair(za, zb, b, w, indices, values, indptr[r], indptr[r + 1],
                               indptr[s], indptr[s + 1])
            assert np.array_equal(za, loop_sum(b, w, indices, values, indptr[r], indptr[r + 1]))
            assert np.array_equal(zb, loop_sum(b, w, indices, values, indptr[s], indptr[s + 1]))


def test_kernel_cache_folder_changes_with_either_source(tmp_path, monkeypatch):
    """Numba checks a cached function against its own file only; the cache folder is
    named by the digest of all kernel sources (fast.py and every module of the package it
    imports), so a new simd.py gets a new folder."""
    import hashlib
    import re
    from pathlib import Path

    import nndl3

    here = Path(nndl3.__file__).parent
    source = (here / "fast.py").read_text()
    imported = re.findall(r"^from \.(\w*) import \(?([\w, ]*)", source, re.M)
    modules = {f"{m}.py" for m, names in imported if m} | {
        f"{n.strip()}.py" for m, names in imported if not m for n in names.split(",")}
    assert modules | {"fast.py"} == set(nndl3.KERNEL_SOURCES)
    digest = hashlib.sha256(b"".join((here / name).read_bytes()
                                     for name in nndl3.KERNEL_SOURCES))
    monkeypatch.chdir(tmp_path)
    name = digest.hexdigest()[:12]
    assert nndl3.kernel_cache_dir() == str(tmp_path / ".cache" / "numba" / name)
    # NUMBA_CACHE_DIR of the user's: the version's folder goes under it (Numba alone would
    # load a kernel compiled with an older simd.py), once (a job inherits it so set)
    assert nndl3.kernel_cache_dir("/x/numba") == f"/x/numba/{name}"
    assert nndl3.kernel_cache_dir(f"/x/numba/{name}") == f"/x/numba/{name}"
    # and Numba is told, whatever the variable was when the package was imported
    import os
    import subprocess
    import sys

    probe = ("import numba, nndl3, os; "
             "print(numba.config.CACHE_DIR, os.environ['NUMBA_CACHE_DIR'])")
    shown = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                           check=True, env={**os.environ, "NUMBA_CACHE_DIR": "/x/numba/"}
                           ).stdout.split()
    assert shown == [f"/x/numba/{name}"] * 2


@pytest.mark.parametrize("dtype", DTYPES)
def test_coded_values_give_the_bits_of_the_values(dtype):
    """Values given as (uint8 codes, table) sum and step as table[codes] given plainly."""
    x, (indptr, indices, values), w, b = problem(dtype, 2)
    table = aligned_zeros(256, dtype)
    table[...] = np.random.default_rng(8).random(256)
    codes = (np.arange(len(values)) * 7 % 256).astype(np.uint8)
    plain = table[codes]
    start, end = indptr[1], indptr[3]
    z, z_coded = aligned_zeros(w.shape[1], dtype), aligned_zeros(w.shape[1], dtype)
    rows_sum(z, b, w, indices, plain, start, end)
    rows_sum(z_coded, b, w, indices, (codes, table), start, end)
    assert np.array_equal(z, z_coded)
    za, zb = aligned_zeros(w.shape[1], dtype), aligned_zeros(w.shape[1], dtype)
    rows_sum_pair(za, zb, b, w, indices, (codes, table), start, end, indptr[4], indptr[6])
    assert np.array_equal(za, z)
    w_coded = w.copy()
    rows_step(w, dtype(0.1), b, indices, plain, start, end)
    rows_step(w_coded, dtype(0.1), b, indices, (codes, table), start, end)
    assert np.array_equal(w, w_coded)
    prefetch((codes, table), start, end)
