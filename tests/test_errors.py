"""Every file a user or a killed job can break gives one line naming it, exit status 1.

Each case starts from a set of good files (a run record, an aggregate, SVM and neuron
results, expected values, a calibration, a run spec, a reproduction report), breaks one
of them (missing, empty, truncated, not JSON/YAML, not a mapping, another schema, a key
removed) and runs the command that reads it.
"""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from nndl3 import aggregate, cli, code, readers
from nndl3.errors import UserError

SPEC = {"sizes": [784, 30, 10], "cost": "cross-entropy", "init": "default", "eta": 0.5,
        "lmbda": 0.0, "regularization": "l2", "dropout": 0.0, "epochs": 2, "mini_batch": 10,
        "train_size": 100, "evaluation": "test", "monitor": ["evaluation_accuracy"],
        "dtype": "float32", "engine": "auto", "seeds": [1, 2]}


def record(seed):
    return {"schema": readers.RECORD_SCHEMA, "run": "r", "seed": seed, "spec": SPEC,
            "monitored_epochs": [0, 1], "metrics": {"evaluation_accuracy": [0.9, 0.9 + seed / 100]},
            "seconds_per_epoch": [0.1, 0.1], "code": code.digest("train")}


@pytest.fixture
def files(tmp_path):
    """Good files of every kind, and the command that reads each."""
    f = {k: tmp_path / name for k, name in {
        "record": "seed-1.json", "record2": "seed-2.json", "aggregate": "r.json",
        "svm": "100.json", "neuron": "n.json", "expected": "expected.yaml",
        "calibration": "calibration.yaml", "spec": "spec.yaml", "reproduction": "rep.json",
        "table": "rep.md"}.items()}
    f["record"].write_text(json.dumps(record(1)))
    f["record2"].write_text(json.dumps(record(2)))
    f["aggregate"].write_text(json.dumps(aggregate.aggregate([record(1), record(2)]), indent=1))
    f["svm"].write_text(json.dumps({"schema": readers.SVM_SCHEMA, "train_size": 100,
                                    "evaluation": "validation", "accuracy": 0.5}, indent=1))
    assert cli.main(["neuron", "--w", "2", "--b", "2", "--cost", "quadratic", "--eta", "0.15",
                     "--epochs", "3", "--out", str(f["neuron"])]) == 0
    f["expected"].write_text(yaml.safe_dump({"rule": "r", "gate": {
        "family_false_failure": 0.01, "detectable_power": 0.8}, "quantities": [
        {"id": "acc", "section": 2, "quantity": "q", "book": 91.5, "book_precision": 0.5,
         "source": {"run": "r", "metric": "evaluation_accuracy", "reduce": "best"}},
        {"id": "svm", "section": 6, "quantity": "q", "book": 50, "book_precision": 1,
         "source": {"svm": 100}},
        {"id": "neuron", "section": 1, "quantity": "q", "book": 0.98, "book_precision": 0.1,
         "source": {"neuron": "n", "at": "start"}}]}))
    f["calibration"].write_text(yaml.safe_dump({"seeds": [1, 2], "n": 2,
                                                "seed_sd": {"acc": 0.5},
                                                "per_seed": {"acc": {1: 91.0, 2: 91.7071}}}))
    f["spec"].write_text(yaml.safe_dump(SPEC))
    out = tmp_path / "out"
    report = ["report", "--expected", f["expected"], "--calibration", f["calibration"],
              "--aggregates", f["aggregate"], "--records", f["record"], f["record2"],
              "--svm", f["svm"], "--neuron", f["neuron"],
              "--out-md", f["table"], "--out-json", f["reproduction"]]
    assert cli.main(list(map(str, report))) == 0
    curves = {"family": "curves", "title": "t",
              "series": [{"run": "r", "metric": "evaluation_accuracy", "label": "x"}]}
    commands = {
        "record": ["aggregate", "--records", f["record"], f["record2"], "--out", out],
        # its own outputs, under `out`: the good report above stays for `check` to read
        "report": [*report[:-4], "--out-md", out / "rep.md", "--out-json", out / "rep.json"],
        "plot": ["plot", "--spec", json.dumps(curves), "--aggregates", f["aggregate"],
                 "--records", f["record"], f["record2"], "--out", out],
        "plot_neuron": ["plot", "--spec",
                        json.dumps({"family": "neuron", "title": "t", "neuron": "n"}),
                        "--neuron", f["neuron"], "--out", out],
        "plot_sweep": ["plot", "--spec", json.dumps(
            {"family": "sweep", "title": "t", "xlabel": "n", "ylabel": "a", "svm": True,
             "series": [{"runs": ["r"], "x": "train_size", "metric": "evaluation_accuracy",
                         "label": "net"}]}), "--aggregates", f["aggregate"], "--svm", f["svm"],
                       "--out", out],
        "train": ["train", "--spec", f["spec"], "--run", "r", "--out-dir", out],
        "check": ["check", "--report", f["reproduction"], "--table", f["table"]],
    }
    return f, {k: list(map(str, v)) for k, v in commands.items()}, out


def cut(path):
    text = path.read_text()
    path.write_text(text[:len(text) // 2])


def set_key(key, value):
    def breaker(path):
        doc = (json.loads if path.suffix == ".json" else yaml.safe_load)(path.read_text())
        doc[key] = value
        path.write_text(json.dumps(doc) if path.suffix == ".json" else yaml.safe_dump(doc))
    return breaker


def drop_key(key):
    def breaker(path):
        doc = (json.loads if path.suffix == ".json" else yaml.safe_load)(path.read_text())
        del doc[key]
        path.write_text(json.dumps(doc) if path.suffix == ".json" else yaml.safe_dump(doc))
    return breaker


BREAKERS = {
    "missing": lambda p: p.unlink(),
    "empty": lambda p: p.write_text(""),
    "truncated": cut,
    "not JSON/YAML": lambda p: p.write_text("{this: [is not, valid"),
    "not a mapping": lambda p: p.write_text("[1, 2, 3]"),
    "binary": lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe"),
}
SCHEMA_BREAKERS = {"another schema": set_key("schema", "nndl3.other/9"),
                   "no schema": drop_key("schema")}

# (file kind, command that reads it, the key whose removal must be named)
CASES = [
    ("record", "record", "metrics"),
    ("record2", "record", "monitored_epochs"),
    # the figures and the report are given the records behind their aggregates: a broken one
    # is named, not passed over because its aggregate reads
    ("record", "plot", "metrics"),
    ("record2", "report", "seed"),
    ("aggregate", "report", "seeds"),
    ("aggregate", "plot", "metrics"),
    ("aggregate", "plot_sweep", "run"),
    ("svm", "report", "accuracy"),
    ("svm", "plot_sweep", "train_size"),
    ("neuron", "report", "output"),
    ("neuron", "plot_neuron", "cost"),
    ("expected", "report", "quantities"),
    ("calibration", "report", "seed_sd"),
    ("spec", "train", "seeds"),  # the one key without a default (run.schema.yaml)
    ("reproduction", "check", "rows"),
]
JSON_RESULTS = {"record", "record2", "aggregate", "svm", "neuron"}


def params():
    for kind, command, key in CASES:
        breakers = dict(BREAKERS)
        if kind in JSON_RESULTS:
            breakers.update(SCHEMA_BREAKERS)
        breakers[f"without {key}"] = drop_key(key)
        for name, breaker in breakers.items():
            named = key if name == f"without {key}" else None
            yield pytest.param(kind, command, breaker, named, id=f"{kind}-{command}-{name}")


PARAMS = list(params())


@pytest.mark.parametrize("kind, command, breaker, named", PARAMS)
def test_broken_file_gives_one_line(files, capsys, kind, command, breaker, named):
    """One line naming the file, and the key where one was removed."""
    f, commands, out = files
    breaker(f[kind])
    capsys.readouterr()
    assert cli.main(commands[command]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: "), err
    assert str(f[kind]) in err, err
    if named:  # the key itself, not a path that happens to hold its letters
        assert re.search(rf"\b{named}\b", err.replace(str(f[kind]), "")), err
    assert not out.exists(), "no output may be written from a broken input"


@pytest.mark.parametrize("command", ["report", "plot_sweep"])
@pytest.mark.parametrize("key, value", [("accuracy", "0.9"), ("accuracy", 1.7),
                                        ("accuracy", None), ("train_size", "100"),
                                        ("train_size", None),
                                        ("scores", {"test": {"accuracy": -3}})])
def test_an_svm_result_of_values_no_reader_can_take_is_named(files, capsys, command, key,
                                                             value):
    """Keys were checked, not values: a string accuracy was drawn on a text axis, and a
    null one stopped on a TypeError naming no file."""
    f, commands, out = files
    set_key(key, value)(f["svm"])
    capsys.readouterr()
    assert cli.main(commands[command]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: {f['svm']}: SVM result: "), err
    assert key in err and not out.exists()


@pytest.mark.parametrize("key, value", [("run", 5), ("run", ""), ("stop_reason", 5)])
def test_a_record_of_values_its_aggregate_could_not_hold_is_named(files, capsys, key, value):
    """Before, `aggregate` wrote an aggregate of them that its readers then refused."""
    f, commands, out = files
    set_key(key, value)(f["record"])
    capsys.readouterr()
    assert cli.main(commands["record"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"error: {f['record']}: run record: {key}: ")
    assert not out.exists()


def test_a_good_set_passes(files):
    """Each command succeeds on good inputs and writes at `out`, where the broken inputs
    above must leave nothing (the control of `not out.exists()`); check writes nothing."""
    f, commands, out = files
    for name in ("record", "report", "plot", "plot_neuron", "plot_sweep", "check"):
        assert cli.main(commands[name]) == 0, name
        assert out.exists() == (name != "check"), name
        if out.is_dir():  # report's two outputs
            shutil.rmtree(out)
        else:
            out.unlink(missing_ok=True)


def test_truncated_aggregate_through_the_cli_prints_no_traceback(files):
    f, commands, out = files
    cut(f["aggregate"])
    proc = subprocess.run([sys.executable, "-m", "nndl3", *commands["plot"]],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"error: {f['aggregate']}: aggregate truncated")
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1


CALIBRATION_START = '{"seeds": [1], "n_check": 3, "curves": {'  # a curve calibration's start


@pytest.mark.parametrize("content,problem", [
    ("", "curve calibration is empty"),
    (CALIBRATION_START, "curve calibration truncated or not JSON"),
    ('{"seeds": [1]}', "curve calibration lacks key(s) 'n_check', 'curves'"),
    ('{"seeds": [1], "n_check": 0, "curves": {}}',
     "curve calibration: n_check: 0 is not a number of seeds"),
    (CALIBRATION_START + '"a.b": {"sd": [1], "sd_epoch_mean": 1}}}',
     "curve calibration of a.b lacks key(s) 'threshold'"),
    # an sd a tolerance is scaled by: NaN gave '± nan', -1 a negative tolerance
    (CALIBRATION_START + '"a.b": {"sd": [1, -1], "sd_epoch_mean": 1, "threshold": 0}}}',
     "curve calibration of a.b: sd: -1 is not a non-negative number"),
    (CALIBRATION_START + '"a.b": {"sd": [1], "sd_epoch_mean": NaN, "threshold": 0}}}',
     "curve calibration of a.b: sd_epoch_mean: nan is not a non-negative number"),
    (CALIBRATION_START + '"a.b": {"sd": [1], "sd_epoch_mean": 1, "threshold": "x"}}}',
     "curve calibration of a.b: threshold: 'x' is not a number"),
])
def test_broken_curve_calibration_gives_one_line(tmp_path, content, problem):
    path = tmp_path / "calibration_curves.json"
    path.write_text(content)
    with pytest.raises(UserError, match=re.escape(problem)) as error:
        readers.curve_calibration(path)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("sd, shown", [(-1.0, "-1.0"), (float("nan"), "nan"), ("x", "'x'")])
def test_a_calibration_sd_that_no_tolerance_can_take_is_named(tmp_path, sd, shown):
    import yaml

    path = tmp_path / "calibration.yaml"
    path.write_text(yaml.safe_dump({"seeds": [101], "seed_sd": {"a": 0.3, "b": sd}}))
    with pytest.raises(UserError, match=re.escape(f"calibration: seed_sd.b: {shown} is not a "
                                                  "non-negative number")):
        readers.calibration(path)


def test_a_calibration_missing_a_seed_of_a_row_stops_the_report_naming_both(tmp_path, capsys):
    """The check reads each row's per-seed values (its degrees of freedom): one deleted by
    hand used to change the row's tolerance, with exit status 0."""
    import yaml

    from nndl3 import cli

    root = Path(__file__).resolve().parents[1]
    doc = yaml.safe_load((root / "config" / "calibration.yaml").read_text())
    del doc["per_seed"]["xent_30_test_best"][110]
    path = tmp_path / "calibration.yaml"
    path.write_text(yaml.safe_dump(doc))
    assert cli.main(["report", "--expected", str(root / "config" / "expected.yaml"),
                     "--calibration", str(path), "--aggregates", str(tmp_path / "a.json"),
                     "--out-md", str(tmp_path / "r.md"),
                     "--out-json", str(tmp_path / "r.json")]) == 1
    assert capsys.readouterr().err == (
        f"error: {path}: calibration: row 'xent_30_test_best': per_seed has seeds "
        f"{list(range(101, 110))}, not its calibration seeds {list(range(101, 111))}; "
        "restore it from git or rerun `snakemake --cores 2 install_calibration`\n")
    assert not (tmp_path / "r.json").exists()


@pytest.mark.parametrize("values, shown", [([1.0], "per_seed.r: not a mapping"),
                                           ({1: None}, "per_seed.r: 1: None is not a seed's"),
                                           ({"x": 1.0}, "per_seed.r: 'x': 1.0 is not a seed's")])
def test_a_calibration_value_per_seed_that_no_check_can_take_is_named(tmp_path, values, shown):
    import yaml

    path = tmp_path / "calibration.yaml"
    path.write_text(yaml.safe_dump({"seeds": [1], "seed_sd": {"r": 0.3},
                                    "per_seed": {"r": values}}))
    with pytest.raises(UserError, match=f"^{re.escape(f'{path}: calibration: {shown}')}"):
        readers.calibration(path)


def test_the_committed_curve_calibration_reads():
    path = Path(__file__).resolve().parents[1] / "config" / "calibration_curves.json"
    assert len(readers.curve_calibration(path)["curves"]) == 19


@pytest.mark.parametrize("kind, option, words", [
    ("aggregate", "--aggregates", "a second aggregate of run 'r'"),
    ("svm", "--svm", "a second SVM or baseline result for 100"),
    ("neuron", "--neuron", "a second neuron result named 'n'")])
def test_two_results_of_one_key_are_refused_naming_the_second(files, capsys, kind, option,
                                                              words):
    """The rows read one result per run, size or name: a second would be dropped silently."""
    f, commands, out = files
    copy = f[kind].parent / "again" / f[kind].name
    copy.parent.mkdir()
    copy.write_text(f[kind].read_text())
    argv = commands["report"]
    at = argv.index(option) + 1
    capsys.readouterr()
    assert cli.main([*argv[:at + 1], str(copy), *argv[at + 1:]]) == 1
    assert capsys.readouterr().err == f"error: {copy}: {words}\n"


@pytest.mark.parametrize("series, words", [
    ({"run": "r", "metric": "evaluation_acc"}, "--spec: the figure draws 'evaluation_acc' of "
     "run r, which it does not monitor (it has "),
    ({"run": "s", "metric": "evaluation_accuracy"}, "--aggregates: the figure draws run 's', "
     "and no aggregate of it was given")])
def test_a_figure_of_a_run_or_metric_not_given_names_it(files, capsys, series, words):
    f, commands, out = files
    argv = commands["plot"]
    spec = json.loads(argv[argv.index("--spec") + 1])
    spec["series"] = [{**spec["series"][0], **series}]
    argv[argv.index("--spec") + 1] = json.dumps(spec)
    capsys.readouterr()
    assert cli.main(argv) == 1
    assert capsys.readouterr().err.startswith(f"error: {words}")
    assert not out.exists()


def test_a_figure_is_written_only_under_a_png_name(files, capsys, tmp_path):
    f, commands, out = files
    argv = commands["plot"]
    argv[argv.index("--out") + 1] = str(tmp_path / "p.pdf")
    capsys.readouterr()
    with pytest.raises(SystemExit) as stop:  # argparse's, also under --check-only
        cli.main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and (f"argument --out: {tmp_path / 'p.pdf'}: figures are "
                                     "written as PNG, not .pdf") in err
    assert not (tmp_path / "p.pdf").exists()
    argv[argv.index("--out") + 1] = str(tmp_path / "p.PNG")
    assert cli.main(argv) == 0 and (tmp_path / "p.PNG").exists()


def test_a_broken_recipe_curve_file_names_the_rule_that_installs_it(tmp_path):
    path = tmp_path / "recipe_curves.json"
    path.write_text("{")
    from nndl3 import figures

    with pytest.raises(UserError, match="rerun `snakemake --cores 2 install_recipe`"):
        figures.read_recipe([path])  # plot --recipe
    with pytest.raises(UserError, match="rerun `snakemake --cores 2 install_calibration`"):
        readers.curve_calibration(path)


def failing(exc):
    def main():
        raise exc
    return main


def test_a_script_stopped_by_a_file_or_the_unexpected_says_so_in_one_line(capsys, monkeypatch):
    """errors.exit_status, the handler of the package's commands and of the benchmark and
    tool scripts: no traceback for a failed file operation, Ctrl-C or an unanticipated
    error (unless NNDL3_TRACEBACK asks for it)."""
    from nndl3 import errors

    monkeypatch.delenv(errors.TRACEBACK_VARIABLE, raising=False)
    cases = [(UserError("f.json: truncated"), 1, "error: f.json: truncated"),
             (FileNotFoundError(2, "No such file or directory", "/proc/x.json"), 1,
              "error: bench: /proc/x.json: No such file or directory"),
             (KeyboardInterrupt(), 130, "error: bench: interrupted"),
             (KeyError("status"), 1, "error: bench: unexpected KeyError: 'status' (an input "
              f"no check covers, or a bug; {errors.TRACEBACK_VARIABLE}=1 shows where)")]
    for exc, status, line in cases:
        assert errors.exit_status(failing(exc), "bench") == status
        assert capsys.readouterr().err == line + "\n"
    monkeypatch.setenv(errors.TRACEBACK_VARIABLE, "1")
    with pytest.raises(KeyError):
        errors.exit_status(failing(KeyError("status")), "bench")


SIGTERM_MID_WRITE = """
import os, signal, sys
from nndl3 import atomic, cli, errors

def main(args=None):
    with atomic.atomic_path(sys.argv[1], suffix=".json") as tmp:
        tmp.write_text("{half")
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(10**6):  # the handler runs at the next bytecode
            pass
    return 0

def spin():
    for _ in range(10**6):
        pass

mode, before = sys.argv[2], signal.getsignal(signal.SIGTERM)
if mode == "command":  # as `python -m nndl3 darkness` runs it, through cli.run
    cli.cmd_darkness = main
    status = cli.main(["darkness", "--data", "any.npz", "--out", sys.argv[1]])
    assert signal.getsignal(signal.SIGTERM) is before  # restored for the caller
elif mode == "early":  # before the command starts: held, and raised as it starts
    def writes():
        open(sys.argv[1], "w").write("the command ran")

    with errors.sigterm_raises():
        os.kill(os.getpid(), signal.SIGTERM)
        spin()
        status = errors.exit_status(writes, "darkness")
elif mode == "after":  # once the command has returned: its exit is under way
    with errors.sigterm_raises():
        status = errors.exit_status(lambda: 0, "darkness")
        os.kill(os.getpid(), signal.SIGTERM)
        spin()
else:  # a script: one that waits on a child process must not raise into the wait
    status = errors.exit_status(main, "bench")
sys.exit(status)
"""


@pytest.mark.parametrize("mode, status, err", [
    ("command", 143, "error: darkness: terminated (SIGTERM)\n"),
    ("early", 143, "error: darkness: terminated (SIGTERM)\n"),
    ("after", 0, ""),
    # a script keeps Python's answer: some wait on Snakemake in subprocess.run, which
    # would kill it outright on an exception
    ("script", -15, "")])
def test_a_command_terminated_by_sigterm_leaves_no_temporary_file(tmp_path, mode, status,
                                                                 err):
    """SIGTERM (`timeout`, a cluster's cancel) in the middle of a command's atomic write:
    it stops with one line and status 143, and neither the output nor its temporary file
    is left (Python's default handler ends the process at once, -15, and leaves the
    temporary file, as a script still does)."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", SIGTERM_MID_WRITE,
                           str(tmp_path / "result.json"), mode], capture_output=True,
                          text=True)
    assert (proc.returncode, proc.stderr) == (status, err)
    left = [p.name for p in tmp_path.iterdir()]
    if mode == "script":
        assert len(left) == 1 and left[0].startswith(".result.json.")
    else:
        assert left == []


def test_the_gate_seeds_benchmark_names_a_row_without_status(files, monkeypatch):
    """The report passes readers.reproduction, whose rows' status the gate reads next: a
    KeyError before, now the row named as `check` names it."""
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import gate_seeds

    report = files[0]["reproduction"]
    doc = json.loads(report.read_text())
    del doc["rows"][0]["status"]
    report.write_text(json.dumps(doc))
    with pytest.raises(UserError, match=rf"^{re.escape(str(report))}: rows: "
                                        rf"{doc['rows'][0]['id']}: status None$"):
        gate_seeds.triples([str(report)])


@pytest.mark.parametrize("change, words", [
    (lambda row: row.pop("tolerance_k_sigma"), "no tolerance_k_sigma (a report of an older"),
    (lambda row: row.update(tolerance_k_sigma="1"), "tolerance_k_sigma: '1' is not a number"),
])
def test_the_gate_seeds_benchmark_names_a_row_it_cannot_judge(files, monkeypatch, change,
                                                              words):
    """A report readers.reproduction takes (an older check's; a text number) stopped the
    benchmark on 'unexpected KeyError' or 'TypeError'."""
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import gate_seeds

    report = files[0]["reproduction"]
    doc = json.loads(report.read_text())
    row = next(r for r in doc["rows"] if r.get("alpha") is not None)
    change(row)
    report.write_text(json.dumps(doc))
    with pytest.raises(UserError, match=rf"^{re.escape(str(report))}: row {row['id']!r}: "
                                        + re.escape(words)):
        gate_seeds.triples([str(report)])


@pytest.mark.parametrize("change, words", [({"correct": 10_001}, "correct 10001 of 10000"),
                                           ({"accuracy": "0.2"}, "accuracy: '0.2' is not a "
                                                                 "fraction")])
def test_a_baseline_result_of_values_no_reader_can_take_is_named(tmp_path, change, words):
    path = tmp_path / "darkness.json"
    path.write_text(json.dumps({"schema": readers.BASELINE_SCHEMA, "classifier": "darkness",
                                "evaluation": "test", "correct": 2225, "of": 10_000,
                                "accuracy": 0.2225, **change}))
    with pytest.raises(UserError, match=f"^{re.escape(str(path))}: baseline result: "
                                        f"{re.escape(words)}"):
        readers.baseline_result(path)


def set_summary(summary, value):
    def breaker(path):
        doc = json.loads(path.read_text())
        doc["metrics"]["evaluation_accuracy"][summary] = value
        path.write_text(json.dumps(doc))
    return breaker


@pytest.mark.parametrize("breaker, words", [
    (set_summary("min", None), "metrics.evaluation_accuracy.min: not one number"),
    (set_summary("mean", ["x", 0.9]), "metrics.evaluation_accuracy.mean: not one number"),
    (set_summary("max", [0.9, 1.5]), "metrics.evaluation_accuracy.max: an accuracy outside"),
    (set_key("stop_reason", 5), "stop_reason: not one reason")])
def test_an_aggregate_s_statistics_the_figures_draw_are_checked(files, capsys, breaker, words):
    """The figures draw an aggregate's mean, min and max as stored: a null min stopped on a
    TypeError naming no file."""
    f, commands, out = files
    breaker(f["aggregate"])
    capsys.readouterr()
    assert cli.main(commands["plot"]) == 1
    err = capsys.readouterr().err
    assert err == f"error: {f['aggregate']}: aggregate: {words}" + err.split(words, 1)[1], err
    assert err.count("\n") == 1 and not out.exists()


def test_an_aggregate_drawn_without_its_statistics_is_named(files, capsys):
    """The check reads per_seed only; a figure draws mean, min and max: a figure of an
    aggregate without them names the file and the keys."""
    f, commands, out = files
    doc = json.loads(f["aggregate"].read_text())
    del doc["metrics"]["evaluation_accuracy"]["min"]
    f["aggregate"].write_text(json.dumps(doc))
    capsys.readouterr()
    assert cli.main(commands["plot"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {f['aggregate']}: aggregate metric 'evaluation_accuracy' "
                          "lacks key(s) 'min'") and err.count("\n") == 1, err


@pytest.mark.parametrize("edit, problem", [
    (lambda rows: rows.append(None), "a row must be a mapping of keys to values, not NoneType"),
    (lambda rows: rows.append(dict(rows[0])), "a second row 'neuron_quadratic_good_start'"),
])
def test_a_row_of_expected_values_that_is_no_row_or_twice_is_named(tmp_path, edit, problem):
    """A cut file ending in a bare `-` gave a TypeError at the workflow's start; a copied
    row was counted twice, in the gate's number of rows too."""
    import yaml

    from nndl3 import check

    doc = yaml.safe_load((Path(__file__).resolve().parents[1] / "config" / "expected.yaml")
                         .read_text())
    edit(doc["quantities"])
    path = tmp_path / "expected.yaml"
    path.write_text(yaml.safe_dump(doc))
    with pytest.raises(UserError) as error:
        check.load_expected(path)
    assert str(error.value) == f"{path}: quantities[{len(doc['quantities']) - 1}]: {problem}"


@pytest.mark.parametrize("key", ["miniature", "figures"])
def test_a_literature_config_without_a_section_the_workflow_reads_is_named(tmp_path, key):
    """Not a KeyError at the workflow's start (common.smk); literature-train itself reads
    only defaults and runs."""
    import yaml

    from nndl3 import literature, workflow_config

    doc = yaml.safe_load((Path(__file__).resolve().parents[1] / "config" / "literature.yaml")
                         .read_text())
    path = tmp_path / "literature.yaml"
    for value, words in ((None, "NoneType"), (..., "missing")):
        if value is ...:
            del doc[key]
        else:
            doc[key] = value
        path.write_text(yaml.safe_dump(doc))
        with pytest.raises(UserError) as error:
            workflow_config.check_literature(literature.load_config(path), path)
        assert str(error.value) == f"{path}: {key}: {words}, not a mapping"
