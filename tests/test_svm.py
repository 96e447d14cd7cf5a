import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.svm import SVC

from nndl3 import svm


@pytest.mark.parametrize("n_train", [60, 400])
@pytest.mark.parametrize("gamma", [1 / 64, 0.2])
def test_pairwise_fit_is_libsvms_classifier(n_train, gamma):
    """Solved pair by pair on precomputed kernels, the SVM must be libsvm's SVC: the same
    support vectors and, point for point, libsvm's own predictions."""
    x, y = load_digits(return_X_y=True)
    x = x / 16
    clf = SVC(kernel="rbf", C=1.0, gamma=gamma).fit(x[:n_train], y[:n_train])
    expected = clf.predict(x[n_train:])
    assert 0.1 < np.mean(expected == y[n_train:]) < 1  # a classifier that errs: votes matter
    model = svm.fit(x[:n_train], y[:n_train], 1.0, gamma)
    np.testing.assert_array_equal(model.support, np.sort(clf.support_))
    np.testing.assert_array_equal(svm.predict(model, x[n_train:], chunk=97), expected)


def test_run_reports_the_fit(tiny_data):
    result = svm.run(tiny_data, 300, "test")
    assert result["train_size"] == 300 and result["params"] == svm.BOOK_ERA
    assert 0.5 < result["accuracy"] <= 1 and 0 < result["n_support"] <= 300
