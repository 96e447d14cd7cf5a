"""The float32 sigmoid 1 / (1 + exp(-z)) in vectors, bit for bit the scalar one.

The fast engine's scalar sigmoid calls libm's `expf` once a neuron: 40 calls an image,
2 million an epoch (benchmarks/fast_kernel.md). glibc (2.28 on) computes `expf` in
double precision with a 32-entry table of 2^(i/32) and a cubic polynomial; on a CPU with
FMA it runs the variant compiled with fused multiply-adds (`__expf_fma`, chosen at load
time). Those steps are written here on 8 lanes of doubles, with the same constants, the
same fused operations in the same order and one rounding to float32 at the end, so each
lane gets libm's bits; the sigmoid's float32 addition and division are IEEE operations
either way, scalar or vector.

Where libm leaves its main path (the top 12 bits of |x| above 0x42a: |x| >= 2^6 ... over-
and underflow, infinities, NaN) the vector code does not follow it: `sigmoid` then
returns False, and the caller recomputes the row with the scalar code. Whether this
process's libm is that algorithm at all (another libc, an older glibc, a CPU without
FMA) is checked once per process by `matches_libm`; the engine keeps the scalar path when
it is not. Constants: glibc's math/exp2f_data.c and sysdeps/ieee754/flt-32/e_expf.c
(N = 32, EXP2F_POLY_ORDER = 3).
"""

from __future__ import annotations

import functools
from decimal import Decimal, localcontext

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

LANES = 8  # doubles in a 64-byte vector: the float32 row is taken 8 elements at a time
N = 32  # table entries: 2^(i/N)
SHIFT = float.fromhex("0x1.8p+52")  # rounds to an integer in the low bits of the mantissa
INV_LN2_N = float.fromhex("0x1.71547652b82fep+0") * N
POLY = tuple(float.fromhex(c) / N ** (3 - i) for i, c in enumerate(
    ("0x1.c6af84b912394p-5", "0x1.ebfce50fac4f3p-3", "0x1.62e42ff0c52d6p-1")))
MAIN_PATH_TOP = 0x42A  # libm's main path: (bits(x) >> 20) & 0x7ff at most this


def _table() -> list[int]:
    """glibc's __exp2f_data.tab: bits(2^(i/N)) - (i << 47), 2^(i/N) rounded to double
    from 40 digits."""
    with localcontext() as ctx:
        ctx.prec = 40
        values = [float(Decimal(2) ** (Decimal(i) / N)) for i in range(N)]
    bits = np.array(values, np.float64).view(np.int64)
    return [int(b) - (i << 47) for i, b in enumerate(bits)]


TABLE = _table()

_I1, _I8, _I32, _I64 = ir.IntType(1), ir.IntType(8), ir.IntType(32), ir.IntType(64)
_F32, _F64 = ir.FloatType(), ir.DoubleType()


def _splat(value, vty):
    return ir.Constant(vty, [value] * vty.count)


def _fma(builder, a, b, c):
    name = f"llvm.fma.v{a.type.count}f64"  # llvmlite names scalar intrinsics only
    fn = cgutils.get_or_insert_function(builder.module,
                                        ir.FunctionType(a.type, [a.type] * 3), name)
    return builder.call(fn, [a, b, c])


def _table_global(module):
    name = "nndl3.vexp.exp2f_table"
    try:
        return module.get_global(name)
    except KeyError:
        array = ir.ArrayType(_I64, N)
        table = ir.GlobalVariable(module, array, name)
        table.initializer = ir.Constant(array, TABLE)
        table.global_constant = True
        table.linkage = "internal"
        return table


def _expf(builder, x):
    """exp of the <LANES x float> x, as <LANES x float>: __expf_fma's main path, lane by
    lane (valid only where `_special` is false)."""
    dv, iv = ir.VectorType(_F64, LANES), ir.VectorType(_I64, LANES)
    xd = builder.fpext(x, dv)
    kd = _fma(builder, _splat(INV_LN2_N, dv), xd, _splat(SHIFT, dv))  # z + SHIFT
    ki = builder.bitcast(kd, iv)
    kd = builder.fsub(kd, _splat(SHIFT, dv))  # round(z)
    r = _fma(builder, _splat(INV_LN2_N, dv), xd, builder.fneg(kd))  # z - round(z)
    slot = builder.and_(ki, _splat(N - 1, iv))
    table = _table_global(builder.module)
    entries = ir.Constant(iv, ir.Undefined)
    for lane in range(LANES):
        index = builder.extract_element(slot, ir.Constant(_I32, lane))
        entry = builder.load(builder.gep(table, [ir.Constant(_I64, 0), index]))
        entries = builder.insert_element(entries, entry, ir.Constant(_I32, lane))
    t = builder.add(entries, builder.shl(ki, _splat(52 - 5, iv)))
    s = builder.bitcast(t, dv)  # 2^(round(z) / N)
    z = _fma(builder, r, _splat(POLY[0], dv), _splat(POLY[1], dv))
    r2 = builder.fmul(r, r)
    y = _fma(builder, r, _splat(POLY[2], dv), _splat(1.0, dv))
    y = _fma(builder, z, r2, y)
    return builder.fptrunc(builder.fmul(y, s), x.type)


def _special(builder, x, live):
    """An i1: some live lane of x is off libm's main path."""
    iv = ir.VectorType(_I32, LANES)
    top = builder.and_(builder.lshr(builder.bitcast(x, iv), _splat(20, iv)),
                       _splat(0x7FF, iv))
    off = builder.and_(builder.icmp_unsigned(">", top, _splat(MAIN_PATH_TOP, iv)), live)
    return builder.icmp_unsigned("!=", builder.bitcast(off, _I8), ir.Constant(_I8, 0))


def _signature(a, z, n):
    """boolean(a, z, n) for C-contiguous float arrays of one dtype, else None."""
    if not (isinstance(a, types.Array) and isinstance(z, types.Array)
            and a.dtype == z.dtype and a.dtype in (types.float32, types.float64)
            and a.layout == "C" and z.layout == "C" and n == types.int64):
        return None
    return types.boolean(a, z, n)


def _codegen(widened: bool):
    """The vector sigmoid's code: 1 / (1 + e) in float32, or (widened) in float64 and
    rounded to float32, e = expf(-z) either way."""

    def codegen(context, builder, signature, args):
        if signature.args[0].dtype == types.float64:
            return context.get_constant(types.boolean, False)
        ad, zd = (context.make_array(signature.args[i])(context, builder, args[i]).data
                  for i in (0, 1))
        fv = ir.VectorType(_F32, LANES)
        count = args[2]
        special = cgutils.alloca_once_value(builder, ir.Constant(_I1, 0))
        chunks = builder.sdiv(builder.add(count, ir.Constant(_I64, LANES - 1)),
                              ir.Constant(_I64, LANES))
        lanes = ir.Constant(ir.VectorType(_I64, LANES), list(range(LANES)))
        with cgutils.for_range(builder, chunks) as loop:
            c0 = builder.mul(loop.index, ir.Constant(_I64, LANES))
            zp = builder.bitcast(builder.gep(zd, [c0]), fv.as_pointer())
            ap = builder.bitcast(builder.gep(ad, [c0]), fv.as_pointer())
            live = builder.icmp_signed("<", builder.add(lanes, _broadcast(builder, c0, LANES)),
                                       _broadcast(builder, count, LANES))
            x = builder.fneg(builder.load(zp, align=4))
            builder.store(builder.or_(builder.load(special), _special(builder, x, live)),
                          special)
            e = _expf(builder, x)
            if widened:
                dv = ir.VectorType(_F64, LANES)
                one = _splat(1.0, dv)
                value = builder.fptrunc(
                    builder.fdiv(one, builder.fadd(one, builder.fpext(e, dv))), fv)
            else:
                one = _splat(1.0, fv)
                value = builder.fdiv(one, builder.fadd(one, e))
            builder.store(builder.select(live, value, builder.load(ap, align=4)), ap,
                          align=4)
        return builder.not_(builder.load(special))

    return codegen


@intrinsic
def sigmoid(typingctx, a, z, n):
    """a[h] = 1 / (1 + exp(-z[h])) for h < n, float32, LANES at a time; a[h] for h >= n
    unchanged. True, or False if some z[h], h < n, needs libm's special path (a then
    holds garbage in [0, n): recompute). float64 arrays: False at once (libm's double
    `exp` is another algorithm). a and z hold n rounded up to LANES elements at least:
    unchecked."""
    sig = _signature(a, z, n)
    return None if sig is None else (sig, _codegen(False))


@intrinsic
def sigmoid_widened(typingctx, a, z, n):
    """As `sigmoid`, but 1 / (1 + e) computed in float64 and rounded to float32: numba's
    `1 / (1 + np.exp(-z))` for a float32 z (the int 1 makes the sum a float64), which the
    monitors' forward pass (fast.output_z) has always computed."""
    sig = _signature(a, z, n)
    return None if sig is None else (sig, _codegen(True))


def _broadcast(builder, scalar, count):
    vty = ir.VectorType(scalar.type, count)
    first = builder.insert_element(ir.Constant(vty, ir.Undefined), scalar,
                                   ir.Constant(_I32, 0))
    return builder.shuffle_vector(first, ir.Constant(vty, ir.Undefined),
                                  ir.Constant(ir.VectorType(_I32, count), [0] * count))


@njit(cache=True, nogil=True)
def scalar_sigmoid(a, z, n):
    """The engine's scalar sigmoid, the reference for the vector one."""
    one = z.dtype.type(1)
    for h in range(n):
        a[h] = one / (one + np.exp(-z[h]))


@njit(cache=True, nogil=True)
def scalar_sigmoid_widened(a, z, n):
    """The monitors' scalar sigmoid (fast.output_z), the reference for `sigmoid_widened`."""
    for h in range(n):
        a[h] = 1 / (1 + np.exp(-z[h]))


@njit(cache=True, nogil=True)
def disagreements(z, widened=False):
    """Rows of z on which the vector sigmoid's bits (`sigmoid`, or `sigmoid_widened`)
    differ from the scalar one's, and rows it computed (those on libm's main path); -1 for
    the first if none did."""
    a_vec, a_ref = np.zeros_like(z), np.zeros_like(z)
    differ, kept = 0, 0
    for i in range(z.shape[0]):
        if widened:
            scalar_sigmoid_widened(a_ref[i], z[i], z.shape[1])
            computed = sigmoid_widened(a_vec[i], z[i], z.shape[1])
        else:
            scalar_sigmoid(a_ref[i], z[i], z.shape[1])
            computed = sigmoid(a_vec[i], z[i], z.shape[1])
        if computed:
            kept += 1
            if (a_vec[i].view(np.uint32) != a_ref[i].view(np.uint32)).any():
                differ += 1
    return (differ, kept) if kept else (-1, 0)


def probes() -> np.ndarray:
    """float32 inputs: 2^16 values over [-90, 90] (past libm's main path both ways), 2^16
    over [-1, 1], and edges, as rows of 64: a check cheap enough for every process.
    benchmarks/vexp_exhaustive.py compares every float32."""
    sweep = np.linspace(-90, 90, 1 << 16, dtype=np.float32)
    fine = np.arange(-(1 << 15), 1 << 15, dtype=np.float32) / np.float32(1 << 15)
    edges = np.array([-103.97, -87.34, 87.33, 88.72, 1e-30, -1e-30, 0.0, -0.0], np.float32)
    z = np.concatenate([sweep, fine, edges])
    return np.resize(z, (-(-len(z) // 64), 64))


@functools.cache
def matches_libm(widened: bool = False) -> bool:
    """The vector sigmoid (`sigmoid`, or `sigmoid_widened`) gives the scalar one's bits
    (libm's expf) on every row of `probes()` it computes: checked once per process, before
    the engine uses it."""
    return disagreements(probes(), widened)[0] == 0
