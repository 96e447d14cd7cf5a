"""The SVM baseline's RBF kernel matrices, to the bit as computed by whole-matrix numpy
(and libsvm, up to the last bits of the dot products: nndl3.svm's docstring), but in
blocks of rows that stay in the cache, with exact dot products over the nonzero pixels.

Exact dot products: the book's pixels are k / 256 (k = 0..255). Their products are
k k' / 2^16, and an image's dot products are sums of such below 2^26: exact in float64,
so any order of summation gives the same bits. The codes k multiply as exactly in float32
while every partial sum stays below 2^24: the terms are non-negative, so a partial sum is
at most the whole dot product, which is at most |a| |b| (Cauchy-Schwarz); a pair of
images whose squared norms' product reaches 2^48 (a few of MNIST's brightest images) is
summed in float64 instead. Four pixels in five are 0, so a dot product is summed over
one image's nonzero pixels only (its codes in CSR form), against the other images' codes
stored a pixel-row at a time, 64 images wide, in blocks that stay in the cache: each
nonzero pixel adds one row of a block, in vector registers (`simd.rows_sum`), where
float32 matrix products over all 784 columns did the work before (`python
benchmarks/svm_kernel.py` times the kernel and compares the bits). Inputs of
other values (tests' random data) keep float64 matrix products.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
from numba import njit

from .fast import to_csr  # the CSR form the engines read, shared as nndl3.wide shares it
from .simd import rows_sum

LIMIT = 2.0 ** 24  # float32 holds every integer below it
CODES = 256  # pixel = code / CODES
WIDTH = 64  # images in a block of the pixel-rows: 4 float32 vectors (simd.MAX_VECTORS)


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


class Codes:
    """Images as pixel codes (float32), in the two forms a dot product reads, each made
    when first read: by image, their nonzero pixels (`csr`: indptr, indices, values); by
    pixel, `blocks` (n_blocks, pixels, WIDTH) of WIDTH images each (the last padded with
    0), with the largest squared norm of each block; and each image's squared norm."""

    def __init__(self, codes: np.ndarray):
        self.codes = codes
        self.norms = np.einsum("ij,ij->i", codes, codes, dtype=np.float64)

    @cached_property
    def csr(self) -> tuple:
        return to_csr(self.codes)

    @cached_property
    def blocks(self) -> tuple:
        n, pixels = self.codes.shape
        n_blocks = -(-n // WIDTH)
        padded = np.zeros((n_blocks * WIDTH, pixels), np.float32)
        padded[:n] = self.codes
        norms = np.zeros(n_blocks * WIDTH)
        norms[:n] = self.norms
        return (np.ascontiguousarray(padded.reshape(n_blocks, WIDTH, pixels).transpose(0, 2, 1)),
                norms.reshape(n_blocks, WIDTH).max(axis=1))


class Pixels:
    """Images: their squared norms and either their pixel codes (`Codes`, with `first`, the
    index of the first of these images among them) or, where not all are codes, their
    float64 pixels. Built once for a fit; a digit's images are then a view, not a copy:
    fresh memory costs (`python benchmarks/svm_kernel.py` prints a first write's speed and
    a rewrite's)."""

    def __init__(self, sq, codes: Codes | None = None, first: int = 0, x=None):
        self.sq, self.codes, self.first, self.x = sq, codes, first, x

    @classmethod
    def of(cls, x, order=None, block: int = 2048) -> Pixels:
        """The images x[order] (default: all, in order)."""
        x = np.ascontiguousarray(x, dtype=np.float64)
        order = np.arange(len(x)) if order is None else order
        sq = np.einsum("ij,ij->i", x, x)[order]
        codes = np.empty((len(order), x.shape[1]), np.float32)
        for start in range(0, len(order), block):
            scaled = x[order[start:start + block]] * CODES
            if not (np.array_equal(scaled, np.round(scaled)) and scaled.min(initial=0) >= 0
                    and scaled.max(initial=0) < CODES):
                return cls(sq, x=x[order])
            codes[start:start + block] = scaled
        return cls(sq, Codes(codes))

    def rows(self, start: int, stop: int) -> Pixels:
        """The images start..stop-1, a view."""
        if self.codes is None:
            return Pixels(self.sq[start:stop], x=self.x[start:stop])
        return Pixels(self.sq[start:stop], self.codes, self.first + start)

    def dots(self, start: int, stop: int, other: Pixels, out) -> np.ndarray:
        """out = (x[start:stop] @ other's x.T) (float64), exact; `out` given, as it is a few
        MB, mapped anew if allocated anew each block."""
        if self.codes is None or other.codes is None:
            return np.matmul(self.x[start:stop], other.x.T, out=out)
        _sparse_dots(*self.codes.csr, self.codes.norms, self.first + start, self.first + stop,
                     *other.codes.blocks, other.first, other.first + len(other.sq),
                     LIMIT * LIMIT, out)
        out *= 1.0 / CODES ** 2
        return out


@njit(cache=True, nogil=True)
def _sparse_dots(indptr, indices, values, norms, start, stop, blocks, block_norms, c0, c1,
                 exact_below, out):
    """out[i - start, j - c0] = the dot product of the codes of image i (CSR) and image j
    (blocks), for i in [start, stop) and j in [c0, c1): summed in float32 over i's nonzero
    pixels where the squared norms' product is below `exact_below` (LIMIT^2, so that every
    partial sum is an integer float32 holds), else in float64; block by block, so that a
    block stays in the cache while every image of a is summed against it."""
    width = blocks.shape[2]
    z = np.empty(width, np.float32)
    zero = np.zeros(width, np.float32)
    for k in range(c0 // width, (c1 - 1) // width + 1):
        j0 = k * width
        lo, hi = max(c0, j0), min(c1, j0 + width)
        block = blocks[k]
        for i in range(start, stop):
            if norms[i] * block_norms[k] < exact_below:
                rows_sum(z, zero, block, indices, values, indptr[i], indptr[i + 1])
                for j in range(lo, hi):
                    out[i - start, j - c0] = z[j - j0]
            else:
                for j in range(lo, hi):
                    s = 0.0
                    for p in range(indptr[i], indptr[i + 1]):
                        s += np.float64(values[p]) * np.float64(block[indices[p], j - j0])
                    out[i - start, j - c0] = s


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
    for start in range(0, n_a, rows):
        stop = min(start + rows, n_a)
        first = start if upper else 0  # the block's columns: first..n_b-1
        shape = (stop - start, n_b - first)
        size = shape[0] * shape[1]
        values, dots_ = flat[:size].reshape(shape), dots[:size].reshape(shape)
        a.dots(start, stop, b.rows(first, n_b), dots_)
        exponents(dots_, a.sq[start:stop], b.sq[first:], -gamma, False, values)
        np.exp(values, out=values)  # numpy's exp, as before: numba's may differ in bits
        _store(values, out[:, first:], start, transposed[first:, :])
