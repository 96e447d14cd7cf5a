"""The arithmetic floor of an epoch: the flops of the sparse algorithm over one core's
measured peak (a one-thread NumPy matrix product in the same dtype)."""

from __future__ import annotations

import numpy as np
from common import timed


def peak_flops(dtype, n=2048, repeats=5):
    """Floating-point operations per second of a one-thread matrix product (best of repeats)."""
    a = np.random.default_rng(0).standard_normal((n, n)).astype(dtype)
    b = a.T.copy()
    a @ b
    best = min(timed(lambda: a @ b) for _ in range(repeats))
    return 2 * n**3 / best


def epoch_flops(x, hidden, n_out=10):
    """Flops of one epoch of the sparse algorithm on the rows of x (see bench.py's doc)."""
    nonzero = int(np.count_nonzero(x))
    return nonzero * hidden * 2 * 2 + len(x) * 3 * hidden * n_out * 2, nonzero


def floor_rows(datasets, rows, n, hidden_sizes):
    """The arithmetic floor of each fast row, from the peak measured per dtype."""
    out = []
    for dtype, data in datasets.items():
        peak = peak_flops(np.dtype(dtype))
        x = data["train"][0][:n]
        for hidden in hidden_sizes:
            flops, nonzero = epoch_flops(x, hidden)
            fast = next(r for r in rows if r["implementation"] == "fast" and r["dtype"] == dtype
                        and r["network"] == [784, hidden, 10])
            out.append({"network": [784, hidden, 10], "dtype": dtype, "nonzero_pixels": nonzero,
                        "flops_per_epoch": flops, "peak_flops": peak,
                        "floor_seconds": flops / peak,
                        "fast_seconds": fast["seconds_per_epoch"],
                        "fast_over_floor": fast["seconds_per_epoch"] * peak / flops})
    return out
