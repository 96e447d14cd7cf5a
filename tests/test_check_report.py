"""tools/check_report.py finds every figure in a Snakemake 9 report, and misses none."""

import base64
import json
import re
from pathlib import Path

import pytest
import yaml

from nndl3 import paths
from tools import check_report

PNG = check_report.PNG + b"rest of a png"


def report(figures: dict) -> str:
    results = {path: {"caption": "c", "mime_type": "image/png",
                      "data_uri": "data:image/png;charset=utf8;filename=x.png;base64,"
                                  + base64.b64encode(data).decode()}
               for path, data in figures.items()}
    # a bundled library declares its own `results` first, as Snakemake 9's report does
    return ("<script>var results = new Array(3);</script>\n<script>var results = "
            + json.dumps(results) + ";\n</script>")


def test_all_figures_found():
    wanted = ["figures/a.png", "figures/b.png"]
    html = report({"figures/a.png": PNG, "figures/b.png": PNG})
    assert check_report.problems(check_report.embedded(html), wanted) == []


def test_missing_and_broken_figures_are_named(tmp_path):
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "c.png").write_bytes(PNG + b"changed")
    html = report({"figures/b.png": b"GIF89a", "figures/c.png": PNG})
    found = check_report.problems(check_report.embedded(html),
                                  ["figures/a.png", "figures/b.png", "figures/c.png"], tmp_path)
    assert found == ["figures/a.png: not in the report",
                     "figures/b.png: in the report, but not as a PNG",
                     "figures/c.png: the report's copy differs from the file"]


def test_every_figure_of_all_is_wanted():
    """`all` wants each figure of the registry once, every experiment's figures together."""
    everything = check_report.figures_of("all")
    registry = yaml.safe_load(Path(paths.FIGURES_CONFIG).read_text())
    assert sorted(everything) == sorted(registry["figures"])
    assert len(everything) == len(set(everything))
    assert set(everything) == {name for experiment in registry["experiments"]
                               for name in check_report.figures_of(experiment)}


def test_a_figure_filed_outside_its_section_is_named():
    """The report files each figure under its section of the chapter: step_sigmoid (section
    11) was filed under its family's 'Section 9: functions'."""
    from nndl3 import figures

    config = yaml.safe_load(Path(paths.FIGURES_CONFIG).read_text())
    nine, eleven = (figures.section_of(config, config["figures"][name], report=True)
                    for name in ("tanh", "step_sigmoid"))
    html = ("<script>var categories = " + json.dumps(
        {nine: {"Other": ["figures/step_sigmoid.png", "figures/tanh.png"]}}) + ";</script>")
    where = check_report.filed(check_report.embedded(html, check_report.CATEGORIES))
    assert check_report.category_problems(where, ["step_sigmoid", "tanh"]) == [
        f"figures/step_sigmoid.png: filed under {nine!r}, not its section {eleven!r}"]


def page_report(page: str) -> dict:
    return {paths.REPRODUCTION_HTML: {
        "data_uri": "data:text/html;charset=utf8;base64," + base64.b64encode(
            page.encode()).decode()}}


def test_the_reproduction_page_must_show_every_row_and_curve():
    from nndl3 import report

    document = {"rows": [{"id": "a_b"}, {"id": "c"}], "curves": [{"id": "run.metric"}]}
    table = ("| row | x |\n|---|---|\n| `a_b` | 1 |\n| `c` | 2 |\n\n"
             "| curve | y |\n|---|---|\n| `run.metric` | 3 |\n")
    page = report.to_html(table)
    assert check_report.reproduction_problems(page_report(page), document) == []
    broken = page.replace("<td><code>c</code></td>", "")
    assert check_report.reproduction_problems(page_report(broken), document) == [
        f"{paths.REPRODUCTION_HTML}: lacks 1 of 3 rows and curves, first <td><code>c</code></td>"]
    assert check_report.reproduction_problems({}, document) == [
        f"{paths.REPRODUCTION_HTML}: not in the report"]


def test_an_unknown_target_is_named():
    from nndl3.errors import UserError

    with pytest.raises(UserError, match=r"^--target: 'overfiting' is not `all` nor an "
                                        r"experiment of config/figures\.yaml \(single_neuron, "):
        check_report.figures_of("overfiting")


def test_a_missing_reproduction_report_is_named_not_the_html_report(tmp_path):
    """A single target's run leaves no results/reproduction.json: the error blamed the
    HTML report given."""
    from nndl3.errors import UserError

    missing = tmp_path / "reproduction.json"
    with pytest.raises(UserError, match=rf"^{re.escape(str(missing))}: reproduction report "
                                        r"missing \(`snakemake --cores 2 check` makes it\)$"):
        check_report.main([str(tmp_path / "report.html"), "--reproduction", str(missing)])


@pytest.mark.parametrize("script, named", [
    ('var results = {"figures/a.png": 5};', "holds 'figures/a.png' as 5"),
    ('var results = {"figures/a.png": {"data_uri": 5}};', "not an entry with a data_uri"),
    ('var results = {}; var categories = {"Chapter": [1]};', "holds 'Chapter' as [1]"),
    ('var results = {}; var categories = {"Chapter": {"s": [1]}};', "not lists of paths"),
])
def test_a_malformed_report_is_named_not_unexpected(tmp_path, capsys, script, named):
    (tmp_path / "r.html").write_text(f"<script>{script}</script>")
    assert check_report.main([str(tmp_path / "r.html"), "--target", "weight_init"]) == 1
    err = capsys.readouterr().err
    assert named in err and "not a Snakemake 9 report" in err and "unexpected" not in err


@pytest.mark.parametrize("content, words", [
    ("experiments: [\n", "figures config is not valid YAML"),
    ("figures: {}\n", "figures config lacks key(s) 'experiments'"),
    ("experiments: {a: [x]}\nfigures: {}\n", "experiments.a: 'x' is not a figure"),
])
def test_a_broken_figures_config_is_named(tmp_path, content, words):
    """Each stopped on 'unexpected ParserError' or 'KeyError'."""
    from nndl3.errors import UserError

    (tmp_path / "figures.yaml").write_text(content)
    with pytest.raises(UserError, match=re.escape(words)):
        check_report.figures_of("a", str(tmp_path / "figures.yaml"))
