"""The one rule behind every tolerance of the check, and the units it is applied in.

The book reports one run, itself a draw from the seed distribution, and the check compares
it with the mean of n of our seeds; the difference of the two has standard deviation
sd * sqrt(1 + 1/n), with sd the seed-to-seed standard deviation measured on calibration
seeds (`nndl3.calibration`). So a book number, a published curve's epoch and a replayed
run are all held to

    tolerance = K_SIGMA * sd * sqrt(1 + 1/n) + precision

where `precision` is how exactly the book states the number (0 for its published lists).
A claim of the text (an inequality, no book draw) allows K_SIGMA * sd / sqrt(n).
"""

from __future__ import annotations

import math

import numpy as np

K_SIGMA = 3.0


def tolerance(sd, n: int, precision: float = 0.0):
    """K_SIGMA standard deviations of (mean of n seeds - one draw), plus the precision;
    `sd` may be an array (one value per epoch)."""
    return K_SIGMA * np.asarray(sd) * math.sqrt(1 + 1 / n) + precision


def claim_margin(sd: float, n: int) -> float:
    """How far the mean of n seeds may sit on the wrong side of a claimed bound."""
    return K_SIGMA * sd / math.sqrt(n)


def scale(metric: str) -> float:
    """Accuracies are stored as fractions and checked, plotted and quoted in percent."""
    return 100.0 if metric.endswith("accuracy") else 1.0
