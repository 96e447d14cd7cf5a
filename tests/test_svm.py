import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.svm import SVC

from nndl3 import svm


@pytest.mark.parametrize("n_train", [60, 400])
@pytest.mark.parametrize("gamma", [1 / 64, 0.2])
def test_predict_by_matrix_products_is_libsvms_prediction(n_train, gamma):
    """The BLAS prediction must reproduce libsvm's one-vs-one vote, point for point."""
    x, y = load_digits(return_X_y=True)
    x = x / 16
    clf = SVC(kernel="rbf", C=1.0, gamma=gamma).fit(x[:n_train], y[:n_train])
    expected = clf.predict(x[n_train:])
    assert 0.1 < np.mean(expected == y[n_train:]) < 1  # a classifier that errs: votes matter
    np.testing.assert_array_equal(svm.predict(clf, x[n_train:], chunk=97), expected)


def test_predict_refuses_other_kernels():
    x, y = load_digits(return_X_y=True)
    clf = SVC(kernel="linear").fit(x[:50], y[:50])
    with pytest.raises(ValueError, match="RBF kernel only"):
        svm.predict(clf, x[:5])
