"""Artificial expansion of the training data by rotation (scipy.ndimage.rotate)."""

from __future__ import annotations

import numpy as np


def rotate_image(pixels: np.ndarray, degrees: float) -> np.ndarray:
    """One 784-pixel image rotated counter-clockwise by `degrees`, same size, clipped to [0, 1]."""
    from scipy import ndimage  # here, not at the top: a slow import, and few jobs rotate

    image = pixels.reshape(28, 28)
    rotated = ndimage.rotate(image, degrees, reshape=False, order=1, mode="constant", cval=0.0)
    return np.clip(rotated, 0, 1).reshape(784)


def expand_with_rotations(x, labels, max_degrees: float, copies: int, rng: np.random.Generator):
    """Every image plus `copies` rotated copies, each by an angle uniform in +-max_degrees.

    Returns the expanded (x, labels); the originals come first, in their order."""
    if copies == 0:
        return x, labels
    angles = rng.uniform(-max_degrees, max_degrees, size=(copies, len(x)))
    rotated = [np.array([rotate_image(img, a) for img, a in zip(x, row, strict=True)], x.dtype)
               for row in angles]
    return np.concatenate([x, *rotated]), np.concatenate([labels] * (copies + 1))
