"""Row operations of the fast engine written as explicit SIMD code (LLVM IR via Numba).

The first layer's work is a sum of rows of W1 (one per nonzero pixel) into a hidden
layer's weighted input, and the gradient step that subtracts a multiple of the same
delta from the same rows. Written as Numba loops over the hidden neurons, LLVM wraps each
row in a fresh vectorized loop, with its trip-count and alias tests, and keeps the
accumulator in memory; here the accumulators live in vector registers across all the
rows of an image. A vector is one 64-byte cache line: 16 float32 or 8 float64; a row's
columns [c0, c0 + k * lanes) are k vectors, k from 1 to MAX_VECTORS, summed in one pass
over the pixels. Row lengths must be whole vectors: the fast engine pads its layers to
that (fast.padded) and checks them (check_rows).

The arithmetic is that of the scalar loops, in the same order, without fused
multiply-adds: z + v * w and w - (s * x) * d, one row after another. Results are the
same bits (tests/test_simd.py).

`prefetch` asks for an image's nonzero pixels before they are needed: in a shuffled
epoch each image's pixels sit at a random place of a 60 MB array, and waiting for them
was most of the hidden layer's time (benchmarks/fast_kernel.md).
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

VECTOR_BYTES = 64
MAX_VECTORS = 4  # vectors per pass: 4 accumulators, 8 registers on AVX2

_I32, _I64 = ir.IntType(32), ir.IntType(64)


def lanes(dtype) -> int:
    """Elements of `dtype` (a NumPy dtype) in one vector."""
    return VECTOR_BYTES // dtype.itemsize


# ------------------------------------------------------------- IR building blocks


def _vector_type(dtype):
    element = ir.FloatType() if dtype == types.float32 else ir.DoubleType()
    return ir.VectorType(element, VECTOR_BYTES // (dtype.bitwidth // 8))


def _data(context, builder, array_type, array):
    return context.make_array(array_type)(context, builder, array).data


def _splat(builder, scalar, vty):
    """A vector of vty holding `scalar` in every lane."""
    undef = ir.Constant(vty, ir.Undefined)
    first = builder.insert_element(undef, scalar, ir.Constant(_I32, 0))
    zeros = ir.Constant(ir.VectorType(_I32, vty.count), [0] * vty.count)
    return builder.shuffle_vector(first, undef, zeros)


def _load(builder, data, offset, vty):
    pointer = builder.bitcast(builder.gep(data, [offset]), vty.as_pointer())
    return builder.load(pointer, align=VECTOR_BYTES // vty.count)


def _store(builder, value, data, offset, vty):
    pointer = builder.bitcast(builder.gep(data, [offset]), vty.as_pointer())
    builder.store(value, pointer, align=VECTOR_BYTES // vty.count)


def _offsets(builder, base, k, vty):
    """The offsets of the k vectors that start at element `base`."""
    return [builder.add(base, ir.Constant(_I64, i * vty.count)) for i in range(k)]


def _loop(builder, start, end):
    """`with _loop(b, start, end) as p:` runs its body for p in [start, end)."""
    return cgutils.for_range_slice(builder, start, end, ir.Constant(_I64, 1))


class _Accumulators:
    """k vectors held in registers (allocas that LLVM promotes), columns c0 onwards."""

    def __init__(self, builder, bias, c0, k, vty):
        self.builder, self.c0, self.k, self.vty = builder, c0, k, vty
        self.slots = []
        for offset in _offsets(builder, c0, k, vty):
            slot = cgutils.alloca_once(builder, vty)
            builder.store(_load(builder, bias, offset, vty), slot)
            self.slots.append(slot)

    def add_row(self, w, stride, row, value):
        """acc += value * w[row, c0:c0 + k * lanes]: one multiply, then one addition."""
        b, v = self.builder, _splat(self.builder, value, self.vty)
        base = b.add(b.mul(row, stride), self.c0)
        for slot, offset in zip(self.slots, _offsets(b, base, self.k, self.vty), strict=True):
            b.store(b.fadd(b.load(slot), b.fmul(v, _load(b, w, offset, self.vty))), slot)

    def store(self, z):
        b = self.builder
        for slot, offset in zip(self.slots, _offsets(b, self.c0, self.k, self.vty),
                                strict=True):
            _store(b, b.load(slot), z, offset, self.vty)


def _well_typed(matrix, floats, integers, index_arrays=()):
    """True if the matrix is 2-D, the float arrays (the matrix among them) are
    C-contiguous and share one float dtype (float32 or float64), the integers are int64
    and the index arrays hold integers; else the intrinsic declines the types and Numba
    reports a typing error at the call."""
    dtype = floats[0].dtype if isinstance(floats[0], types.Array) else None
    return (isinstance(matrix, types.Array) and matrix.ndim == 2
            and dtype in (types.float32, types.float64)
            and all(isinstance(a, types.Array) and a.layout == "C" and a.dtype == dtype
                    for a in floats)
            and all(i == types.int64 for i in integers)
            and all(isinstance(a, types.Array) and isinstance(a.dtype, types.Integer)
                    for a in index_arrays))


def _arrays(context, builder, signature, args, positions):
    return [_data(context, builder, signature.args[i], args[i]) for i in positions]


def _value_array(values):
    """The float array type that stands for the pixel values in the type checks: `values`
    itself, or the table of coded values (codes, table), whose codes must be a
    C-contiguous uint8 array; a type that fails the checks if neither."""
    if isinstance(values, types.BaseTuple):
        if (len(values) == 2 and isinstance(values.types[0], types.Array)
                and values.types[0].dtype == types.uint8 and values.types[0].layout == "C"):
            return values.types[1]
        return types.none
    return values


def _values(context, builder, value_type, value):
    """A function of p giving pixel p's value: values[p], or table[codes[p]] for coded
    values (the same float, one byte a pixel to fetch instead of four or eight)."""
    if isinstance(value_type, types.BaseTuple):
        codes, table = (_data(context, builder, t, builder.extract_value(value, i))
                        for i, t in enumerate(value_type.types))
        return lambda p: builder.load(builder.gep(table, [
            builder.zext(builder.load(builder.gep(codes, [p])), _I64)]))
    data = _data(context, builder, value_type, value)
    return lambda p: builder.load(builder.gep(data, [p]))


def _pixel(builder, indices, values, p):
    """(row, value) of nonzero pixel p: its column index widened to 64 bits, its value
    (values: see `_values`)."""
    return builder.zext(builder.load(builder.gep(indices, [p])), _I64), values(p)


def _row_length(context, builder, array_type, array):
    """The length of a row of a 2-D array (its second dimension), as an i64."""
    shape = context.make_array(array_type)(context, builder, array).shape
    return cgutils.unpack_tuple(builder, shape, 2)[1]


def _in_parts(builder, count, unit, most, body, name):
    """body(k, start) for every part of [0, count): parts of `most` units of `unit`
    elements, then one part of the k < most units left (count a multiple of `unit`). k must
    be a compile-time constant of the code body emits, hence the switch over the rest.
    A row of vectors: unit = the vector's lanes; a group of rows: unit 1."""
    width = most * unit
    full = builder.sub(count, builder.srem(count, ir.Constant(_I64, width)))
    with cgutils.for_range_slice(builder, ir.Constant(_I64, 0), full,
                                 ir.Constant(_I64, width)) as (start, _):
        body(most, start)
    rest = builder.sub(count, full)
    if unit > 1:
        rest = builder.sdiv(rest, ir.Constant(_I64, unit))
    done = builder.append_basic_block(f"{name}.done")
    switch = builder.switch(rest, done)
    for k in range(1, most):
        block = builder.append_basic_block(f"{name}.rest{k}")
        switch.add_case(ir.Constant(_I64, k), block)
        builder.position_at_end(block)
        body(k, full)
        builder.branch(done)
    builder.position_at_end(done)


def _whole_row(builder, stride, vty, most, one_pass):
    """one_pass(k, c0) for every part of a row of `stride` elements: passes of `most`
    vectors, then one pass of the k < most vectors left."""
    _in_parts(builder, stride, vty.count, most, one_pass, "row")


# ------------------------------------------------------------- intrinsics
# Callable from compiled code only. They do no bounds checks (a check per call, with its
# exception path, was a measurable share of the epoch): the caller checks its arrays once with
# `check_rows`; the pixel indices and ranges are trusted (they come from fast.to_csr of
# the same input). Row lengths must be whole vectors.


@intrinsic
def rows_sum(typingctx, z, b, w, indices, values, start, end):
    """z = b + sum over p in [start, end) of values[p] * w[indices[p], :], in order."""
    if not _well_typed(w, (z, b, w, _value_array(values)), (start, end), (indices,)):
        return None
    sig = types.void(z, b, w, indices, values, start, end)

    def codegen(context, builder, signature, args):
        zd, bd, wd, idx = _arrays(context, builder, signature, args, (0, 1, 2, 3))
        val = _values(context, builder, signature.args[4], args[4])
        stride = _row_length(context, builder, signature.args[2], args[2])
        vty = _vector_type(signature.args[0].dtype)

        def one_pass(k, c0):
            acc = _Accumulators(builder, bd, c0, k, vty)
            with _loop(builder, args[5], args[6]) as (p, _):
                acc.add_row(wd, stride, *_pixel(builder, idx, val, p))
            acc.store(zd)

        _whole_row(builder, stride, vty, MAX_VECTORS, one_pass)
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def rows_sum_pair(typingctx, za, zb, b, w, indices, values, sa, ea, sb, eb):
    """`rows_sum` of two images at once: za from the pixels [sa, ea), zb from [sb, eb).
    Their rows alternate while both have some, so two independent chains of additions
    share the loop; each image's rows are still added in order. Passes of at most two
    vectors: 2 x 2 accumulators."""
    if not _well_typed(w, (za, zb, b, w, _value_array(values)), (sa, ea, sb, eb),
                       (indices,)):
        return None
    sig = types.void(za, zb, b, w, indices, values, sa, ea, sb, eb)

    def codegen(context, builder, signature, args):
        zad, zbd, bd, wd, idx = _arrays(context, builder, signature, args, (0, 1, 2, 3, 4))
        val = _values(context, builder, signature.args[5], args[5])
        stride = _row_length(context, builder, signature.args[3], args[3])
        sa_, ea_, sb_, eb_ = args[6:]
        vty = _vector_type(signature.args[0].dtype)
        na, nb = builder.sub(ea_, sa_), builder.sub(eb_, sb_)
        common = builder.select(builder.icmp_signed("<", na, nb), na, nb)

        def one_pass(k, c0):
            acc_a = _Accumulators(builder, bd, c0, k, vty)
            acc_b = _Accumulators(builder, bd, c0, k, vty)
            with cgutils.for_range(builder, common) as loop:
                acc_a.add_row(wd, stride, *_pixel(builder, idx, val,
                                                  builder.add(sa_, loop.index)))
                acc_b.add_row(wd, stride, *_pixel(builder, idx, val,
                                                  builder.add(sb_, loop.index)))
            for acc, s, e in ((acc_a, sa_, ea_), (acc_b, sb_, eb_)):
                with _loop(builder, builder.add(s, common), e) as (p, _):
                    acc.add_row(wd, stride, *_pixel(builder, idx, val, p))
            acc_a.store(zad)
            acc_b.store(zbd)

        _whole_row(builder, stride, vty, 2, one_pass)
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def dense_sum(typingctx, z, w, a, n):
    """z += sum over h < n of a[h] w[h, :], h in order (passes of at most two vectors)."""
    if not _well_typed(w, (z, w, a), (n,)):
        return None
    sig = types.void(z, w, a, n)

    def codegen(context, builder, signature, args):
        zd, wd, ad = _arrays(context, builder, signature, args, (0, 1, 2))
        stride = _row_length(context, builder, signature.args[1], args[1])
        vty = _vector_type(signature.args[0].dtype)

        def one_pass(k, c0):
            acc = _Accumulators(builder, zd, c0, k, vty)
            with _loop(builder, ir.Constant(_I64, 0), args[3]) as (h, _):
                acc.add_row(wd, stride, h, builder.load(builder.gep(ad, [h])))
            acc.store(zd)

        _whole_row(builder, stride, vty, 2, one_pass)
        return context.get_dummy_value()

    return sig, codegen


def _groups(builder, count, most, body):
    """body(g, e0) for the rows [0, count) in groups of `most` rows, then one group of
    the g < most left."""
    _in_parts(builder, count, 1, most, body, "groups")


@intrinsic
def dense_sums(typingctx, z, w, a, n, count):
    """`dense_sum` of the rows e < count at once: z[e] += sum over h < n of a[e, h] w[h, :],
    h in order. Up to MAX_VECTORS rows share each load of w; their sums are independent
    chains of additions (one row's is a chain of n dependent ones). z and a are 2-D."""
    if not (_well_typed(w, (z, w, a), (n, count))
            and isinstance(z, types.Array) and z.ndim == 2
            and isinstance(a, types.Array) and a.ndim == 2):
        return None
    sig = types.void(z, w, a, n, count)

    def codegen(context, builder, signature, args):
        zd, wd, ad = _arrays(context, builder, signature, args, (0, 1, 2))
        stride = _row_length(context, builder, signature.args[1], args[1])
        z_row = _row_length(context, builder, signature.args[0], args[0])
        a_row = _row_length(context, builder, signature.args[2], args[2])
        vty = _vector_type(signature.args[0].dtype)

        def one_pass(k, c0):
            def group(g, e0):
                rows = [builder.add(e0, ir.Constant(_I64, i)) for i in range(g)]
                accs = [_Accumulators(builder, builder.gep(zd, [builder.mul(e, z_row)]),
                                      c0, k, vty) for e in rows]
                with _loop(builder, ir.Constant(_I64, 0), args[3]) as (h, _):
                    for acc, e in zip(accs, rows, strict=True):
                        value = builder.load(builder.gep(ad, [builder.add(
                            builder.mul(e, a_row), h)]))
                        acc.add_row(wd, stride, h, value)
                for acc, e in zip(accs, rows, strict=True):
                    acc.store(builder.gep(zd, [builder.mul(e, z_row)]))

            _groups(builder, args[4], MAX_VECTORS, group)

        _whole_row(builder, stride, vty, 2, one_pass)
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def rows_step(typingctx, w, step, d, indices, values, start, end):
    """w[indices[p], :] -= (step * values[p]) * d for p in [start, end), one pixel after
    another."""
    if not (_well_typed(w, (w, d, _value_array(values)), (start, end), (indices,))
            and step == w.dtype):
        return None
    sig = types.void(w, step, d, indices, values, start, end)

    def codegen(context, builder, signature, args):
        wd, dd, idx = _arrays(context, builder, signature, args, (0, 2, 3))
        val = _values(context, builder, signature.args[4], args[4])
        stride = _row_length(context, builder, signature.args[0], args[0])
        step_, start_, end_ = args[1], args[5], args[6]
        vty = _vector_type(signature.args[0].dtype)

        def one_pass(k, c0):
            deltas = [_load(builder, dd, offset, vty) for offset in _offsets(builder, c0, k, vty)]
            with _loop(builder, start_, end_) as (p, _):
                row, value = _pixel(builder, idx, val, p)
                v = _splat(builder, builder.fmul(step_, value), vty)
                base = builder.add(builder.mul(row, stride), c0)
                for delta, offset in zip(deltas, _offsets(builder, base, k, vty), strict=True):
                    old = _load(builder, wd, offset, vty)
                    _store(builder, builder.fsub(old, builder.fmul(v, delta)), wd, offset, vty)

        _whole_row(builder, stride, vty, MAX_VECTORS, one_pass)
        return context.get_dummy_value()

    return sig, codegen


@intrinsic
def prefetch(typingctx, array, start, end):
    """Ask the cache for array[start:end], one request per 64-byte line; only a hint.
    For coded values (codes, table): their codes (the table is small and hot)."""
    coded = isinstance(array, types.BaseTuple)
    target = array.types[0] if coded and len(array) == 2 else array
    if not (isinstance(target, types.Array) and target.layout == "C"
            and start == types.int64 and end == types.int64):
        return None
    sig = types.void(array, start, end)

    def codegen(context, builder, signature, args):
        value = builder.extract_value(args[0], 0) if coded else args[0]
        data = _data(context, builder, target, value)
        per_line = ir.Constant(_I64, VECTOR_BYTES // (target.dtype.bitwidth // 8))
        fnty = ir.FunctionType(ir.VoidType(), [ir.PointerType(), _I32, _I32, _I32])
        fn = builder.module.declare_intrinsic("llvm.prefetch", [ir.PointerType()], fnty)
        read, keep, data_cache = (ir.Constant(_I32, c) for c in (0, 3, 1))
        first = builder.sub(args[1], builder.srem(args[1], per_line))  # its line's start
        with cgutils.for_range_slice(builder, first, args[2], per_line) as (p, _):
            line = builder.bitcast(builder.gep(data, [p]), ir.PointerType())
            builder.call(fn, [line, read, keep, data_cache])
        return context.get_dummy_value()

    return sig, codegen


# ------------------------------------------------------------- the caller's check


def check_rows(w, *vectors):
    """Raise ValueError unless w is a C-contiguous float32 or float64 matrix whose rows
    are whole 64-byte vectors, and each vector of the same dtype holds at least a row."""
    if w.dtype not in (np.float32, np.float64) or not w.flags.c_contiguous or w.ndim != 2:
        raise ValueError(f"simd: weights must be a C-contiguous float32/float64 matrix, "
                         f"not {w.dtype} {w.shape}")
    if w.shape[1] == 0 or w.shape[1] % lanes(w.dtype):
        raise ValueError(f"simd: row length {w.shape[1]} is not a whole number of "
                         f"{lanes(w.dtype)}-element vectors")
    for v in vectors:
        if v.dtype != w.dtype or not v.flags.c_contiguous or v.shape[-1] < w.shape[1]:
            raise ValueError(f"simd: a {v.dtype} vector of {v.shape[-1]} elements does not "
                             f"hold a row of {w.shape[1]} {w.dtype}")
