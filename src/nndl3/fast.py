"""Fast SGD epoch for the chapter's networks: [n_in, hidden, n_out], one hidden layer.

The same mini-batch SGD as `Network.sgd_epoch`, compiled with Numba, and cheaper for three
reasons. It runs without Python overhead per mini-batch (5,000 of them per epoch). It
skips the zero pixels of the input (about 80 % of MNIST): a zero input contributes nothing
to the hidden layer's weighted input nor to its weight gradient, so the first layer only
touches the rows of W1 that belong to nonzero pixels; the inputs are held in CSR form
(indptr, indices, values) for that. And its loops over the hidden neurons vectorize: the
rows of W1 and the output layer are summed and stepped by the explicit SIMD code of
`simd`, with the pixels of the next images prefetched; the hidden layer is padded to
whole vectors. The update is still the mini-batch update: all deltas of a mini-batch are
computed with the weights fixed, then applied.

Options: hidden neurons sigmoid, tanh or relu; a sigmoid output with the cross-entropy or
quadratic cost, or a softmax output with the log-likelihood cost; L2 or L1 regularization;
plain SGD or momentum; dropout. They arrive once, as the network's `options.Options`;
`refuse_unsupported` turns away, in one place, what this engine does not implement, and
the rest become integer codes tested inside the loops; LLVM hoists such loop-invariant
tests, so the default path keeps its speed (benchmarks/bench.py). An epoch is split into
`forward`, `backward` and `update`; the weight penalty is written once, in `penalize`.

Layout: W1 is stored transposed, w1t (n_in, hp), so that a pixel's outgoing weights are one
contiguous row; W2 twice: as in the book, w2 (n_out, hp), for the backward pass, and
transposed and padded, w2t (hp, op), so that the output layer's weighted inputs are one
vector operation per hidden neuron. hp >= hidden, op >= n_out are the padded widths.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import subnormals, vexp
from .simd import (
    check_rows,
    dense_sum,
    dense_sums,
    lanes,
    prefetch,
    rows_step,
    rows_sum,
    rows_sum_pair,
)

# The hidden layer is padded to whole 64-byte vectors (simd.lanes: 16 float32, 8 float64);
# the padding neurons output 0 and stay 0. The loops over hidden neurons left to LLVM
# vectorize too: one of runtime length 30 fell entirely to its scalar remainder loop.
AHEAD = 2  # prefetch the pixels of the next pair of images, from this many places ahead
OUT_PAD = 16  # the output layer: 10 outputs padded to one vector (two in float64)

# The generation of FastNetwork's interface, for benchmarks/kernel_history.py, which times
# old versions of this file: 2 = options at construction, sgd_epoch(x, labels, order, eta).
API = 2

HIDDEN = {"sigmoid": 0, "tanh": 1, "relu": 2}
SIGMOID, TANH, RELU = 0, 1, 2
COSTS = {"cross-entropy": 0, "quadratic": 1, "log-likelihood": 2}
CROSS_ENTROPY, QUADRATIC, LOG_LIKELIHOOD = 0, 1, 2
OUTPUT = {"cross-entropy": "sigmoid", "quadratic": "sigmoid", "log-likelihood": "softmax"}
PENALTIES = {"l2": 1, "l1": 2}  # and 0: none (lambda = 0)
NO_PENALTY, L2, L1 = 0, 1, 2


class UnsupportedByFastEngine(ValueError):
    """The network uses an option the compiled engine does not implement."""


def padded(hidden: int, pad: int) -> int:
    return -(-hidden // pad) * pad


def aligned_zeros(shape, dtype, align=64):
    """Zeros whose first element starts a cache line: NumPy aligns small arrays to 16 bytes
    only, and a 64-byte vector load across two cache lines costs two."""
    dtype = np.dtype(dtype)
    size = int(np.prod(shape))
    buf = np.zeros(size + align // dtype.itemsize, dtype)
    skip = (-buf.ctypes.data % align) // dtype.itemsize
    return buf[skip:skip + size].reshape(shape)


def to_csr(x: np.ndarray):
    """(indptr, indices, values) of the nonzero entries of the rows of x, row by row and
    column by column, as np.nonzero orders them."""
    indptr = np.zeros(len(x) + 1, dtype=np.int64)
    np.cumsum(np.count_nonzero(x, axis=1), out=indptr[1:])
    # unsigned column indices: Numba then skips the negative-index wraparound on every
    # row of W1 it addresses (the hidden layer's weighted inputs measured faster); 16
    # bits where they suffice: fewer cache lines to wait for in a shuffled epoch
    index = np.uint16 if x.shape[1] <= 1 << 16 else np.uint32
    indices = np.empty(indptr[-1], dtype=index)
    values = np.empty(indptr[-1], dtype=x.dtype)
    fill_csr(x, indptr, indices, values)
    return indptr, indices, values


@njit(cache=True, nogil=True)
def fill_csr(x, indptr, indices, values):
    """The nonzero entries of each row of x into its slice of indices and values: one pass
    over x, where np.nonzero and the gather x[rows, cols] were slow enough to show in the
    start-up of a run with rotated copies."""
    for r in range(x.shape[0]):
        p = indptr[r]
        for c in range(x.shape[1]):
            if x[r, c] != 0:
                indices[p] = c
                values[p] = x[r, c]
                p += 1


def coded(values: np.ndarray, levels: int = 255):
    """(codes, table), uint8 codes with table[codes] equal to values bit for bit, if every
    value is one of 256 (guessed as round(v * levels): MNIST's pixels are k/255, then
    checked); else values. A pixel then costs one byte of cache traffic, not four or
    eight: in a shuffled epoch the engine waits on those lines (benchmarks/fast_kernel.md)."""
    codes = np.empty(len(values), np.uint8)
    table = aligned_zeros(256, values.dtype)
    return (codes, table) if fill_codes(values, values.dtype.type(levels), codes, table) else values


@njit(cache=True, nogil=True)
def fill_codes(values, levels, codes, table):
    """codes and table for `coded`, in one pass; False as soon as a value does not fit.
    A table entry holds the first value coded so; equal values are equal bits here (no
    zeros in a CSR's values, and NaN is refused by the range test)."""
    used = np.zeros(256, np.bool_)
    for p in range(values.shape[0]):
        guess = np.rint(values[p] * levels)
        if not 0 <= guess <= 255:  # also NaN
            return False
        c = np.uint8(guess)
        if not used[c]:
            used[c] = True
            table[c] = values[p]
        elif table[c] != values[p]:
            return False
        codes[p] = c
    return True


def csr_of(x: np.ndarray, cache: dict):
    """The CSR form of x, its values coded where they can be (`coded`), built on first
    use; one cache serves all seeds of a run, so each input set (training, test,
    validation) is converted once."""
    entry = cache.get(id(x))
    if entry is None:
        indptr, indices, values = to_csr(x)
        entry = cache[id(x)] = (x, (indptr, indices, coded(values)))  # x keeps its id unique
    return entry[1]


@njit(cache=True, nogil=True)
def batch_hidden_z(z1, b1, w1t, indptr, indices, values, order, start, size):
    """z1[e] = b1 + sum over the nonzero pixels i of image order[start + e] of x_i W1[:, i],
    for e < size, pixel by pixel in order; two images at a time (two independent chains
    of additions keep the vector units busy). The pixels of the next pair (AHEAD and
    AHEAD + 1 places later) are fetched meanwhile (see simd.prefetch)."""
    n = order.shape[0]
    for e in range(0, size, 2):
        for ahead in range(AHEAD, AHEAD + 2):
            if start + e + ahead < n:
                q = order[start + e + ahead]
                prefetch(indices, indptr[q], indptr[q + 1])
                prefetch(values, indptr[q], indptr[q + 1])
        r = order[start + e]
        if e + 1 < size:
            s = order[start + e + 1]
            rows_sum_pair(z1[e], z1[e + 1], b1, w1t, indices, values,
                          indptr[r], indptr[r + 1], indptr[s], indptr[s + 1])
        else:
            rows_sum(z1[e], b1, w1t, indices, values, indptr[r], indptr[r + 1])


@njit(cache=True, nogil=True)
def output_layer(z2, b2, w2t, a, hidden):
    """z2 = b2 + W2 a, summed over the hidden neurons in order for every output at once."""
    z2[:] = 0
    z2[:b2.shape[0]] = b2
    dense_sum(z2, w2t, a, hidden)


@njit(cache=True, nogil=True)
def sgd_epoch(params, velocity, data, masks, codes, steps, flush):
    """One pass over the rows `order` in mini-batches of m, updating the parameters in place;
    with `flush`, subnormal numbers flushed to zero meanwhile (nndl3.subnormals). Returns
    the thread's MXCSR as the epoch ran (-1 off x86).

    params = (w1t, b1, w2, w2t, b2); velocity = (v_w1t, v_b1, v_w2, v_b2), momentum's
    (same shapes as their parameters; empty arrays without momentum);
    data = (indptr, indices, values, labels, order), the inputs in CSR form;
    masks: (n_batches, hidden) keep flags, or an empty (0, hidden) array without dropout;
    codes = (hidden, m, act, cost, penalty, vector_exp): the real number of hidden neurons
    (the padding columns hidden..hp-1 output 0, get zero gradients and stay 0), the
    mini-batch size, the codes of HIDDEN, COSTS and PENALTIES, and whether sigmoids may
    take `vexp.sigmoid` (float32, where it gives libm's bits);
    steps = (eta/m, eta/(size of the last, possibly partial, mini-batch), decay = 1 - rate
    (L2, else 1), rate = eta*lambda/n, mu), all in the weights' dtype."""
    w1t, b1, w2, w2t, b2 = params
    order = data[4]
    m = codes[1]
    scale_full, scale_last, decay, rate, mu = steps
    mode = subnormals.flush() if flush else -1
    ran_under = subnormals.mode()
    work = scratch(w1t, w2, w2t, m)
    # L2 weight decay of W1, lazily: instead of scaling all of W1 by `decay` every
    # mini-batch, w1t holds W1 / c, with c the product of the decays so far; a gradient
    # step then touches only the rows of nonzero pixels. W1 is restored at the end.
    lazy = decay != 1 and mu == 0
    c = w1t.dtype.type(1)
    n = order.shape[0]
    batch = 0
    for start in range(0, n, m):
        size = min(m, n - start)
        scale = scale_full if size == m else scale_last
        forward(params, data, masks, batch, start, size, work, codes, lazy, c)
        backward(w2, masks, batch, size, work, codes)
        c = update(params, velocity, data, start, size, work, codes, steps, scale, lazy, c)
        batch += 1
    if lazy:
        w1t *= c
    subnormals.restore(mode)
    return ran_under


@njit(cache=True, nogil=True)
def scratch(w1t, w2, w2t, m):
    """The epoch's working arrays: (z1, a1, d1, z2, d2, s, g_w2, g_b1, g_b2, no_bias), a
    row per image of the mini-batch where an image has one."""
    hp, dt = w1t.shape[1], w1t.dtype
    n_out = w2.shape[0]
    return (np.empty((m, hp), dt), np.zeros((m, hp), dt), np.zeros((m, hp), dt),
            np.empty((m, w2t.shape[1]), dt), np.empty((m, w2t.shape[1]), dt), np.empty(hp, dt),
            np.empty((n_out, hp), dt), np.empty(hp, dt), np.empty(n_out, dt),
            np.zeros(hp, dt))


@njit(cache=True, nogil=True)
def forward(params, data, masks, batch, start, size, work, codes, lazy, c):
    """The mini-batch's images order[start:start + size] forward: the hidden outputs a1
    (0 where dropped) and the output layer's deltas d2 = dC/dz2, row e for image e. Its
    three steps are inlined (as calls, passing their tuples of arrays was measurably
    slower); benchmarks/kernel_steps.py times them one by one."""
    hidden_inputs(params, data, start, size, work, codes, lazy, c)
    hidden_outputs(masks, batch, size, work, codes)
    output_deltas(params, data, start, size, work, codes)


@njit(cache=True, nogil=True, inline="always")
def hidden_inputs(params, data, start, size, work, codes, lazy, c):
    """The weighted inputs z1 of the mini-batch's hidden layers; the next mini-batch's
    labels asked for meanwhile."""
    w1t, b1, w2, w2t, b2 = params
    indptr, indices, values, labels, order = data
    z1, a1, d1, z2, d2, s, g_w2, g_b1, g_b2, no_bias = work
    m = codes[1]
    for e in range(start + m, min(start + 2 * m, order.shape[0])):  # the next batch's
        prefetch(labels, order[e], order[e] + 1)  # labels: a random line each, long evicted
    if lazy:  # w1t holds W1 / c
        batch_hidden_z(z1, no_bias, w1t, indptr, indices, values, order, start, size)
        for e in range(size):
            for h in range(w1t.shape[1]):
                z1[e, h] = b1[h] + c * z1[e, h]
    else:
        batch_hidden_z(z1, b1, w1t, indptr, indices, values, order, start, size)


@njit(cache=True, nogil=True, inline="always")
def hidden_outputs(masks, batch, size, work, codes):
    """a1 = f(z1), 0 where dropped."""
    z1, a1, d1, z2, d2, s, g_w2, g_b1, g_b2, no_bias = work
    hidden, m, act, cost, penalty, vector_exp = codes
    for e in range(size):
        activate(a1[e], z1[e], hidden, act, vector_exp)
        if masks.shape[0] > 0:
            for h in range(hidden):
                if not masks[batch, h]:
                    a1[e, h] = 0


@njit(cache=True, nogil=True, inline="always")
def output_deltas(params, data, start, size, work, codes):
    """The output layer's weighted inputs z2 and deltas d2, from a1."""
    w1t, b1, w2, w2t, b2 = params
    indptr, indices, values, labels, order = data
    z1, a1, d1, z2, d2, s, g_w2, g_b1, g_b2, no_bias = work
    hidden, m, act, cost, penalty, vector_exp = codes
    n_out = b2.shape[0]
    for e in range(size):  # the images' output layers side by side (simd.dense_sums)
        z2[e, :] = 0
        z2[e, :n_out] = b2
    dense_sums(z2, w2t, a1, hidden, size)
    for e in range(size):
        output_delta(d2[e], z2[e], n_out, labels[order[start + e]], cost, vector_exp)


@njit(cache=True, nogil=True)
def activate(a, z, hidden, act, vector_exp):
    """a = f(z) for the first `hidden` neurons; the sigmoid in vectors where it may (the
    same bits: see vexp)."""
    if act == SIGMOID and vector_exp and vexp.sigmoid(a, z, hidden):
        return
    one, zero = z.dtype.type(1), z.dtype.type(0)
    for h in range(hidden):
        zh = z[h]
        if act == SIGMOID:
            a[h] = one / (one + np.exp(-zh))
        elif act == TANH:
            a[h] = np.tanh(zh)
        else:
            a[h] = zh if zh > zero else zero


@njit(cache=True, nogil=True)
def output_delta(d, z, n_out, label, cost, vector_exp):
    """d = dC/dz of the output layer for the weighted inputs z[:n_out] (which the softmax
    overwrites): a - y, with a softmax (log-likelihood) or sigmoid output; times
    sigma'(z) for the quadratic cost. d holds a whole vector (vexp.LANES) at least."""
    one, zero = z.dtype.type(1), z.dtype.type(0)
    if cost == LOG_LIKELIHOOD:  # softmax, shifted by the largest z so exp <= 1
        top = z[0]
        for k in range(1, n_out):
            top = max(top, z[k])
        total = zero
        for k in range(n_out):
            z[k] = np.exp(z[k] - top)
            total += z[k]
        for k in range(n_out):
            d[k] = z[k] / total - (one if k == label else zero)
    else:
        if not (vector_exp and vexp.sigmoid(d, z, n_out)):  # d = sigma(z)
            for k in range(n_out):
                d[k] = one / (one + np.exp(-z[k]))
        for k in range(n_out):
            a = d[k]
            d[k] = a - (one if k == label else zero)
            if cost == QUADRATIC:
                d[k] *= a * (one - a)


@njit(cache=True, nogil=True)
def backward(w2, masks, batch, size, work, codes):
    """The hidden deltas d1 = (W2^T d2) * f'(z1) (a dropped neuron has a1 = 0) and the
    gradients of W2 and both biases, summed over the mini-batch image by image; W1's
    gradient is applied by the update, from d1, touching only nonzero pixels."""
    z1, a1, d1, z2, d2, s, g_w2, g_b1, g_b2, no_bias = work
    hidden, m, act, cost, penalty, vector_exp = codes
    one, zero = a1.dtype.type(1), a1.dtype.type(0)
    n_out, hp = w2.shape
    g_w2[:] = 0
    g_b1[:] = 0
    g_b2[:] = 0
    for e in range(size):
        for k in range(n_out):
            g_b2[k] += d2[e, k]
        s[:] = 0
        dense_sum(s, w2, d2[e], n_out)  # s = W2^T delta2, summed over k in order
        for k in range(n_out):
            for h in range(hp):
                g_w2[k, h] += a1[e, h] * d2[e, k]
        if act == SIGMOID:
            for h in range(hp):
                d1[e, h] = s[h] * a1[e, h] * (one - a1[e, h])
        elif act == TANH:
            for h in range(hp):
                d1[e, h] = s[h] * (one - a1[e, h] * a1[e, h])
            if masks.shape[0] > 0:  # 1 - a^2 is 1, not 0, for a dropped neuron's a = 0
                for h in range(hidden):
                    if not masks[batch, h]:
                        d1[e, h] = 0
        else:
            for h in range(hp):
                d1[e, h] = s[h] if a1[e, h] > zero else zero
        for h in range(hp):
            g_b1[h] += d1[e, h]


@njit(cache=True, nogil=True)
def update(params, velocity, data, start, size, work, codes, steps, scale, lazy, c):
    """The mini-batch's step, every delta computed from the same weights: the penalty,
    then the gradient (plain SGD), or both into the velocities, then added (momentum).
    Returns c, the lazy decay's factor (see sgd_epoch)."""
    w1t, b1, w2, w2t, b2 = params
    v_w1t, v_b1, v_w2, v_b2 = velocity
    indptr, indices, values, labels, order = data
    z1, a1, d1, z2, d2, s, g_w2, g_b1, g_b2, no_bias = work
    penalty = codes[4]
    decay, rate, mu = steps[2], steps[3], steps[4]
    if mu == 0:
        penalize(w2, w2, mu, penalty, decay, rate)
        if not lazy:
            penalize(w1t, w1t, mu, penalty, decay, rate)
        subtract(w2.reshape(-1), scale, g_w2.reshape(-1))
        subtract(b2, scale, g_b2)
        subtract(b1, scale, g_b1)
        step = scale
        if lazy:
            c *= decay
            if c < 0.5:  # keep W1 / c within a factor 2 of W1
                w1t *= c
                c = w1t.dtype.type(1)
            step = scale / c
        sparse_step(w1t, step, d1, order, start, size, indptr, indices, values)
    else:
        penalize(w2, v_w2, mu, penalty, decay, rate)
        penalize(w1t, v_w1t, mu, penalty, decay, rate)
        v_b2 *= mu  # the biases: no penalty
        v_b1 *= mu
        add_velocity(w2.reshape(-1), v_w2.reshape(-1), scale, g_w2.reshape(-1))
        add_velocity(b2, v_b2, scale, g_b2)
        add_velocity(b1, v_b1, scale, g_b1)
        sparse_step(v_w1t, scale, d1, order, start, size, indptr, indices, values)
        w1t += v_w1t
    n_out, hp = w2.shape
    for k in range(n_out):
        for h in range(hp):
            w2t[h, k] = w2[k, h]
    return c


@njit(cache=True, nogil=True)
def penalize(w, target, mu, penalty, decay, rate):
    """The weight penalty's step, the one place this engine writes it. Plain SGD
    (target is w): L2 w <- decay w with decay = 1 - rate, L1 w <- w - rate sgn(w).
    Momentum (target is w's velocity v): v <- mu v - rate w (L2), mu v - rate sgn(w)
    (L1), mu v without a penalty. Element by element in one pass, no temporaries (W1's
    velocity is dense: this pass is most of momentum's cost). The lazy decay of W1
    (sgd_epoch) is the one exception: L2 with plain SGD, applied to W1 as a factor."""
    rows, cols = w.shape
    if mu == 0:
        if penalty == L2:
            for i in range(rows):
                for h in range(cols):
                    w[i, h] *= decay
        elif penalty == L1:
            for i in range(rows):
                for h in range(cols):
                    w[i, h] -= rate * np.sign(w[i, h])
    elif penalty == L2:
        for i in range(rows):
            for h in range(cols):
                target[i, h] = target[i, h] * mu - rate * w[i, h]
    elif penalty == L1:
        for i in range(rows):
            for h in range(cols):
                target[i, h] = target[i, h] * mu - rate * np.sign(w[i, h])
    else:
        for i in range(rows):
            for h in range(cols):
                target[i, h] *= mu


@njit(cache=True, nogil=True)
def subtract(target, step, g):
    """target -= step * g, element by element: `target -= step * g` on arrays would
    allocate step * g, 15,000 times an epoch."""
    for i in range(target.shape[0]):
        target[i] -= step * g[i]


@njit(cache=True, nogil=True)
def add_velocity(target, v, step, g):
    """v <- v - step g, then target <- target + v, element by element (see `subtract`);
    v has had its mu and penalty terms."""
    for i in range(target.shape[0]):
        v[i] -= step * g[i]
        target[i] += v[i]


@njit(cache=True, nogil=True)
def sparse_step(target, step, d1, order, start, size, indptr, indices, values):
    """target -= step * sum over the mini-batch of x d1^T, touching only the rows of the
    images' nonzero pixels: W1's gradient step (or its velocity's, with momentum), image
    by image in order."""
    for e in range(size):
        r = order[start + e]
        rows_step(target, step, d1[e], indices, values, indptr[r], indptr[r + 1])


@njit(cache=True, nogil=True)
def output_z(w1t, b1, w2t, b2, hidden, keep, act, vector_exp, indptr, indices, values, out):
    """Weighted inputs of the output layer for every row of the CSR inputs, into out;
    hidden activations scaled by keep (dropout's test-time rule; 1 without dropout).
    The sigmoid is written `1 / (1 + exp(-z))` as before the speed-ups: in float32 it is
    computed partly in float64, so recorded numbers stay the same for the same weights;
    in vectors where it may (vexp.sigmoid_widened: the same bits)."""
    hp = w1t.shape[1]
    n_out = out.shape[1]
    n = out.shape[0]
    z1 = np.empty((2, hp), w1t.dtype)
    a1 = np.zeros(hp, w1t.dtype)
    z2 = np.empty(w2t.shape[1], w1t.dtype)
    zero = np.zeros(1, w1t.dtype)[0]
    rows = np.arange(n)
    for first in range(0, n, 2):
        size = min(2, n - first)
        batch_hidden_z(z1, b1, w1t, indptr, indices, values, rows, first, size)
        for e in range(size):
            vector = act == SIGMOID and vector_exp and vexp.sigmoid_widened(a1, z1[e], hidden)
            for h in range(hidden):
                zh = z1[e, h]
                if vector:
                    pass
                elif act == SIGMOID:
                    a1[h] = 1 / (1 + np.exp(-zh))
                elif act == TANH:
                    a1[h] = np.tanh(zh)
                else:
                    a1[h] = zh if zh > zero else zero
                a1[h] *= keep
            output_layer(z2, b2, w2t, a1, hidden)
            out[first + e, :] = z2[:n_out]


class FastNetwork:
    """Drives `sgd_epoch` for a `network.Network` with one hidden layer, in place, with the
    network's options; refuses at construction every option it does not implement."""

    def __init__(self, net, x, sparse=None):
        """sparse: a cache for `csr_of`, shared by the engines of a run's seeds."""
        self.net, options = net, net.options
        refuse_unsupported(net.sizes, options)
        self.act, self.cost_code = HIDDEN[options.hidden], COSTS[options.cost]
        self.flush_subnormals = True  # False: IEEE subnormals (benchmarks/subnormals.py)
        self.x, self.dtype = x, x.dtype
        self.sparse = {} if sparse is None else sparse
        self.csr = csr_of(x, self.sparse)
        (n_out, hidden), n_in = net.weights[1].shape, net.weights[0].shape[1]
        hp = padded(hidden, lanes(self.dtype))
        self.hidden = hidden
        self.w1t = aligned_zeros((n_in, hp), self.dtype)
        self.w2 = aligned_zeros((n_out, hp), self.dtype)
        self.b1 = aligned_zeros(hp, self.dtype)
        self.w1t[:, :hidden] = net.weights[0].T
        self.w2[:, :hidden] = net.weights[1]
        self.b1[:hidden] = net.biases[0]
        self.w2t = aligned_zeros((hp, padded(n_out, OUT_PAD)), self.dtype)
        self.w2t[:, :n_out] = self.w2.T
        # the shapes the SIMD code assumes without checking (see simd.check_rows)
        check_rows(self.w1t, self.b1)
        check_rows(self.w2, self.b1)
        check_rows(self.w2t)
        penalty = PENALTIES[options.regularization] if options.lmbda else NO_PENALTY
        vector_exp = self.dtype == np.float32 and vexp.matches_libm()
        self.codes = (hidden, options.mini_batch, self.act, self.cost_code, penalty, vector_exp)
        self.velocity = self.new_velocity(options.momentum)

    @property
    def weights(self):
        return self.net.weights

    @property
    def cost(self):
        return self.net.cost

    def output_z(self, x):
        """As `Network.output_z`, computed from the nonzero pixels only."""
        out = np.empty((len(x), self.w2.shape[0]), self.dtype)
        vector_exp = self.dtype == np.float32 and vexp.matches_libm(widened=True)
        output_z(self.w1t, self.b1, self.w2t, self.net.biases[1], self.hidden,
                 self.dtype.type(1 - self.net.dropout), self.act, vector_exp,
                 *csr_of(x, self.sparse), out)
        return out

    def new_velocity(self, momentum):
        """Momentum's velocities, zero at the start and kept across epochs; empty arrays
        for plain SGD."""
        if not momentum:
            return (np.zeros((0, 0), self.dtype), np.zeros(0, self.dtype),
                    np.zeros((0, 0), self.dtype), np.zeros(0, self.dtype))
        return (np.zeros_like(self.w1t), np.zeros_like(self.b1),
                np.zeros_like(self.w2), np.zeros_like(self.net.biases[1]))

    def sgd_epoch(self, x, labels, order, eta, masks=None):
        """As `Network.sgd_epoch`; x must be the array this engine was built for."""
        if x is not self.x:
            raise ValueError("FastNetwork trains only on the inputs it was built with")
        options, t = self.net.options, self.dtype.type
        n, m = len(order), options.mini_batch
        last = n % m or m
        rate = options.penalty_rate(eta, n)
        decay = t(1 - rate) if self.codes[4] == L2 else t(1)
        steps = (t(eta / m), t(eta / last), decay, t(rate), t(options.momentum))
        if masks is None:
            masks = np.zeros((0, self.hidden), dtype=np.bool_)
        else:
            (masks,) = masks
        params = (self.w1t, self.b1, self.w2, self.w2t, self.net.biases[1])
        # the thread's MXCSR during the epoch (-1 off x86): whether it flushed, for the tests
        self.epoch_mode = sgd_epoch(params, self.velocity, (*self.csr, labels, order), masks,
                                    self.codes, steps, self.flush_subnormals)
        # hand the trained parameters back in the book's layout for evaluation
        h = self.hidden
        self.net.weights[0][...] = self.w1t[:, :h].T
        self.net.weights[1][...] = self.w2[:, :h]
        self.net.biases[0][...] = self.b1[:h]


def refuse_unsupported(sizes, options) -> None:
    """Raise UnsupportedByFastEngine naming the first option this engine cannot train (also
    asked by the config's check, before anything runs, of a run set to engine: fast)."""
    if len(sizes) != 3:
        raise UnsupportedByFastEngine(
            f"sizes {sizes}: the fast engine trains networks with exactly one hidden layer")
    if options.hidden not in HIDDEN:
        raise UnsupportedByFastEngine(f"hidden {options.hidden!r}: not in the fast engine")
    if options.cost not in COSTS:
        raise UnsupportedByFastEngine(f"cost {options.cost!r}: not in the fast engine")
    if options.output != OUTPUT[options.cost]:
        raise UnsupportedByFastEngine(f"output {options.output!r} with cost {options.cost!r}: "
                                      "not in the fast engine")
    if options.regularization not in PENALTIES:
        raise UnsupportedByFastEngine(
            f"regularization {options.regularization!r}: not in the fast engine")
