import numpy as np
import pytest

from nndl3 import svm_kernel


def codes(rng, n, saturated=0):
    """n images of 784 pixels k / 256, the first `saturated` of them all 255 / 256 (squared
    norm 784 * 255^2, past float32's exact integers: their dot products summed in
    float64)."""
    k = rng.integers(0, 256, (n, 784)) * (rng.random((n, 784)) < 0.2)
    k[:saturated] = 255
    return k / 256


@pytest.mark.parametrize("saturated", [0, 3])
def test_dot_products_of_codes_are_float64s_to_the_bit(saturated):
    """Both ways, and a with itself (saturated images with each other: summed in float64),
    over column ranges that start and end inside a block of WIDTH images."""
    rng = np.random.default_rng(0)
    xa, xb = codes(rng, 300, saturated), codes(rng, 200)
    a, b = svm_kernel.Pixels.of(xa), svm_kernel.Pixels.of(xb)
    assert a.codes is not None and b.codes is not None
    for first, second, x1, x2 in ((a, b, xa, xb), (b, a, xb, xa), (a, a, xa, xa)):
        for lo, hi in ((0, len(x2)), (70, 199), (5, 6)):
            out = np.empty((100, hi - lo))
            got = first.dots(0, 100, second.rows(lo, hi), out)
            np.testing.assert_array_equal(got.view(np.int64),
                                          (x1[:100] @ x2[lo:hi].T).view(np.int64))


def test_a_bound_past_float32s_exact_integers_would_lose_bits(monkeypatch):
    """The check above can fail: summed in float32 too, saturated images' sums round."""
    monkeypatch.setattr(svm_kernel, "LIMIT", 2.0 ** 30)
    xa = codes(np.random.default_rng(1), 50, saturated=50) - np.eye(50, 784) / 256
    a = svm_kernel.Pixels.of(xa)
    got = a.dots(0, 50, a, np.empty((50, 50)))
    assert not np.array_equal(got, xa @ xa.T)


@pytest.mark.parametrize("scale", ["codes", "other"])
@pytest.mark.parametrize("rows", [7, 256])
def test_rbf_is_the_whole_matrix_kernel_to_the_bit(scale, rows):
    rng = np.random.default_rng(2)
    xa, xb = codes(rng, 90, saturated=2), codes(rng, 60)
    if scale == "other":
        xa, xb = xa * 0.7, xb * 0.7
    a, b = svm_kernel.Pixels.of(xa), svm_kernel.Pixels.of(xb)
    assert (a.codes is None) == (scale == "other")
    expected = svm_kernel.whole_matrix(xa, xb, 1 / 784)
    out, transposed = np.empty((90, 60)), np.empty((60, 90))
    svm_kernel.rbf(a, b, 1 / 784, out=out, transposed=transposed, rows=rows)
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(transposed, expected.T)
    np.testing.assert_array_equal(svm_kernel.rbf(a, b, 1 / 784, rows=rows), expected)


@pytest.mark.parametrize("scale", ["codes", "other"])
@pytest.mark.parametrize("rows", [7, 256])
def test_a_digits_own_kernel_from_half_its_blocks_is_the_whole_matrix_kernel(scale, rows):
    x = codes(np.random.default_rng(5), 90, saturated=2)
    if scale == "other":
        x = x * 0.7
    got = svm_kernel.within(svm_kernel.Pixels.of(x), 1 / 784, rows=rows)
    np.testing.assert_array_equal(got, svm_kernel.whole_matrix(x, x, 1 / 784))


def test_a_digit_is_a_slice_of_the_ordered_images():
    x = codes(np.random.default_rng(3), 40)
    order = np.random.default_rng(4).permutation(40)
    pixels = svm_kernel.Pixels.of(x, order)
    rows = pixels.rows(10, 20).rows(2, 10)
    assert rows.codes is pixels.codes and rows.first == 12
    np.testing.assert_array_equal(rows.codes.codes[12:20],
                                  (x[order[12:20]] * 256).astype(np.float32))
    np.testing.assert_array_equal(rows.sq, np.einsum("ij,ij->i", x, x)[order[12:20]])
