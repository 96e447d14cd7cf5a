import sys
from pathlib import Path

import numpy as np
import pytest

from nndl3 import book_runs
from nndl3.options import Options

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "mnist.npz"


@pytest.fixture(autouse=True)
def close_figures():
    """Tests inspect the figures they draw, and pyplot keeps each open until it is closed
    (imported only by the tests that draw)."""
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


@pytest.fixture
def real_data():
    """data/mnist.npz for a test marked `realdata` (run by CI after it prepares the data,
    `pytest -m realdata`): selected, the test fails without it, saying why, not skips."""
    if not DATA.is_file():
        pytest.fail(f"{DATA.relative_to(ROOT)} missing: this test reads the real MNIST; "
                    "prepare it first with `snakemake prepare_data`", pytrace=False)
    return DATA
# which of our runs repeats each published run: the repository's config
PUBLISHED = book_runs.Published.from_file(ROOT / "config" / "config.yaml")


def read_book() -> book_runs.Book:
    """Every published run of book_runs/, read afresh (a test may change its copy)."""
    return book_runs.read_dir(PUBLISHED, ROOT / book_runs.DIR)


@pytest.fixture
def workflow(monkeypatch):
    """The workflow as Snakemake parses it from the checkout (its rules, localrules)."""
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import OutputSettings, ResourceSettings

    monkeypatch.chdir(ROOT)
    with SnakemakeApi(OutputSettings()) as api:
        yield api.workflow(resource_settings=ResourceSettings(),
                           snakefile=ROOT / "Snakefile", workdir=ROOT)._workflow


def entries(node, keys):
    """(key, value) of every mapping entry at any depth of a parsed YAML or JSON `node`
    whose key is in `keys` (the values of those are not searched further)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in keys:
                yield key, value
            else:
                yield from entries(value, keys)
    elif isinstance(node, list):
        for item in node:
            yield from entries(item, keys)


def cli_commands() -> dict:
    """{command: its argparse parser} of `python -m nndl3`."""
    import argparse

    from nndl3 import cli

    return next(a for a in cli.parser()._actions
                if isinstance(a, argparse._SubParsersAction)).choices


def options(**keys):
    """Training options, with the output layer the cost goes with (softmax for the
    log-likelihood) unless given."""
    if keys.get("cost") == "log-likelihood":
        keys.setdefault("output", "softmax")
    return Options(**keys)


def synthetic_digits(n, seed=0, dtype=np.float64):
    """Sparse 784-pixel "images" whose label is recoverable from them, like MNIST's ~80 % zeros."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    x = np.zeros((n, 784))
    for i, label in enumerate(labels):
        on = rng.choice(784, 120, replace=False)
        x[i, on] = rng.uniform(0.2, 1.0, on.size)
        x[i, label * 70:(label * 70) + 40] = 1.0  # a class-specific stroke
    return x.astype(dtype), labels


@pytest.fixture
def tiny_data():
    """A prepared-data dict as mnist.load returns it, small enough for seconds-long tests."""
    x, y = synthetic_digits(700)
    return {"train": (x[:500], y[:500]), "validation": (x[500:600], y[500:600]),
            "test": (x[600:], y[600:])}


@pytest.fixture
def base_spec():
    return {"sizes": [784, 12, 10], "cost": "cross-entropy", "init": "default", "eta": 0.5,
            "lmbda": 0.0, "regularization": "l2", "dropout": 0.0, "epochs": 3, "mini_batch": 10,
            "train_size": 500, "evaluation": "test",
            "monitor": ["training_cost", "training_accuracy", "evaluation_cost",
                        "evaluation_accuracy"],
            "dtype": "float64", "engine": "auto", "seeds": [3]}
