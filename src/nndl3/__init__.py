"""Chapters 1 to 3 of Nielsen's *Neural Networks and Deep Learning*, re-run with NumPy and Numba."""

import hashlib
import os
import sys

__version__ = "0.1.0"
# the fast engine's compiled code
KERNEL_SOURCES = ("fast.py", "simd.py", "vexp.py", "subnormals.py")


def kernel_cache_dir(base: str | None = None) -> str:
    """<base>/<digest of the kernel sources>; base: NUMBA_CACHE_DIR as given, else
    .cache/numba under the current directory. Numba checks a cached function against its
    own file only: sgd_epoch (fast.py) compiled with an older simd.py or vexp.py would load
    as it was. A folder per version of the files cannot serve a stale kernel."""
    digest = hashlib.sha256()
    for name in KERNEL_SOURCES:
        with open(os.path.join(os.path.dirname(__file__), name), "rb") as source:
            digest.update(source.read())
    name = digest.hexdigest()[:12]
    if base and os.path.basename(os.path.normpath(base)) == name:
        return base  # set so by the process that started this one
    return cache_folder("numba", name, base)


def cache_folder(tool: str, name: str, base: str | None = None) -> str:
    """<base>/<name>, base by default .cache/<tool> under the current directory (the
    checkout, where the workflow and the tests run; git-ignored): one folder per version
    of what the cache depends on, so that none serves another's."""
    return os.path.abspath(os.path.join(base or os.path.join(".cache", tool), name))


def _set_kernel_cache() -> None:
    """Numba's compiled kernels, cached under the current directory (the checkout, where the
    workflow and the tests run; git-ignored), or in a folder of NUMBA_CACHE_DIR's, one per
    version of the kernel's sources: one job compiles, the others load (seconds of CPU
    saved per job). Jobs may write it at once: Numba writes each cache file under a unique
    name and renames it. Numba reads the variable when it is imported, so an earlier import
    is told again."""
    given = os.environ.get("NUMBA_CACHE_DIR")
    try:
        folder = kernel_cache_dir(given)
    except OSError:  # sources not readable (e.g. a bytecode-only install): Numba's default
        return
    if folder == given:
        return
    os.environ["NUMBA_CACHE_DIR"] = folder
    if "numba" in sys.modules:
        sys.modules["numba"].core.config.reload_config()


def _set_matplotlib_dir() -> None:
    """matplotlib's configuration and font cache in .cache/matplotlib/<digest of its install
    path> under the current directory, unless MPLCONFIGDIR says otherwise. Its default,
    ~/.cache/matplotlib, is shared by every environment of the same matplotlib version, and
    a font list rebuilt there while another environment's install was being removed lacks
    matplotlib's own fonts, which changes the text of the figures (a rehearsal met it). Read
    by matplotlib when it is imported, after the package."""
    import importlib.util

    if "MPLCONFIGDIR" in os.environ:
        return
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:  # not installed: nothing to configure
        return
    name = hashlib.sha256(os.path.dirname(spec.origin).encode()).hexdigest()[:12]
    os.environ["MPLCONFIGDIR"] = cache_folder("matplotlib", name)


_set_kernel_cache()
_set_matplotlib_dir()
