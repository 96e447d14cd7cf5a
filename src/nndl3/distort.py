"""Distorted copies of MNIST images: Simard's elastic distortion and affine distortions.

Both are a displacement field (dy, dx) per image, then one resampling: the distorted image
at pixel p is the original at p + (dy, dx)(p), bilinearly interpolated, 0 outside the
image. Everything is vectorized over images; the random draws come from the generator the
caller passes (a run's `augment` stream), so a seed gives the same distortions.

Elastic (Simard, Steinkraus and Platt 2003, section 2): dx, dy uniform in [-1, 1] at every
pixel, each smoothed by a Gaussian of standard deviation sigma, scaled by alpha. The paper
does not say whether the Gaussian is normalized. Here it is (its weights sum to 1): the
smoothed field then has RMS alpha * sqrt(sum k^2 / 3) per component (k the 2-D kernel):
alpha / (2 sigma sqrt(3 pi)), 1.4 pixels at sigma = 4, alpha = 34, away from the border,
more near it (tests/test_distort.py measures both). A kernel with
peak 1 instead would multiply it by 2 pi sigma^2 (about 101): displacements of ~140 pixels, off
a 28-pixel image. The smoothing is a product with a 28 x 28 Gaussian matrix on each side (BLAS);
near the border its weights are renormalized to sum to 1 over the image (our
choice: the paper is silent on the border).

Affine: a rotation, a horizontal skew (shear) and a shift, about the image centre, each
uniform in a symmetric range. Simard names the three but gives no ranges; ours are
parameters of the run (config/literature.yaml, docs/literature.md).
"""

from __future__ import annotations

import numpy as np
from numba import njit

SIDE = 28


def gaussian_matrix(sigma: float, side: int = SIDE) -> np.ndarray:
    """G with (G @ f)[i] = sum_j k(i - j) f[j] / sum_j k(i - j) over the image, k a Gaussian
    of standard deviation sigma: a normalized smoothing that sees only the image."""
    i = np.arange(side)
    g = np.exp(-0.5 * ((i[:, None] - i[None, :]) / sigma) ** 2)
    return g / g.sum(axis=1, keepdims=True)


def smoothed(field: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Each (side, side) slice f of field smoothed along both axes, G f G^T (g = G): one
    matrix product over all rows, then one stacked product (BLAS, ~0.15 s for 50,000)."""
    n, side, _ = field.shape
    return np.matmul(g, (field.reshape(n * side, side) @ g.T).reshape(n, side, side))


def elastic_fields(n: int, sigma: float, alpha: float, rng: np.random.Generator,
                   side: int = SIDE, smooth: bool = True):
    """Simard's displacement fields (dy, dx), each (n, side, side), float32. smooth=False
    skips the Gaussian (for tests that show what it does).

    The uniform draws u in [0, 1) become 2u - 1 after smoothing: G (2u - 1) G^T =
    2 G u G^T - 1, since each row of G sums to 1; one pass over the fields fewer."""
    fields = rng.random((2, n, side, side), dtype=np.float32)
    g = gaussian_matrix(sigma, side).astype(np.float32)
    out = []
    for u in fields:
        f = smoothed(u, g) if smooth else u
        f *= np.float32(2 * alpha)
        f -= np.float32(alpha)
        out.append(f)
    return out[0], out[1]


def affine_fields(n: int, rng: np.random.Generator, max_degrees: float, max_shift: float,
                  max_skew: float, side: int = SIDE):
    """Displacements (dy, dx) of a random rotation (uniform +-max_degrees), horizontal skew
    (x += skew * y, skew uniform +-max_skew) and shift (each axis uniform +-max_shift
    pixels) about the image centre; drawn in that order."""
    angle = np.deg2rad(rng.uniform(-max_degrees, max_degrees, n))
    skew = rng.uniform(-max_skew, max_skew, n)
    shift = rng.uniform(-max_shift, max_shift, (2, n))
    return affine_displacements(np.cos(angle), np.sin(angle), skew, shift[0], shift[1], side)


@njit(cache=True, nogil=True)
def affine_displacements(cos, sin, skew, shift_y, shift_x, side):
    """Where each output pixel reads from, minus where it is: its coordinates about the
    centre rotated, skewed, shifted."""
    n = cos.shape[0]
    dy = np.empty((n, side, side), np.float32)
    dx = np.empty((n, side, side), np.float32)
    c = (side - 1) / 2
    for k in range(n):
        for i in range(side):
            y = i - c
            for j in range(side):
                x = j - c
                dy[k, i, j] = cos[k] * y - sin[k] * x - y + shift_y[k]
                dx[k, i, j] = sin[k] * y + cos[k] * x + skew[k] * y - x + shift_x[k]
    return dy, dx


def resample(images, dy, dx):
    """resample_into a new array."""
    return resample_into(images, dy, dx, np.empty_like(images))


@njit(cache=True, nogil=True)
def resample_into(images, dy, dx, out):
    """out[k, i, j] = images[k] at (i + dy, j + dx), bilinear, 0 outside: images (n, side,
    side), any float dtype, out of their shape and dtype; returns out. Each image is read
    from a copy with a border of zeros (one row and column before, two after), and the
    coordinates are clamped into it: no test per neighbour, and a point outside the image
    reads zeros only, as it should."""
    n, side, _ = images.shape
    padded = np.zeros((side + 3, side + 3), images.dtype)
    top = side + 1 - 1e-4  # clamp below side + 1: the last neighbour is padded[side + 2]
    for k in range(n):
        padded[1:side + 1, 1:side + 1] = images[k]
        for i in range(side):
            for j in range(side):
                y = min(max(i + dy[k, i, j], -1.0), top)
                x = min(max(j + dx[k, i, j], -1.0), top)
                y0, x0 = int(np.floor(y)), int(np.floor(x))
                fy, fx = y - y0, x - x0
                row0, row1 = padded[y0 + 1], padded[y0 + 2]
                out[k, i, j] = ((1 - fy) * ((1 - fx) * row0[x0 + 1] + fx * row0[x0 + 2])
                                + fy * ((1 - fx) * row1[x0 + 1] + fx * row1[x0 + 2]))
    return out


CHUNK = 1000  # images distorted at a time: their fields stay in cache (~6 MB)


def distort(x: np.ndarray, how: dict, rng: np.random.Generator,
            out: np.ndarray | None = None) -> np.ndarray:
    """Distorted copies of the rows of x (n, 784), as `how` says: {kind: elastic, sigma,
    alpha} or {kind: affine, max_degrees, max_shift, max_skew} (run.schema.yaml); into
    `out` (x's shape and dtype) if given: a buffer reused from epoch to epoch saves
    touching fresh pages (157 MB for 50,000 images). The images go CHUNK at a time, each
    chunk's fields drawn in turn: one pass over 50,000 images' fields at once was measured
    slower (memory traffic)."""
    n = len(x)
    out = np.empty_like(x) if out is None else out
    if out.shape != x.shape or out.dtype != x.dtype or not out.flags.c_contiguous:
        raise ValueError(f"distort: out {out.shape} {out.dtype} is not a C-contiguous "
                         f"{x.shape} {x.dtype} array")  # its rows' views must be its own
    for start in range(0, n, CHUNK):
        chunk = slice(start, min(start + CHUNK, n))
        dy, dx = fields(chunk.stop - chunk.start, how, rng)
        images = x[chunk].reshape(-1, SIDE, SIDE)
        resample_into(images, dy, dx, out[chunk].reshape(-1, SIDE, SIDE))
    return out


def fields(n: int, how: dict, rng: np.random.Generator):
    if how["kind"] == "elastic":
        return elastic_fields(n, how["sigma"], how["alpha"], rng)
    if how["kind"] == "affine":
        return affine_fields(n, rng, how["max_degrees"], how["max_shift"], how["max_skew"])
    raise ValueError(f"unknown distortion {how['kind']!r}")
