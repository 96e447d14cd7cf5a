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

Options (issue 11): hidden neurons sigmoid, tanh or relu; a sigmoid output with the
cross-entropy or quadratic cost, or a softmax output with the log-likelihood cost; plain
SGD or momentum. They are integer codes tested inside the loops; LLVM hoists such
loop-invariant tests, so the default path keeps its speed (benchmarks/bench.py).

Layout: W1 is stored transposed, w1t (n_in, hp), so that a pixel's outgoing weights are one
contiguous row; W2 twice: as in the book, w2 (n_out, hp), for the backward pass, and
transposed and padded, w2t (hp, op), so that the output layer's weighted inputs are one
vector operation per hidden neuron. hp >= hidden, op >= n_out are the padded widths.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .simd import check_rows, dense_sum, lanes, prefetch, rows_step, rows_sum, rows_sum_pair

# The hidden layer is padded to whole 64-byte vectors (simd.lanes: 16 float32, 8 float64);
# the padding neurons output 0 and stay 0. The loops over hidden neurons left to LLVM
# vectorize too: one of runtime length 30 fell entirely to its scalar remainder loop.
AHEAD = 2  # prefetch the pixels of the next pair of images, from this many places ahead
OUT_PAD = 16  # the output layer: 10 outputs padded to one vector (two in float64)

HIDDEN = {"sigmoid": 0, "tanh": 1, "relu": 2}
SIGMOID, TANH, RELU = 0, 1, 2
COSTS = {"cross-entropy": 0, "quadratic": 1, "log-likelihood": 2}
CROSS_ENTROPY, QUADRATIC, LOG_LIKELIHOOD = 0, 1, 2


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
    # row of W1 it addresses (measured 12 % off the hidden layer's weighted inputs)
    indices = np.empty(indptr[-1], dtype=np.uint32)
    values = np.empty(indptr[-1], dtype=x.dtype)
    fill_csr(x, indptr, indices, values)
    return indptr, indices, values


@njit(cache=True, nogil=True)
def fill_csr(x, indptr, indices, values):
    """The nonzero entries of each row of x into its slice of indices and values: one pass
    over x, where np.nonzero and the gather x[rows, cols] took 20 us an image (2.3 s for
    the 110,000 images of a run with rotated copies)."""
    for r in range(x.shape[0]):
        p = indptr[r]
        for c in range(x.shape[1]):
            if x[r, c] != 0:
                indices[p] = c
                values[p] = x[r, c]
                p += 1


def csr_of(x: np.ndarray, cache: dict):
    """The CSR form of x, built on first use; one cache serves all seeds of a run, so each
    input set (training, test, validation) is converted once."""
    entry = cache.get(id(x))
    if entry is None:
        entry = cache[id(x)] = (x, to_csr(x))  # holding x keeps its id unique
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
def sgd_epoch(w1t, b1, w2, w2t, b2, hidden, indptr, indices, values, labels, order, masks,
              scale_full, scale_last, decay, l1_step, m, act, cost,
              mu, l2_step, v_w1t, v_b1, v_w2, v_b2):
    """One pass over `order` in mini-batches of m, updating the parameters in place.

    hidden = the real number of hidden neurons; the padding columns hidden..hp-1 output 0,
    so they get zero gradients and stay zero.
    scale_full = eta / m, scale_last = eta / (size of the last, possibly partial, mini-batch);
    decay = 1 - eta*lambda/n (L2, else 1); l1_step = eta*lambda/n (L1, else 0);
    act, cost: codes of HIDDEN and COSTS. masks: (n_batches, hidden) keep flags, or an
    empty (0, hidden) array without dropout.
    mu: momentum; when nonzero, l2_step = eta*lambda/n (L2, else 0) and the velocities v_*
    (same shapes as their parameters) are updated and added as in the contract; decay is
    then unused. All scalars arrive in the weights' dtype."""
    hp = w1t.shape[1]
    n_out = w2.shape[0]
    dt = w1t.dtype
    one, zero = np.ones(1, dt)[0], np.zeros(1, dt)[0]
    z1 = np.empty((m, hp), dt)
    a1 = np.zeros((m, hp), dt)
    d1 = np.zeros((m, hp), dt)
    z2 = np.empty(w2t.shape[1], dt)
    d2 = np.empty(n_out, dt)
    s = np.empty(hp, dt)
    g_w2 = np.empty((n_out, hp), dt)
    g_b1 = np.empty(hp, dt)
    g_b2 = np.empty(n_out, dt)
    use_masks = masks.shape[0] > 0
    # L2 weight decay of W1, lazily: instead of scaling all of W1 by `decay` every
    # mini-batch, w1t holds W1 / c, with c the product of the decays so far; a gradient
    # step then touches only the rows of nonzero pixels. W1 is restored at the end.
    lazy = decay != 1 and mu == 0
    c = one
    no_bias = np.zeros(hp, dt)
    quadratic = cost == QUADRATIC
    n = order.shape[0]
    batch = 0
    for start in range(0, n, m):
        size = min(m, n - start)
        scale = scale_full if size == m else scale_last
        g_w2[:] = 0
        g_b1[:] = 0
        g_b2[:] = 0
        if lazy:  # w1t holds W1 / c
            batch_hidden_z(z1, no_bias, w1t, indptr, indices, values, order, start, size)
            for e in range(size):
                for h in range(hp):
                    z1[e, h] = b1[h] + c * z1[e, h]
        else:
            batch_hidden_z(z1, b1, w1t, indptr, indices, values, order, start, size)
        for e in range(size):
            r = order[start + e]
            for h in range(hidden):
                zh = z1[e, h]
                if act == SIGMOID:
                    a1[e, h] = one / (one + np.exp(-zh))
                elif act == TANH:
                    a1[e, h] = np.tanh(zh)
                else:
                    a1[e, h] = zh if zh > zero else zero
            if use_masks:
                for h in range(hidden):
                    if not masks[batch, h]:
                        a1[e, h] = 0
            output_layer(z2, b2, w2t, a1[e], hidden)
            if cost == LOG_LIKELIHOOD:  # softmax, shifted by the largest z so exp <= 1
                top = z2[0]
                for k in range(1, n_out):
                    top = max(top, z2[k])
                total = zero
                for k in range(n_out):
                    z2[k] = np.exp(z2[k] - top)
                    total += z2[k]
                for k in range(n_out):
                    d2[k] = z2[k] / total - (one if k == labels[r] else zero)
            else:
                for k in range(n_out):
                    a2 = one / (one + np.exp(-z2[k]))
                    d2[k] = a2 - (one if k == labels[r] else zero)
                    if quadratic:
                        d2[k] *= a2 * (one - a2)
            for k in range(n_out):
                g_b2[k] += d2[k]
            # backward: delta1 = (W2^T delta2) * f'(z1); a dropped neuron has a1 = 0
            s[:] = 0
            dense_sum(s, w2, d2, n_out)  # s = W2^T delta2, summed over k in order
            for k in range(n_out):
                for h in range(hp):
                    g_w2[k, h] += a1[e, h] * d2[k]
            if act == SIGMOID:
                for h in range(hp):
                    d1[e, h] = s[h] * a1[e, h] * (one - a1[e, h])
            elif act == TANH:
                for h in range(hp):
                    d1[e, h] = s[h] * (one - a1[e, h] * a1[e, h])
                if use_masks:  # 1 - a^2 is 1, not 0, for a dropped neuron's a = 0
                    for h in range(hidden):
                        if not masks[batch, h]:
                            d1[e, h] = 0
            else:
                for h in range(hp):
                    d1[e, h] = s[h] if a1[e, h] > zero else zero
            for h in range(hp):
                g_b1[h] += d1[e, h]
        # the update, with every delta of the mini-batch computed from the same weights
        if mu == 0:
            plain_update(w1t, b1, w2, b2, g_w2, g_b1, g_b2, scale, decay, l1_step, lazy)
            step = scale
            if lazy:
                c *= decay
                if c < 0.5:  # keep W1 / c within a factor 2 of W1
                    w1t *= c
                    c = one
                step = scale / c
            sparse_step(w1t, step, d1, order, start, size, indptr, indices, values)
        else:
            momentum_update(w2, v_w2, g_w2, b2, v_b2, g_b2, b1, v_b1, g_b1, w1t, v_w1t,
                            scale, mu, l2_step, l1_step)
            sparse_step(v_w1t, scale, d1, order, start, size, indptr, indices, values)
            w1t += v_w1t
        for k in range(n_out):
            for h in range(hp):
                w2t[h, k] = w2[k, h]
        batch += 1
    if lazy:
        w1t *= c


@njit(cache=True, nogil=True)
def plain_update(w1t, b1, w2, b2, g_w2, g_b1, g_b2, scale, decay, l1_step, lazy):
    """The book's step (weight decay or L1 shrink, then the gradient), except the sparse
    gradient step of w1t, which the caller applies, and w1t's decay when lazy."""
    if decay != 1:
        if not lazy:
            w1t *= decay
        w2 *= decay
    if l1_step != 0:
        shrink(w1t.reshape(-1), l1_step)
        shrink(w2.reshape(-1), l1_step)
    subtract(w2.reshape(-1), scale, g_w2.reshape(-1))
    subtract(b2, scale, g_b2)
    subtract(b1, scale, g_b1)


@njit(cache=True, nogil=True)
def subtract(target, step, g):
    """target -= step * g, element by element: `target -= step * g` on arrays would
    allocate step * g, 15,000 times an epoch (measured: 4 ms of 37)."""
    for i in range(target.shape[0]):
        target[i] -= step * g[i]


@njit(cache=True, nogil=True)
def shrink(target, step):
    """target -= step * sign(target), element by element (see `subtract`)."""
    for i in range(target.shape[0]):
        target[i] -= step * np.sign(target[i])


@njit(cache=True, nogil=True)
def sparse_step(target, step, d1, order, start, size, indptr, indices, values):
    """target -= step * sum over the mini-batch of x d1^T, touching only the rows of the
    images' nonzero pixels: W1's gradient step (or its velocity's, with momentum), image
    by image in order."""
    for e in range(size):
        r = order[start + e]
        rows_step(target, step, d1[e], indices, values, indptr[r], indptr[r + 1])


@njit(cache=True, nogil=True)
def decay_velocity(v, w, mu, l2_step, l1_step):
    """v <- mu v - l2_step w - l1_step sgn(w), element by element in one pass and without
    temporaries (W1's velocity is dense: this pass is most of momentum's cost); the same
    operations in the same order as `v *= mu; v -= l2_step * w; v -= l1_step * sgn(w)`."""
    rows, cols = v.shape
    if l1_step != 0:
        for i in range(rows):
            for h in range(cols):
                v[i, h] = (v[i, h] * mu - l2_step * w[i, h]) - l1_step * np.sign(w[i, h])
    elif l2_step != 0:
        for i in range(rows):
            for h in range(cols):
                v[i, h] = v[i, h] * mu - l2_step * w[i, h]
    else:
        for i in range(rows):
            for h in range(cols):
                v[i, h] *= mu


@njit(cache=True, nogil=True)
def momentum_update(w2, v_w2, g_w2, b2, v_b2, g_b2, b1, v_b1, g_b1, w1t, v_w1t,
                    scale, mu, l2_step, l1_step):
    """v <- mu v - (eta lambda/n) w [or sgn w] - (eta/m) sum grad; w <- w + v, for all but
    w1t, whose velocity only gets its decay and penalty terms here: the caller subtracts
    the sparse gradient, then adds the velocity."""
    v_w2 *= mu
    if l2_step != 0:
        v_w2 -= l2_step * w2
    if l1_step != 0:
        v_w2 -= l1_step * np.sign(w2)
    decay_velocity(v_w1t, w1t, mu, l2_step, l1_step)
    v_w2 -= scale * g_w2
    w2 += v_w2
    v_b2 *= mu
    v_b2 -= scale * g_b2
    b2 += v_b2
    v_b1 *= mu
    v_b1 -= scale * g_b1
    b1 += v_b1


@njit(cache=True, nogil=True)
def output_z(w1t, b1, w2t, b2, hidden, keep, act, indptr, indices, values, out):
    """Weighted inputs of the output layer for every row of the CSR inputs, into out;
    hidden activations scaled by keep (dropout's test-time rule; 1 without dropout).
    The sigmoid is written `1 / (1 + exp(-z))` as before the speed-ups: in float32 it is
    computed partly in float64, so recorded numbers stay the same for the same weights."""
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
            for h in range(hidden):
                zh = z1[e, h]
                if act == SIGMOID:
                    a1[h] = 1 / (1 + np.exp(-zh))
                elif act == TANH:
                    a1[h] = np.tanh(zh)
                else:
                    a1[h] = zh if zh > zero else zero
                a1[h] *= keep
            output_layer(z2, b2, w2t, a1, hidden)
            out[first + e, :] = z2[:n_out]


class FastNetwork:
    """Drives `sgd_epoch` for a `network.Network` with one hidden layer, in place."""

    def __init__(self, net, x, sparse=None):
        """sparse: a cache for `csr_of`, shared by the engines of a run's seeds."""
        if len(net.weights) != 2:
            raise UnsupportedByFastEngine(
                f"sizes {net.sizes}: the fast engine trains networks with exactly one "
                "hidden layer")
        hidden_name = getattr(net, "hidden", "sigmoid")
        if hidden_name not in HIDDEN:
            raise UnsupportedByFastEngine(f"hidden {hidden_name!r}: not in the fast engine")
        if net.cost not in COSTS:
            raise UnsupportedByFastEngine(f"cost {net.cost!r}: not in the fast engine")
        self.net = net
        self.act, self.cost_code = HIDDEN[hidden_name], COSTS[net.cost]
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
        self.velocities = None  # momentum's, created on first use, kept across epochs

    @property
    def weights(self):
        return self.net.weights

    @property
    def cost(self):
        return self.net.cost

    def output_z(self, x):
        """As `Network.output_z`, computed from the nonzero pixels only."""
        out = np.empty((len(x), self.w2.shape[0]), self.dtype)
        output_z(self.w1t, self.b1, self.w2t, self.net.biases[1], self.hidden,
                 self.dtype.type(1 - self.net.dropout), self.act, *csr_of(x, self.sparse), out)
        return out

    def momentum_state(self, momentum):
        """The velocities (zeros on first use), or empty arrays for plain SGD."""
        if not momentum:
            return (np.zeros((0, 0), self.dtype), np.zeros(0, self.dtype),
                    np.zeros((0, 0), self.dtype), np.zeros(0, self.dtype))
        if self.velocities is None:
            self.velocities = (np.zeros_like(self.w1t), np.zeros_like(self.b1),
                               np.zeros_like(self.w2), np.zeros_like(self.net.biases[1]))
        return self.velocities

    def sgd_epoch(self, x, labels, order, eta, lmbda, regularization="l2", m=10, masks=None,
                  momentum=0.0):
        """As `Network.sgd_epoch`; x must be the array this engine was built for."""
        if x is not self.x:
            raise ValueError("FastNetwork trains only on the inputs it was built with")
        t = self.dtype.type
        n = len(order)
        last = n % m or m
        decay = t(1 - eta * lmbda / n) if regularization == "l2" else t(1)
        l1_step = t(eta * lmbda / n) if regularization == "l1" else t(0)
        l2_step = t(eta * lmbda / n) if regularization == "l2" else t(0)
        if masks is None:
            masks = np.zeros((0, self.hidden), dtype=np.bool_)
        else:
            (masks,) = masks
        sgd_epoch(self.w1t, self.b1, self.w2, self.w2t, self.net.biases[1], self.hidden,
                  *self.csr, labels, order, masks, t(eta / m), t(eta / last), decay, l1_step,
                  m, self.act, self.cost_code, t(momentum), l2_step,
                  *self.momentum_state(momentum))
        # hand the trained parameters back in the book's layout for evaluation
        h = self.hidden
        self.net.weights[0][...] = self.w1t[:, :h].T
        self.net.weights[1][...] = self.w2[:, :h]
        self.net.biases[0][...] = self.b1[:h]
