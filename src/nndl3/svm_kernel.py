"""The SVM baseline's RBF kernel matrices, to the bit as computed by whole-matrix numpy
(and libsvm, up to the last bits of the dot products: nndl3.svm's docstring), but in
blocks of rows that stay in the cache, with exact dot products at float32 speed.

Exact dot products: the book's pixels are k / 256 (k = 0..255). Their products are
k k' / 2^16, and an image's dot products are sums of such below 2^26: exact in float64,
so any order of summation gives the same bits. The codes k multiply as exactly in float32
while every partial sum stays below 2^24; the 784 columns are split into chunks in which
no image's squared norm reaches 2^24, which bounds every partial dot product of the chunk
(the terms are non-negative; Cauchy-Schwarz). Each chunk is then a float32 matrix product,
faster than float64's, and the chunks' sums add exactly in float64 (`python
benchmarks/svm_kernel.py` times the kernel both ways and compares the bits). Inputs of
other values (tests' random data) keep float64 products.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
from numba import njit

LIMIT = 2.0 ** 24  # float32 holds every integer below it
CODES = 256  # pixel = code / CODES


def whole_matrix(xa, xb, gamma):
    """The kernel as computed before this module, in one piece with float64 products: the
    bits the blocks must give (its tests) and the time they are compared with
    (benchmarks/svm_kernel.py)."""
    sq_a, sq_b = np.einsum("ij,ij->i", xa, xa), np.einsum("ij,ij->i", xb, xb)
    dots = xa @ xb.T
    dots *= 2
    d2 = np.add.outer(sq_a, sq_b)
    d2 -= dots
    d2 *= -gamma
    return np.exp(d2, out=d2).astype(np.float32)


class Pixels:
    """Images: their squared norms and either their pixel codes (float32, with the column
    spans whose products are exact in float32) or, where not all are codes, their float64
    pixels. Built once for a fit; a digit's images are then a slice, not a copy: fresh
    memory costs (`python benchmarks/svm_kernel.py` prints a first write's speed and a
    rewrite's)."""

    def __init__(self, sq, codes=None, spans=None, x=None):
        self.sq, self.codes, self.spans, self.x = sq, codes, spans, x

    @classmethod
    def of(cls, x, order=None, block: int = 2048) -> Pixels:
        """The images x[order] (default: all, in order)."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        order = np.arange(len(x)) if order is None else order
        sq = np.einsum("ij,ij->i", x, x)[order]
        codes = np.empty((len(order), x.shape[1]), np.float32)
        norms = np.zeros((len(order), x.shape[1] // 8 or 1))  # squared norms of 8 spans
        bounds = np.linspace(0, x.shape[1], norms.shape[1] + 1).astype(int)
        for start in range(0, len(order), block):
            scaled = x[order[start:start + block]] * CODES
            if not (np.array_equal(scaled, np.round(scaled)) and scaled.min(initial=0) >= 0
                    and scaled.max(initial=0) < CODES):
                return cls(sq, x=x[order])
            codes[start:start + block] = scaled
            squares = scaled * scaled
            for k, (lo, hi) in enumerate(pairwise(bounds)):
                norms[start:start + block, k] = squares[:, lo:hi].sum(axis=1)
        for n in (1, 2, 4, 8):  # the fewest equal spans each below LIMIT
            edges = np.linspace(0, norms.shape[1], n + 1).astype(int)
            if all(np.max(norms[:, lo:hi].sum(axis=1), initial=0) < LIMIT
                   for lo, hi in pairwise(edges)):
                columns = bounds[edges]
                return cls(sq, codes, list(pairwise(columns)))
        return cls(sq, x=x[order])

    def rows(self, start: int, stop: int) -> Pixels:
        """The images start..stop-1, a view."""
        if self.codes is None:
            return Pixels(self.sq[start:stop], x=self.x[start:stop])
        return Pixels(self.sq[start:stop], self.codes[start:stop], self.spans)

    def dots(self, start: int, stop: int, other: Pixels, out, partial) -> np.ndarray:
        """out = (x[start:stop] @ other's x.T) (float64), exact; `out` and `partial` (float32,
        its shape) given, as each is a few MB, mapped anew if allocated anew each block."""
        if self.codes is None or other.codes is None:
            return np.matmul(self.x[start:stop], other.x.T, out=out)
        # the finer spans: exact for both (each span of the coarser is a union of them)
        spans = max(self.spans, other.spans, key=len)
        for k, (lo, hi) in enumerate(spans):
            np.matmul(self.codes[start:stop, lo:hi], other.codes[:, lo:hi].T, out=partial)
            if k:
                out += partial
            else:
                out[:] = partial
        out *= 1.0 / CODES ** 2
        return out


@njit(cache=True, nogil=True)
def exponents(dots, sq_a, sq_b, minus_gamma, clip, out):
    """((|a|^2 + |b|^2) - 2 a.b) * -gamma, in the order of whole-matrix numpy's operations;
    with `clip`, the distance clipped at 0 first (as the predictions have always done)."""
    for i in range(dots.shape[0]):
        for j in range(dots.shape[1]):
            d2 = (sq_a[i] + sq_b[j]) - dots[i, j] * 2.0
            if clip and d2 < 0.0:
                d2 = 0.0
            out[i, j] = d2 * minus_gamma


@njit(cache=True, nogil=True)
def _store(values, out, start, transposed):
    """Rows start.. of `out` (and columns start.. of `transposed`, if it has any rows) set
    to `values` rounded to float32; `transposed` a row at a time (its rows are far apart)."""
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            out[start + i, j] = np.float32(values[i, j])
    if transposed.shape[0]:
        for j in range(values.shape[1]):
            for i in range(values.shape[0]):
                transposed[j, start + i] = np.float32(values[i, j])


def within(a: Pixels, gamma: float, rows: int = 256) -> np.ndarray:
    """rbf(a, a, gamma), float32, computing only the blocks on and above the diagonal when
    the dot products are exact (pixel codes): d2 = (|a_i|^2 + |a_j|^2) - 2 a_i.a_j is then
    the same number for (i, j) and (j, i), the addition being commutative, and so is its
    exp. Other inputs: the whole matrix, as rbf computes it (its products' bits depend on
    the shapes multiplied)."""
    if a.codes is None:
        return rbf(a, a, gamma, rows=rows)
    out = np.empty((len(a.sq), len(a.sq)), np.float32)
    _blocks(a, a, gamma, out, out, rows, upper=True)
    return out


def rbf(a: Pixels, b: Pixels, gamma: float, out=None, transposed=None,
        rows: int = 256) -> np.ndarray:
    """exp(-gamma |a - b|^2) for every pair of images, |a - b|^2 = (|a|^2 + |b|^2) - 2 a.b
    as libsvm computes it (not clipped at 0), rounded to float32 as libsvm stores kernel
    values, into `out` (float32 or float64; a new float32 array if None) and, if given,
    its transpose into `transposed`."""
    out = np.empty((len(a.sq), len(b.sq)), np.float32) if out is None else out
    transposed = np.empty((0, 0), out.dtype) if transposed is None else transposed
    _blocks(a, b, gamma, out, transposed, rows, upper=False)
    return out


def _blocks(a: Pixels, b: Pixels, gamma: float, out, transposed, rows: int, upper: bool):
    """out (and transposed) = the kernel of a and b, `rows` rows of a at a time; `upper`
    (a is b, out is transposed): each block only from its first row's column on, its values
    stored at (i, j) and (j, i)."""
    n_a, n_b = len(a.sq), len(b.sq)
    flat, dots = np.empty((2, min(rows, n_a) * n_b))
    partial = np.empty(dots.shape, np.float32)
    for start in range(0, n_a, rows):
        stop = min(start + rows, n_a)
        first = start if upper else 0  # the block's columns: first..n_b-1
        shape = (stop - start, n_b - first)
        size = shape[0] * shape[1]
        values, dots_ = flat[:size].reshape(shape), dots[:size].reshape(shape)
        a.dots(start, stop, b.rows(first, n_b), dots_, partial[:size].reshape(shape))
        exponents(dots_, a.sq[start:stop], b.sq[first:], -gamma, False, values)
        np.exp(values, out=values)  # numpy's exp, as before: numba's may differ in bits
        _store(values, out[:, first:], start, transposed[first:, :])
