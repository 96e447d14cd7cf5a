"""The committed config and its documentation agree with each other."""

from pathlib import Path

import yaml

from nndl3 import check, workflow_config

ROOT = Path(__file__).resolve().parents[1]


def load_config():
    config = {}
    for name in ("config.yaml", "figures.yaml"):
        config.update(yaml.safe_load((ROOT / "config" / name).read_text()))
    return config


def test_config_cross_references_hold():
    workflow_config.check(load_config())


def test_figures_readme_lists_every_figure_with_its_target():
    config = load_config()
    readme = (ROOT / "figures" / "README.md").read_text()
    for experiment, figures in config["experiments"].items():
        for figure in figures:
            assert f"`{figure}.png`" in readme and f"`{experiment}`" in readme
    listed = {fig for figs in config["experiments"].values() for fig in figs}
    assert listed == set(config["figures"]), "every figure belongs to one experiment target"


def test_expected_values_name_existing_runs():
    config = load_config()
    found = check.sources(ROOT / "config" / "expected.yaml")
    assert set(found["runs"]) <= set(config["runs"])
    assert set(found["svm"]) <= set(config["svm_sizes"])
    assert set(found["neuron"]) <= set(config["neuron"])
