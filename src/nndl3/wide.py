"""Mini-batch SGD for wide networks, [784, 800, 10] and deeper: the literature runs' engine.

The chapter's cited results (Simard 2003, Hinton 2012) train networks of 800 hidden
neurons and more for hundreds of epochs; `network.Network` takes seconds an epoch for
them (benchmarks/wide.py). This engine exploits the lever the 30-unit kernel (`fast`) uses
too: most of MNIST's pixels are zero, and a zero pixel adds nothing to the first layer's
weighted inputs nor to its weight gradient. The first layer therefore reads and writes only
the rows of W1 (stored transposed, w1t: (n_in, n1)) that belong to nonzero pixels, held in
CSR form (`fast.to_csr`, the one piece shared with that engine). Everything after the first
layer is dense, small next to it for [784, 800, 10], and left to NumPy (BLAS).

What the literature runs need beyond the book's SGD, each off by default: momentum whose
mu changes per epoch (passed per epoch) with Hinton's damped form v <- mu v - (1 - mu) eta g,
a max-norm bound on each hidden neuron's incoming weight vector (and optionally each
output neuron's), dropout of hidden neurons and of input pixels drawn per training example
(Hinton's), not per mini-batch (the book's `dropout` option). Sigmoid hidden neurons,
sigmoid outputs with the cross-entropy cost.

It is not bit-identical to `Network`: it sums the first layer over nonzero pixels only and
in another order; it agrees to float32 rounding (tests/test_wide.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit

from .fast import aligned_zeros, to_csr

ALL_KEPT = np.ones(0, np.bool_)  # input dropout's flags when it drops nothing


def aligned(array, dtype=None):
    """A C-contiguous copy of `array` starting on a cache line (fast.aligned_zeros). As
    NumPy places them (anywhere on 16 bytes), rows of w1t off the line split most vector
    loads in two: an epoch took up to a quarter longer, by chance, from one network to the
    next."""
    out = aligned_zeros(np.shape(array), dtype or np.asarray(array).dtype)
    out[...] = array
    return out


@dataclass(frozen=True)
class WideOptions:
    mini_batch: int = 10
    max_norm: float = 0.0  # bound on the squared length of a hidden neuron's incoming weights
    max_norm_output: bool = False  # the output neurons' incoming weights bounded too
    dropout: float = 0.0  # hidden neurons, per example
    input_dropout: float = 0.0  # pixels, per example
    damped_momentum: bool = False  # Hinton's v <- mu v - (1 - mu) eta g, else the book's


@njit(cache=True, nogil=True)
def batch_by_pixel(indptr, indices, values, rows, keep, n_in):
    """The batch's kept nonzero pixels grouped by pixel (CSC of the batch): for pixel i,
    entries start[i]:start[i + 1] of (image in the batch, value). Going pixel by pixel, a
    row of w1t is read (and written) once per batch, not once per image that has the pixel:
    about 4 times less traffic to W1 for 10 images (it does not fit in L1, the batch does).
    keep: a flag per nonzero of the batch (input dropout), or empty: every one kept."""
    start = np.zeros(n_in + 1, np.int64)
    every = keep.shape[0] == 0
    k = 0
    for e in range(rows.shape[0]):
        for p in range(indptr[rows[e]], indptr[rows[e] + 1]):
            if every or keep[k]:
                start[indices[p] + 1] += 1
            k += 1
    for i in range(n_in):
        start[i + 1] += start[i]
    fill = start[:-1].copy()
    image = np.empty(start[n_in], np.int64)
    value = np.empty(start[n_in], values.dtype)
    k = 0
    for e in range(rows.shape[0]):
        for p in range(indptr[rows[e]], indptr[rows[e] + 1]):
            if every or keep[k]:
                i = indices[p]
                image[fill[i]] = e
                value[fill[i]] = values[p]
                fill[i] += 1
            k += 1
    return start, image, value


# fastmath "contract" only: a * b + c may become one fused multiply-add (no reordering of
# sums, no assumptions about NaN or infinities)
FASTMATH = {"contract"}


@njit(cache=True, nogil=True, fastmath=FASTMATH)
def sparse_forward(z1, b1, w1t, indptr, indices, values, rows):
    """z1[e] = b1 + sum over the nonzero pixels i of image rows[e] of x_ei * w1t[i], eight
    pixels at a time: one load and store of z1[e] per eight rows of w1t, not per row (four
    at a time was measured slower)."""
    for e in range(rows.shape[0]):
        r = rows[e]
        z = z1[e]
        z[:] = b1
        p, end = indptr[r], indptr[r + 1]
        while p + 8 <= end:
            v0, v1, v2, v3 = values[p], values[p + 1], values[p + 2], values[p + 3]
            v4, v5, v6, v7 = values[p + 4], values[p + 5], values[p + 6], values[p + 7]
            r0, r1 = w1t[indices[p]], w1t[indices[p + 1]]
            r2, r3 = w1t[indices[p + 2]], w1t[indices[p + 3]]
            r4, r5 = w1t[indices[p + 4]], w1t[indices[p + 5]]
            r6, r7 = w1t[indices[p + 6]], w1t[indices[p + 7]]
            for j in range(z.shape[0]):
                z[j] += ((v0 * r0[j] + v1 * r1[j] + v2 * r2[j] + v3 * r3[j])
                         + (v4 * r4[j] + v5 * r5[j] + v6 * r6[j] + v7 * r7[j]))
            p += 8
        for t in range(p, end):
            v0, r0 = values[t], w1t[indices[t]]
            for j in range(z.shape[0]):
                z[j] += v0 * r0[j]


@njit(cache=True, nogil=True, fastmath=FASTMATH)
def sparse_step(target, step, d1, indptr, indices, values, rows, keep):
    """target[i] -= step * sum_e x_ei d1[e]: the first layer's weight gradient, applied to
    the rows of the batch's kept nonzero pixels only (target: w1t, or its velocity); pixel
    by pixel (batch_by_pixel), four images at a time: one load and store of a row of w1t
    per four images that have its pixel."""
    start, image, value = batch_by_pixel(indptr, indices, values, rows, keep, target.shape[0])
    for i in range(start.shape[0] - 1):
        q, end = start[i], start[i + 1]
        if q == end:
            continue
        row = target[i]
        while q + 4 <= end:
            s0, s1 = step * value[q], step * value[q + 1]
            s2, s3 = step * value[q + 2], step * value[q + 3]
            d0, d1_, d2, d3 = d1[image[q]], d1[image[q + 1]], d1[image[q + 2]], d1[image[q + 3]]
            for j in range(row.shape[0]):
                row[j] -= s0 * d0[j] + s1 * d1_[j] + s2 * d2[j] + s3 * d3[j]
            q += 4
        for t in range(q, end):
            s0, d0 = step * value[t], d1[image[t]]
            for j in range(row.shape[0]):
                row[j] -= s0 * d0[j]


# the output layer's dot products may be summed in any (fixed) order: vectorized
DOT_FASTMATH = {"contract", "reassoc"}


@njit(cache=True, nogil=True, fastmath=DOT_FASTMATH)
def output_step(a1, w2, b1, b2, labels, rows, step, d1):
    """The rest of a plain SGD step of a one-hidden-layer network, in one call (as NumPy
    calls, a dozen per mini-batch cost a fifth of the epoch): the output layer's
    deltas d2 = sigmoid(a1 W2^T + b2) - y, the hidden layer's into d1 = (d2 W2) a1 (1 - a1),
    then W2 -= step d2^T a1, b2 -= step sum d2, b1 -= step sum d1 (W1's own step, sparse, is
    sparse_step's)."""
    m, hidden = a1.shape
    n_out = w2.shape[0]
    d2 = np.empty((m, n_out), a1.dtype)
    for e in range(m):
        a = a1[e]
        for k in range(n_out):
            z = b2[k]
            w = w2[k]
            for j in range(hidden):
                z += a[j] * w[j]
            d2[e, k] = 1 / (1 + np.exp(-z)) - (1 if k == labels[rows[e]] else 0)
        d = d1[e]
        d[:] = 0
        for k in range(n_out):
            g, w = d2[e, k], w2[k]
            for j in range(hidden):
                d[j] += g * w[j]
        for j in range(hidden):
            d[j] *= a[j] * (1 - a[j])
    for k in range(n_out):
        w = w2[k]
        total = 0.0
        for e in range(m):
            g = step * d2[e, k]
            total += d2[e, k]
            a = a1[e]
            for j in range(hidden):
                w[j] -= g * a[j]
        b2[k] -= step * total
    for e in range(m):
        d = d1[e]
        for j in range(hidden):
            b1[j] -= step * d[j]


@njit(cache=True, nogil=True)
def batch_kept(indptr, indices, values, rows, keep):
    """The batch's images as their own CSR, without the dropped pixels (input dropout)."""
    ptr = np.zeros(rows.shape[0] + 1, np.int64)
    idx = np.empty(keep.shape[0], indices.dtype)
    val = np.empty(keep.shape[0], values.dtype)
    k = n = 0
    for e in range(rows.shape[0]):
        for p in range(indptr[rows[e]], indptr[rows[e] + 1]):
            if keep[k]:
                idx[n], val[n] = indices[p], values[p]
                n += 1
            k += 1
        ptr[e + 1] = n
    return ptr, idx[:n], val[:n]


def batch_nonzeros(indptr, rows) -> int:
    return int(np.sum(indptr[rows + 1] - indptr[rows]))


def sigmoid(z):
    """float32 in, float32 out; exp of a large -z gives inf and 1/(1+inf) = 0, as it should
    (the callers silence that overflow once, not per mini-batch)."""
    return 1 / (1 + np.exp(-z))


def sigmoid_into(z, out):
    """sigmoid(z) written into `out`: the same four ufuncs, without their temporaries."""
    np.negative(z, out=out)
    np.exp(out, out=out)
    np.add(out, 1, out=out)
    np.divide(1, out, out=out)


class WideNetwork:
    """Weights (book layout, (n_out, n_in)) and biases of a [n_in, n1, ..., n_out] network,
    trained in place; `weights` gives them in the book's layout again."""

    def __init__(self, weights, biases, options: WideOptions = WideOptions()):
        dtype = weights[0].dtype
        self.options = options
        self.w1t = aligned(weights[0].T)
        self.rest = [aligned(w) for w in weights[1:]]
        self.biases = [aligned(b, dtype) for b in biases]
        self.velocity = None
        self.dtype = dtype

    @property
    def weights(self):
        return [self.w1t.T] + self.rest

    def params(self):
        """The arrays stepped, first layer transposed: (w1t, W2, ..., b1, b2, ...)."""
        return [self.w1t, *self.rest, *self.biases]

    # ------------------------------------------------------------ forward and gradient

    def hidden_outputs(self, images, rows, hidden_masks):
        """The activations of every layer for the images `rows` of the CSR `images`:
        [a1, ..., output]."""
        z1 = np.empty((len(rows), self.w1t.shape[1]), self.dtype)
        sparse_forward(z1, self.biases[0], self.w1t, *images, rows)
        a = sigmoid(z1)
        if hidden_masks is not None:
            a *= hidden_masks[0]
        outs = [a]
        for layer, (w, b) in enumerate(zip(self.rest, self.biases[1:], strict=True)):
            a = sigmoid(a @ w.T + b)
            if hidden_masks is not None and layer + 1 < len(self.rest):
                a *= hidden_masks[layer + 1]
            outs.append(a)
        return outs

    def deltas(self, outs, y):
        """dC/dz of each layer (cross-entropy, sigmoid output: a - y at the output)."""
        delta = outs[-1] - y
        deltas = [delta]
        for layer in range(len(self.rest) - 1, -1, -1):
            a = outs[layer]  # a dropped neuron has a = 0, so a (1 - a) = 0 passes nothing back
            delta = (delta @ self.rest[layer]) * a * (1 - a)
            deltas.append(delta)
        return deltas[::-1]

    # ------------------------------------------------------------ one mini-batch

    def step(self, csr, labels, rows, eta, momentum, rng):
        """One SGD step on the images `rows`: gradients at the current weights, then the
        update. rng (the run's dropout stream) draws the masks, if any."""
        o = self.options
        indptr, indices, values = csr
        m = len(rows)
        keep_in = self.input_keep(indptr, rows, rng)
        pixels = (indptr, indices, values, rows, keep_in)
        images, image_rows = csr, rows
        if self.options.input_dropout:
            images, image_rows = batch_kept(*csr, rows, keep_in), np.arange(m)
        masks = self.hidden_masks(m, rng)
        step = self.dtype.type(eta * (1 - momentum if o.damped_momentum else 1) / m)
        if len(self.rest) == 1 and masks is None and not momentum:
            self.plain_step(images, image_rows, labels, rows, step, pixels)
        else:
            self.general_step(images, image_rows, labels, rows, step, pixels, masks, momentum)
        if o.max_norm:
            self.bound_norms()

    def plain_step(self, images, image_rows, labels, rows, step, pixels, buffers=None):
        """One hidden layer, no dropout, no momentum (Simard's runs): the dense part in one
        compiled call (output_step). buffers: (z1, a1) of the batch's shape, on cache lines,
        reused over an epoch (plain_epoch); by default made here."""
        shape = (len(rows), self.w1t.shape[1])
        z1, a1 = buffers or (aligned_zeros(shape, self.dtype), aligned_zeros(shape, self.dtype))
        sparse_forward(z1, self.biases[0], self.w1t, *images, image_rows)
        sigmoid_into(z1, a1)
        d1 = z1  # z1 is spent: its memory takes the hidden deltas
        output_step(a1, self.rest[0], self.biases[0], self.biases[1], labels, rows, step, d1)
        sparse_step(self.w1t, step, d1, *pixels)

    def general_step(self, images, image_rows, labels, rows, step, pixels, masks, momentum):
        """Any depth, dropout masks, momentum: layer by layer in NumPy."""
        m = len(rows)
        outs = self.hidden_outputs(images, image_rows, masks)
        y = np.zeros((m, outs[-1].shape[1]), self.dtype)
        y[np.arange(m), labels[rows]] = 1
        deltas = self.deltas(outs, y)
        if momentum:
            self.momentum_step(pixels, outs, deltas, step, momentum)
        else:
            sparse_step(self.w1t, step, deltas[0], *pixels)
            for layer, w in enumerate(self.rest):
                w -= step * (deltas[layer + 1].T @ outs[layer])
            for b, d in zip(self.biases, deltas, strict=True):
                b -= step * d.sum(axis=0)

    def momentum_step(self, pixels, outs, deltas, step, mu):
        """v <- mu v - step g, w <- w + v, for every parameter; the first layer's gradient is
        sparse, its velocity (and so its update) dense."""
        params = self.params()
        if self.velocity is None:
            self.velocity = [aligned_zeros(p.shape, p.dtype) for p in params]
        mu = self.dtype.type(mu)
        for v in self.velocity:
            v *= mu
        v = self.velocity
        sparse_step(v[0], step, deltas[0], *pixels)
        n_rest = len(self.rest)
        for layer in range(n_rest):
            v[1 + layer] -= step * (deltas[layer + 1].T @ outs[layer])
        for i, d in enumerate(deltas):
            v[1 + n_rest + i] -= step * d.sum(axis=0)
        for p, vp in zip(params, v, strict=True):
            p += vp

    def bound_norms(self):
        """Hinton's max-norm: a hidden neuron (with max_norm_output, an output neuron too)
        whose incoming weight vector (bias excluded) has squared length above the bound is
        scaled back onto it."""
        bound = self.options.max_norm
        output = self.options.max_norm_output
        if self.rest or output:  # in [784, 10], w1t is the output layer
            squared = np.einsum("ij,ij->j", self.w1t, self.w1t)
            over = squared > bound
            if over.any():
                self.w1t[:, over] *= np.sqrt(bound / squared[over]).astype(self.dtype)
        for w in self.rest if output else self.rest[:-1]:
            squared = np.einsum("ij,ij->i", w, w)
            over = squared > bound
            if over.any():
                w[over] *= np.sqrt(bound / squared[over]).astype(self.dtype)[:, None]

    def input_keep(self, indptr, rows, rng):
        """Which of the batch's nonzero pixels input dropout keeps; none dropped: empty."""
        if not self.options.input_dropout:
            return ALL_KEPT
        return rng.random(batch_nonzeros(indptr, rows)) >= self.options.input_dropout

    def hidden_masks(self, m, rng):
        if not self.options.dropout:
            return None
        return [(rng.random((m, w.shape[1])) >= self.options.dropout).astype(self.dtype)
                for w in self.rest]

    # ------------------------------------------------------------ epochs and evaluation

    def sgd_epoch(self, csr, labels, order, eta, momentum=0.0, rng=None):
        """One pass over the images in `order` (CSR form of the training inputs)."""
        m = self.options.mini_batch
        with np.errstate(over="ignore"):
            if self.is_plain(momentum):
                self.plain_epoch(csr, labels, order, eta)
                return
            for start in range(0, len(order), m):
                self.step(csr, labels, order[start:start + m], eta, momentum, rng)

    def is_plain(self, momentum) -> bool:
        """One hidden layer, no dropout, no momentum: what `step` hands to plain_step."""
        o = self.options
        return len(self.rest) == 1 and not (o.dropout or o.input_dropout or momentum)

    def plain_epoch(self, csr, labels, order, eta):
        """`step` for every mini-batch of a plain epoch (plain_step), with the Python around
        the kernels cut to the calls and one pair of buffers for the epoch (the Python of a
        step was a measurable share of Simard's epoch)."""
        m = self.options.mini_batch
        full = [aligned_zeros((m, self.w1t.shape[1]), self.dtype) for _ in range(2)]
        for start in range(0, len(order), m):
            rows = order[start:start + m]
            buffers = full if len(rows) == m else [b[:len(rows)] for b in full]
            self.plain_step(csr, rows, labels, rows, self.dtype.type(eta / len(rows)),
                            (*csr, rows, ALL_KEPT), buffers)
            if self.options.max_norm:
                self.bound_norms()

    def output_z(self, x, chunk=2000):
        """Output layer's weighted inputs at test time: with dropout, each layer's inputs are
        scaled by their keep probability (Hinton's halved outgoing weights)."""
        keep_in = self.dtype.type(1 - self.options.input_dropout)
        keep = self.dtype.type(1 - self.options.dropout)
        with np.errstate(over="ignore"):
            out = [self.chunk_z(x[start:start + chunk], keep_in, keep)
                   for start in range(0, len(x), chunk)]
        return np.concatenate(out)

    def chunk_z(self, x, keep_in, keep):
        a = sigmoid(x @ self.w1t * keep_in + self.biases[0])
        for w, b in zip(self.rest, self.biases[1:], strict=True):
            z = (a * keep) @ w.T + b
            a = sigmoid(z)
        return z

    def accuracy(self, x, labels) -> float:
        return float(np.mean(np.argmax(self.output_z(x), axis=1) == labels))


def csr(x):
    """The CSR form (indptr, indices, values) of the rows of x."""
    return to_csr(x)
