"""The SVM baseline of the "more data" section: scikit-learn's SVC with the book-era defaults."""

from __future__ import annotations

import time

import numpy as np
from sklearn.svm import SVC

# RBF kernel, C = 1, gamma = 1/n_features: scikit-learn's defaults when the book was written
# (today's default gamma="scale" gives different, higher accuracies).
BOOK_ERA = {"kernel": "rbf", "C": 1.0, "gamma": 1 / 784}


def run(data: dict, train_size: int, evaluation: str = "validation", gamma=None) -> dict:
    """Fit SVC on the first `train_size` training images, score it on the evaluation set."""
    x, y = data["train"]
    params = {**BOOK_ERA, **({"gamma": gamma} if gamma is not None else {})}
    start = time.perf_counter()
    clf = SVC(**params, cache_size=2000).fit(x[:train_size], y[:train_size])
    fitted = time.perf_counter()
    xe, ye = data[evaluation]
    accuracy = float(np.mean(clf.predict(xe) == ye))
    return {"train_size": train_size, "evaluation": evaluation, "params": params,
            "accuracy": accuracy, "n_support": int(clf.n_support_.sum()),
            "fit_seconds": fitted - start, "predict_seconds": time.perf_counter() - fitted}
