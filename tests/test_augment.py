import numpy as np
import pytest
from scipy import ndimage

from nndl3 import augment
from nndl3.augment import expand_with_rotations, rotate_image


def one_by_one(x, degrees):
    """scipy.ndimage.rotate, image by image: what rotate_images must give, to the bit."""
    return np.array([np.clip(ndimage.rotate(image.reshape(28, 28), angle, reshape=False,
                                            order=1, mode="constant", cval=0.0), 0, 1).ravel()
                     for image, angle in zip(x, degrees, strict=True)], x.dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rotate_images_is_ndimage_rotate_to_the_bit(dtype, monkeypatch):
    """Pixels as the book's (bytes / 256), angles across the circle with the exact right
    angles, in chunks smaller than the batch (a chunk's images are indexed from 0)."""
    rng = np.random.default_rng(5)
    x = (rng.integers(0, 256, (300, 784)) * (rng.uniform(size=(300, 784)) > 0.6) / 256)
    x = x.astype(dtype)
    degrees = np.concatenate([[0.0, 90.0, -90.0, 180.0, 15.0, -15.0],
                              rng.uniform(-180, 180, len(x) - 6)])
    monkeypatch.setattr(augment, "CHUNK", 64)
    rotated = augment.rotate_images(x, degrees)
    assert rotated.dtype == x.dtype
    np.testing.assert_array_equal(rotated, one_by_one(x, degrees))


def test_rotation_is_in_degrees_counter_clockwise():
    image = np.zeros((28, 28))
    image[2:6, 10:18] = 1.0  # a bar near the top
    rotated = rotate_image(image.reshape(784), 90).reshape(28, 28)
    np.testing.assert_allclose(rotated, np.rot90(image), atol=1e-6)
    assert np.allclose(rotate_image(image.reshape(784), 0), image.reshape(784))


def test_small_rotation_moves_little():
    rng = np.random.default_rng(0)
    image = rng.uniform(0, 1, 784) * (rng.uniform(0, 1, 784) > 0.7)
    assert np.abs(rotate_image(image, 1.0) - image).mean() < np.abs(image).mean()


def test_expansion_keeps_originals_first_and_labels_aligned():
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, (4, 784))
    labels = np.array([3, 1, 4, 1])
    xe, ye = expand_with_rotations(x, labels, 15, 2, np.random.default_rng(2))
    assert xe.shape == (12, 784) and ye.tolist() == labels.tolist() * 3
    np.testing.assert_array_equal(xe[:4], x)
    assert xe.min() >= 0 and xe.max() <= 1
