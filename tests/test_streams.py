"""Every random draw of the data path, through the code that trains a run (train.SeedRun):
initialization, shuffle order, dropout masks, rotation angles, and the subset a run trains
on. Each is tested for its distribution, with bounds of 5 standard errors of the sample
size at hand (fixed seeds: the tests are deterministic, and a correct draw passes them by
a wide margin), and for its independence from the other streams: a draw equals the one a
fresh generator of its own stream makes, whatever the run's other options.
"""

import io

import numpy as np
import pytest

from nndl3 import augment
from nndl3.network import initial_parameters
from nndl3.options import Options
from nndl3.runspec import validate
from nndl3.train import SeedRun, streams, train

from .conftest import synthetic_digits

Z = 5  # bounds at 5 standard errors


class Recorder:
    """Stands in for an engine: records the order and masks of each epoch."""

    def __init__(self):
        self.orders, self.masks = [], []

    def sgd_epoch(self, x, labels, order, eta, masks=None):
        self.orders.append(np.array(order))
        self.masks.append(masks)


def seed_run(base_spec, seed=3, n=200, **keys):
    """A SeedRun of the spec with `keys`, on n synthetic images, its engine a Recorder."""
    x, labels = synthetic_digits(n, seed=11)
    spec = validate({**base_spec, "train_size": n, "engine": "numpy", **keys}, "spec")
    run = SeedRun("r", spec, Options.of(spec), seed, x, labels, {})
    run.engine = Recorder()
    return run


def epochs(run, k):
    for _ in range(k):
        run.epoch()
    return run.engine


# ---------------------------------------------------------------- initialization


@pytest.mark.parametrize("init,scale", [("default", lambda n_in: 1 / np.sqrt(n_in)),
                                        ("large", lambda n_in: 1.0)])
def test_initial_weights_and_biases_are_normal_with_the_init_scale(base_spec, init, scale):
    run = seed_run(base_spec, sizes=[784, 100, 10], init=init)
    for w in run.net.weights:
        z = (w / scale(w.shape[1])).ravel()  # N(0, 1) if the scale is right
        n = z.size
        assert abs(z.mean()) < Z / np.sqrt(n)
        assert abs(z.std() - 1) < Z / np.sqrt(2 * n)
        # normal, not merely of that sd: the share within one sd is 68.27 %
        share = np.mean(np.abs(z) < 1)
        assert abs(share - 0.6827) < Z * np.sqrt(0.6827 * 0.3173 / n)
    b = np.concatenate(run.net.biases)
    assert abs(b.mean()) < Z / np.sqrt(b.size) and abs(b.std() - 1) < Z / np.sqrt(2 * b.size)


def test_initialization_is_the_init_streams_own(base_spec):
    """The weights are the init stream's first draws, whatever dropout, rotation,
    momentum or eta; and they differ between seeds."""
    want = initial_parameters([784, 12, 10], "default", streams(3)["init"])
    for keys in ({}, {"dropout": 0.5}, {"rotation": {"max_degrees": 15, "copies": 1}},
                 {"momentum": 0.5, "eta": 0.1}):
        run = seed_run(base_spec, **keys)
        for got, expected in zip(run.net.weights + run.net.biases, want[0] + want[1],
                                 strict=True):
            np.testing.assert_array_equal(got, expected)
    other = seed_run(base_spec, seed=4)
    assert not np.array_equal(other.net.weights[0], want[0][0])


# ---------------------------------------------------------------- shuffle order


def test_every_order_is_a_uniform_permutation(base_spec):
    """Over 2,000 epochs of 20 rows each row is at each place 1/20 of the time: a
    chi-square over the 400 (row, place) counts stays near its 361 degrees of freedom."""
    n, k = 20, 2000
    orders = np.array(epochs(seed_run(base_spec, n=n), k).orders)
    assert all(np.array_equal(np.sort(o), np.arange(n)) for o in orders)
    counts = np.zeros((n, n))
    np.add.at(counts, (orders, np.arange(n)), 1)
    expected = k / n
    chi2 = ((counts - expected) ** 2 / expected).sum()
    dof = (n - 1) ** 2
    assert abs(chi2 - dof) < Z * np.sqrt(2 * dof)
    # consecutive epochs unrelated: the rank correlation of two orders is ~ N(0, 1/n)
    corr = [np.corrcoef(a, b)[0, 1] for a, b in zip(orders, orders[1:], strict=False)]
    assert abs(np.mean(corr)) < Z / np.sqrt(n * len(corr))


def test_the_order_is_the_shuffle_streams_own(base_spec):
    """The epochs' orders are the shuffle stream's permutations, whatever the init,
    dropout, momentum or eta."""
    rng = streams(3)["shuffle"]
    want = [rng.permutation(200) for _ in range(3)]
    for keys in ({}, {"init": "large"}, {"dropout": 0.5}, {"momentum": 0.5, "eta": 0.1}):
        got = epochs(seed_run(base_spec, **keys), 3).orders
        for a, b in zip(got, want, strict=True):
            np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------- dropout masks


@pytest.mark.parametrize("p", [0.3, 0.5, 0.8])
def test_dropout_keeps_each_neuron_with_probability_1_minus_p(base_spec, p):
    run = seed_run(base_spec, n=2000, sizes=[784, 50, 10], dropout=p)
    (masks,) = epochs(run, 1).masks[0]
    batches, hidden = masks.shape
    assert (batches, hidden) == (200, 50) and masks.dtype == bool
    q = 1 - p
    assert abs(masks.mean() - q) < Z * np.sqrt(q * p / masks.size)
    per_neuron = masks.mean(axis=0)  # each neuron alike
    assert np.all(np.abs(per_neuron - q) < Z * np.sqrt(q * p / batches))
    per_batch = masks.mean(axis=1)  # each mini-batch alike
    assert np.all(np.abs(per_batch - q) < Z * np.sqrt(q * p / hidden))
    # independent across neurons and across mini-batches: the correlation of two
    # neighbours is ~ N(0, 1/N)
    m = masks.astype(float) - q
    across_neurons = (m[:, :-1] * m[:, 1:]).mean() / (q * p)
    across_batches = (m[:-1] * m[1:]).mean() / (q * p)
    assert abs(across_neurons) < Z / np.sqrt(masks.size)
    assert abs(across_batches) < Z / np.sqrt(masks.size)


def test_dropout_masks_are_the_dropout_streams_own(base_spec):
    """A fresh mask every epoch, the dropout stream's draws, whatever the init, rotation
    or eta; with rotated copies there are more mini-batches, the first ones unchanged."""
    rng = streams(3)["dropout"]
    want = [rng.random((20, 12)) >= 0.5 for _ in range(2)]
    for keys in ({}, {"init": "large"}, {"eta": 0.1}):
        got = epochs(seed_run(base_spec, dropout=0.5, **keys), 2).masks
        for (a,), b in zip(got, want, strict=True):
            np.testing.assert_array_equal(a, b)
    (rotated,) = epochs(seed_run(base_spec, dropout=0.5,
                                 rotation={"max_degrees": 15, "copies": 1}), 1).masks[0]
    np.testing.assert_array_equal(rotated[:20], want[0])


# ---------------------------------------------------------------- rotation angles


@pytest.fixture
def rotations(monkeypatch):
    """The (image, angle) of every rotation a run makes, in order, by the real rotation."""
    calls = []
    rotate = augment.rotate_images

    def recording(x, degrees):
        calls.extend(zip(np.array(x), np.asarray(degrees).tolist(), strict=True))
        return rotate(x, degrees)

    monkeypatch.setattr(augment, "rotate_images", recording)
    return calls


def test_rotation_angles_are_uniform_in_plus_minus_max(base_spec, rotations):
    n, copies, top = 400, 5, 15.0
    seed_run(base_spec, n=n, rotation={"max_degrees": top, "copies": copies})
    angles = np.array([a for _, a in rotations])
    assert angles.size == n * copies
    assert angles.min() >= -top and angles.max() <= top
    # uniform on [-max, max]: mean 0, sd max/sqrt(3), and its cumulative distribution
    # within a Kolmogorov-Smirnov distance of 1.63/sqrt(N) (the 1 % level)
    sd = top / np.sqrt(3)
    assert abs(angles.mean()) < Z * sd / np.sqrt(angles.size)
    assert abs(angles.std() - sd) < Z * top / np.sqrt(15 * angles.size)
    u = np.sort((angles + top) / (2 * top))
    ranks = np.arange(1, u.size + 1) / u.size
    assert np.max(np.abs(u - ranks)) < 1.63 / np.sqrt(u.size)
    # a different angle for every image and every copy
    per_copy = angles.reshape(copies, n)
    assert len(np.unique(per_copy)) == angles.size
    assert abs(np.corrcoef(per_copy[0], per_copy[1])[0, 1]) < Z / np.sqrt(n)


def test_each_copy_is_its_own_image_rotated_with_its_label(base_spec, rotations):
    """Copy c of image i sits at row (c + 1) n + i, is image i rotated by the angle drawn
    for it, and carries image i's label."""
    n, copies = 30, 2
    run = seed_run(base_spec, n=n, rotation={"max_degrees": 15, "copies": copies})
    x, labels = synthetic_digits(n, seed=11)
    assert run.x.shape == ((copies + 1) * n, 784)
    np.testing.assert_array_equal(run.x[:n], x)
    np.testing.assert_array_equal(run.labels, np.tile(labels, copies + 1))
    assert len(rotations) == copies * n
    for call, (pixels, degrees) in enumerate(list(rotations)):
        c, i = divmod(call, n)
        np.testing.assert_array_equal(pixels, x[i])
        np.testing.assert_array_equal(run.x[(c + 1) * n + i],
                                      augment.rotate_image(x[i], degrees).astype(x.dtype))


def test_rotation_angles_are_the_augment_streams_own(base_spec, rotations):
    """The angles are the augment stream's draws, whatever the init, dropout or eta."""
    want = streams(3)["augment"].uniform(-15, 15, size=(1, 200))
    for keys in ({}, {"init": "large"}, {"dropout": 0.5}, {"eta": 0.1}):
        rotations.clear()
        seed_run(base_spec, rotation={"max_degrees": 15, "copies": 1}, **keys)
        np.testing.assert_array_equal([a for _, a in rotations], want[0])


# ---------------------------------------------------------------- the subset


def test_the_subset_is_the_first_n_images_whatever_the_seed(tiny_data, base_spec, rotations):
    """A run trains on the first train_size images: not a random subset, the same for
    every seed; only those are rotated."""
    x = tiny_data["train"][0]
    spec = {**base_spec, "train_size": 50, "epochs": 1, "monitor": ["training_accuracy"],
            "rotation": {"max_degrees": 15, "copies": 1}, "seeds": [1, 2]}
    (one, two) = train("r", spec, tiny_data, log=io.StringIO())
    assert one["n_train"] == two["n_train"] == 100
    assert len(rotations) == 100
    for i, (pixels, _) in enumerate(rotations):
        np.testing.assert_array_equal(pixels, x[i % 50])
