"""Time the SVM baseline's fit and predict under options that must not change the model.

    python benchmarks/svm_options.py --sizes 10000 --options dense sparse pairwise ...

For each training size and option: SVC(C=1, gamma=1/784) fitted on the first N training
images (libsvm options: input form, cache size, shrinking; or `pairwise`, nndl3.svm.fit),
CPU seconds of fit and predict (process time, robust to other jobs on the machine), the
number of support vectors, a digest of an SVC's model, and whether the predictions on the
validation set are identical to those of the reference option (`dense`, the baseline:
C-contiguous float64, cache 2000 MB, shrinking on). SVC models predict by matrix products
(`predict_svc`, the baseline's former predict, checked against libsvm's). Predictions are
kept in --cache (one .npy per size and option), so a later call compares with an earlier
one without refitting."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.svm import SVC

from nndl3 import arguments, atomic, mnist, paths, readers, svm
from nndl3.errors import UserError, exit_status

# name: (input form, SVC keyword arguments); C and gamma are always the book's.
OPTIONS = {
    "dense": ("dense", {"cache_size": 2000}),
    "dense_cache200": ("dense", {"cache_size": 200}),
    "dense_cache8000": ("dense", {"cache_size": 8000}),
    "dense_noshrink": ("dense", {"cache_size": 2000, "shrinking": False}),
    "sparse": ("csr", {"cache_size": 2000}),
    "sparse_cache200": ("csr", {"cache_size": 200}),
    "sparse_cache8000": ("csr", {"cache_size": 8000}),
    "sparse_noshrink": ("csr", {"cache_size": 2000, "shrinking": False}),
    "dense_f32": ("f32", {"cache_size": 2000}),
    "dense_fortran": ("fortran", {"cache_size": 2000}),
    "pairwise": ("pairwise", {}),  # nndl3.svm.fit: the 45 pairs on precomputed kernels
}


def inputs(x, form):
    if form == "csr":
        return sp.csr_matrix(x)
    if form == "pairwise":
        return x
    if form == "f32":
        return x.astype(np.float32)
    if form == "fortran":
        return np.asfortranarray(x)
    return np.ascontiguousarray(x)


def predict_svc(clf: SVC, x, chunk: int = 1000) -> np.ndarray:
    """clf.predict(x) for an RBF SVC, with the kernel matrix computed by matrix products.

    libsvm evaluates K(x, sv) one pair at a time, which took 108 s of the 50,000-image
    baseline's 390 s; the products take seconds. The decision is libsvm's one-vs-one vote:
    pair (i, j) votes i when its decision value is > 0, else j; ties go to the lower class.
    Only rounding differs from libsvm, so a prediction could change only where a decision
    value is within ~1e-12 of zero (tests compare the two)."""
    if clf.kernel != "rbf":
        raise ValueError(f"predict handles the RBF kernel only, not {clf.kernel!r}")
    sv = dense(clf.support_vectors_)
    sv_sq = np.einsum("ij,ij->i", sv, sv)
    bounds = np.concatenate([[0], np.cumsum(clf.n_support_)])
    n_class = len(clf.classes_)
    pairs = [(i, j) for i in range(n_class) for j in range(i + 1, n_class)]
    votes_for = np.array(pairs)
    out = np.empty(x.shape[0], dtype=clf.classes_.dtype)
    for start in range(0, x.shape[0], chunk):
        xc = dense(x[start:start + chunk])
        sq = np.einsum("ij,ij->i", xc, xc)
        # ||x - sv||^2 = |x|^2 + |sv|^2 - 2 x.sv, clipped at 0 against cancellation
        d2 = np.maximum(sq[:, None] + sv_sq[None, :] - 2 * (xc @ sv.T), 0)
        kernel = np.exp(-clf._gamma * d2)
        # per class c: its support vectors' terms for every pair, sum_k coef[:, k] K[:, k]
        part = [kernel[:, bounds[c]:bounds[c + 1]] @ clf.dual_coef_[:, bounds[c]:bounds[c + 1]].T
                for c in range(n_class)]
        decision = np.stack([part[i][:, j - 1] + part[j][:, i] for i, j in pairs], axis=1)
        decision += clf.intercept_
        winner = np.where(decision > 0, votes_for[:, 0], votes_for[:, 1])
        votes = np.zeros((len(xc), n_class), dtype=np.int64)
        np.add.at(votes, (np.arange(len(xc))[:, None], winner), 1)
        out[start:start + len(xc)] = clf.classes_[np.argmax(votes, axis=1)]
    return out


def dense(x) -> np.ndarray:
    """x (a NumPy array or a SciPy sparse matrix) as a float64 NumPy array."""
    return np.asarray(x.toarray() if hasattr(x, "toarray") else x, dtype=np.float64)


def model_digest(clf) -> str:
    """A digest of the fitted model (support indices, dual coefficients, intercepts): equal
    digests mean a bit-identical model, not just the same predictions."""
    h = hashlib.sha1()
    for a in (clf.support_, clf.dual_coef_, clf.intercept_):
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:12]


def cached(path: Path) -> np.ndarray:
    """A prediction an earlier call kept; a broken one is named, with what to do."""
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise UserError(f"{path}: not a kept prediction ({readers.numpy_file_reason(exc, False)})"
                        "; delete it, and the call that compares with it makes it again") from None


def main(argv=None):
    p = arguments.script_parser(__doc__)
    p.add_argument("--sizes", type=arguments.positive, nargs="+", required=True)
    p.add_argument("--options", nargs="+", default=list(OPTIONS), choices=list(OPTIONS))
    p.add_argument("--data", default=paths.DATA)
    p.add_argument("--cache", type=arguments.output_folder, default=Path(paths.SVM_OPTIONS_CACHE))
    p.add_argument("--sklearn-predict", action="store_true",
                   help="also time and compare scikit-learn's own predict")
    args = p.parse_args(argv)
    if too_many := [n for n in args.sizes if n > mnist.N_TRAIN]:
        p.error(f"--sizes: {too_many[0]}: at most {mnist.N_TRAIN:,}, the training images")
    data = mnist.load(args.data, np.float64)
    x, y = data["train"]
    xv, yv = data["validation"]
    for n in args.sizes:
        for name in args.options:
            form, kwargs = OPTIONS[name]
            xn = inputs(x[:n], form)
            c0, w0 = time.process_time(), time.perf_counter()
            if form == "pairwise":
                model = svm.fit(x[:n], y[:n], svm.BOOK_ERA["C"], svm.BOOK_ERA["gamma"])
            else:
                clf = SVC(**svm.BOOK_ERA, **kwargs).fit(xn, y[:n])
            c1, w1 = time.process_time(), time.perf_counter()
            xe = inputs(xv, form) if form == "csr" else xv
            pred = svm.predict(model, xe) if form == "pairwise" else predict_svc(clf, xe)
            c2 = time.process_time()
            row = {"n": n, "option": name, "fit_cpu": round(c1 - c0, 2),
                   "fit_wall": round(w1 - w0, 2), "predict_cpu": round(c2 - c1, 2),
                   "n_support": len(model.support) if form == "pairwise"
                   else int(clf.n_support_.sum()), "accuracy": float(np.mean(pred == yv))}
            if form != "pairwise":
                row["model_sha1"] = model_digest(clf)
            if args.sklearn_predict and form != "pairwise":
                ref = clf.predict(xe)
                row["predict_cpu_sklearn"] = round(time.process_time() - c2, 2)
                row["same_as_sklearn"] = bool(np.array_equal(ref, pred))
            with atomic.atomic_path(args.cache / f"{n}-{name}.npy", suffix=".npy") as tmp:
                np.save(tmp, pred)
            base = args.cache / f"{n}-dense.npy"
            if base.exists():
                dense = cached(base)
                row["identical_to_dense"] = bool(np.array_equal(dense, pred))
                row["n_differ"] = int(np.sum(dense != pred))
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    raise SystemExit(exit_status(main))
