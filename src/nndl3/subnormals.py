"""Subnormal floats flushed to zero during a training epoch, on x86-64.

A saturated sigmoid gives outputs and derivatives below float32's smallest normal number
(1.2e-38), and on some CPUs (Intel's) every arithmetic operation on such a subnormal
value takes a slow path (a microcode assist), so that a network trained with the quadratic
cost can slow down as its neurons saturate; `python benchmarks/subnormals.py` measures
whether it does on the machine at hand. With the MXCSR register's FTZ and DAZ bits set,
subnormal results and inputs are zero instead.

Zero instead of a number below 1.2e-38 changes nothing a weight can show: added to a
weight or a weighted input of ordinary size it rounds away either way. It could only show
in a value itself within a factor 2^24 of the subnormals (tests/test_subnormals.py holds
a saturated network's weights equal both ways; docs/performance.md says what else was
compared, and when). The register is
the calling thread's: `flush` returns its previous value and `restore` puts it back, so
that NumPy (the monitors' costs: log of a subnormal is finite, of 0 is not) keeps IEEE
arithmetic. On other CPUs both do nothing (ARM's flush is another register).
"""

from __future__ import annotations

import platform

from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

X86 = platform.machine().lower() in ("x86_64", "amd64")
FTZ_DAZ = 0x8040  # MXCSR's flush-to-zero (bit 15) and denormals-are-zero (bit 6)
_I8P, _I32, _I64 = ir.IntType(8).as_pointer(), ir.IntType(32), ir.IntType(64)


def _mxcsr(builder, name: str, slot) -> None:
    fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), [_I8P]),
                                        f"llvm.x86.sse.{name}")
    builder.call(fn, [builder.bitcast(slot, _I8P)])


@intrinsic
def _swap(typingctx, value):
    """MXCSR := value (its low 32 bits); the previous MXCSR. A no-op returning -1 off x86."""
    if value != types.int64:
        return None

    def codegen(context, builder, signature, args):
        if not X86:
            return ir.Constant(_I64, -1)
        slot = cgutils.alloca_once(builder, _I32)
        _mxcsr(builder, "stmxcsr", slot)
        previous = builder.load(slot)
        builder.store(builder.trunc(args[0], _I32), slot)
        _mxcsr(builder, "ldmxcsr", slot)
        return builder.zext(previous, _I64)

    return types.int64(types.int64), codegen


@intrinsic
def _read(typingctx):
    """The MXCSR register; -1 off x86."""

    def codegen(context, builder, signature, args):
        if not X86:
            return ir.Constant(_I64, -1)
        slot = cgutils.alloca_once(builder, _I32)
        _mxcsr(builder, "stmxcsr", slot)
        return builder.zext(builder.load(slot), _I64)

    return types.int64(), codegen


@njit(cache=True, nogil=True)
def flush() -> int:
    """Subnormals flushed from here on in this thread; returns what `restore` needs."""
    previous = _read()
    if previous >= 0:
        _swap(previous | FTZ_DAZ)
    return previous


@njit(cache=True, nogil=True)
def restore(previous: int) -> None:
    """The thread's floating-point mode as `flush` found it."""
    if previous >= 0:
        _swap(previous)


@njit(cache=True, nogil=True)
def mode() -> int:
    """The thread's MXCSR (-1 off x86): for tests."""
    return _read()
