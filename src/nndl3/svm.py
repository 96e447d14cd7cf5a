"""The SVM baseline of the "more data" section: scikit-learn's SVC with the book-era defaults.

SVC's one-vs-one classifier is libsvm's 45 binary problems, one per pair of digits: pair
(i, j) is trained on the images of digit i then those of digit j, in their order, labels
+1 / -1. `fit` solves the same 45 problems with libsvm (SVC, kernel="precomputed"), but
computes the RBF kernel of each pair of digits once, in blocks (nndl3.svm_kernel): libsvm computes
the kernel of two images of one digit anew in each of that digit's 9 problems, one dot
product at a time (what the fits cost: docs/performance.md's generated block). The
kernel is handed to libsvm rounded to float32, as libsvm stores it, with an exact 1 on the
diagonal, as libsvm computes it; only the last bits of the dot products differ.
tests/test_svm.py checks that the support vectors and predictions are libsvm's;
benchmarks/svm_options.py does on MNIST.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

import numpy as np

from . import atomic, mnist, readers
from .errors import UserError

# RBF kernel, C = 1, gamma = 1/n_features: scikit-learn's defaults when the book was written
# (today's default gamma="scale" gives different, higher accuracies).
BOOK_ERA = {"kernel": "rbf", "C": 1.0, "gamma": 1 / 784}
# The book's copy of MNIST (mnist.pkl.gz) stores pixel / 256, not / 255. With a fixed gamma
# the scale matters: the check's svm_* rows hold the fits to the book's published
# accuracies (book_runs/more_data_svm.json) to the image.
PIXEL_DIVISOR = mnist.BOOK_PIXEL_DIVISOR
# The environment the workflow runs the SVM jobs in. NumPy asks the kernel to back large
# arrays with 2 MB pages, and a fit writes fresh arrays of a gigabyte; where the first
# touch of a huge page is slow, as on the virtual machine the project is developed on,
# that costs more system time than 4 kB pages do. The same bits either way:
# benchmarks/svm_hugepages.py times and compares both on the machine at hand.
JOB_ENV = {"NUMPY_MADVISE_HUGEPAGE": "0"}


@dataclass
class OneVsOne:
    """The fitted classifier: its support vectors and, per pair (i, j) of class indices,
    which of them it uses, their coefficients and the intercept (scikit-learn's binary
    sign: a decision > 0 means class j)."""

    classes: np.ndarray
    gamma: float
    support: np.ndarray  # indices into the training set
    vectors: np.ndarray
    pairs: list  # (i, j, columns of `vectors`, coefficients, intercept)


def run(data: dict, train_size: int, evaluation: str, gamma=None,
        score=(), solved=None) -> dict:
    """Fit the SVM on the first `train_size` training images, score it on the evaluation set
    (`accuracy`) and, from the same fit, on the sets named in `score` (`scores`: chapter 1's
    default SVM is the 50,000-image fit scored on the test set). solved: the fit's pair
    problems already solved, by parts (`solve`, `load_parts`)."""
    x, y = data["train"]
    params = {**BOOK_ERA, **({"gamma": gamma} if gamma is not None else {})}
    start, cpu_start = time.perf_counter(), time.process_time()
    if solved is None:
        model = fit(x[:train_size], y[:train_size], params["C"], params["gamma"])
    else:
        model = model_of(x[:train_size], y[:train_size], params["gamma"], solved)
    fitted, cpu_fitted = time.perf_counter(), time.process_time()
    xe, ye = data[evaluation]
    accuracy = float(np.mean(predict(model, xe) == ye))
    result = {"train_size": train_size, "evaluation": evaluation, "params": params,
              "pixel_divisor": PIXEL_DIVISOR,
              "accuracy": accuracy, "n_support": len(model.support),
              "fit_seconds": fitted - start, "predict_seconds": time.perf_counter() - fitted,
              "cpu_seconds": {"fit": cpu_fitted - cpu_start,
                              "predict": time.process_time() - cpu_fitted}}
    if score:
        cpu_scored = time.process_time()
        result["scores"] = {}
        for name in score:
            xs, ys = data[name]
            correct = int(np.sum(predict(model, xs) == ys))
            result["scores"][name] = {"correct": correct, "of": len(ys),
                                      "accuracy": correct / len(ys)}
        result["cpu_seconds"]["score"] = time.process_time() - cpu_scored
    return result


def fit(x, y, C: float, gamma: float, cache_size: int = 2000) -> OneVsOne:
    """SVC(kernel="rbf", C=C, gamma=gamma).fit(x, y), solved pair by pair (module docstring)."""
    return model_of(x, y, gamma, solve(x, y, C, gamma, cache_size=cache_size))


def class_pairs(y) -> list[tuple[int, int]]:
    """The one-vs-one problems (i, j), i < j, of the classes of y, in libsvm's order."""
    n = len(np.unique(y))
    return [(i, j) for i in range(n) for j in range(i + 1, n)]


def part_of(pairs: list, part: int, parts: int) -> list:
    """The pairs one of `parts` jobs solves (`partition`)."""
    return partition(pairs, parts)[part]


def partition(pairs: list, parts: int) -> list[list]:
    """`pairs` in `parts` groups of equal size (to one pair), each touching few digits: a
    job computes the within-digit kernel of every digit its pairs touch. From every
    parts-th pair (45 digit-kernels for 10 digits in 5 parts), two pairs of two groups are
    swapped while that lowers the count (28): a local search, the same on every machine."""
    groups = [pairs[k::parts] for k in range(parts)]

    def digits(group):
        return len({c for pair in group for c in pair})

    swapped = True
    while swapped:
        swapped = False
        for a, b in itertools.combinations(range(parts), 2):
            for i, j in itertools.product(range(len(groups[a])), range(len(groups[b]))):
                ga, gb = groups[a].copy(), groups[b].copy()
                ga[i], gb[j] = gb[j], ga[i]
                if digits(ga) + digits(gb) < digits(groups[a]) + digits(groups[b]):
                    groups[a], groups[b], swapped = ga, gb, True
    return [sorted(group) for group in groups]


def solve(x, y, C: float, gamma: float, pairs=None, cache_size: int = 2000) -> list:
    """The pair problems `pairs` (default: all) of SVC(C, gamma) on (x, y), each solved by
    libsvm on its precomputed kernel: (i, j, training rows used, coefficients, intercept).
    A pair's solution does not depend on which others are solved with it, so a fit split
    over jobs by `part_of` is the same fit, to the bit."""
    # imported here: it costs most of a second, and every Snakemake start imports this
    # module (for the names of the baselines)
    from sklearn.svm import SVC

    from . import svm_kernel

    classes = np.unique(y)
    if len(classes) < 2:
        raise UserError(f"the first {len(y)} training images are all {classes[0]}s: the SVM "
                        "separates two digits at least (train it on more)")
    pairs = class_pairs(y) if pairs is None else pairs
    order = np.argsort(y, kind="stable")  # each digit's images, in their order
    ends = np.cumsum([np.sum(y == c) for c in classes])
    rows = np.split(order, ends[:-1])
    pixels = svm_kernel.Pixels.of(x, order)
    digits = [pixels.rows(end - len(r), end) for r, end in zip(rows, ends, strict=True)]
    within = {}
    for c in sorted({c for pair in pairs for c in pair}):
        k = svm_kernel.within(digits[c], gamma)
        np.fill_diagonal(k, 1.0)  # libsvm: |a|^2 + |a|^2 - 2|a|^2 = 0 exactly
        within[c] = k
    solved = []
    sizes = sorted(map(len, rows))
    buffer = np.empty((sizes[-1] + sizes[-2]) ** 2)  # one for all pairs: no page faults
    for i, j in pairs:
        ni, nj = len(rows[i]), len(rows[j])
        kernel = buffer[:(ni + nj) ** 2].reshape(ni + nj, ni + nj)
        kernel[:ni, :ni], kernel[ni:, ni:] = within[i], within[j]
        svm_kernel.rbf(digits[i], digits[j], gamma, out=kernel[:ni, ni:],
                       transposed=kernel[ni:, :ni])
        labels = np.repeat([0, 1], [ni, nj])
        svc = SVC(kernel="precomputed", C=C, cache_size=cache_size).fit(kernel, labels)
        used = np.concatenate([rows[i], rows[j]])[svc.support_]
        solved.append((i, j, used, svc.dual_coef_[0].copy(), float(svc.intercept_[0])))
    return solved


def model_of(x, y, gamma: float, solved: list) -> OneVsOne:
    """The classifier of every pair problem solved (in any order, from any jobs)."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    order = {pair: k for k, pair in enumerate(class_pairs(y))}
    if sorted(order[(i, j)] for i, j, *_ in solved) != list(range(len(order))):
        raise UserError(f"SVM: {len(solved)} pair problems solved, {len(order)} needed "
                        "(a part missing or given twice)")
    solved = sorted(solved, key=lambda s: order[(s[0], s[1])])
    support = np.unique(np.concatenate([used for _, _, used, _, _ in solved]))
    pairs = [(i, j, np.searchsorted(support, used), coef, b) for i, j, used, coef, b in solved]
    return OneVsOne(np.unique(y), gamma, support, x[support], pairs)


def save_part(path, solved: list, params: dict, images: int) -> None:
    """One job's pair problems, solved, the (C, gamma) they were solved with and the number
    of training images (the support vectors are indices into them)."""
    arrays = {"params": np.array([params["C"], params["gamma"]]), "images": np.array(images),
              "pairs": np.array([(i, j) for i, j, *_ in solved], dtype=np.int64).reshape(-1, 2),
              "intercepts": np.array([b for *_, b in solved])}
    for k, (_, _, used, coef, _) in enumerate(solved):
        arrays[f"used_{k}"], arrays[f"coef_{k}"] = used, coef
    with atomic.atomic_path(path, suffix=".npz") as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)


def load_parts(paths, params: dict, images: int) -> list:
    """The pair problems of parts saved by `save_part`, all solved with `params` on the
    first `images` training images."""
    solved = []
    for path in paths:
        arrays = readers.npz_arrays(path, "not an SVM part", ": rerun its job")
        solved += part_problems(path, arrays, params, images)
    return solved


def part_problems(path, part: dict, params: dict, images: int) -> list:
    """The pair problems of one part's arrays, each checked: its (C, gamma) and training
    size are the fit's, its pairs are pairs of digits, its support vectors are images of
    that fit, with one coefficient each."""
    missing = [k for k in ("params", "images", "pairs", "intercepts") if k not in part]
    if missing:
        raise UserError(f"{path}: not an SVM part (no {', '.join(missing)}): rerun its job")
    if part["params"].tolist() != [params["C"], params["gamma"]]:
        raise UserError(f"{path}: solved with C, gamma = {part['params'].tolist()}, "
                        f"not {params['C']}, {params['gamma']}: rerun its job")
    if part["images"].shape != () or int(part["images"]) != images:
        raise UserError(f"{path}: solved on {part['images'].tolist()} training images, not "
                        f"{images}: rerun its job")
    pairs, intercepts = part["pairs"], part["intercepts"]
    if (pairs.ndim != 2 or pairs.shape[1:] != (2,) or pairs.dtype.kind not in "iu"
            or intercepts.shape != (len(pairs),) or intercepts.dtype.kind != "f"
            or not all(0 <= i < j <= 9 for i, j in pairs.tolist())):
        raise UserError(f"{path}: pairs {pairs.tolist()!r}: not pairs of digits, one "
                        "intercept each: rerun its job")
    problems = []
    for k, (i, j) in enumerate(pairs.tolist()):
        used, coef = part.get(f"used_{k}"), part.get(f"coef_{k}")
        if (used is None or coef is None or used.ndim != 1 or used.dtype.kind not in "iu"
                or coef.shape != used.shape or coef.dtype.kind != "f" or (used.size and not (
                    0 <= used.min() and used.max() < images))):
            raise UserError(f"{path}: pair {i}-{j}: used_{k}, coef_{k}: not support vectors "
                            f"of the {images} images with one coefficient each: rerun its job")
        problems.append((i, j, used, coef, float(intercepts[k])))
    return problems


def predict(model: OneVsOne, x, chunk: int = 1000) -> np.ndarray:
    """libsvm's one-vs-one vote: pair (i, j) votes i when libsvm's decision value is > 0
    (here: scikit-learn's < 0), else j; the most votes win, ties to the lower class. The
    kernel is computed in blocks (nndl3.svm_kernel), so a prediction could differ from libsvm's only
    where a decision value is within ~1e-12 of zero."""
    from . import svm_kernel

    vectors = svm_kernel.Pixels.of(model.vectors)
    images = svm_kernel.Pixels.of(x)
    n_class = len(model.classes)
    # every pair's coefficients as a column over all support vectors (0 for those it does
    # not use): one matrix product gives every decision value of a chunk
    weights = np.zeros((len(vectors.sq), len(model.pairs)))
    for p, (_, _, columns, coef, _) in enumerate(model.pairs):
        weights[columns, p] = coef
    intercepts = np.array([b for *_, b in model.pairs])
    out = np.empty(len(images.sq), dtype=model.classes.dtype)
    # buffers for all chunks: fresh pages cost (svm_kernel.Pixels)
    dots_, kernel_ = np.empty((2, min(chunk, len(out)), len(vectors.sq)))
    for start in range(0, len(out), chunk):
        stop = min(start + chunk, len(out))
        dots, kernel = dots_[:stop - start], kernel_[:stop - start]
        images.dots(start, stop, vectors, dots)
        # clipped at 0 against cancellation, as the previous BLAS predict that matched libsvm
        svm_kernel.exponents(dots, images.sq[start:stop], vectors.sq, -model.gamma, True,
                             kernel)
        np.exp(kernel, out=kernel)
        decisions = kernel @ weights + intercepts
        votes = np.zeros((stop - start, n_class), dtype=np.int64)
        every = np.arange(stop - start)
        for p, (i, j, *_) in enumerate(model.pairs):
            votes[every, np.where(decisions[:, p] < 0, i, j)] += 1
        out[start:stop] = model.classes[np.argmax(votes, axis=1)]
    return out
