"""The author's randomness, replayed: his figure scripts seed Python's `random` and NumPy's
global stream with one integer, and everything they draw after that is determined.

- NumPy: `np.random.seed(s)` then `np.random.randn`, the legacy stream that
  `numpy.random.RandomState(s)` keeps frozen across NumPy versions (the global state is
  never touched here). network2's `Network.__init__` draws the default initialization
  (biases `randn(y, 1)` per layer, then weights `randn(y, x) / sqrt(x)` per layer);
  `large_weight_initializer()` draws biases and weights again, unscaled, from where the
  stream stands.
- Python: `random.seed(s)` seeds the Mersenne Twister by `init_by_array([s])`, as
  `RandomState([s])` does, and both draw `random()` the same way (53 bits from two
  32-bit words): the same numbers, drawn here in bulk. Python 2's `random.shuffle`
  walks i from len - 1 down to 1 and swaps x[i] with x[int(random() * (i + 1))];
  Python 3's shuffle draws its indices otherwise, so it cannot stand in.
"""

from __future__ import annotations

import numpy as np
from numba import njit

SEED = 12345678  # random.seed and np.random.seed in every one of the author's fig/ scripts


def numpy_stream(seed: int = SEED) -> np.random.RandomState:
    """The stream `np.random.seed(seed)` starts, as an object of its own."""
    return np.random.RandomState(seed)


def python_stream(seed: int = SEED) -> np.random.RandomState:
    """The stream `random.seed(seed)` starts (Python 2 and 3 seed an int alike): the same
    Mersenne Twister state, whose `random_sample` gives `random.random()`'s numbers."""
    return np.random.RandomState([seed])


def default_draws(stream: np.random.RandomState, sizes) -> tuple[list, list]:
    """(weights, biases) as network2's default_weight_initializer draws them: every bias
    vector first, then every weight matrix scaled by 1/sqrt(n_in)."""
    biases = [stream.randn(n_out, 1) for n_out in sizes[1:]]
    weights = [stream.randn(n_out, n_in) / np.sqrt(n_in)
               for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)]
    return weights, biases


def large_draws(stream: np.random.RandomState, sizes) -> tuple[list, list]:
    """(weights, biases) as large_weight_initializer draws them: the same order, unscaled."""
    biases = [stream.randn(n_out, 1) for n_out in sizes[1:]]
    weights = [stream.randn(n_out, n_in) for n_in, n_out in zip(sizes[:-1], sizes[1:],
                                                                 strict=True)]
    return weights, biases


def python2_shuffle(items: np.ndarray, stream: np.random.RandomState) -> None:
    """Python 2's random.shuffle of `items`, in place, drawing from `stream`."""
    if len(items) < 2:
        return
    u = stream.random_sample(len(items) - 1)  # the draw for i = len - 1 comes first
    i = np.arange(len(items) - 1, 0, -1)
    swap_in_turn(items, i, (u * (i + 1)).astype(np.int64))  # int() truncates; u*(i+1) >= 0


@njit(cache=True, nogil=True)
def swap_in_turn(items, i, j):
    """items[i[k]], items[j[k]] = items[j[k]], items[i[k]] for k = 0, 1, ... in order."""
    for k in range(len(i)):
        a, b = i[k], j[k]
        items[a], items[b] = items[b], items[a]
