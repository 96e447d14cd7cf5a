"""nndl3.distort: the statistics of Simard's displacement fields, the resampling, and the
independence of the stream they are drawn from."""

from pathlib import Path

import numpy as np
import pytest
import yaml

from nndl3 import distort, paths
from nndl3.train import streams

ROOT = Path(__file__).resolve().parents[1]
# Simard's best on MNIST, as simard_elastic runs it: what docs/literature.md's RMS is of
_ELASTIC = yaml.safe_load((ROOT / paths.LITERATURE_CONFIG).read_text())["runs"]["simard_elastic"]
SIGMA, ALPHA = _ELASTIC["distortion"]["sigma"], _ELASTIC["distortion"]["alpha"]


def expected_rms(sigma, alpha):
    """RMS of one component of the smoothed, scaled field, from the smoothing matrix G:
    the field f is uniform in [-1, 1] (variance 1/3), independent per pixel; (G f G^T)[i, j]
    has variance (1/3) sum_a G[i, a]^2 sum_b G[j, b]^2."""
    s = np.sum(distort.gaussian_matrix(sigma) ** 2, axis=1)
    return alpha * np.sqrt(np.mean(s) ** 2 / 3)


def test_elastic_displacement_has_mean_zero_and_the_rms_of_the_normalized_gaussian():
    dy, dx = distort.elastic_fields(4000, SIGMA, ALPHA, np.random.default_rng(0))
    rms = expected_rms(SIGMA, ALPHA)
    # on an unbounded plane: alpha * sqrt(1/3 * 1/(4 pi sigma^2)), 1.38 pixels; near the
    # border fewer pixels are averaged (the weights are renormalized), so more
    plane = ALPHA / np.sqrt(3 * 4 * np.pi * SIGMA**2)
    assert plane < rms < 1.25 * plane
    centre = np.sqrt(np.mean(dy[:, 10:18, 10:18].astype(np.float64) ** 2))
    assert centre == pytest.approx(plane, rel=0.03)
    said = " ".join((ROOT / "docs" / "literature.md").read_text().split())
    assert f"about {plane:.1f} pixels at sigma {SIGMA:g}, alpha {ALPHA:g}" in said
    # a kernel of peak 1 instead of sum 1 multiplies the field by 2 pi sigma^2
    assert f"2 pi sigma^2 = {2 * np.pi * SIGMA**2:.0f} at sigma {SIGMA:g}" in said
    for d in (dy, dx):
        assert abs(d.mean()) < 0.02 * rms
        assert np.sqrt(np.mean(d.astype(np.float64) ** 2)) == pytest.approx(rms, rel=0.02)


def test_the_field_is_smoothed():
    """Without the Gaussian the RMS is alpha / sqrt(3), and neighbours are unrelated; the
    smoothed field is within 2 % of the normalized Gaussian's RMS and neighbours agree."""
    rng = np.random.default_rng(0)
    for smooth in (True, False):
        dy, _ = distort.elastic_fields(500, SIGMA, ALPHA, rng, smooth=smooth)
        rms = np.sqrt(np.mean(dy.astype(np.float64) ** 2))
        neighbours = np.corrcoef(dy[:, :, :-1].ravel(), dy[:, :, 1:].ravel())[0, 1]
        if smooth:
            assert rms == pytest.approx(expected_rms(SIGMA, ALPHA), rel=0.02)
            assert neighbours > 0.9
        else:
            assert rms == pytest.approx(ALPHA / np.sqrt(3), rel=0.02)
            assert abs(neighbours) < 0.05


def digit():
    x = np.zeros((1, 28, 28), np.float32)
    x[0, 8:20, 12:15] = 1.0  # a vertical stroke
    x[0, 8, 10:17] = 0.5
    return x


def test_alpha_zero_is_the_identity():
    x = digit()
    dy, dx = distort.elastic_fields(1, SIGMA, 0.0, np.random.default_rng(1))
    assert np.array_equal(distort.resample(x, dy, dx), x)


def test_a_pure_shift_moves_the_digit_and_fills_with_zero():
    x = digit()
    shift = np.zeros((1, 28, 28), np.float32)
    out = distort.resample(x, shift, shift - 3)  # read 3 pixels to the left: move right by 3
    assert np.array_equal(out[0, :, 3:], x[0, :, :-3])
    assert not out[0, :, :3].any()
    half = distort.resample(x, shift, shift - 0.5)  # between pixels: the average of two
    assert half[0, 10, 12] == pytest.approx(0.5) and half[0, 10, 13] == pytest.approx(1.0)
    gone = distort.resample(x, shift + 40, shift)  # reads outside the image: all zero
    assert not gone.any()


def test_affine_fields_rotate_skew_and_shift_about_the_centre():
    dy, dx = distort.affine_fields(1, np.random.default_rng(0), 0, 0, 0)
    assert not dy.any() and not dx.any()
    i, j = np.mgrid[0:28, 0:28]
    y, x = i - 13.5, j - 13.5  # about the centre, which lies between pixels
    rng = np.random.default_rng(2)
    # rotation alone: every pixel keeps its distance from the centre; angles up to 15 degrees
    dy, dx = distort.affine_fields(2000, rng, 15, 0, 0)
    np.testing.assert_allclose(np.hypot(y + dy, x + dx), np.broadcast_to(np.hypot(y, x), dy.shape),
                               atol=1e-4)
    turned = np.degrees(np.arctan2(y[0, 0] + dy[:, 0, 0], x[0, 0] + dx[:, 0, 0])
                        - np.arctan2(y[0, 0], x[0, 0]))
    assert np.abs(turned).max() <= 15 + 1e-3 and np.abs(turned).max() > 14.9
    # skew alone: x moves by s y, y not at all, s up to 0.2
    dy, dx = distort.affine_fields(2000, rng, 0, 0, 0.2)
    skew = dx[:, 0, 0] / y[0, 0]
    assert not dy.any()
    np.testing.assert_allclose(dx, skew[:, None, None] * y[None], atol=1e-5)
    assert np.abs(skew).max() <= 0.2 + 1e-6 and np.abs(skew).max() > 0.199
    # shift alone: the same on every pixel, each axis up to 2 pixels
    dy, dx = distort.affine_fields(2000, rng, 0, 2, 0)
    for d in (dy, dx):
        assert np.array_equal(d, np.broadcast_to(d[:, :1, :1], d.shape))
        assert np.abs(d).max() <= 2 + 1e-6 and np.abs(d).max() > 1.99
    # all three: the centre's displacement is the shift alone
    dy, dx = distort.affine_fields(3000, rng, 15, 2, 0.2)
    centre = (dy[:, 13:15, 13:15].mean(axis=(1, 2)), dx[:, 13:15, 13:15].mean(axis=(1, 2)))
    for c in centre:
        assert np.abs(c).max() <= 2 + 1e-5 and np.abs(c).max() > 1.9
    moved = distort.resample(np.repeat(digit(), 3, axis=0), dy[:3], dx[:3])
    assert moved.sum() > 0 and not np.array_equal(moved[0], digit()[0])


@pytest.mark.parametrize("how", [{"kind": "elastic", "sigma": 4.0, "alpha": 34.0},
                                 {"kind": "affine", "max_degrees": 15.0, "max_shift": 2.0,
                                  "max_skew": 0.2}])
def test_distortions_come_from_the_augment_stream_alone(how):
    """The same seed gives the same images, whatever the other streams drew; another
    seed gives others."""
    x = np.repeat(digit().reshape(1, 784), 5, axis=0)
    a = streams(1)
    first = distort.distort(x, how, a["augment"])
    b = streams(1)
    b["dropout"].random(1000), b["shuffle"].permutation(50), b["init"].standard_normal(7)
    assert np.array_equal(distort.distort(x, how, b["augment"]), first)
    assert not np.array_equal(distort.distort(x, how, streams(2)["augment"]), first)
    assert first.shape == x.shape and first.dtype == x.dtype
    assert not np.array_equal(first[0], first[1])  # each image its own field


def test_unknown_kind_is_named():
    with pytest.raises(ValueError, match="'wavy'"):
        distort.distort(np.zeros((1, 784), np.float32), {"kind": "wavy"},
                        np.random.default_rng(0))


def test_distorting_into_a_buffer_is_distorting_afresh():
    """A run draws every epoch's images into one buffer (literature.TrainingImages): the
    same images as a fresh array, from the same stream; a buffer of another shape, type or
    layout is refused (its rows' views would not be its own)."""
    x = np.repeat(digit(), 6, axis=0).reshape(6, -1)
    how = {"kind": "elastic", "sigma": 4.0, "alpha": 34.0}
    fresh = distort.distort(x, how, np.random.default_rng(0))
    buffer = np.full_like(x, np.nan)
    assert distort.distort(x, how, np.random.default_rng(0), buffer) is buffer
    assert np.array_equal(buffer, fresh) and not np.array_equal(fresh, x)
    for wrong in (np.empty_like(x[:5]), np.empty_like(x, np.float64),
                  np.empty((x.shape[1], len(x)), x.dtype).T):
        with pytest.raises(ValueError, match="not a C-contiguous"):
            distort.distort(x, how, np.random.default_rng(0), wrong)
