"""fast.py on its own: what it refuses, the CSR form of the inputs. Its agreement with
the NumPy engine is in test_engines.py."""

import dataclasses
import io

import numpy as np
import pytest

from nndl3.fast import FastNetwork, UnsupportedByFastEngine, to_csr
from nndl3.network import Network

QUIET = io.StringIO


@pytest.mark.parametrize("change,message", [
    ({"hidden": "softplus"}, "hidden 'softplus'"),
    ({"cost": "hinge"}, "cost 'hinge'"),
    ({"output": "softmax"}, "output 'softmax' with cost 'cross-entropy'"),
    ({"regularization": "l3", "lmbda": 1.0}, "regularization 'l3'"),
])
def test_unsupported_option_is_named(change, message):
    net = Network.create([784, 5, 10], "default", np.random.default_rng(0))
    net.options = dataclasses.replace(net.options, **change)
    with pytest.raises(UnsupportedByFastEngine, match=message):
        FastNetwork(net, np.zeros((3, 784)))

def test_two_hidden_layers_are_unsupported():
    net = Network.create([784, 5, 4, 10], "default", np.random.default_rng(0))
    with pytest.raises(UnsupportedByFastEngine, match=r"sizes \[784, 5, 4, 10\]"):
        FastNetwork(net, np.zeros((3, 784)))
    assert issubclass(UnsupportedByFastEngine, ValueError)

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_to_csr_lists_the_nonzero_entries_as_np_nonzero_does(dtype):
    """Row by row, column by column; -0.0 is a zero, NaN is not; any memory layout."""
    rng = np.random.default_rng(3)
    x = (rng.random((40, 30)) * (rng.random((40, 30)) < 0.3)).astype(dtype)
    x[2] = 0
    x[5, 3], x[6, 4] = -0.0, np.nan
    for a in (x, np.asfortranarray(x), x[::2]):
        indptr, indices, values = to_csr(a)
        rows, cols = np.nonzero(a)
        assert np.array_equal(indptr, np.concatenate([[0], np.cumsum(np.bincount(
            rows, minlength=len(a)))]))
        assert indices.dtype == np.uint16 and np.array_equal(indices, cols)
        assert values.dtype == dtype and np.array_equal(values, a[rows, cols], equal_nan=True)


def test_to_csr_widens_the_indices_past_16_bits():
    """Column indices are 16-bit while they fit, else 32-bit."""
    x = np.zeros((2, (1 << 16) + 1), np.float32)
    x[1, -1] = 1
    indptr, indices, values = to_csr(x)
    assert indices.dtype == np.uint32 and indices.tolist() == [1 << 16]
    assert to_csr(x[:, :1 << 16])[1].dtype == np.uint16
