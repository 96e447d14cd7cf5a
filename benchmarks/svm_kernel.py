"""Time the SVM's RBF kernel block of two digits: whole-matrix numpy in float64 (the
kernel before svm_kernel) against svm_kernel.rbf (blocks of rows, exact dot products over
the nonzero pixel codes), check that both give the same bits, and time a first write to fresh
memory against a rewrite of the same memory (why svm_kernel reuses its buffers).

    python benchmarks/svm_kernel.py [--repeats N]

Prints the median seconds of each and their ratios, measured in this one run.
"""

from __future__ import annotations

import statistics
import time

import common  # noqa: F401  the one-thread settings, before NumPy loads
import numpy as np

from nndl3 import arguments, mnist, paths, svm, svm_kernel
from nndl3.errors import exit_status


def median_seconds(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def write_rates(megabytes: int = 400) -> tuple[float, float]:
    """GB/s of a first write to a fresh array and of a second write to it."""
    n = megabytes * 2 ** 20 // 8
    start = time.perf_counter()
    a = np.empty(n)
    a[:] = 1.0
    first = time.perf_counter() - start
    start = time.perf_counter()
    a[:] = 2.0
    second = time.perf_counter() - start
    return n * 8 / 1e9 / first, n * 8 / 1e9 / second


def main() -> None:
    parser = arguments.script_parser(__doc__)
    parser.add_argument("--repeats", type=arguments.positive, default=3)
    parser.add_argument("--data", default=paths.DATA)
    args = parser.parse_args()
    x, y = mnist.load(args.data, np.float64, ("train",), mnist.N_TRAIN, svm.PIXEL_DIVISOR)["train"]
    gamma = svm.BOOK_ERA["gamma"]
    xa, xb = x[y == 0], x[y == 2]
    pixels = svm_kernel.Pixels.of(np.concatenate([xa, xb]))
    a, b = pixels.rows(0, len(xa)), pixels.rows(len(xa), len(pixels.sq))
    before = svm_kernel.whole_matrix(xa, xb, gamma)
    after = svm_kernel.rbf(a, b, gamma)
    same = np.array_equal(before.view(np.int32), after.view(np.int32))
    old = median_seconds(lambda: svm_kernel.whole_matrix(xa, xb, gamma), args.repeats)
    new = median_seconds(lambda: svm_kernel.rbf(a, b, gamma, out=after), args.repeats)
    print(f"kernel of digits 0 and 2 ({len(xa)} x {len(xb)} images): whole-matrix float64 "
          f"{old:.3f} s, blocks over the nonzero pixels {new:.3f} s, ratio {old / new:.2f}; "
          f"same bits: {same}")
    first, second = write_rates()
    print(f"writing 400 MB: first write {first:.2f} GB/s, rewrite {second:.2f} GB/s, "
          f"ratio {second / first:.1f}")
    if not same:
        raise SystemExit("the blocked kernel's bits differ from the whole-matrix kernel's")


if __name__ == "__main__":
    raise SystemExit(exit_status(main))
