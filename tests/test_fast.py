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


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_coded_values_are_the_values_bit_for_bit(dtype):
    """Pixels k/255 become one byte each, with a table giving back every bit; values that
    do not fit (another level, NaN, out of range) stay as they are."""
    from nndl3.fast import coded

    values = (np.random.default_rng(4).integers(1, 256, 1000) / 255).astype(dtype)
    codes, table = coded(values)
    assert codes.dtype == np.uint8 and table.dtype == dtype
    assert table[codes].tobytes() == values.tobytes()
    for bad in (0.5, np.nan, 2.0, -1 / 255):
        other = values.copy()
        other[7] = bad
        assert coded(other) is other


def test_the_engine_trains_coded_and_plain_values_alike():
    """The same network trained on k/255 pixels (coded) and on those values with one
    pixel nudged off the levels (plain floats) differs only through that pixel: with the
    pixel's image left out of the order, the weights are the same bits."""
    from nndl3.fast import coded
    from nndl3.options import Options

    rng = np.random.default_rng(6)
    x = (rng.integers(0, 256, (40, 784)) * (rng.random((40, 784)) < 0.2) / 255).astype(
        np.float32)
    nudged = x.copy()
    r, c = np.argwhere(nudged > 0)[0]
    nudged[r, c] = np.nextafter(nudged[r, c], np.float32(1))
    labels = rng.integers(0, 10, 40)
    order = np.array([i for i in rng.permutation(40) if i != r])
    trained = []
    for inputs in (x, nudged):
        net = Network.create([784, 30, 10], "large", np.random.default_rng(0), np.float32,
                             Options(eta=0.5, mini_batch=10))
        engine = FastNetwork(net, inputs)
        engine.sgd_epoch(inputs, labels, order, 0.5)
        trained.append(b"".join(w.tobytes() for w in net.weights + net.biases))
    assert isinstance(coded(to_csr(x)[2]), tuple)
    assert not isinstance(coded(to_csr(nudged)[2]), tuple)
    assert trained[0] == trained[1]
