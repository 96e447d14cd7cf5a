"""Every float32 through the vector sigmoid and the scalar one (libm's expf): the count
of those whose bits differ, over the 8-lane groups that stay on libm's main path.

    python benchmarks/vexp_exhaustive.py

The engine checks a sample per process (nndl3.vexp.matches_libm); this is the whole
check, once per machine and libm (minutes of one core). Prints the groups compared, the
groups left to the scalar code, and the differing values (0 where the vector code may
serve).
"""

from __future__ import annotations

import time

import common  # noqa: F401  the one-thread settings, before NumPy loads
import numpy as np
from numba import njit

from nndl3 import arguments, vexp
from nndl3.errors import exit_status

GROUP = vexp.LANES


@njit(nogil=True)
def compare(first, last):
    """(differing values, groups compared, groups declined) over the bit patterns
    [first, last), GROUP consecutive patterns at a time."""
    z = np.empty(GROUP, np.uint32)
    a = np.zeros(GROUP, np.float32)
    reference = np.zeros(GROUP, np.float32)
    differ, compared, declined = 0, 0, 0
    for base in range(first, last, GROUP):
        for j in range(GROUP):
            z[j] = base + j
        x = z.view(np.float32)
        vexp.scalar_sigmoid(reference, x, GROUP)
        if vexp.sigmoid(a, x, GROUP):
            compared += 1
            differ += np.sum(a.view(np.uint32) != reference.view(np.uint32))
        else:
            declined += 1
    return differ, compared, declined


def main(argv=None) -> int:
    arguments.script_parser(__doc__).parse_args(argv)  # --help
    start = time.perf_counter()
    differ, compared, declined = compare(0, 1 << 32)
    print(f"{compared:,} groups of {GROUP} compared, {declined:,} left to libm; "
          f"{differ} values differ ({time.perf_counter() - start:.0f} s)")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(exit_status(main))
