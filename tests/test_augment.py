import numpy as np

from nndl3.augment import expand_with_rotations, rotate_image


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
