"""The figure registry: every family complete, every figure of the config drawable."""

import inspect
import json
import re
from pathlib import Path

import pytest

from nndl3 import figures, plotting, workflow_config
from nndl3.errors import UserError
from nndl3.paths import AGGREGATE, BASELINE, SVM

from .conftest import entries

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


def test_every_family_has_its_keys_in_the_schema_and_only_the_families_do():
    """figure.schema.yaml has an entry per family of the registry (FAMILIES, the one list of
    families); its other entries are the parts they share."""
    from nndl3 import schemas

    defs = set(schemas.load(figures.SCHEMA)["$defs"])
    assert set(figures.FAMILIES) <= defs
    assert defs - set(figures.FAMILIES) == {"common", "axes", "limits", "marks", "book_number"}


@pytest.mark.parametrize("change,message", [
    ({"series": "oops"}, "series: 'oops' is not of type 'array'"),
    ({"serie": []}, "Unevaluated properties are not allowed ('serie' was unexpected)"),
    ({"series": [{"run": "a", "metric": 3, "label": "x"}]}, "series.0.metric: 3 is not of type"),
    ({"series": [{"run": "a", "metric": "m"}]}, "series.0: 'label' is a required property"),
    ({"ylim": "a"}, "ylim: 'a' is not of type 'array'"),
    ({"marks": [{"label": "no line"}]}, "marks.0: {'label': 'no line'} is not valid"),
    ({"epochs": [0, "end"]}, "epochs.1: 'end' is not of type"),
    ({"epochs": [-5, 10]}, "epochs.0: -5 is less than the minimum of 0"),
])
def test_a_wrong_key_of_an_entry_is_named(change, message):
    """A key its family does not read, or one of the wrong type, is named before drawing."""
    entry = {"family": "curves", "title": "t",
             "series": [{"run": "a", "metric": "evaluation_accuracy", "label": "x"}]}
    figures.checked(entry, "f")
    with pytest.raises(UserError, match=f"^f: {re.escape(message)}"):
        figures.checked({**entry, **change}, "f")


def test_a_wrong_key_of_the_config_s_figure_is_named():
    config = load_config()
    config["figures"]["sigmoid"]["functon"] = "relu"
    with pytest.raises(UserError, match="config figures.sigmoid: .*'functon' was unexpected"):
        workflow_config.check(config)


def test_a_wrong_key_of_a_literature_figure_is_named(tmp_path):
    import yaml

    from nndl3 import literature

    doc = yaml.safe_load((ROOT / "config" / "literature.yaml").read_text())
    doc["figures"]["simard_curves"]["series"][0]["paper"] = "1.6 %"
    path = tmp_path / "literature.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(UserError, match=r"literature.yaml: figures.simard_curves: series.0.paper: "
                                        r"'1.6 %' is not of type 'number'"):
        workflow_config.check_literature(literature.load_config(path), path)


@pytest.mark.parametrize("edit, words", [
    (lambda doc: doc["runs"]["simard_plain"].update(etaa=0.1),
     "runs.simard_plain: Additional properties are not allowed ('etaa' was unexpected); "
     "did you mean 'eta' for 'etaa'?"),
    (lambda doc: doc["runs"]["simard_elastic"]["distortion"].update(sigma=-4.0),
     "runs.simard_elastic: distortion.sigma: -4.0 is less than or equal to the minimum of 0"),
    (lambda doc: doc["probe"].update(nosuch={"epochs": 1}), "probe.nosuch: no run 'nosuch' "
                                                             "under runs"),
    (lambda doc: doc["probe"].update(dropout_none=None),
     "probe.dropout_none: None: not a mapping of settings"),
    (lambda doc: doc["miniature"]["simard_elastic"].update(epochs=0),
     "miniature.simard_elastic: epochs: 0 is less than the minimum of 1"),
    (lambda doc: doc.update(probe=["dropout_none"]),
     "probe: ['dropout_none']: not a mapping of run to its settings")])
def test_a_literature_run_that_cannot_train_is_named_at_start(tmp_path, edit, words):
    """Every run at every scale, as its job will make its spec: checked when the workflow
    starts, not when the job runs, beside jobs of hours."""
    import yaml

    from nndl3 import literature

    doc = yaml.safe_load((ROOT / "config" / "literature.yaml").read_text())
    edit(doc)
    path = tmp_path / "literature.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(UserError, match=f"^{re.escape(str(path))}: {re.escape(words)}$"):
        literature.check_runs(load_config(), literature.load_config(path), path)


def test_every_figure_of_the_config_has_its_inputs_and_caption():
    from nndl3 import check

    config = load_config()  # its book numbers made numbers, as the workflow draws it
    config["figures"] = workflow_config.book_numbers(
        config, check.load_expected(ROOT / "config" / "expected.yaml"))
    for name, fig in config["figures"].items():
        inputs = figures.inputs(config, name)
        assert set(inputs) == set(figures.ROLES)
        family = figures.FAMILIES[fig["family"]]
        for role, paths in inputs.items():
            if role not in family.roles:
                assert paths == [], (name, role)
            elif figures.ROLES[role].one:
                assert len(paths) == 1, (name, role)
        # the files the figure's entry names, found here without figures' own readers
        named = named_values(fig)
        takes = family.roles
        assert sorted(inputs["aggregates"]) == sorted(
            AGGREGATE.format(run=r) for r in named["run"] if "aggregates" in takes), name
        assert sorted(inputs["baselines"]) == sorted(
            BASELINE.format(name=b) for b in named["baseline"] if "baselines" in takes), name
        sizes = config["svm_sizes"] if fig.get("svm") is True else named["svm"]
        assert sorted(inputs["svm"]) == sorted(
            SVM.format(n=n) for n in sizes if "svm" in takes), name
        text = figures.caption(config, name, REPORT)
        assert fig["title"] in text and "{" not in text, name


def named_values(entry) -> dict[str, list]:
    """Every value under the keys run (or runs), baseline and svm anywhere in a figure's
    entry (its series, its bars), each once (`svm: true` is the sweep's flag, not a fit)."""
    found = {"run": [], "baseline": [], "svm": []}
    for key, value in entries(entry, {"run", "runs", "baseline", "svm"}):
        for one in value if key == "runs" else [value]:
            named = found["run" if key == "runs" else key]
            if one is not True and one not in named:
                named.append(one)
    return found


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
    spec = {"family": "curves", "title": "t", "series": [
        {"run": "r", "metric": "evaluation_accuracy", "label": "x"}]}
    argv = ["--check-only", "plot", "--spec", json.dumps(spec), f"--{role}", missing,
            "--out", str(tmp_path / "f.png")]
    assert cli.main(argv) == 1
    assert f"{missing}: --{role}: file missing" in capsys.readouterr().err


def test_a_figure_takes_the_book_s_numbers_from_the_rows_it_names():
    """A mark's y or x, a point's value and a bar's book given by row are that row's book
    number, `{book}` in the label its number; a transcript's points are its counts as %;
    an unknown row or transcript is named; the plot command refuses a number left named."""
    expected = {"quantities": [{"id": "a", "book": 95.49}, {"id": "e", "book": 280}],
                "transcripts": {"t": {0: 9129, 1: 9295}}}
    fig = {"family": "curves", "title": "t",
           "series": [{"run": "r", "metric": "evaluation_accuracy", "label": "r"}],
           "marks": [{"y": {"row": "a"}, "label": "book: {book} %"},
                     {"x": {"row": "e"}, "label": "epoch {book}"},
                     {"points": [[29, {"row": "a"}]], "label": "at {book} %"},
                     {"points": {"transcript": "t"}, "label": "t"}, {"y": 10}]}
    made = figures.book_numbers(fig, expected, "f")
    assert made["marks"] == [{"y": 95.49, "label": "book: 95.49 %"},
                             {"x": 280, "label": "epoch 280"},
                             {"points": [[29, 95.49]], "label": "at 95.49 %"},
                             {"points": [[0, 91.29], [1, 92.95]], "label": "t"}, {"y": 10}]
    assert not figures.named_numbers(made) and figures.named_numbers(fig)
    bars = {"family": "bars", "title": "t", "bars": [{"label": "b", "book": {"row": "a"}}]}
    assert figures.book_numbers(bars, expected, "f")["bars"][0]["book"] == 95.49
    with pytest.raises(UserError, match=r"^f: marks\[0\]: row 'b': no row of "):
        figures.book_numbers({**fig, "marks": [{"y": {"row": "b"}}]}, expected, "f")
    with pytest.raises(UserError, match=r"^f: marks\[0\]: transcript 'u': not one of "):
        figures.book_numbers({**fig, "marks": [{"points": {"transcript": "u"}}]}, expected, "f")
    with pytest.raises(UserError, match="^--spec: names a book number by row or transcript"):
        figures.draw(fig, {})
