"""Chapter 1's baselines that are not networks: the average-darkness classifier and, beyond
the book, an SVM whose C and gamma are chosen on the validation set.

The book's default SVM (SVC(C=1, gamma=1/784) on the 50,000 training images, scored on the
test set) is the more-data sweep's 50,000-image fit (`nndl3.svm`, `svm --score test`).
"""

from __future__ import annotations

import time

import numpy as np

from . import svm

N_CLASSES = 10
# the results a row of the check can read: results/baselines/<name>.json
NAMES = ("darkness", "tuned_svm")


def darkness_means(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Each digit's mean darkness (the sum of an image's pixel values) over the images; inf
    for a digit without images, which is then never the nearest (the book leaves it out)."""
    dark = x.sum(axis=1, dtype=np.float64)
    counts = np.bincount(y, minlength=N_CLASSES)
    sums = np.bincount(y, weights=dark, minlength=N_CLASSES)
    return np.divide(sums, counts, out=np.full(N_CLASSES, np.inf), where=counts > 0)


def darkness_predict(means: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The digit whose mean darkness is nearest to each image's (ties to the lower digit,
    as the book's `min` over the digits 0-9)."""
    dark = x.sum(axis=1, dtype=np.float64)
    return np.abs(dark[:, None] - means[None, :]).argmin(axis=1)


def darkness(data: dict, evaluation: str) -> dict:
    """The book's mnist_average_darkness.py: means from the training set, scored on
    `evaluation`."""
    x, y = data["train"]
    means = darkness_means(x, y)
    xe, ye = data[evaluation]
    correct = int(np.sum(darkness_predict(means, xe) == ye))
    return {"classifier": "darkness", "evaluation": evaluation, "train_size": len(y),
            "means": [m if np.isfinite(m) else None for m in means.tolist()],
            "correct": correct, "of": len(ye),
            "accuracy": correct / len(ye)}


def candidate(data: dict, params: dict, search_size: int) -> dict:
    """One candidate of the search ({"C", "gamma"}): fitted on the first `search_size`
    training images, scored on the validation set, with the CPU seconds it took."""
    x, y = data["train"]
    xv, yv = data["validation"]
    cpu_start = time.process_time()
    model = svm.fit(x[:search_size], y[:search_size], params["C"], params["gamma"])
    accuracy = float(np.mean(svm.predict(model, xv) == yv))
    return {**params, "validation_accuracy": accuracy,
            "cpu_seconds": time.process_time() - cpu_start}


def over_budget(tried: list[dict], budget_cpu_seconds: float) -> bool:
    """The search stops before a candidate once the candidates tried have used the budget
    (the first is always tried)."""
    return bool(tried) and sum(t["cpu_seconds"] for t in tried) >= budget_cpu_seconds


def search(data: dict, grid: list[dict], search_size: int, budget_cpu_seconds: float) -> dict:
    """The tuned SVM's search in one process: each candidate of `grid` (`candidate`, tried
    in order) until the budget is used (`over_budget`); the result of `select`."""
    tried = []
    for params in grid:
        if over_budget(tried, budget_cpu_seconds):
            break
        tried.append(candidate(data, params, search_size))
    return select(grid, tried, search_size, budget_cpu_seconds)


def select(grid: list[dict], candidates: list[dict], search_size: int,
           budget_cpu_seconds: float) -> dict:
    """The search's result from its candidates, scored (`candidate`, in the grid's order;
    the workflow runs each as a job of its own): those a search in one process would have
    tried within the budget (`over_budget`). `best`: the best of them (ties: the earlier
    one)."""
    tried = []
    for found in candidates:
        if over_budget(tried, budget_cpu_seconds):
            break
        tried.append(found)
    best = max(tried, key=lambda t: t["validation_accuracy"])  # max keeps the first of ties
    return {"search_size": search_size, "budget_cpu_seconds": budget_cpu_seconds,
            "tried": tried, "skipped": grid[len(tried):],
            "best": {"C": best["C"], "gamma": best["gamma"]},
            "cpu_seconds": sum(t["cpu_seconds"] for t in tried)}


def tuned_model(data: dict, best: dict, train_size: int | None = None,
                solved: list | None = None) -> svm.OneVsOne:
    """The tuned SVM's final fit: `best` ({"C", "gamma"}) refitted on the first `train_size`
    training images (all of them by default; `solved`: that fit's pair problems already
    solved, by parts, svm.solve)."""
    x, y = data["train"]
    n = len(y) if train_size is None else train_size
    if solved is None:
        return svm.fit(x[:n], y[:n], best["C"], best["gamma"])
    return svm.model_of(x[:n], y[:n], best["gamma"], solved)


def tuned_svm(data: dict, grid: list[dict], search_size: int, budget_cpu_seconds: float,
              train_size: int | None = None, searched: dict | None = None,
              solved: list | None = None, predicted: dict | None = None) -> dict:
    """SVC with C and gamma chosen on the validation set (`search`, or its result
    `searched`), refitted (`tuned_model`) and scored on the validation and test sets
    (`predicted`: the final fit's labels of both, predicted by jobs; default: here)."""
    _, y = data["train"]
    _, yv = data["validation"]
    _, yt = data["test"]
    searched = searched or search(data, grid, search_size, budget_cpu_seconds)
    best = searched["best"]
    cpu_start = time.process_time()
    n = len(y) if train_size is None else train_size
    model = tuned_model(data, best, train_size, solved)
    labels = predicted or {name: svm.predict(model, data[name][0])
                           for name in ("test", "validation")}
    correct = int(np.sum(labels["test"] == yt))
    return {"classifier": "tuned_svm", "evaluation": "test", "train_size": n,
            "search_size": searched["search_size"],
            "budget_cpu_seconds": searched["budget_cpu_seconds"],
            "tried": searched["tried"], "skipped": searched["skipped"],
            "params": {"kernel": "rbf", "C": best["C"], "gamma": best["gamma"]},
            "pixel_divisor": svm.PIXEL_DIVISOR,
            "validation_accuracy": float(np.mean(labels["validation"] == yv)),
            "n_support": len(model.support), "correct": correct, "of": len(yt),
            "accuracy": correct / len(yt),
            "cpu_seconds": {"search": searched["cpu_seconds"],
                            "final": time.process_time() - cpu_start}}
