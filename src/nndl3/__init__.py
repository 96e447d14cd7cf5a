"""Chapters 1 to 3 of Nielsen's *Neural Networks and Deep Learning*, re-run with NumPy and Numba."""

import hashlib
import os
import sys

__version__ = "0.1.0"
# the fast engine's compiled code
KERNEL_SOURCES = ("fast.py", "simd.py", "vexp.py", "subnormals.py")


def kernel_cache_dir() -> str:
    """.cache/numba/<digest of the kernel sources>, under the current directory. Numba
    checks a cached function against its own file only: sgd_epoch (fast.py) compiled with
    an older simd.py or vexp.py would load as it was. A folder per version of the files
    cannot serve a stale kernel."""
    digest = hashlib.sha256()
    for name in KERNEL_SOURCES:
        with open(os.path.join(os.path.dirname(__file__), name), "rb") as source:
            digest.update(source.read())
    return os.path.abspath(os.path.join(".cache", "numba", digest.hexdigest()[:12]))


def _set_kernel_cache() -> None:
    """Numba's compiled kernels, cached under the current directory (the checkout, where the
    workflow and the tests run; git-ignored) unless NUMBA_CACHE_DIR says otherwise: one job
    compiles, the others load (seconds of CPU saved per job). Jobs may write it at once:
    Numba writes each cache file under a unique name and renames it.
    Numba reads the variable when it is imported, so an earlier import is told again."""
    if "NUMBA_CACHE_DIR" in os.environ:
        return
    try:
        os.environ["NUMBA_CACHE_DIR"] = kernel_cache_dir()
    except OSError:  # sources not readable (e.g. a bytecode-only install): Numba's default
        return
    if "numba" in sys.modules:
        sys.modules["numba"].core.config.reload_config()


_set_kernel_cache()
