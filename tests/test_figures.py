"""The figure registry: every family complete, every figure of the config drawable."""

import inspect
from pathlib import Path

import pytest

from nndl3 import figures, plotting, workflow_config
from nndl3.errors import UserError

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "workflow" / "report"


def load_config():
    return workflow_config.load(ROOT)


@pytest.mark.parametrize("name", list(figures.FAMILIES))
def test_every_family_is_complete(name):
    """Its function takes the entry and its roles, its caption exists, its roles are known."""
    family = figures.FAMILIES[name]
    assert set(family.roles) <= set(figures.ROLES)
    params = list(inspect.signature(getattr(plotting, family.draw)).parameters.values())
    required = [p for p in params if p.default is inspect.Parameter.empty]
    assert len(required) <= 1 + len(family.roles) <= len(params)
    assert (REPORT / family.caption).is_file()
    assert family.category


def test_every_figure_of_the_config_has_its_inputs_and_caption():
    config = load_config()
    for name, fig in config["figures"].items():
        inputs = figures.inputs(config, name)
        assert set(inputs) == set(figures.ROLES)
        family = figures.FAMILIES[fig["family"]]
        for role, paths in inputs.items():
            if role not in family.roles:
                assert paths == [], (name, role)
            elif figures.ROLES[role].one:
                assert len(paths) == 1, (name, role)
        text = figures.caption(config, name, REPORT)
        assert fig["title"] in text and "{" not in text, name


def test_an_unknown_family_is_named():
    config = {"figures": {"f": {"family": "pie", "section": 1, "title": "t"}}}
    with pytest.raises(UserError, match=r"config figures.f: family: unknown figure family "
                                        r"'pie' \(one of curves, sweep"):
        figures.inputs(config, "f")


@pytest.mark.parametrize("role", list(figures.ROLES))
def test_plot_check_only_checks_every_role(role, tmp_path, capsys):
    """`plot --check-only` checks the files of every input role (it once skipped --replay)."""
    from nndl3 import cli

    missing = str(tmp_path / f"{role}.json")
    argv = ["--check-only", "plot", "--spec", '{"family": "curves"}', f"--{role}", missing,
            "--out", str(tmp_path / "f.png")]
    assert cli.main(argv) == 1
    assert f"{missing}: --{role}: file missing" in capsys.readouterr().err
