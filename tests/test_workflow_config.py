"""The committed config and its documentation agree with each other."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from nndl3 import baselines, check, docs, workflow_config
from nndl3.errors import UserError

from .conftest import PUBLISHED, read_book

ROOT = Path(__file__).resolve().parents[1]


def load_config():
    return workflow_config.load(ROOT)


def test_config_cross_references_hold():
    workflow_config.check(load_config())


def test_figures_readme_table_is_the_config_s():
    """figures/README.md's table is the one docs.figures_table makes from the config now (so
    an edit of a title, a series, a mark or a target shows there), and every figure belongs
    to one experiment target."""
    config = load_config()
    readme = (ROOT / "figures" / "README.md").read_text()
    block = docs.BLOCK.search(readme)
    assert block and block[2] == "figures-table"
    assert block[3] == docs.figures_table(ROOT)
    rows = [line for line in block[3].splitlines() if line.startswith("| `")]
    assert [row.split(" | ")[0] for row in rows] == [f"| `{f}.png`" for f in config["figures"]]
    listed = [fig for figs in config["experiments"].values() for fig in figs]
    assert sorted(listed) == sorted(config["figures"]), "every figure in one experiment target"


def test_a_figure_row_says_what_the_entry_draws():
    config = load_config()
    row = next(line for line in docs.figures_table(ROOT).splitlines()
               if line.startswith("| `overfitting_test_accuracy.png`"))
    cells = row.split(" | ")
    assert cells[1] == "3. Overfitting and regularization"
    assert cells[2] == config["figures"]["overfitting_test_accuracy"]["title"]
    assert cells[3] == ("test accuracy: test accuracy per epoch of `overfit_1k` and the book's "
                        "published run; epochs 200-399; marked: book: best 82.27 %; marked: "
                        "book: stops improving ~ epoch 280")
    assert cells[4] == "aggregates: overfit_1k; recipe: recipe_curves; book: overfitting"
    assert cells[5] == "`overfitting` |"


def test_a_figure_section_beyond_the_sections_is_named():
    config = load_config()
    config["figures"]["sigmoid"] = {**config["figures"]["sigmoid"], "section": 12}
    with pytest.raises(UserError, match=r"config figures.sigmoid: section: 12 is not one of "
                                        r"the 11 of `sections`"):
        workflow_config.check(config)


@pytest.mark.parametrize("figure, change, words", [
    ("sigmoid", {"function": "sigmoidd"},
     "function: 'sigmoidd' is not one of step, sigmoid, tanh, relu"),
    ("digit_5_rotated", {"index": 50000}, "index: 50000 is beyond the 50,000 training images")])
def test_a_figure_entry_that_cannot_be_drawn_is_named_at_start(figure, change, words):
    """Checked when the workflow starts, not when its plot job runs, after the training."""
    config = load_config()
    config["figures"][figure] = {**config["figures"][figure], **change}
    with pytest.raises(UserError, match=f"^config figures.{figure}: {re.escape(words)}"):
        workflow_config.check(config)


def test_expected_values_name_existing_runs():
    config = load_config()
    found = check.sources(check.load_expected(ROOT / "config" / "expected.yaml"))
    assert set(found["runs"]) <= set(config["runs"])
    assert set(found["svm"]) <= set(config["svm_sizes"])
    assert set(found["neuron"]) <= set(config["neuron"])
    assert set(found["baselines"]) <= set(baselines.NAMES)  # results/baselines/<name>.json
    # a row reading an SVM's test score reads the fit the workflow scores on the test set
    rows = check.load_expected(ROOT / "config" / "expected.yaml")["quantities"]
    assert {r["source"]["svm"] for r in rows if "scores" in r["source"]} == \
        {config["svm_test_size"]}


def test_the_svm_scored_on_the_test_set_is_one_of_the_sweep():
    config = load_config()
    with pytest.raises(UserError, match="svm_test_size: 123 is not one of svm_sizes"):
        workflow_config.check({**config, "svm_test_size": 123})


def test_the_tuned_svm_fits_its_stated_budget():
    """The search counts candidates until they have used its budget (every candidate is a
    job of its own, all run); the budget, half of 10 CPU-minutes, is what a search in one
    process would spend before the final 50,000-image fit (docs/experiments.md)."""
    assert load_config()["tuned_svm"]["budget_cpu_seconds"] <= 600 / 2


def test_every_figure_with_a_published_run_draws_it():
    from nndl3 import book_runs

    figures = load_config()["figures"]
    drawing = {name for name, fig in figures.items() if book_runs.figure_files(fig, PUBLISHED)}
    assert drawing == {
        "overfitting_training_cost", "overfitting_test_accuracy", "overfitting_test_cost",
        "overfitting_training_accuracy", "overfitting_overlay", "overfitting_full",
        "regularized_training_cost", "regularized_test_accuracy", "regularized_full",
        "weight_init_30", "weight_init_100", "learning_rate", "more_data_linear",
        "more_data_log", "more_data_svm", "replay_overfitting"}
    published = {(c["run"], c["metric"])
                 for c in book_runs.curves(read_book())}
    # figures the book does not draw (ours: section 2's two networks, section 5's four
    # regularizers) leave it out; the book's 95.49 % of section 2 is not the published run
    ours = {"cross_entropy_mnist", "regularizers"}
    for name, fig in figures.items():
        for s in fig.get("series", ()) if name not in ours else ():
            if (s.get("run"), s["metric"]) in published:
                assert s.get("book") is True, f"{name}: {s['run']} {s['metric']} has a " \
                    "published run"


def test_a_book_series_must_repeat_a_published_run():
    import pytest

    config = load_config()
    fig = config["figures"]["cross_entropy_mnist"]
    fig["series"][1]["book"] = True
    with pytest.raises(workflow_config.UserError, match="config figures.cross_entropy_mnist: "
                       "book: run 'xent_100' repeats no published run"):
        workflow_config.check(config)
    fig["series"][1]["book"] = {"file": "overfitting.json", "list": "training_cost"}
    with pytest.raises(workflow_config.UserError, match=r"config figures.cross_entropy_mnist: "
                       r"series.1.book: \{.*\} is not of type 'boolean'"):
        workflow_config.check(config)


def test_the_published_runs_sizes_are_the_book_s_whatever_a_config_of_one_s_own_trains():
    import copy

    import pytest

    committed = load_config()
    config = copy.deepcopy(committed)
    config["runs"]["overfit_1k"]["train_size"] = 100  # our run on 100 images, not the book's
    mapping = workflow_config.published(config, committed)
    assert mapping.runs[("overfitting.json", None)] == ("overfit_1k", 1000)
    config["published"]["runs"]["overfitting.json"] = "l2_1k"
    with pytest.raises(workflow_config.UserError, match="^config published: which of our "
                       "runs repeats each of the book's is config/config.yaml's"):
        workflow_config.published(config, committed)


def test_the_workflow_passes_the_book_s_size_whatever_a_config_of_one_s_own_trains(tmp_path):
    mine = tmp_path / "mine.yaml"
    mine.write_text("runs:\n  overfit_1k: {train_size: 100}\n")
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-n", "-p", "--forcerun", "plot",
                           "figures/overfitting_overlay.png", "--configfile", str(mine)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert '["overfitting.json",null,"overfit_1k",1000]' in out, out  # --published's JSON


def test_the_published_mapping_names_runs_of_the_config():
    import pytest

    config = load_config()
    config["published"]["runs"]["overfitting.json"] = "overfit_1kk"
    with pytest.raises(workflow_config.UserError, match="config published.runs.overfitting.json: "
                       "unknown run 'overfit_1kk'"):
        workflow_config.check(config)


def test_a_figure_family_must_be_in_the_registry():
    import pytest

    config = load_config()
    config["figures"]["sigmoid"]["family"] = "pie"
    with pytest.raises(workflow_config.UserError,
                       match="config figures.sigmoid: family: unknown figure family 'pie'"):
        workflow_config.check(config)


@pytest.mark.parametrize("bar,message", [
    ({"label": "x", "run": "l2_1k"}, None),
    ({"label": "x", "run": "eta_025"}, "does not monitor 'evaluation_accuracy'"),
    ({"label": "x", "svm": 1000, "scores": "test"}, "only the svm_test_size fit"),
    ({"label": "x", "baseline": "nearest_neighbour"}, "unknown baseline 'nearest_neighbour'"),
    ({"label": "x"}, "needs one of run, svm, baseline, value"),
])
def test_a_bar_must_read_what_the_workflow_makes(bar, message):
    config = load_config()
    fig = {**config["figures"]["baselines"], "bars": [bar]}
    broken = {**config, "figures": {**config["figures"], "baselines": fig}}
    if message is None:
        workflow_config.check(broken)
        return
    with pytest.raises(UserError, match=message):
        workflow_config.check(broken)


MERGED = "error: invalid config (config/config.yaml and config/figures.yaml, then --config): "


@pytest.mark.parametrize("setting, message", [
    ("seeds=foo", MERGED + "seeds: 'foo' is not of type 'array'"),
    # README: --config passes a list's items as strings
    ("seeds=[1,2]", MERGED + "seeds.0: '1' is not of type 'integer' (a string: "
     "quoted in a YAML file, or an item of a list given by `--config`, which gives them as "
     "strings: write it unquoted in a --configfile)"),
    ("svm_test_size=7", MERGED + "svm_test_size: 7 is not one of svm_sizes")])
def test_snakemake_stops_on_a_bad_config_with_one_line_and_status_1(setting, message):
    """Before any job, with no traceback: the error is the last line of what Snakemake
    prints (its own notices about the profile and the config come before it)."""
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--config", setting],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines[-1].startswith(message), proc.stderr
    assert not any(line.lstrip().startswith(("File \"", "Traceback")) for line in lines)
    assert sum(line.startswith("error: ") for line in lines) == 1


def test_a_bad_config_names_every_file_merged_in_the_order_they_override(tmp_path):
    """The committed files, then each --configfile, then --config: which of them holds the
    bad key is then the user's to see, not to guess."""
    mine = tmp_path / "mine.yaml"
    mine.write_text("runs:\n  xent_30: {eta: -2}\n")
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-n", "xent_30", "--configfile",
                           str(mine), "--config", "svm_parts=3"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == (
        f"error: invalid config (config/config.yaml and config/figures.yaml, then {mine}, then "
        "--config): runs.xent_30.eta: -2 is less than or equal to the minimum of 0")


FOLDER = object()


@pytest.mark.parametrize("content, said", [
    (None, "FileNotFoundError"), (FOLDER, "IsADirectoryError"),
    (b"\x89PNG\r\n\x1a\n", "UnicodeDecodeError"),
    ("runs:\n  xent_30: {eta: [1\n", "Config file is not valid JSON or YAML"),
    ("", "Config file must be given as JSON or YAML with keys at top level."),
    ("- 1\n", "Config file must be given as JSON or YAML with keys at top level.")])
def test_a_configfile_snakemake_cannot_read_is_snakemakes_own_error(tmp_path, content, said):
    """What the README says of it: read before the workflow starts, so not one of our lines;
    a missing file or a folder is named (in a traceback), a malformed one is not."""
    path = tmp_path / "mine.yaml"
    if content is FOLDER:
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--configfile", str(path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    out = proc.stdout + proc.stderr  # Snakemake prints these on stdout
    assert proc.returncode != 0 and said in out, out
    assert (str(path) in out) == (content is None or content is FOLDER), out
    assert not any(line.startswith("error: ") for line in out.splitlines())


def test_a_new_run_that_no_figure_draws_is_named_with_the_run_it_may_mean():
    committed = load_config()
    mine = {**committed, "runs": {**committed["runs"], "overfit_1kk": {"eta": 0.1},
                                  "zzz": {"eta": 0.1}}}
    assert workflow_config.unused_new_runs(committed, committed) == []
    (typo, other) = workflow_config.unused_new_runs(mine, committed)
    assert typo.startswith("config runs.overfit_1kk: not a run of config/config.yaml, and no "
                           "figure draws it") and typo.endswith("did you mean 'overfit_1k'?")
    assert other.startswith("config runs.zzz:") and "did you mean" not in other
    drawn = {**mine["figures"]["overfitting_overlay"],
             "series": [{"run": "zzz", "metric": "evaluation_accuracy", "label": "z"}]}
    mine["figures"] = {**mine["figures"], "mine": drawn}
    assert [w for w in workflow_config.unused_new_runs(mine, committed) if "zzz" in w] == []
    typo = {**committed, "neuron": {**committed["neuron"], "quadratic_gud": {"w": 0.6}}}
    (neuron,) = workflow_config.unused_new_runs(typo, committed)
    assert neuron.startswith("config neuron.quadratic_gud: not a run of config/config.yaml")
    assert neuron.endswith("did you mean 'quadratic_good'?")


@pytest.mark.parametrize("content, words", [
    ("runs: [\n", "config file is not valid YAML (did not find expected node content"),
    ("runs: {}\nruns: {}\n", "config file is not valid YAML (the key 'runs' given twice"),
    ("- 1\n", "config file must be a mapping"),
    ("seeds: [1]\n", "no `runs:` mapping"),
])
def test_the_committed_config_a_script_reads_is_named_when_broken(tmp_path, content, words):
    """benchmarks/ read it by read_committed: a YAML error was an 'unexpected ParserError',
    and a key given twice was kept silently, where the workflow refuses it."""
    (tmp_path / "config.yaml").write_text(content)
    with pytest.raises(UserError, match=re.escape(words)):
        workflow_config.read_committed(tmp_path / "config.yaml")


@pytest.mark.parametrize("broken", ["config/expected.yaml", "config/figures.yaml"])
def test_a_broken_committed_config_file_stops_the_workflow_with_one_line(tmp_path, broken):
    """The README's promise for a broken file of config/: one line naming it, no traceback,
    whatever the target (`functions` reads neither file's entries)."""
    from tools.doc_commands import clean_checkout

    checkout = clean_checkout(tmp_path / "checkout")
    with open(checkout / broken, "a") as f:
        f.write("  - {id: [broken\n")
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--cores", "1",
                           "functions"], cwd=checkout, capture_output=True, text=True,
                          timeout=120)
    lines = (proc.stdout + proc.stderr).strip().splitlines()
    assert proc.returncode == 1, lines
    assert lines[-1].startswith("error: ") and f"{broken}: " in lines[-1], lines
    assert "not valid YAML" in lines[-1], lines
    assert not any(line.lstrip().startswith(('File "', "Traceback")) for line in lines)


@pytest.mark.parametrize("change, words", [
    ({"sizes": [784, 30, 30, 10], "engine": "fast"}, "config runs.eta_25: engine: fast: sizes "
     "[784, 30, 30, 10]: the fast engine trains networks with exactly one hidden layer"),
    ({"engine": "wide"}, "config runs.eta_25: engine: 'wide' trains the literature runs only")])
def test_a_run_its_engine_cannot_train_is_refused_before_anything_runs(change, words):
    config = load_config()
    config["runs"]["eta_25"] = {**config["runs"]["eta_25"], **change}
    with pytest.raises(UserError, match=re.escape(words)):
        workflow_config.check(config)
    config["runs"]["eta_25"]["engine"] = "auto"
    config["runs"]["eta_25"].pop("sizes", None)
    workflow_config.check(config)


def test_a_seed_added_to_a_trained_run_retrains_it_for_its_figure(tmp_path):
    """A run trained on seeds 1-2 and drawn, then asked for with seeds 1-3: its train job
    reruns and the figure is redrawn from 3 seeds. (The aggregate alone did not say so:
    Snakemake compares a job's params only when each of its outputs has metadata, and a new
    seed's record has none.) On a few synthetic images, for 2 epochs."""
    from tools.doc_commands import clean_checkout

    from .conftest import synthetic_digits

    checkout = clean_checkout(tmp_path / "checkout")
    x, y = synthetic_digits(90)
    pixels = (x * 255).astype(np.uint8)
    (checkout / "data").mkdir(exist_ok=True)
    np.savez(checkout / "data" / "mnist.npz", train_x=pixels[:50], train_y=y[:50],
             validation_x=pixels[50:70], validation_y=y[50:70], test_x=pixels[70:],
             test_y=y[70:])

    def build(seeds):
        mine = tmp_path / "mine.yaml"
        mine.write_text(f"seeds: {seeds}\nruns:\n  overfit_1k: {{epochs: 2, train_size: 50}}\n")
        proc = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "1",
                               "figures/overfitting_overlay.png", "--configfile", str(mine)],
                              cwd=checkout, capture_output=True, text=True, timeout=300,
                              env={**os.environ, "PYTHONPATH": str(checkout / "src"),
                                   "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"})
        assert proc.returncode == 0, proc.stdout + proc.stderr
        aggregate = json.loads((checkout / "results/aggregates/overfit_1k.json").read_text())
        return aggregate["seeds"], sorted(set(re.findall(r"^(\w+)\s+\d+$", proc.stderr, re.M)))

    assert build([1, 2]) == ([1, 2], ["plot", "total", "train"])
    assert build([1, 2, 3]) == ([1, 2, 3], ["plot", "total", "train"])
    assert build([1, 2, 3])[1] == []  # and then nothing is left to do


@pytest.mark.parametrize("change, words", [
    (lambda c: c["runs"]["overfit_1k"].update({"lambda": 0.1}),
     "runs.overfit_1k: Additional properties are not allowed ('lambda' was unexpected); "
     "did you mean 'lmbda' for 'lambda'?"),
    (lambda c: c.update({"seedz": [1]}), "did you mean 'seeds' for 'seedz'?"),
    (lambda c: c["runs"]["overfit_1k"].update({"rotation": {"max_degree": 3}}),
     "runs.overfit_1k.rotation: Additional properties are not allowed ('max_degree' was "
     "unexpected); did you mean 'max_degrees' for 'max_degree'?"),
    (lambda c: c["runs"]["overfit_1k"].update({"zzz": 1}), "('zzz' was unexpected)"),
    # `seeds` is a key of run.schema.yaml, but the config's runs may not set it: no hint
    (lambda c: c["runs"]["overfit_1k"].update({"seed": 4}), "('seed' was unexpected)")])
def test_an_unknown_config_key_is_named_with_the_key_it_may_mean(change, words):
    config = load_config()
    change(config)
    with pytest.raises(UserError) as caught:
        workflow_config.validate(config, ROOT / "workflow" / "schemas" / "config.schema.yaml")
    assert str(caught.value).endswith(words)


def test_an_unknown_figure_key_is_named_with_the_key_it_may_mean():
    from nndl3 import figures

    fig = {**load_config()["figures"]["learning_rate"], "titel": "x"}
    with pytest.raises(UserError, match=re.escape(
            "config figures.learning_rate: Unevaluated properties are not allowed ('titel' "
            "was unexpected); did you mean 'title' for 'titel'?")):
        figures.checked(fig, "config figures.learning_rate")


@pytest.mark.parametrize("change, words", [
    # NaN passes every minimum and maximum (a comparison with it is false): its type says no
    (lambda c: c["runs"]["overfit_1k"].update({"dropout": float("nan")}),
     "runs.overfit_1k.dropout: nan is not a finite number"),
    (lambda c: c["neuron"]["quadratic_good"].update({"w": float("nan")}),
     "neuron.quadratic_good.w: nan is not a finite number"),
    # jsonschema takes 3.0 for an integer; range() and slices would not
    (lambda c: c["runs"]["overfit_1k"].update({"epochs": 3.0}),
     "runs.overfit_1k.epochs: 3.0 is not of type 'integer'"),
    (lambda c: c.update({"svm_parts": 2.0}), "svm_parts: 2.0 is not of type 'integer'"),
    (lambda c: c.update({"seeds": [1.0, 2]}), "seeds.0: 1.0 is not of type 'integer'"),
    # PyYAML, as Snakemake reads a --configfile, reads 1e-5 as text
    (lambda c: c["runs"]["overfit_1k"].update({"lmbda": "1e-5"}),
     "runs.overfit_1k.lmbda: '1e-5' is not of type 'number' (YAML reads 1e-5 as text; "
     "with a point and a signed exponent it is a number: 1.0e-5)")])
def test_a_value_of_the_wrong_kind_is_named_before_anything_runs(change, words):
    config = load_config()
    change(config)
    with pytest.raises(UserError) as caught:
        workflow_config.validate(config, ROOT / "workflow" / "schemas" / "config.schema.yaml")
    assert str(caught.value).startswith(words), str(caught.value)


@pytest.mark.parametrize("change, words", [
    (lambda row: row["source"].update({"reduce": "bestest"}),
     "row 'xent_30_test_best': source.reduce: unknown reduction 'bestest' (one of best, "),
    (lambda row: row.update({"book": "abc"}),
     "row 'xent_30_test_best': book: 'abc' is not a number"),
    (lambda row: row.update({"book_precision": -1}),
     "row 'xent_30_test_best': book_precision: -1 is not a non-negative number"),
    (lambda row: row["source"].update({"metric": "evaluation_acc"}),
     "row 'xent_30_test_best': run 'xent_30' does not monitor 'evaluation_acc' (it monitors "),
    (lambda row: row["source"].update({"run": "xent_31"}),
     "row 'xent_30_test_best': no run 'xent_31' in the config's runs"),
    (lambda row: row["source"].pop("metric"),
     "row 'xent_30_test_best': source: a run's row needs metric")])
def test_a_row_of_expected_values_is_checked_when_the_workflow_starts(tmp_path, change, words):
    """Not in the report's job, after every run has trained: the workflow's start reads
    the rows through check.sources with the config's specs (check.smk)."""
    expected = yaml.safe_load((ROOT / "config" / "expected.yaml").read_text())
    (row,) = [r for r in expected["quantities"] if r["id"] == "xent_30_test_best"]
    change(row)
    path = tmp_path / "expected.yaml"
    path.write_text(yaml.safe_dump(expected))
    config = load_config()
    specs = {run: workflow_config.run_spec(config, run) for run in config["runs"]}
    with pytest.raises(UserError) as caught:
        check.sources(check.load_expected(path), specs, path)
    assert str(caught.value).startswith(f"{path}: {words}"), str(caught.value)


def test_the_workflow_checks_the_rows_before_any_job(tmp_path):
    from tools.doc_commands import clean_checkout

    checkout = clean_checkout(tmp_path / "checkout")
    expected = checkout / "config" / "expected.yaml"
    text = expected.read_text()
    old = "source: {run: xent_30, metric: evaluation_accuracy, reduce: best}"
    assert old in text
    expected.write_text(text.replace(old, old.replace("evaluation_accuracy", "test_acc"), 1))
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--cores", "1"],
                          cwd=checkout, capture_output=True, text=True, timeout=120)
    lines = (proc.stdout + proc.stderr).strip().splitlines()
    assert proc.returncode == 1, lines
    assert lines[-1].startswith("error: config/expected.yaml: row 'xent_30_test_best': run "
                                "'xent_30' does not monitor 'test_acc'"), lines


@pytest.mark.parametrize("value, hinted", [("3", True), (".nan", False), ("true", False)])
def test_a_string_is_told_to_go_unquoted_only_if_that_would_make_it_valid(value, hinted):
    config = {**load_config(), "svm_parts": value}
    with pytest.raises(UserError) as caught:
        workflow_config.validate(config, ROOT / "workflow" / "schemas" / "config.schema.yaml")
    assert str(caught.value).startswith(f"svm_parts: '{value}' is not of type 'integer'")
    assert ("write it unquoted" in str(caught.value)) == hinted


def test_an_empty_mnist_dir_on_the_command_line_means_mnist_dir():
    """`--config mnist_dir=` gives None, the config's "" by another name."""
    config = {**load_config(), "mnist_dir": None}
    workflow_config.validate(config, ROOT / "workflow" / "schemas" / "config.schema.yaml")


def test_a_configfile_changes_the_keys_it_names_and_keeps_the_others():
    """README: a --configfile is merged over config/config.yaml key by key (Snakemake's
    update_config, which it reads each --configfile with)."""
    from snakemake.utils import update_config

    config, committed = load_config(), load_config()
    update_config(config, {"runs": {"overfit_1k": {"eta": 0.1}},
                           "figures": {"overfitting_test_accuracy": {"title": "mine"}}})
    assert config["runs"]["overfit_1k"] == {**committed["runs"]["overfit_1k"], "eta": 0.1}
    assert config["figures"]["overfitting_test_accuracy"] == \
        {**committed["figures"]["overfitting_test_accuracy"], "title": "mine"}
    assert "marks" in committed["figures"]["overfitting_test_accuracy"]
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert "key by key (a run or figure entry given there changes the keys it names" in readme


def test_a_key_given_twice_in_a_configfile_is_named_not_kept_last(tmp_path):
    """PyYAML, Snakemake's reader, keeps the last of two; the workflow reads the file
    again (workflow_config.unreadable) and names the key and its line."""
    path = tmp_path / "mine.yaml"
    path.write_text("runs:\n  overfit_1k: {eta: 0.1}\n  overfit_1k: {epochs: 5}\n")
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--configfile", str(path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == (
        f"error: {path}: config file is not valid YAML (the key 'overfit_1k' given twice "
        "at line 3, column 3)")


def test_a_yaml_merge_is_no_key_given_twice():
    from nndl3 import readers

    doc = yaml.load("a: &x {k: 1, j: 2}\nb: {<<: *x, k: 3}\n", readers.Loader)
    assert doc["b"] == {"k": 3, "j": 2}
    # a merged mapping is flattened in place, and may be met again through its alias
    doc = yaml.load("y: &y {k: 1}\nz: {<<: &x {<<: *y, k: 2}, m: *x}\n", readers.Loader)
    assert doc["z"] == {"k": 2, "m": {"k": 2}}
    with pytest.raises(yaml.YAMLError, match="the key 'k' given twice"):
        yaml.load("b: {k: 1, k: 3}\n", readers.Loader)


@pytest.mark.parametrize("typed", ["1e-5", "1e5", "1.5e5", "-2E3", "3.e4"])
def test_the_exponent_hint_gives_what_yaml_reads_as_that_number(typed):
    """The number the hint suggests is one PyYAML, Snakemake's reader, reads as a number,
    and the same number."""
    from nndl3 import schemas

    assert isinstance(yaml.safe_load(typed), str)  # why the hint is needed
    schema = ROOT / "workflow" / "schemas" / "config.schema.yaml"
    config = load_config()
    config["runs"]["overfit_1k"]["lmbda"] = typed
    with pytest.raises(UserError) as caught:
        workflow_config.validate(config, schema)
    fixed = str(caught.value).rsplit(": ", 1)[1].rstrip(")")
    assert yaml.safe_load(fixed) == float(typed) and schemas.EXPONENT.fullmatch(typed)
    with pytest.raises(UserError) as caught:  # an integer's key: 1.0e+5 is no integer
        workflow_config.validate({**load_config(), "svm_parts": typed}, schema)
    assert "YAML reads" not in str(caught.value)


def test_a_list_too_short_is_told_its_minimum():
    """jsonschema's 'is too short' (or 'should be non-empty') names no bound; the message
    adds the schema's."""
    from nndl3 import schemas

    schema = ROOT / "workflow" / "schemas" / "config.schema.yaml"
    minimum = schemas.read(schema)["properties"]["seeds"]["minItems"]
    with pytest.raises(UserError) as caught:
        workflow_config.validate({**load_config(), "seeds": []}, schema)
    assert str(caught.value).endswith(f"seeds: [] should be non-empty (at least {minimum} "
                                      "items)")


def test_seeds_in_a_run_or_the_defaults_are_told_they_are_global():
    """A `not` schema's reason is its description, not jsonschema's dump of both."""
    import copy

    schema = ROOT / "workflow" / "schemas" / "config.schema.yaml"
    for where in ("runs.overfit_1k", "defaults"):
        config = copy.deepcopy(load_config())
        node = config
        for key in where.split("."):
            node = node[key]
        node["seeds"] = [7]
        with pytest.raises(UserError) as caught:
            workflow_config.validate(config, schema)
        assert str(caught.value) == f"{where}: seeds are global (the `seeds` key)"


def test_a_run_broken_by_the_defaults_says_so():
    import copy

    config = copy.deepcopy(load_config())
    config["defaults"]["engine"] = "fast"  # no run sets it: quad_no_hidden has no hidden layer
    with pytest.raises(UserError, match=r"^config runs\.quad_no_hidden: engine: fast: .* "
                       r"\(engine: from `defaults`\)$"):
        workflow_config.check(config)
    config = copy.deepcopy(load_config())
    config["runs"]["quad_no_hidden"]["engine"] = "fast"  # the run's own: nothing to add
    with pytest.raises(UserError) as caught:
        workflow_config.check(config)
    assert "defaults" not in str(caught.value)
    # a default the schema has anyway broke nothing, though the message says 'hidden'
    config = copy.deepcopy(load_config())
    config["defaults"]["hidden"] = "sigmoid"
    config["runs"]["quad_no_hidden"]["dropout"] = 0.5
    with pytest.raises(UserError) as caught:
        workflow_config.check(config)
    assert "acts on hidden neurons" in str(caught.value)
    assert "defaults" not in str(caught.value)


def test_the_defaults_hidden_options_pass_over_a_network_without_a_hidden_layer():
    import copy

    config = copy.deepcopy(load_config())
    config["defaults"] |= {"hidden": "tanh", "dropout": 0.5}
    specs = workflow_config.check(config)  # no refusal
    assert (specs["quad_no_hidden"]["hidden"], specs["quad_no_hidden"]["dropout"]) == (
        "sigmoid", 0.0)
    assert (specs["quad_30"]["hidden"], specs["quad_30"]["dropout"]) == ("tanh", 0.5)
    config["runs"]["quad_no_hidden"]["hidden"] = "tanh"  # set by the run itself: refused
    with pytest.raises(UserError, match=r"^config runs\.quad_no_hidden: hidden: 'tanh' acts "
                       r"on hidden neurons, and sizes \[784, 10\] have none"):
        workflow_config.check(config)


@pytest.mark.parametrize("key", ["calibration_seeds", "recipe_seeds"])
def test_too_few_calibration_seeds_for_the_checks_seeds_are_refused_at_the_start(key):
    """calibrate (or recipe_seeds) would refuse them after hours of training: the curves'
    held-out check needs one seed more than `seeds`, whatever `seeds` holds."""
    config = {**load_config(), "seeds": [1, 2, 3, 4, 5], key: [201, 202, 203, 204, 205]}
    with pytest.raises(UserError, match=rf"^config {key}: 5 seed\(s\) .* needs at least 6"):
        workflow_config.check(config)
    workflow_config.check({**config, key: [*config[key], 206]})


def test_seeds_shared_with_the_calibration_name_both_keys():
    config = {**load_config(), "seeds": [101, 102, 103]}
    with pytest.raises(UserError, match=r"^config seeds and calibration_seeds share seed\(s\) "
                       r"\[101, 102, 103\]"):
        workflow_config.check(config)


def test_seeds_a_row_calibrates_on_are_no_check_seeds_either():
    """A row's own calibration seeds (l2_full_test_best: 101-120) are held apart from the
    check's as calibration_seeds are: the workflow stops at start, in one line."""
    from nndl3 import book_runs, calibration

    config = load_config()
    calibrated = calibration.run_seeds(check.load_expected(ROOT / "config" / "expected.yaml"),
                                       config["calibration_seeds"],
                                       book_runs.Published.from_config(config))
    calibration.apart_from(calibrated, config["seeds"])
    with pytest.raises(UserError, match=r"^config seeds \[111\]: also calibration seeds of "
                                        "run 'l2_full'"):
        calibration.apart_from(calibrated, [111])


def test_an_infinite_number_is_told_it_must_be_finite():
    import copy

    config = copy.deepcopy(load_config())
    config["runs"]["overfit_1k"]["eta"] = float("inf")
    with pytest.raises(UserError) as caught:
        workflow_config.validate(config, ROOT / "workflow" / "schemas" / "config.schema.yaml")
    assert str(caught.value) == "runs.overfit_1k.eta: inf is not a finite number"


def test_a_key_of_the_literature_config_is_told_where_it_belongs(monkeypatch):
    monkeypatch.chdir(ROOT)
    schema = ROOT / "workflow" / "schemas" / "config.schema.yaml"
    with pytest.raises(UserError) as caught:
        workflow_config.validate({**load_config(), "probe": 1}, schema)
    assert str(caught.value).endswith("; probe: a key of config/literature.yaml, which "
                                      "neither --config nor --configfile changes (edit it)")


def test_a_run_setting_given_at_the_top_level_is_told_where_it_belongs():
    """`--config eta=0.1` names no run: the error says where a run's setting goes; a key
    that is no run's setting gets no such hint."""
    schema = ROOT / "workflow" / "schemas" / "config.schema.yaml"
    with pytest.raises(UserError) as caught:
        workflow_config.validate({**load_config(), "eta": 0.1}, schema)
    assert str(caught.value).endswith(
        "; eta: a run's setting: give it in a --configfile, under `runs: {<run>: {eta: "
        "...}}` for one run or `defaults:` for every run")
    with pytest.raises(UserError) as caught:
        workflow_config.validate({**load_config(), "etaa": 0.1}, schema)
    assert "a run's setting" not in str(caught.value)


def test_a_misspelt_figure_is_told_it_is_a_new_one_and_what_it_may_mean():
    """A --configfile's `figures: {weight_init30: ...}` merges into a new figure without
    a family: the error says so, and names the figure meant."""
    schema = ROOT / "workflow" / "schemas" / "config.schema.yaml"
    config = load_config()
    for name, hint in (("weight_init30", "; did you mean 'weight_init_30'?)"), ("zzzz", ")")):
        mine = {**config, "figures": {**config["figures"], name: {"ylim": [80, 100]}}}
        with pytest.raises(UserError) as caught:
            workflow_config.validate(mine, schema)
        assert str(caught.value) == (
            f"figures.{name}: 'family' is a required property (not a figure of "
            f"config/figures.yaml: a new figure names its family{hint}")


def test_the_quick_run_of_ci_is_the_first_epochs_of_xent_30s_first_seed():
    """.ci/run requires the quick run's accuracies to be xent_30's seed 1's, bit for bit:
    the same settings but the epochs, the seed and the monitors (a subset)."""
    from nndl3 import runspec

    quick = runspec.validate(yaml.safe_load((ROOT / ".ci" / "quick.yaml").read_text()), "q")
    committed = workflow_config.read_committed(ROOT / workflow_config.COMMITTED)
    xent = workflow_config.run_spec(committed, "xent_30")
    differ = {k for k in set(quick) | set(xent) if quick.get(k) != xent.get(k)}
    assert differ <= {"epochs", "seeds", "monitor", "description"}
    assert quick["epochs"] <= xent["epochs"] and quick["seeds"] == xent["seeds"][:1]
    assert set(quick["monitor"]) <= set(xent["monitor"])


def test_a_run_spec_asked_for_again_is_checked_by_its_values_and_handed_out_as_a_copy():
    config = load_config()
    first = workflow_config.run_spec(config, "overfit_1k")
    first["sizes"].append(99)  # a caller's edit does not reach the next caller
    again = workflow_config.run_spec(config, "overfit_1k")
    assert again["sizes"] == [784, 30, 10] and isinstance(again, type(first))
    config["runs"]["overfit_1k"]["eta"] = -1.0  # the same run, now invalid: checked anew
    with pytest.raises(UserError, match="config runs.overfit_1k: eta"):
        workflow_config.run_spec(config, "overfit_1k")


@pytest.mark.realdata
def test_the_mnist_folder_a_run_names_is_no_reason_to_prepare_the_data_again(tmp_path):
    """Prepared from the folder the config names, the data stays prepared when the folder is
    named otherwise or not at all (offline, a rerun would delete it and then fail)."""
    from tools.doc_commands import clean_checkout

    folder = os.environ.get("MNIST_DIR")
    if not folder:
        pytest.fail("MNIST_DIR unset: this test prepares the real MNIST from it", pytrace=False)
    checkout = clean_checkout(tmp_path / "checkout")
    env = {k: v for k, v in os.environ.items() if k != "MNIST_DIR"}
    env.update(PYTHONPATH=str(checkout / "src"),
               PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")

    def snakemake(*args):
        proc = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "1",
                               "prepare_data", *args], cwd=checkout, capture_output=True,
                              text=True, timeout=300, env=env)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc.stdout + proc.stderr

    snakemake("--config", f"mnist_dir={folder}")
    assert "Nothing to be done" in snakemake("-n")
    assert "Nothing to be done" in snakemake("-n", "--config", f"mnist_dir={folder}/")


def test_fewer_seeds_than_a_best_of_row_takes_are_named_when_the_workflow_starts(tmp_path):
    """The check's `best_of: 3` rows need 3 seeds: with fewer, a warning says so at start
    (the report would stop only after every run is trained); a figure is still planned."""
    from tools.doc_commands import clean_checkout

    checkout = clean_checkout(tmp_path / "checkout")
    (tmp_path / "two.yaml").write_text("seeds: [1, 2]\n")
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--cores", "1",
                           "figures/overfitting_overlay.png", "--configfile",
                           str(tmp_path / "two.yaml")], cwd=checkout, capture_output=True,
                          text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(checkout / "src")})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert ("warning: row 'ch1_30_epoch0': best_of 3 needs at least 3 seeds and run "
            "'quad_30' has [1, 2]") in proc.stderr
    config = {**load_config(), "seeds": [1, 2, 3]}
    specs = workflow_config.check(config)
    assert check.seed_shortfall(check.load_expected(ROOT / "config" / "expected.yaml"),
                                specs) is None


def test_the_snakefile_demands_the_snakemake_pyproject_requires(tmp_path):
    """One statement of the lowest Snakemake (pyproject.toml, with its reason): the
    Snakefile's min_version reads it there (it said 8.0, which pyproject.toml excludes)."""
    import tomllib

    pyproject = ROOT / "pyproject.toml"
    deps = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    (stated,) = [d for d in deps if d.startswith("snakemake")]
    assert stated == f"snakemake>={workflow_config.snakemake_minimum(pyproject)}"
    assert 'min_version(snakemake_minimum(Path(workflow.basedir, "pyproject.toml")))' in (
        ROOT / "Snakefile").read_text()
    other = tmp_path / "pyproject.toml"
    other.write_text('[project]\ndependencies = ["snakemake~=9.17"]\n')
    with pytest.raises(UserError, match='not one lower bound of snakemake \\("snakemake>=X"\\)$'):
        workflow_config.snakemake_minimum(other)


def literature_config():
    from nndl3 import literature

    return literature.load_config(ROOT / "config" / "literature.yaml")


def test_a_figure_whose_file_is_a_literature_figure_s_is_refused():
    """Two rules would make figures/literature_simard_curves.png: Snakemake found them
    ambiguous only when it planned the figure."""
    config = load_config()
    config["figures"]["literature_simard_curves"] = config["figures"]["overfitting_overlay"]
    with pytest.raises(UserError) as caught:
        workflow_config.check_figure_names(config, literature_config())
    assert str(caught.value) == (
        "config figures.literature_simard_curves: its file figures/literature_simard_curves.png"
        " is that of figure simard_curves of config/literature.yaml: name the figure otherwise")


@pytest.mark.parametrize("where, key, value", [
    ("runs", "evaluation", "test"), ("miniature", "monitor", ["training_cost"]),
    ("defaults", "evaluation", "test"),
])
def test_a_literature_run_told_to_measure_otherwise_is_refused(where, key, value):
    """The literature runs measure validation and test accuracy every epoch whatever their
    spec says: `evaluation: test` was accepted, ignored, and would have voided every
    checkpoint (the spec is part of the job)."""
    config, literature = load_config(), literature_config()
    workflow_config.check_literature_measures(config, literature, "lit.yaml")  # as committed
    if where == "defaults":
        literature["defaults"] = {**literature["defaults"], key: value}
    else:
        run = next(iter(literature[where]))
        literature[where] = {**literature[where], run: {**literature[where][run], key: value}}
    with pytest.raises(UserError, match=rf"^lit.yaml: \w+\.\w+: {key}: .*whatever this says; "
                                        "keep"):
        workflow_config.check_literature_measures(config, literature, "lit.yaml")


def dry_run(cwd, *args, env=None):
    return subprocess.run([sys.executable, "-m", "snakemake", "-n", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def stopped_in_one_line(proc) -> str:
    """The last line of a workflow stopped at its start (exit 1, no traceback)."""
    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert not any(line.lstrip().startswith(("File \"", "Traceback")) for line in lines)
    return lines[-1]


@pytest.mark.parametrize("configfile, words", [
    ("experiments: {train: [overfitting_overlay]}\n",
     "experiments.train: 'train' is the name of a rule of the workflow (in "
     "workflow/rules/train.smk): name it otherwise"),
    # a fixed rule of a file included after the experiments were once made
    ("experiments: {literature_probe: [overfitting_overlay]}\n",
     "experiments.literature_probe: 'literature_probe' is the name of a rule of the workflow "
     "(in workflow/rules/literature.smk): name it otherwise"),
    ("figures: {literature_simard_curves: {family: function, section: 9, function: relu, "
     "ylabel: y, title: t}}\n",
     "figures.literature_simard_curves: its file figures/literature_simard_curves.png is that "
     "of figure simard_curves of config/literature.yaml: name the figure otherwise")])
def test_snakemake_stops_on_a_name_of_its_own_with_one_line(tmp_path, configfile, words):
    """An experiment is a rule of its name: one named as another rule stopped Snakemake
    with a CreateRuleException blaming the other rule's file."""
    mine = tmp_path / "mine.yaml"
    mine.write_text(configfile)
    proc = dry_run(ROOT, "overfitting", "--configfile", str(mine))
    assert stopped_in_one_line(proc) == (
        f"error: invalid config (config/config.yaml and config/figures.yaml, then {mine}): "
        f"{words}")


def test_an_experiment_named_like_the_literatures_targets_but_none_is_a_target(tmp_path):
    """Only a name a rule has is refused (a prefix its rules share is not)."""
    mine = tmp_path / "mine.yaml"
    mine.write_text("experiments: {literature_extras: [overfitting_overlay]}\n")
    proc = dry_run(ROOT, "literature_extras", "--configfile", str(mine))
    assert proc.returncode == 0, proc.stderr


def test_code_edited_into_a_syntax_error_stops_the_workflow_in_one_line(tmp_path):
    """The rules' code digests parse the package: an edit that does not parse stopped
    Snakemake with its traceback of the workflow's files."""
    from tools.doc_commands import clean_checkout

    checkout = clean_checkout(tmp_path / "checkout")
    module = checkout / "src" / "nndl3" / "plotting.py"
    module.write_text(module.read_text() + "\ndef broken(:\n")
    lines = len(module.read_text().splitlines())
    proc = dry_run(checkout, env={**os.environ, "PYTHONPATH": str(checkout / "src")})
    assert stopped_in_one_line(proc) == (
        f"error: plotting.py, line {lines}: invalid syntax (the code does not parse, so no "
        "job can be planned: fix it and run again)")


def test_a_literature_run_named_so_that_its_target_is_a_rule_is_refused(tmp_path):
    """A run's target is literature_<run>: a run `train` would be the rule literature_train."""
    from tools.doc_commands import clean_checkout

    tmp_path = clean_checkout(tmp_path / "checkout")
    literature = tmp_path / "config" / "literature.yaml"
    text = literature.read_text()
    assert "\nruns:\n" in text
    literature.write_text(text.replace("\nruns:\n", "\nruns:\n  train: {sizes: [784, 800, 10]}\n"))
    assert stopped_in_one_line(dry_run(tmp_path, "all")) == (
        "error: invalid config: config/literature.yaml: runs.train: 'literature_train' is the "
        "name of a rule of the workflow (in workflow/rules/literature.smk): name it otherwise")


@pytest.mark.parametrize("figure, edit, words", [
    ("simard_curves", {"run": "simard_plian"},
     "series: run 'simard_plian' is not one of `runs:` ({runs}), the runs trained at the "
     "figure's scale"),
    ("dropout_probe", {"run": "simard_plain"},
     "series: run 'simard_plain' is not one of `probe:` ({probe}), the runs trained at "
     "the figure's scale"),
    ("dropout_probe", {"scale": "prob"}, "scale: 'prob' is not one of runs, miniature, probe")])
def test_a_literature_figure_drawing_what_its_scale_does_not_train_is_named(figure, edit,
                                                                            words):
    """Its keys right, the figure stopped `snakemake literature` when it was planned (a run
    misspelt, a scale misspelt) or when its job ran (a run the probe does not train)."""
    import copy

    doc = copy.deepcopy(literature_config())
    fig = doc["figures"][figure]
    if "run" in edit:
        fig["series"][0]["run"] = edit["run"]
    else:
        fig.update(edit)
    with pytest.raises(UserError) as caught:
        workflow_config.check_literature(doc, "config/literature.yaml")
    words = words.format(runs=", ".join(doc["runs"]), probe=", ".join(doc["probe"]))
    assert str(caught.value) == f"config/literature.yaml: figures.{figure}: {words}"


def test_a_row_scoring_an_svm_fit_on_another_set_reads_the_fit_so_scored():
    """Only the svm_test_size fit is scored on the test set: a row of config/expected.yaml
    reading another's test score is refused before anything runs."""
    from nndl3 import check

    expected = check.load_expected(ROOT / "config" / "expected.yaml")
    config = load_config()
    workflow_config.check_scored_fits(config, expected)
    with pytest.raises(UserError, match=r"row ch1_svm_test: svm: 50000: only the "
                       r"svm_test_size fit \(20000\) is scored"):
        workflow_config.check_scored_fits({**config, "svm_test_size": 20000}, expected)
