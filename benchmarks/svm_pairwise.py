"""Experimental: the one-vs-one SVC as its 45 binary problems on precomputed RBF kernels.

libsvm trains class pair (i, j) on the images of classes i then j, in their order, with
labels +1 / -1; the binary SVC on those images is the same problem. Kernel values between
two images of one class are needed by the 9 problems of that class, and libsvm computes
them in each; here each block of the kernel matrix is computed once, by matrix products,
and rounded to float32, as libsvm stores it (Qfloat). The diagonal is exactly 1, as in
libsvm. Rounding of the products may differ from libsvm's dot products in the last bits.
"""

from __future__ import annotations

import numpy as np
from sklearn.svm import SVC


def rbf(xa, sa, xb, sb, gamma):
    d2 = sa[:, None] + sb[None, :] - 2 * (xa @ xb.T)
    return np.exp(-gamma * d2).astype(np.float32)


def fit(x, y, C=1.0, gamma=1 / 784, cache_size=2000):
    x = np.ascontiguousarray(x, dtype=np.float64)
    classes = np.unique(y)
    idx = [np.flatnonzero(y == c) for c in classes]
    xs = [x[i] for i in idx]
    sq = [np.einsum("ij,ij->i", a, a) for a in xs]
    diag = {}
    for c in range(len(classes)):
        k = rbf(xs[c], sq[c], xs[c], sq[c], gamma)
        np.fill_diagonal(k, 1.0)
        diag[c] = k
    models = {}
    for i in range(len(classes)):
        for j in range(i + 1, len(classes)):
            ni, nj = len(idx[i]), len(idx[j])
            k = np.empty((ni + nj, ni + nj))
            kij = rbf(xs[i], sq[i], xs[j], sq[j], gamma)
            k[:ni, :ni], k[ni:, ni:] = diag[i], diag[j]
            k[:ni, ni:], k[ni:, :ni] = kij, kij.T
            labels = np.concatenate([np.zeros(ni, int), np.ones(nj, int)])
            clf = SVC(kernel="precomputed", C=C, cache_size=cache_size).fit(k, labels)
            rows = np.concatenate([idx[i], idx[j]])[clf.support_]
            # sklearn's binary sign: decision > 0 means the second class (j)
            models[i, j] = (rows, clf.dual_coef_[0].copy(), float(clf.intercept_[0]))
    return {"classes": classes, "models": models, "gamma": gamma, "x": x}


def predict(model, xe, chunk=1000):
    x, gamma, classes = model["x"], model["gamma"], model["classes"]
    used = np.unique(np.concatenate([m[0] for m in model["models"].values()]))
    sv = x[used]
    where = {r: k for k, r in enumerate(used)}
    sv_sq = np.einsum("ij,ij->i", sv, sv)
    out = np.empty(len(xe), dtype=classes.dtype)
    for start in range(0, len(xe), chunk):
        xc = np.asarray(xe[start:start + chunk], dtype=np.float64)
        sq = np.einsum("ij,ij->i", xc, xc)
        kernel = np.exp(-gamma * np.maximum(sq[:, None] + sv_sq[None, :] - 2 * (xc @ sv.T), 0))
        votes = np.zeros((len(xc), len(classes)), dtype=np.int64)
        for (i, j), (rows, coef, b) in model["models"].items():
            cols = np.array([where[r] for r in rows])
            dec = kernel[:, cols] @ coef + b
            votes[np.arange(len(xc)), np.where(dec < 0, i, j)] += 1
        out[start:start + len(xc)] = classes[np.argmax(votes, axis=1)]
    return out
