"""Artificial expansion of the training data by rotation, as scipy.ndimage.rotate rotates."""

from __future__ import annotations

import numpy as np

SIDE = 28  # an image is SIDE x SIDE pixels
CHUNK = 4096  # images per interpolation call: its source points take 18.8 kB an image


def rotate_images(x, degrees) -> np.ndarray:
    """Each 784-pixel image x[k] rotated counter-clockwise by degrees[k] about its centre,
    same size, clipped to [0, 1]: to the bit what scipy.ndimage.rotate(image, degrees[k],
    reshape=False, order=1, mode="constant") gives (its tests), without a call per image.

    rotate maps output pixel (i, j) to the source point offset + R (i, j), R = [[c, s],
    [-s, c]] of the angle, and interpolates linearly there. Here the source points of all
    images are computed at once, in the order ndimage computes them (the offset first),
    and one map_coordinates call on the stack of images interpolates them: the image's
    own index as the first coordinate has weight 1 (an integer), so each value is the
    same sum of the same products."""
    from scipy import ndimage, special  # here, not at the top: a slow import, and few jobs rotate

    x = np.asarray(x)
    degrees = np.asarray(degrees, dtype=np.float64)
    c, s = special.cosdg(degrees), special.sindg(degrees)
    rotation = np.stack([np.stack([c, s], -1), np.stack([-s, c], -1)], -2)  # (n, 2, 2)
    centre = np.full(2, (SIDE - 1) / 2)
    offset = centre - rotation @ centre  # (n, 2), as rotate's in_center - out_center
    i, j = np.meshgrid(np.arange(SIDE, dtype=np.float64), np.arange(SIDE, dtype=np.float64),
                       indexing="ij")
    out = np.empty(x.shape, x.dtype)
    for start in range(0, len(x), CHUNK):
        part = slice(start, start + CHUNK)
        m, o = rotation[part, :, :, None, None], offset[part, :, None, None]
        rows = (o[:, 0] + m[:, 0, 0] * i) + m[:, 0, 1] * j
        cols = (o[:, 1] + m[:, 1, 0] * i) + m[:, 1, 1] * j
        image = np.broadcast_to(np.arange(len(rows), dtype=np.float64)[:, None, None],
                                rows.shape)
        images = x[part].reshape(-1, SIDE, SIDE)
        rotated = ndimage.map_coordinates(images, np.stack([image, rows, cols]), order=1,
                                          mode="constant", cval=0.0, output=x.dtype)
        out[part] = np.clip(rotated, 0, 1).reshape(len(rows), -1)
    return out


def rotate_image(pixels: np.ndarray, degrees: float) -> np.ndarray:
    """One 784-pixel image rotated counter-clockwise by `degrees` (rotate_images)."""
    return rotate_images(pixels[None], [degrees])[0]


def expand_with_rotations(x, labels, max_degrees: float, copies: int, rng: np.random.Generator):
    """Every image plus `copies` rotated copies, each by an angle uniform in +-max_degrees.

    Returns the expanded (x, labels); the originals come first, in their order."""
    if copies == 0:
        return x, labels
    angles = rng.uniform(-max_degrees, max_degrees, size=(copies, len(x)))
    rotated = [rotate_images(x, row) for row in angles]
    return np.concatenate([x, *rotated]), np.concatenate([labels] * (copies + 1))
