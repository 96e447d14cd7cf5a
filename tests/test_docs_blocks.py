"""The generated blocks of the docs: made from the results, rewritten in place, and a
committed block that differs from the results is found (`python -m nndl3 docs --check`)."""

import json
import math
import re

import numpy as np
import pytest

from nndl3 import cli, docs, paths
from nndl3.errors import UserError

ROWS = [{"id": "a", "section": 2, "book": 95.49, "mean": 95.4, "sd": 0.1, "n": 3,
         "tolerance": 0.5, "status": "pass", "claim": None, "known_deviation": None},
        {"id": "b", "section": 3, "book": 1.53, "mean": 2.5, "sd": 0.1, "n": 3,
         "tolerance": 0.5, "status": "known deviation", "claim": None,
         "known_deviation": "a slip"},
        {"id": "c", "section": 10, "book": None, "mean": 0.1, "sd": 0.1, "n": 3,
         "tolerance": 0.2, "status": "pass", "claim": {"at_least": 0},
         "known_deviation": None}]
CURVES = [{"id": "r.m", "book_file": "f.json", "book_key": None, "epochs": 30,
           "within": 0.9, "threshold": 0.8, "offset": 0.1, "offset_z": 0.5, "status": "pass",
           "simulated_failure": 1.2e-4, "simulated_p01": 0.8333, "held_out_p01": 0.9,
           "detectable_shift": 1.25},
          {"id": "r.c", "book_file": "f.json", "book_key": None, "epochs": 30,
           "status": "not compared (our run does not monitor it)"}]


@pytest.fixture
def repo(tmp_path):
    (tmp_path / "results").mkdir()
    (tmp_path / "docs").mkdir()
    (tmp_path / paths.REPRODUCTION_JSON).write_text(json.dumps(
        {"calibration_seeds": [101, 110], "check_seeds": [5, 4, 6], "rows": ROWS, "curves": CURVES,
         "false_failure": {"rate": 0.0123, "stated": 0.01}}))
    (tmp_path / "README.md").write_text(
        "# x\n\n<!-- generated: summary -->\nold\n<!-- end generated -->\n\ntext\n")
    (tmp_path / "docs" / "a.md").write_text(
        "<!-- generated: curve-table -->\n<!-- end generated -->\n"
        "<!-- generated: target-times -->\nkept\n<!-- end generated -->\n")
    return tmp_path


def test_blocks_are_written_from_the_results_and_then_agree(repo):
    differences, notes = docs.run(repo, check=True)
    assert differences == ["README.md: block summary", "docs/a.md: block curve-table"]
    assert "docs/a.md: target-times: kept (missing results/target_times.json)" in notes
    docs.run(repo, check=False)
    readme = (repo / "README.md").read_text()
    assert "2 rows, **1 pass, 1 known deviation** (`b`)" in readme
    assert "1 rows, **1 pass**" in readme and readme.endswith("<!-- end generated -->\n\ntext\n")
    assert "2 curves, **1 pass, 1 not compared (our run does not monitor it)**" in readme
    assert "fresh seeds: 1.23 % (stated: 1 %)" in readme
    assert "`snakemake check` with seeds 4-6 (calibration seeds 101, 110)" in readme
    assert "| `r.m` | f.json | 30 | 0.9000 | 0.8000 | 1.20e-04 | 0.8333 / 0.9000 | +0.100 | " \
        "+0.50 | 1.250 | pass |" in (
        repo / "docs" / "a.md").read_text()
    assert docs.run(repo, check=True)[0] == []


def test_the_summary_names_the_weak_claims(repo):
    """docs/reproduction-gate.md: a weak claim is counted apart, and the summary names it."""
    doc = json.loads((repo / paths.REPRODUCTION_JSON).read_text())
    doc["rows"].append({**ROWS[2], "id": "w", "status": "weak"})
    (repo / paths.REPRODUCTION_JSON).write_text(json.dumps(doc))
    assert "2 rows, **1 pass, 1 weak** (`w`) (`weak`: cannot tell the claimed difference " \
        "from none, or from the recipe's difference reversed);" in docs.summary(repo)


def test_the_summary_says_what_the_false_failure_rate_leaves_out(repo):
    """A row whose seeds never differed counts in the rate at its alpha, which no seed
    measured: the summary names it with the bound its seeds put on its own rate."""
    doc = json.loads((repo / paths.REPRODUCTION_JSON).read_text())
    doc["false_failure"].update(zero_spread_rows=["a"], alpha_row=0.001,
                                zero_spread_seeds={"a": {"seeds": 13, "check_seeds": 3}})
    (repo / paths.REPRODUCTION_JSON).write_text(json.dumps(doc))
    rate = 1 - 0.05 ** (3 / 13)  # any of the check's 3 seeds differing fails the row
    assert "fresh seeds: 1.23 % (stated: 1 %); `a` counts in it at its alpha, but its seeds " \
        f"never differed, which bounds its own rate only below {math.ceil(1000 * rate) / 10} % " \
        "([the gate]" in docs.summary(repo)


def test_an_edited_number_fails_the_check_through_the_cli(repo, capsys):
    docs.run(repo, check=False)
    readme = repo / "README.md"
    readme.write_text(readme.read_text().replace("1 pass,", "2 pass,"))
    assert cli.main(["docs", "--check", "--root", str(repo)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: 1 generated block(s) or figure copies differ")
    assert "README.md: block summary" in err


def test_the_check_says_how_many_blocks_it_could_not_make(repo, capsys):
    docs.run(repo, check=False)
    capsys.readouterr()
    assert cli.main(["docs", "--check", "--root", str(repo)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == (  # a block, and the README's image
        "generated blocks and figure copies: every one made agrees with the results; 2 not "
        "made, their inputs missing (above)")


def test_the_readmes_image_is_its_figure_as_drawn(repo):
    copy, figure = next(iter(docs.IMAGES.items()))
    (repo / figure).parent.mkdir()
    (repo / figure).write_bytes(b"\x89PNG drawn")
    assert f"{copy}: not {figure} as drawn" in docs.run(repo, check=True)[0]
    assert not (repo / copy).exists(), "a check writes nothing"
    docs.run(repo, check=False)
    assert (repo / copy).read_bytes() == b"\x89PNG drawn"
    assert docs.run(repo, check=True)[0] == []
    (repo / figure).write_bytes(b"\x89PNG redrawn")
    assert f"{copy}: not {figure} as drawn" in docs.run(repo, check=True)[0]


def test_results_of_a_changed_run_are_refused_before_anything_is_written(repo):
    """A run of one's own (--configfile) drawn into the README's figure is not the book's:
    docs neither copies it nor tells to commit it, and says what differs."""
    import shutil

    from nndl3 import workflow_config

    (repo / "config").mkdir()
    shutil.copy(paths.CONFIG, repo / paths.CONFIG)
    book = workflow_config.book_settings(workflow_config.read_committed(paths.CONFIG))
    aggregate = repo / paths.AGGREGATE.format(run="init_30_default")
    aggregate.parent.mkdir(parents=True)
    from nndl3.readers import AGGREGATE_SCHEMA

    def trained_with(spec):  # an aggregate of the run, trained with `spec`
        return json.dumps({"schema": AGGREGATE_SCHEMA, "run": "init_30_default", "seeds": [1],
                           "monitored_epochs": [0], "metrics": {}, "spec": spec})

    aggregate.write_text(trained_with(book["init_30_default"]))
    assert docs.changed_results(repo) == []
    copy, figure = next(iter(docs.IMAGES.items()))
    (repo / figure).parent.mkdir()
    (repo / figure).write_bytes(b"\x89PNG drawn")
    aggregate.write_text(trained_with({**book["init_30_default"], "eta": 0.5}))
    before = (repo / "README.md").read_text()
    for check in (True, False):
        with pytest.raises(UserError, match=r"settings other than config/config.yaml's: "
                                            r"init_30_default: eta 0.5, book 0.1; .*no "
                                            r"--configfile"):
            docs.run(repo, check=check)
    assert not (repo / copy).exists() and (repo / "README.md").read_text() == before
    rows = json.loads((repo / paths.REPRODUCTION_JSON).read_text())
    rows["rows"][0]["status"] = "changed"
    (repo / paths.REPRODUCTION_JSON).write_text(json.dumps(rows))
    aggregate.unlink()
    with pytest.raises(UserError, match=r"config.yaml's: a: changed; the documents"):
        docs.run(repo, check=True)


def test_timing_blocks_are_regenerated_but_not_compared(repo):
    (repo / paths.TARGET_TIMES).write_text(json.dumps({"targets": [
        {"target": "t", "jobs": 2, "job_seconds": 10.0, "longest": "train x",
         "longest_seconds": 6.0, "estimate_seconds": 6.0}]}))
    docs.run(repo, check=False)
    assert "| `t` | 2 | 10 | train x 6 s | ~0.1 min |" in (repo / "docs" / "a.md").read_text()
    (repo / paths.TARGET_TIMES).write_text(json.dumps({"targets": [
        {"target": "t", "jobs": 2, "job_seconds": 99.0, "longest": "train x",
         "longest_seconds": 60.0, "estimate_seconds": 60.0}]}))
    assert docs.run(repo, check=True)[0] == []


@pytest.mark.parametrize("commit, words", [("abc123", ", commit `abc123`"), (None, "")])
def test_the_pipeline_time_names_the_commit_it_timed(repo, commit, words):
    """README's wall times are a CI run's: which code it ran, where the record says."""
    record = {"command": "snakemake --cores 2", "seconds": 438, "jobs": "47 training",
              "date": "2026-12-06", **({"commit": commit} if commit else {})}
    (repo / paths.PIPELINE).write_text(json.dumps(record))
    assert docs.pipeline_time(repo) == (
        f"`snakemake --cores 2`: **438 s** (7.3 min) on 2026-12-06{words}, 47 training jobs.\n")


def test_an_unknown_block_is_an_error(repo):
    (repo / "docs" / "b.md").write_text("<!-- generated: nonsense -->\n<!-- end generated -->\n")
    with pytest.raises(UserError, match="docs/b.md: unknown generated block 'nonsense'"):
        docs.run(repo, check=True)


@pytest.mark.parametrize("text, message", [
    # an open block ran into the next one's end: rewriting it deleted the prose and the
    # next block's start marker between them
    ("<!-- generated: summary -->\nprose\n<!-- generated: curve-table -->\n"
     "<!-- end generated -->\n", "docs/b.md: line 1: generated block 'summary' has no "
     "`<!-- end generated -->` before the next block (line 3)"),
    ("x\n<!-- generated: summary -->\nprose\n",
     "docs/b.md: line 2: generated block 'summary' has no `<!-- end generated -->` after it"),
    ("x\n<!-- end generated -->\n",
     "docs/b.md: line 2: `<!-- end generated -->` with no block opened before it"),
])
def test_a_marker_without_its_pair_is_named_and_nothing_is_written(repo, text, message):
    (repo / "docs" / "b.md").write_text(text)
    with pytest.raises(UserError) as caught:
        docs.run(repo, check=False)
    assert str(caught.value) == message
    assert (repo / "docs" / "b.md").read_text() == text


@pytest.mark.parametrize("content, words", [
    (b"", "results/reproduction.json: result is empty"),
    (b"[1, 2]", "results/reproduction.json: reproduction report must be a mapping"),
    (b"\xff\xfe", "results/reproduction.json: result is not a text file"),
])
def test_a_broken_report_is_named(repo, content, words):
    (repo / paths.REPRODUCTION_JSON).write_bytes(content)
    with pytest.raises(UserError, match=re.escape(words)):
        docs.run(repo, check=True)


def test_a_document_that_is_not_text_is_named(repo):
    (repo / "docs" / "b.md").write_bytes(b"\xff\xfe<!--")
    with pytest.raises(UserError, match=re.escape("docs/b.md: document is not a text file")):
        docs.run(repo, check=True)


def test_inputs_lacking_a_key_give_one_line_and_write_nothing(repo):
    (repo / paths.REPRODUCTION_JSON).write_text(json.dumps({"rows": []}))
    before = (repo / "README.md").read_text()
    with pytest.raises(UserError, match="README.md: block summary: results/reproduction.json "
                                        "lack what it needs .KeyError") as caught:
        docs.run(repo, check=False)
    assert "\n" not in str(caught.value)
    assert (repo / "README.md").read_text() == before


def test_the_mutants_table_is_the_harness_json_record(repo):
    (repo / paths.MUTANTS).write_text(json.dumps({
        "experiments": True, "control": {"tests_failing": [], "check_failing": []},
        "mutants": [
            {"name": "m1", "what": "breaks a", "caught": True,
             "test": "tests/test_x.py::test_y[p]", "check": [{"id": "r", "text": "r 1 vs 2"}]},
            {"name": "m2", "what": "breaks b", "caught": False, "test": None, "check": None}]}))
    (repo / "docs" / "m.md").write_text("<!-- generated: mutants -->\n<!-- end generated -->\n")
    docs.run(repo, check=False)
    text = (repo / "docs" / "m.md").read_text()
    assert "| `m1` | breaks a | tests/test_x.py::test_y[p] | yes |" in text
    assert "| `m2` | breaks b | - | - |" in text and "**1 of 2 mutants caught.**" in text
    assert "The control, the unmutated copy, passes every unit test. Its runs (seed 1) are " \
           "within every tolerance" in text


@pytest.mark.parametrize("control,said", [
    ({"tests_failing": ["t::a", "t::b"], "check_failing": None},
     "fails 2 unit test(s), which count for no mutant: t::a, t::b. Run without "
     "`--experiments`: no mutant's runs were trained."),
    ({"tests_failing": [], "check_failing": [{"id": "r", "text": "r 1 vs 2"}]},
     "passes every unit test. Its runs (seed 1) fail 1 row(s) or curve(s), which count for "
     "no mutant: r 1 vs 2."),
])
def test_the_mutants_block_says_what_the_control_failed(control, said):
    assert docs.mutants_control(control).endswith(said)


def test_the_weight_init_caption_counts_the_book_inside_the_drawn_band(tmp_path):
    """The README's first caption: the epochs at which each published run lies inside the
    drawn min-max band, and inside the curve check's (from the report)."""
    import shutil
    from pathlib import Path

    from nndl3 import book_runs
    from nndl3.readers import AGGREGATE_SCHEMA

    root = Path(__file__).resolve().parents[1]
    for folder in ("config", "book_runs"):
        shutil.copytree(root / folder, tmp_path / folder)
    published = book_runs.Published.from_file(root / paths.CONFIG)
    (tmp_path / "results" / "aggregates").mkdir(parents=True)
    curves = []
    for run, outside in (("init_30_large", 5), ("init_30_default", 0)):
        file, key = published.of_run(run)
        book = book_runs.curve(book_runs.read([root / "book_runs" / file], published), file,
                               key, "evaluation_accuracy")["values"]
        lo = book - 0.001
        lo[:outside] = book[:outside] + 0.0005  # the band above the book: outside it
        stats = {"min": lo.tolist(), "max": (book + 0.001).tolist()}
        (tmp_path / paths.AGGREGATE.format(run=run)).write_text(json.dumps(
            {"schema": AGGREGATE_SCHEMA, "run": run, "seeds": [1, 2, 3],
             "monitored_epochs": list(range(len(book))),
             "metrics": {"evaluation_accuracy": stats}}))
        curves.append({"id": f"{run}.evaluation_accuracy", "within": 0.9, "status": "pass"})
    (tmp_path / paths.REPRODUCTION_JSON).write_text(json.dumps({"curves": curves}))
    text = docs.book_in_band(tmp_path, "weight_init_30")
    assert "min-max of our 3 seeds" in text
    assert "inside it at 25 of 30 epochs (old: N(0, 1)) and 30 of 30 epochs (new: " in text
    assert "inside it at 27 of 30 (pass) and 27 of 30 (pass) epochs" in text
    curves[1] = {"id": curves[1]["id"], "status": "not compared (why)"}  # no within
    (tmp_path / paths.REPRODUCTION_JSON).write_text(json.dumps({"curves": curves}))
    assert "inside it at 27 of 30 (pass) and not compared (why) epochs" in docs.book_in_band(
        tmp_path, "weight_init_30")
    curves[1] = {"id": curves[1]["id"], "within": 0.9, "status": "pass"}
    (tmp_path / paths.REPRODUCTION_JSON).write_text(json.dumps({"curves": curves}))
    # the hatched band, the recipe's (config/recipe_curves.json): its epochs counted the same
    band = json.loads((tmp_path / paths.RECIPE_CURVES_INSTALLED).read_text())["bands"]
    counts = []
    for run in ("init_30_large", "init_30_default"):
        file, key = published.of_run(run)
        book = book_runs.curve(book_runs.read([root / "book_runs" / file], published), file,
                               key, "evaluation_accuracy")["values"] * 100  # percent
        b = band[f"{run}.evaluation_accuracy"]
        counts.append(int(((book >= np.array(b["min"])) & (book <= np.array(b["max"]))).sum()))
    assert (f"recipe over {b['n']} seeds (config/recipe_curves.json, "
            "[docs/replay.md](docs/replay.md)); the book lies inside it at "
            f"{counts[0]} of 30 and {counts[1]} of 30 epochs.") in text


@pytest.mark.parametrize("offsets,side", [((-0.08, -0.04), "both on the same side of our mean"),
                                          ((-0.08, 0.04), "on opposite sides of our mean"),
                                          ((0.08, None), "not both compared")])
def test_the_one_draw_block_says_on_which_side_the_book_s_two_1k_runs_lie(tmp_path, offsets,
                                                                           side):
    """docs/replay.md and curve-check.md say the book's two 1,000-image runs are one draw;
    the block states, from the curve table, whether their test costs lie on one side."""
    curves = [{"id": f"{run}.evaluation_cost", "metric": "evaluation_cost",
               "book_file": file, "offset": offset}
              for run, file, offset in zip(("overfit_1k", "l2_1k"), docs.ONE_DRAW, offsets,
                                           strict=True)]
    curves.append({"id": "overfit_1k.evaluation_accuracy", "metric": "evaluation_accuracy",
                   "book_file": docs.ONE_DRAW[0], "offset": 5.0})
    (tmp_path / "results").mkdir()
    (tmp_path / paths.REPRODUCTION_JSON).write_text(json.dumps({"curves": curves}))
    text = docs.one_draw(tmp_path)
    assert side in text
    if offsets[1] is not None:
        assert f"`l2_1k.evaluation_cost` {offsets[1]:+.3f}" in text


def test_the_curves_whose_simulated_percentile_is_above_the_held_out_one_are_named():
    rows = [{"id": "a.b", "simulated_p01": 0.48, "held_out_p01": 0.38},
            {"id": "c.d", "simulated_p01": 0.40, "held_out_p01": 0.39},
            {"id": "e.f", "simulated_p01": 0.30, "held_out_p01": 0.90},
            {"id": "g.h", "status": "not compared"}]
    assert docs.simulated_above_held_out(rows) == (
        "Simulated 1st percentile above the held-out one, in 2 of 3 curves: `a.b` "
        "(0.4800 / 0.3800), `c.d` (0.4000 / 0.3900).\n")
    assert docs.simulated_above_held_out(rows[2:]).endswith("in 0 of 1 curves: none.\n")


def test_the_run_defaults_are_the_schema_s_with_the_config_s_on_top(tmp_path):
    """'Every run uses these': the block shows config/config.yaml's `defaults:` where it
    sets one, named so, and the schema's default elsewhere."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    (tmp_path / "config").mkdir()
    (tmp_path / "src" / "nndl3").mkdir(parents=True)
    (tmp_path / docs.RUN_SCHEMA).write_text((root / docs.RUN_SCHEMA).read_text())
    (tmp_path / paths.CONFIG).write_text("defaults: {eta: 0.1}\n")
    table = docs.run_defaults(tmp_path)
    assert f"| `eta` | `0.1` ({paths.CONFIG} `defaults:`) |" in table
    assert "| `epochs` | `30` |" in table
    (tmp_path / paths.CONFIG).write_text("defaults: {}\n")
    assert f"{paths.CONFIG} `defaults:`" not in docs.run_defaults(tmp_path)
