"""What the command line does with inputs no file-format check covers: outputs that cannot
be written (refused before any work), a broken prepared-data file, sizes and counts out of
range, records given twice, a --root that is no checkout, and an error no check foresaw
(one line, the traceback only on request)."""

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from nndl3 import cli, errors, literature, mnist, neuron, readers, records
from nndl3.errors import UserError

from .conftest import synthetic_digits

ROOT = Path(__file__).resolve().parents[1]


def one_line_error(capsys, argv) -> str:
    capsys.readouterr()
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: "), err
    return err


@pytest.fixture
def tiny_npz(tmp_path):
    x, y = synthetic_digits(80)
    path = tmp_path / "mnist.npz"
    pixels = (x * 255).astype(np.uint8)
    np.savez(path, train_x=pixels[:40], train_y=y[:40], validation_x=pixels[40:60],
             validation_y=y[40:60], test_x=pixels[60:], test_y=y[60:])
    return path


@pytest.mark.parametrize("where, words", [
    ("file/out.json", "its folder cannot be written (Not a directory)"),
    ("folder", "a folder, not a file"),
    ("new/", "a folder, not a file")])  # else written as a file named `new`
def test_an_output_that_cannot_be_written_is_refused_before_the_command_runs(
        tmp_path, tiny_npz, capsys, monkeypatch, where, words):
    (tmp_path / "file").write_text("")
    (tmp_path / "folder").mkdir()
    ran = []
    monkeypatch.setattr(cli, "cmd_darkness", lambda args: ran.append(args))
    err = one_line_error(capsys, ["darkness", "--data", str(tiny_npz), "--out",
                                  f"{tmp_path}/{where}"])
    assert f"--out: {tmp_path}/{where}: {words}" in err and not ran
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "folder", "mnist.npz"]


def test_an_npz_of_python_objects_is_named_as_such(tmp_path, capsys):
    """NumPy refuses to unpickle it (allow_pickle=False); the reason said is that, not
    'not a zip archive'."""
    path = tmp_path / "objects.npz"
    np.savez(path, **{name: np.array([1, "x"], dtype=object) for name in
                      ("train_x", "train_y", "test_x", "test_y")})
    err = one_line_error(capsys, ["darkness", "--data", str(path), "--out",
                                  str(tmp_path / "d.json")])
    assert "an array of Python objects, which is never unpickled" in err


@pytest.mark.parametrize("spec, seeds, words", [
    ({"epochs": 1, "seeds": [1]}, ["--seeds", "-1"], "--seeds: seeds.0: -1 is less than the "
     "minimum of 0"),
    ({"epochs": 1}, [], "spec.yaml: missing key(s) seeds (or give them with --seeds)")])
def test_a_runs_seeds_are_blamed_on_where_they_came_from(tmp_path, tiny_npz, capsys, spec,
                                                         seeds, words):
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    err = one_line_error(capsys, ["train", "--spec", str(tmp_path / "spec.yaml"), "--run", "r",
                                  "--data", str(tiny_npz), "--out-dir", str(tmp_path / "r"),
                                  *seeds])
    assert err.endswith(words + "\n") and not (tmp_path / "r").exists()


def test_check_only_judges_a_spec_with_the_seeds_the_command_line_gives(tmp_path, tiny_npz,
                                                                       capsys):
    argv = ["--check-only", "train", "--spec", '{"epochs": 1}', "--run", "r", "--data",
            str(tiny_npz), "--out-dir", str(tmp_path / "r"), "--seeds"]
    assert cli.main([*argv, "1"]) == 0
    assert one_line_error(capsys, [*argv, "-1"]).startswith("error: --seeds: seeds.0: -1")


def test_an_output_folder_that_is_a_file_is_refused_as_such(tmp_path, capsys):
    (tmp_path / "file").write_text("")
    err = one_line_error(capsys, ["train", "--spec", "{}", "--run", "r",
                                  "--out-dir", str(tmp_path / "file")])
    assert f"--out-dir: {tmp_path / 'file'}: a file, not a folder" in err


def test_an_output_in_new_folders_is_accepted_and_nothing_is_made_before_the_work(tmp_path):
    out = tmp_path / "new" / "deeper" / "out.json"
    args = cli.parser().parse_args(["darkness", "--out", str(out)])
    cli.check_outputs(args)
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("content, words", [
    (b"", "(empty)"), (b"not an archive\n", "(not a zip archive)"),
    (b"PK\x03\x04 cut short", "(not a zip archive, or truncated)")])
def test_a_broken_prepared_data_file_is_one_line(tmp_path, capsys, content, words):
    data = tmp_path / "mnist.npz"
    data.write_bytes(content)
    err = one_line_error(capsys, ["darkness", "--data", str(data), "--out",
                                  str(tmp_path / "d.json")])
    assert f"{data}: not the prepared MNIST {words}; the prepared data is" in err
    assert not (tmp_path / "d.json").exists()


def test_a_prepared_data_file_without_a_set_names_the_arrays(tmp_path):
    data = tmp_path / "mnist.npz"
    np.savez(data, train_x=np.zeros((2, 784), np.uint8), train_y=np.zeros(2, np.int64))
    with pytest.raises(UserError, match=r"not the prepared MNIST \(no test_x, test_y\)"):
        mnist.load(data, sets=("train", "test"))


@pytest.mark.parametrize("size", [-5, 0, 41])
def test_a_training_size_outside_the_training_set_is_refused(tiny_npz, size):
    """A slice would silently take all but the last 5 images for -5, all 40 for 41."""
    with pytest.raises(UserError, match=rf"training size {size}: not in 1\.\.40"):
        mnist.load(tiny_npz, sets=("train",), train_size=size)
    assert len(mnist.load(tiny_npz, sets=("train",), train_size=40)["train"][1]) == 40


def test_an_error_no_check_foresaw_is_one_line_and_its_traceback_on_request(
        tmp_path, tiny_npz, capsys, monkeypatch):
    def broken(args):
        raise KeyError("somewhere")

    monkeypatch.setattr(cli, "cmd_darkness", broken)
    argv = ["darkness", "--data", str(tiny_npz), "--out", str(tmp_path / "d.json")]
    monkeypatch.delenv(errors.TRACEBACK_VARIABLE, raising=False)
    err = one_line_error(capsys, argv)
    assert "darkness: unexpected KeyError: 'somewhere'" in err
    assert f"{errors.TRACEBACK_VARIABLE}=1 shows where" in err
    monkeypatch.setenv(errors.TRACEBACK_VARIABLE, "1")
    with pytest.raises(KeyError):
        cli.main(argv)


def test_a_system_error_names_its_file(tmp_path, tiny_npz, capsys, monkeypatch):
    def missing(args):
        raise FileNotFoundError(2, "No such file or directory", "parts/p0.npz")

    monkeypatch.setattr(cli, "cmd_darkness", missing)
    err = one_line_error(capsys, ["darkness", "--data", str(tiny_npz), "--out",
                                  str(tmp_path / "d.json")])
    assert "error: darkness: parts/p0.npz: No such file or directory" in err


def test_ctrl_c_is_one_line_and_status_130(tmp_path, tiny_npz, capsys, monkeypatch):
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "cmd_darkness", interrupted)
    assert cli.main(["darkness", "--data", str(tiny_npz), "--out",
                     str(tmp_path / "d.json")]) == 130
    assert capsys.readouterr().err == "error: darkness: interrupted\n"


@pytest.mark.parametrize("content, words", [
    (None, "reproduction report missing (`snakemake --cores 2 check` makes it)"),
    ('{"rows": [], "choices": []}', "not the chapter's reproduction report (it has no gate"),
    ('{"rows": ["a', "reproduction report truncated or not JSON (Unterminated string "
     "starting at line 1")])
def test_check_names_a_report_it_cannot_judge(tmp_path, capsys, content, words):
    report = tmp_path / "reproduction.json"
    if content is not None:
        report.write_text(content)
    err = one_line_error(capsys, ["check", "--report", str(report), "--table",
                                  str(tmp_path / "table.md")])
    assert err.startswith(f"error: {report}: {words}"), err


def test_a_reader_that_leaves_the_pipe_does_not_stop_the_run(tmp_path, tiny_npz):
    """`train ... | head -1`: the run goes on silently and writes its record. The pipe's
    read end is closed before the command starts writing, so every write meets EPIPE."""
    spec = {"sizes": [784, 12, 10], "epochs": 5, "train_size": 40, "mini_batch": 10,
            "eta": 0.5, "evaluation": "test", "monitor": ["evaluation_accuracy"],
            "seeds": [1]}
    proc = subprocess.Popen([sys.executable, "-m", "nndl3", "train", "--spec",
                             json.dumps(spec), "--run", "r", "--data", str(tiny_npz),
                             "--out-dir", str(tmp_path / "r")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait() == 0 and err == "", err
    assert json.loads((tmp_path / "r" / "seed-1.json").read_text())["seed"] == 1


@pytest.mark.parametrize("stdout", ["a pipe nobody reads", "closed"])
def test_a_command_whose_stdout_is_gone_still_writes_its_output(tmp_path, stdout):
    """Its last lines are still buffered at the end (no PYTHONUNBUFFERED): flushed through
    the guard, not at exit; and a command started with stdout closed runs as well."""
    import os

    out = tmp_path / "n.json"
    argv = [sys.executable, "-m", "nndl3", "neuron", "--w", "2", "--b", "2", "--cost",
            "quadratic", "--eta", "0.15", "--epochs", "3", "--out", str(out)]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if stdout == "closed":
        proc = subprocess.Popen(["bash", "-c", 'exec "$@" >&-', "-", *argv], env=env,
                                stderr=subprocess.PIPE, text=True)
    else:
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait() == 0 and err == "", err
    assert json.loads(out.read_text())["schema"]


def test_docs_refuse_a_root_that_is_no_checkout(tmp_path, capsys):
    err = one_line_error(capsys, ["docs", "--check", "--root", str(tmp_path / "nowhere")])
    assert "not this repository's checkout" in err


def literature_record(path, **changes):
    doc = {"schema": literature.RECORD_SCHEMA, "run": "simard_plain", "seed": 1, "spec": {},
           "validation_accuracy": [0.5] * 120 + [0.99], "test_accuracy": [0.5] * 120 + [0.984],
           "test_at_best": 0.984, "best_epoch": 120, "n_test": 10000, **changes}
    path.write_text(json.dumps(doc))
    return str(path)


@pytest.mark.parametrize("changes, words", [
    ({"run": None}, "'run' is None, not a string"),
    ({"seed": "1"}, "'seed' is '1', not an integer"),
    ({"test_at_best": "0.98"}, "best_epoch 120, test_at_best '0.98': not the epoch best on "
                               "validation (120) and the test accuracy there (0.984)"),
    ({"test_at_best": 98.4}, "best_epoch 120, test_at_best 98.4: not the epoch best"),
    ({"n_test": 0}, "n_test 0: not a number of test images")])
def test_a_literature_record_the_check_cannot_read_is_one_line(tmp_path, capsys, changes,
                                                               words):
    path = literature_record(tmp_path / "seed-1.json", **changes)
    err = one_line_error(capsys, ["literature-check", "--records", path])
    assert f"{path}: {words}" in err


def test_a_literature_seed_given_twice_does_not_count_twice(tmp_path, capsys):
    """Three paths, two seeds: counted as three, they would clear the 3-seed minimum."""
    first = literature_record(tmp_path / "a.json")
    again = literature_record(tmp_path / "b.json")
    second = literature_record(tmp_path / "c.json", seed=2)
    err = one_line_error(capsys, ["literature-check", "--records", first, second, again])
    assert f"{again}: run simard_plain seed 1 again (also {first})" in err


def test_literature_check_writes_each_output_it_is_given(tmp_path):
    record = literature_record(tmp_path / "seed-1.json")
    md, js = tmp_path / "r.md", tmp_path / "r.json"
    assert cli.main(["literature-check", "--records", record, "--out-json", str(js)]) == 0
    assert js.exists() and not md.exists()
    assert cli.main(["literature-check", "--records", record, "--out-md", str(md)]) == 0
    assert md.exists()


def test_the_docs_name_the_traceback_variable_the_cli_reads():
    from .conftest import ROOT

    for doc in ("README.md", "docs/design.md"):
        assert f"`{errors.TRACEBACK_VARIABLE}=1" in (ROOT / doc).read_text(), doc


def test_missing_predicted_labels_say_missing(tmp_path):
    with pytest.raises(UserError, match="labels.npy: predicted labels missing"):
        cli.predicted_labels(str(tmp_path / "labels.npy"), 10)


def test_an_output_that_is_an_input_or_another_output_is_refused(tmp_path, capsys):
    record = literature_record(tmp_path / "seed-1.json")
    err = one_line_error(capsys, ["literature-check", "--records", record, "--out-md", record])
    assert f"--out-md: {record} is also the input --records: it would be overwritten" in err
    same = str(tmp_path / "r.json")
    err = one_line_error(capsys, ["literature-check", "--records", record, "--out-md", same,
                                  "--out-json", same])
    assert f"--out-json: {same} is also --out-md" in err


def test_an_output_over_a_link_or_a_special_file_is_refused(tmp_path, tiny_npz, capsys):
    """Written by a rename, it would replace the link or the device itself."""
    import os

    (tmp_path / "target.json").write_text("{}")
    os.symlink(tmp_path / "target.json", tmp_path / "link.json")
    os.mkfifo(tmp_path / "fifo")
    for name in ("link.json", "fifo"):
        err = one_line_error(capsys, ["darkness", "--data", str(tiny_npz), "--out",
                                      str(tmp_path / name)])
        assert "a link or a special file, not a regular file" in err
    assert (tmp_path / "target.json").read_text() == "{}"


def test_a_file_at_the_checkpoint_path_that_is_no_checkpoint_is_left_alone(tmp_path, capsys):
    """A run replaces its checkpoint and deletes it when done: anything else there (the data
    itself, once) must not be taken for one."""
    victim = tmp_path / "victim.npz"
    np.savez(victim, train_x=np.zeros((2, 784), np.uint8))
    err = one_line_error(capsys, ["literature-train", "--run", "simard_elastic", "--seed", "1",
                                  "--scale", "miniature", "--data", str(tmp_path / "none.npz"),
                                  "--out", str(tmp_path / "r.json"), "--checkpoint",
                                  str(victim)])
    assert f"--checkpoint: {victim}: a file that is not a checkpoint (left as it is)" in err
    assert victim.is_file()


@pytest.mark.parametrize("arrays, words", [
    ({"train_x": np.zeros((5, 100), np.uint8), "train_y": np.zeros(5, np.int64)},
     r"train_x has shape \(5, 100\), not \(n, 784\)"),
    ({"train_x": np.zeros((5, 784), np.uint8), "train_y": np.zeros(4, np.int64)},
     r"train_y has shape \(4,\), not \(5,\)"),
    ({"train_x": np.zeros((5, 784), np.uint8), "train_y": np.full(5, 42)},
     "train_y holds labels outside 0..9"),
    ({"train_x": np.zeros((0, 784), np.uint8), "train_y": np.zeros(0, np.int64)},
     "train is empty")])
def test_prepared_data_of_other_shapes_or_labels_is_refused(tmp_path, arrays, words):
    """The engines index weights by pixel and outputs by label: out of range, they would
    read and write outside their arrays."""
    path = tmp_path / "mnist.npz"
    np.savez(path, **arrays)
    with pytest.raises(UserError, match=f"not the prepared MNIST: {words}"):
        mnist.load(path, sets=("train",))


def reproduction(tmp_path, rows, table="| table |\n"):
    from nndl3 import code

    doc = {"code": {"train": {}, "report": code.digest("report")}, "gate": {}, "rows": rows}
    (tmp_path / "rep.json").write_text(json.dumps(doc))
    (tmp_path / "rep.md").write_text(table)
    return ["check", "--report", str(tmp_path / "rep.json"), "--table",
            str(tmp_path / "rep.md")]


def test_the_gate_refuses_what_it_cannot_read_rather_than_pass_it(tmp_path, capsys):
    assert cli.main(reproduction(tmp_path, [{"id": "a", "status": "pass"}])) == 0
    err = one_line_error(capsys, reproduction(tmp_path, [{"id": "a", "status": "maybe"}]))
    assert "rows: a: status 'maybe'" in err
    err = one_line_error(capsys, reproduction(tmp_path, []))
    assert "no rows: nothing was checked" in err
    for table in ("", '{"rows": []}'):  # empty, or the report's JSON given for its table
        err = one_line_error(capsys, reproduction(tmp_path, [{"id": "a", "status": "pass"}],
                                                  table))
        assert "rep.md: no table rows: not the report's table" in err
    # a row without an id passed unread; the others ended in an unexpected error
    for part, value in (("rows", [{"status": "pass"}]), ("rows", 5), ("curves", None),
                        ("replay", 3)):
        argv = reproduction(tmp_path, [{"id": "a", "status": "pass"}])
        doc = json.loads((tmp_path / "rep.json").read_text())
        (tmp_path / "rep.json").write_text(json.dumps({**doc, part: value}))
        assert f"{part}: not a list of rows, each with an id" in one_line_error(capsys, argv)
    for made in ("x", {"train": [1]}):
        argv = reproduction(tmp_path, [{"id": "a", "status": "pass"}])
        doc = json.loads((tmp_path / "rep.json").read_text())
        (tmp_path / "rep.json").write_text(json.dumps({**doc, "code": made}))
        assert "is not the digests of the code that made it" in one_line_error(capsys, argv)


@pytest.mark.parametrize("part", ["rows", "curves", "replay"])
def test_the_gate_fails_naming_what_is_outside_its_tolerance(tmp_path, capsys, part):
    """`check` exits 1 and names every row, curve or replayed list whose status is FAIL,
    and passes the same report with them passing."""
    from nndl3 import status

    def args(verdict):
        argv = reproduction(tmp_path, [{"id": "a", "status": "pass"}])
        doc = json.loads((tmp_path / "rep.json").read_text())
        doc[part] = doc.get(part, []) + [{"id": i, "status": verdict} for i in ("x", "y")]
        (tmp_path / "rep.json").write_text(json.dumps(doc))
        return argv

    assert cli.main(args("pass")) == 0
    capsys.readouterr()
    err = one_line_error(capsys, args(status.FAIL))
    assert "2 regenerated number(s), curve(s) or replayed list(s) outside tolerance: x, y" in err


def literature_expected(tmp_path, rate=0.01, rows=None):
    import yaml

    rows = rows or [{"id": "r", "run": "simard_plain", "book": 98.4, "book_precision": 0.05,
                     "quantity": "q"}]
    path = tmp_path / "expected.yaml"
    path.write_text(yaml.safe_dump({"gate": {"family_false_failure": rate},
                                    "literature": rows}))
    return str(path)


@pytest.mark.parametrize("rate, rows, words", [
    (0.0, None, "gate: family_false_failure must be a number in (0, 1), got 0.0"),
    (0.01, [{"id": "r", "run": "a", "book": 98.4, "book_precision": 0.05, "quantity": "q"}] * 2,
     "literature r: a second row of this id"),
    (0.01, [{"id": "r", "run": "a", "book": 98.4, "book_precision": -0.05, "quantity": "q"}],
     "literature r: book_precision: -0.05 is not a positive number")])
def test_literature_expected_values_that_would_make_a_row_unfailable_are_refused(
        tmp_path, capsys, rate, rows, words):
    expected = literature_expected(tmp_path, rate, rows)
    records = [literature_record(tmp_path / f"s{s}.json", seed=s) for s in (1, 2, 3)]
    err = one_line_error(capsys, ["literature-check", "--expected", expected, "--records",
                                  *records])
    assert words in err


def test_a_literature_run_of_two_specs_is_not_pooled(tmp_path, capsys):
    first = literature_record(tmp_path / "a.json", spec={"eta": 0.05})
    other = literature_record(tmp_path / "b.json", seed=2, spec={"eta": 0.5})
    err = one_line_error(capsys, ["literature-check", "--records", first, other])
    assert f"{other}: run simard_plain trained with another spec than {first}" in err


def test_an_accuracy_outside_0_1_is_not_a_finished_record(tmp_path, capsys):
    path = literature_record(tmp_path / "a.json", test_accuracy=[0.9, 7.0])
    err = one_line_error(capsys, ["literature-check", "--records", path])
    assert "test_accuracy: not a list of accuracies in [0, 1]" in err


def test_a_malformed_command_line_is_one_line_too(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["neuron", "--w", "nan", "--b", "1", "--cost", "quadratic", "--eta", "1",
                  "--out", "x.json"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("\n") == 1
    assert err.startswith("error: python -m nndl3 neuron: argument --w: nan: not a finite")


def test_check_only_checks_the_outputs_too(tmp_path, tiny_npz, capsys):
    (tmp_path / "file").write_text("")
    err = one_line_error(capsys, ["--check-only", "darkness", "--data", str(tiny_npz),
                                  "--out", str(tmp_path / "file" / "d.json")])
    assert "--out:" in err and "its folder cannot be written" in err
    assert cli.main(["--check-only", "darkness", "--data", str(tiny_npz), "--out",
                     str(tmp_path / "d.json")]) == 0
    assert "outputs writable" in capsys.readouterr().out


def test_a_literature_record_names_the_code_that_made_it(tmp_path, tiny_npz):
    """The committed literature result outlives its records (hours of CPU, not kept), so
    each record carries the digest of the code that trained it, and the check's rows keep
    it (docs/literature.md's rows block compares it with this checkout's)."""
    from nndl3 import code, literature_check

    runs = {"t": {"description": "d", "sizes": [784, 10, 10], "epochs": 1, "eta": 0.5,
                  "train_size": 40}}
    lit = tmp_path / "literature.yaml"
    lit.write_text(yaml.safe_dump({"defaults": {"engine": "wide"}, "runs": runs}))
    out = tmp_path / "r.json"
    assert cli.main(["literature-train", "--run", "t", "--seed", "1", "--data", str(tiny_npz),
              "--literature", str(lit), "--out", str(out)]) == 0
    record = json.loads(out.read_text())
    assert record["code"] == code.digest("literature-train")
    row = {"id": "r", "run": "t", "book": 50.0, "book_precision": 0.1, "quantity": "q"}
    made = literature_check.evaluate(row, [{**record, "seed": s} for s in (1, 2, 3)], 0.01)
    assert made["code"] == [record["code"]] * 3
    assert made["git_commit"] == [record["git_commit"]] * 3


def a_record(**changes) -> dict:
    good = {"schema": readers.RECORD_SCHEMA, "run": "r", "seed": 1,
            "spec": {"monitor": ["evaluation_accuracy"]}, "monitored_epochs": [0, 1],
            "metrics": {"evaluation_accuracy": [0.5, None]}, "seconds_per_epoch": [1.0, 1.0]}
    return {**good, **changes}


@pytest.mark.parametrize("changes, words", [
    ({"metrics": "x"}, "metrics: 'x' is not a mapping of metric to values"),
    ({"metrics": {"evaluation_accuracy": ["a", "b"]}},
     "metrics.evaluation_accuracy: not one number (or null) for each of its 2"),
    ({"metrics": {"evaluation_accuracy": [0.5, 0.6, 0.7]}},
     "metrics.evaluation_accuracy: not one number (or null) for each of its 2"),
    ({"metrics": {}}, "metrics: no values of evaluation_accuracy, which its spec monitors"),
    ({"seed": "two"}, "seed: 'two' is not a seed (an integer >= 0)"),
    ({"seed": -1}, "seed: -1 is not a seed (an integer >= 0)"),
    ({"monitored_epochs": [], "metrics": {"evaluation_accuracy": []}},
     "monitored_epochs: none"),  # a seed that diverged before its first has none (below)
    ({"seconds_per_epoch": "x"}, "seconds_per_epoch: 'x' is not a list of numbers >= 0"),
    ({"eta_per_epoch": ["x"]}, "eta_per_epoch: ['x'] is not a list of numbers >= 0"),
    ({"stopped_at_epoch": "x"}, "stopped_at_epoch: 'x' is not a count (an integer >= 0)"),
    ({"n_train": -1}, "n_train: -1 is not a count (an integer >= 0)"),
    ({"monitored_epochs": "all"}, "monitored_epochs: not a list of epochs"),
    ({"monitored_epochs": [1, 0]}, "monitored_epochs: not in increasing order ([1, 0])"),
    ({"spec": {"monitor": ["evaluation_accuracy"], "eta": -5}},
     "spec: eta: -5 is less than or equal to the minimum of 0"),
    ({"spec": "eta 3"}, "spec: 'eta 3' is not of type 'object'")])
def test_a_run_record_of_other_shapes_is_named_field_by_field(tmp_path, changes, words):
    path = tmp_path / "seed-1.json"
    path.write_text(json.dumps(a_record()))
    assert records.read(path)["seed"] == 1
    path.write_text(json.dumps(a_record(**changes)))
    with pytest.raises(UserError, match=f"^{re.escape(str(path))}: run record: "
                                        f"{re.escape(words)}"):
        records.read(path)


def test_a_seed_that_diverged_before_its_first_monitored_epoch_is_a_record(tmp_path):
    """train writes it (monitor_every > 1): no monitored epochs, its divergence's epoch."""
    path = tmp_path / "seed-1.json"
    path.write_text(json.dumps(a_record(monitored_epochs=[], diverged_at_epoch=0,
                                        metrics={"evaluation_accuracy": []})))
    assert records.read(path)["monitored_epochs"] == []


def an_aggregate(**changes) -> dict:
    good = {"schema": readers.AGGREGATE_SCHEMA, "run": "r", "seeds": [1, 2],
            "monitored_epochs": [0, 1], "spec": {"eta": 0.5},
            "metrics": {"evaluation_accuracy": {
                "per_seed": [[0.5, 0.6], [0.4]], "mean": [0.45, 0.6], "sd": [0.07, None],
                "min": [0.4, 0.6], "max": [0.5, 0.6]}},
            "stopped_at_epoch": [1, 0], "diverged_at_epoch": [None, None]}
    return {**good, **changes}


STATS = an_aggregate()["metrics"]["evaluation_accuracy"]


@pytest.mark.parametrize("changes, words", [
    ({"seeds": [1, 1]}, "seeds: [1, 1] is not a list of distinct seeds"),
    ({"monitored_epochs": [1, 0]}, "monitored_epochs: not in increasing order ([1, 0])"),
    ({"spec": {"eta": -1}}, "spec: eta: -1 is less than or equal to the minimum of 0"),
    ({"metrics": {"evaluation_accuracy": {**STATS, "per_seed": [[0.5, 0.6]]}}},
     "metrics.evaluation_accuracy.per_seed: not one row for each of its 2 seeds"),
    ({"metrics": {"evaluation_accuracy": {**STATS, "per_seed": [[0.5, 97.0], [0.4]]}}},
     "metrics.evaluation_accuracy.per_seed, seed 1: an accuracy outside 0..1"),
    ({"metrics": {"evaluation_accuracy": {**STATS, "per_seed": [[0.5, "x"], [0.4]]}}},
     "metrics.evaluation_accuracy.per_seed, seed 1: not one number (or null) for each of its "
     "2 monitored epochs"),
    ({"diverged_at_epoch": ["x", None]},
     "diverged_at_epoch: not one epoch (or null) for each of its 2 seeds")])
def test_an_aggregate_of_other_shapes_is_named_field_by_field(tmp_path, changes, words):
    """What the check and the figures read: a percent given for a fraction made a row's
    mean 3296.9, a seed's row missing made its spread 0."""
    path = tmp_path / "r.json"
    path.write_text(json.dumps(an_aggregate()))
    assert records.read_aggregate(path)["run"] == "r"
    path.write_text(json.dumps(an_aggregate(**changes)))
    with pytest.raises(UserError, match=f"^{re.escape(str(path))}: aggregate: "
                                        f"{re.escape(words)}"):
        records.read_aggregate(path)


def test_a_folder_or_a_repository_file_given_for_a_result_says_so(tmp_path, monkeypatch):
    with pytest.raises(UserError, match=f"^{re.escape(str(tmp_path))}: a folder, not a run "
                                        "record$"):
        records.read(tmp_path)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "results").symlink_to(tmp_path / "elsewhere")  # the workflow's, linked
    (tmp_path / "config").mkdir()
    for folder, advice in (("config", readers.FIX), ("results", readers.REBUILD),
                           ("elsewhere", readers.FIX)):
        (tmp_path / folder / "x.json").write_text("{}")
        for given in (f"{folder}/x.json", tmp_path / folder / "x.json"):  # relative, absolute
            with pytest.raises(UserError, match=f"{re.escape(advice)}$"):
                records.read(given)


def test_a_spec_given_as_a_file_or_a_list_says_what_it_is(tmp_path, capsys):
    from nndl3 import runspec

    spec = tmp_path / "fig.json"
    spec.write_text("{}")
    err = one_line_error(capsys, ["plot", "--spec", str(spec), "--out", str(tmp_path / "f.png")])
    assert f"--spec: {spec}: takes JSON text, not a file (pass its content: --spec " in err
    registry = tmp_path / "figures.yaml"  # YAML, and every entry: no content to pass as is
    registry.write_text("figures: {}\n")
    err = one_line_error(capsys, ["plot", "--spec", str(registry), "--out",
                                  str(tmp_path / "f.png")])
    assert err.endswith("takes JSON text, not a file (the workflow passes one entry of its "
                        "config, as JSON)\n")
    with pytest.raises(UserError, match=r"^run spec: a run spec must be a mapping"):
        runspec.load("[1, 2]")
    err = one_line_error(capsys, ["plot", "--spec", "bad/absent.yaml", "--out",
                                  str(tmp_path / "f.png")])  # not JSON's words about char 0
    assert err == ("error: --spec: 'bad/absent.yaml': not JSON text (it takes the JSON "
                   "itself, not a file)\n")


def test_an_empty_spec_or_the_workflow_config_as_a_spec_is_named_as_such(tmp_path, capsys,
                                                                         monkeypatch):
    monkeypatch.chdir(ROOT)
    err = one_line_error(capsys, ["train", "--spec", " ", "--run", "r", "--out-dir",
                                  str(tmp_path / "r")])
    assert err == "error: --spec: empty: a run spec file, or JSON text\n"
    err = one_line_error(capsys, ["train", "--spec", "config/config.yaml", "--run", "overfit_1k",
                                  "--out-dir", str(tmp_path / "r")])
    assert err == ("error: config/config.yaml: a workflow config (it has `runs:`), not a run "
                   "spec: one run's settings, as .ci/quick.yaml holds\n")
    err = one_line_error(capsys, ["train", "--spec", "config/figures.yaml", "--run", "r",
                                  "--out-dir", str(tmp_path / "r")])
    assert err.startswith("error: config/figures.yaml: a workflow config (it has `figures:`)")
    record = tmp_path / "seed-1.json"
    record.write_text(json.dumps({"schema": 1, "spec": {}, "metrics": {}}))
    err = one_line_error(capsys, ["train", "--spec", str(record), "--run", "r",
                                  "--out-dir", str(tmp_path / "r")])
    assert err == (f"error: {record}: a run's record (it has `metrics:`), not a run spec: its "
                   "`spec:` holds the run's settings\n")
    other = tmp_path / "other.yaml"  # keys of no run spec, and no seeds: the keys named first
    other.write_text("sections: 1\n")
    err = one_line_error(capsys, ["train", "--spec", str(other), "--run", "r",
                                  "--out-dir", str(tmp_path / "r")])
    assert err.startswith(f"error: {other}: Additional properties are not allowed")
    assert not (tmp_path / "r").exists()


def test_a_config_file_given_as_the_published_mapping_is_told_to_be_left_out(monkeypatch):
    from nndl3 import cli

    monkeypatch.chdir(ROOT)

    with pytest.raises(UserError, match=r"^--published: config/config.yaml: takes JSON text, "
                       r"not a file \(leave it out: the command reads config/config.yaml's"):
        cli.published(argparse.Namespace(published="config/config.yaml"))


@pytest.mark.parametrize("run", ["", "a/b", "1st", "../x"])
def test_a_run_id_that_is_no_config_run_name_is_refused(run, capsys):
    with pytest.raises(SystemExit) as stop:  # argparse's exit, status 2
        cli.main(["train", "--spec", "{}", "--run", run, "--out-dir", "o"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "argument --run:" in err


def test_a_run_id_is_what_the_config_schema_allows_as_a_run_name():
    from pathlib import Path

    schema = yaml.safe_load((Path(__file__).resolve().parents[1] / "workflow" / "schemas" /
                             "config.schema.yaml").read_text())
    assert schema["properties"]["runs"]["propertyNames"]["pattern"] == f"^{cli.RUN_ID}$"


@pytest.mark.parametrize("changes, words", [
    ({"metrics": {"evaluation_accuracy": [0.5, 2.0]}}, "metrics.evaluation_accuracy: an "
     "accuracy outside 0..1"),
    ({"metrics": {"evaluation_accuracy": [-0.1, 0.5]}}, "metrics.evaluation_accuracy: an "
     "accuracy outside 0..1"),
    ({"stopped_at_epoch": 99}, "stopped_at_epoch: 99 is not one of its spec's 2 epochs"),
    ({"stopped_at_epoch": 2}, "stopped_at_epoch: 2 is not one of its spec's 2 epochs"),
    ({"stopped_at_epoch": -1}, "stopped_at_epoch: -1 is not one of its spec's 2 epochs")])
def test_a_record_whose_values_cannot_be_is_refused(tmp_path, changes, words):
    doc = {"schema": readers.RECORD_SCHEMA, "run": "r", "seed": 1,
           "spec": {"epochs": 2, "monitor": ["evaluation_accuracy"]},
           "monitored_epochs": [0, 1], "metrics": {"evaluation_accuracy": [0.5, 0.6]},
           "seconds_per_epoch": [1.0, 1.0], "stopped_at_epoch": 1, "diverged_at_epoch": None,
           **changes}
    path = tmp_path / "seed-1.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(UserError, match=re.escape(words)):
        records.read(path)
    doc.update({"metrics": {"evaluation_accuracy": [0.5, 0.6]}, "stopped_at_epoch": 1})
    path.write_text(json.dumps(doc))
    records.read(path)


def test_a_file_given_as_the_prepared_data_is_told_where_that_is(tmp_path, capsys, monkeypatch):
    """Only data/mnist.npz is the workflow's to delete and rebuild; another file given by
    mistake is told what the prepared data is."""
    from nndl3 import paths

    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    for name in (paths.DATA, "notes.txt"):
        (tmp_path / name).write_text("not an archive\n")
    err = one_line_error(capsys, ["darkness", "--data", paths.DATA, "--out", "d.json"])
    assert err.endswith("(not a zip archive); delete it and run `snakemake prepare_data`\n")
    err = one_line_error(capsys, ["darkness", "--data", "notes.txt", "--out", "d.json"])
    assert err.endswith(f"; the prepared data is {paths.DATA}, made by `snakemake "
                        "prepare_data`\n")


@pytest.mark.parametrize("check_only", [[], ["--check-only"]])
def test_a_seeds_record_path_that_cannot_take_it_is_refused_before_training(
        tmp_path, tiny_npz, capsys, check_only):
    """train's records are outputs too, though no option names them one by one."""
    out = tmp_path / "run"
    train = [*check_only, "train", "--run", "r", "--data", str(tiny_npz), "--spec",
             '{"epochs": 1, "train_size": 40, "seeds": [1, 2]}', "--out-dir", str(out)]
    err = one_line_error(capsys, [*train, "--out-aggregate", str(out / "seed-2.json")])
    assert f"--out-aggregate: {out / 'seed-2.json'} is also the record of seed 2 " \
           "(--out-dir): it would be overwritten" in err
    (out / "seed-2.json").mkdir(parents=True)
    err = one_line_error(capsys, train)
    assert f"--out-dir: {out / 'seed-2.json'}: a folder, not a file" in err
    assert sorted(p.name for p in out.iterdir()) == ["seed-2.json"]  # no seed trained
    recipe = [*check_only, "recipe", *train[len(check_only) + 1:]]  # the same, by the recipe
    err = one_line_error(capsys, recipe)
    assert f"--out-dir: {out / 'seed-2.json'}: a folder, not a file" in err
    assert sorted(p.name for p in out.iterdir()) == ["seed-2.json"]
    spec = out / "seed-1.json"  # a spec file where seed 1's record would go
    spec.write_text('{"epochs": 1, "train_size": 40, "seeds": [1]}')
    for command in ("train", "recipe"):
        err = one_line_error(capsys, [*check_only, command, "--run", "r", "--data",
                                      str(tiny_npz), "--spec", str(spec), "--out-dir", str(out)])
        assert f"--out-dir: {spec} is also the input --spec: it would be overwritten" in err
    assert spec.read_text().startswith('{"epochs": 1')


@pytest.mark.parametrize("check_only", [[], ["--check-only"]])
def test_prepared_data_written_over_its_own_idx_file_is_refused(tmp_path, capsys,
                                                                check_only):
    """An IDX file is .gz, which prepare-data's --out (.npz) refuses: it cannot replace the
    very file it is made from."""
    raw = tmp_path / "mnist"
    raw.mkdir()
    for f in mnist.FILES.values():
        (raw / f.name).write_bytes(b"raw")
    target = raw / mnist.FILES["train_images"].name
    with pytest.raises(SystemExit) as exit_:
        cli.main([*check_only, "prepare-data", "--mnist-dir", str(raw), "--out", str(target)])
    assert exit_.value.code == 2
    assert "the prepared data is written as .npz, not .gz" in capsys.readouterr().err
    assert target.read_bytes() == b"raw"


def test_a_folder_given_as_the_prepared_data_is_called_a_folder(tmp_path, capsys):
    err = one_line_error(capsys, ["darkness", "--data", str(tmp_path),
                                  "--out", str(tmp_path / "d.json")])
    assert f"{tmp_path}: a folder, not the prepared data (an .npz file" in err
    err = one_line_error(capsys, ["--check-only", "darkness", "--data", str(tmp_path),
                                  "--out", str(tmp_path / "d.json")])
    assert f"{tmp_path}: --data: a folder, not a file" in err


@pytest.mark.parametrize("argv, words", [
    (["prepare-data", "--out", "x.txt"], "x.txt: the prepared data is written as .npz, not .txt"),
    (["plot", "--spec", "{}", "--out", "f.pdf"], "f.pdf: figures are written as PNG, not .pdf"),
    (["svm-part", "--part", "0", "--parts", "2", "--out", "p.json"],
     "p.json: an SVM part is written as .npz, not .json"),
    (["tuned-svm-predict", "--search", "s.json", "--evaluation", "test", "--out", "l.json"],
     "l.json: predicted labels are written as .npy, not .json"),
    (["neuron", "--out", "n.yaml"], "n.yaml: the result is written as JSON, not .yaml"),
    (["calibrate", "--out", "c.json"], "c.json: the calibration is written as YAML, not .json"),
    (["report", "--out-md", "r.txt"], "r.txt: the table is written as markdown, not .txt"),
    (["report", "--out-html", "r.md"], "r.md: the table is written as HTML, not .md")])
def test_an_output_named_for_another_format_is_refused(capsys, argv, words):
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("\n") == 1
    assert f"argument {argv[-2]}: {words}" in err


def test_every_json_result_a_command_writes_is_named_as_json():
    """neuron --out n.yaml wrote JSON under a YAML name, where the other formats' outputs
    were refused so named; so did report --out-json, calibrate --out-curves and train
    --out-aggregate. Every output option (--out, --out-*) that writes JSON says so."""
    commands = cli.parser()._subparsers._group_actions[0].choices
    outs = {(name, action.dest): action for name, command in commands.items()
            for action in command._actions
            if action.dest == "out" or action.dest.startswith("out_")}
    json_outs = {k: a for k, a in outs.items() if "JSON" in (a.help or "")
                 or str(a.default).endswith(".json")}
    assert {("report", "out_json"), ("calibrate", "out_curves"),
            ("train", "out_aggregate"), ("neuron", "out")} <= set(json_outs)
    assert all(a.type is cli.json_path for a in json_outs.values()), \
        [k for k, a in json_outs.items() if a.type is not cli.json_path]


@pytest.mark.parametrize("settings", ['[1]', '{"q": 5}'])
def test_book_settings_of_another_shape_are_named(tmp_path, capsys, settings):
    spec = json.dumps({"family": "function", "function": "tanh", "title": "t", "ylabel": "y"})
    err = one_line_error(capsys, ["plot", "--spec", spec, "--book-settings", settings,
                                  "--out", str(tmp_path / "f.png")])
    assert f"--book-settings: a mapping of each run to its settings, not {settings}" in err
    assert not (tmp_path / "f.png").exists()


def test_class_counts_of_a_broken_prepared_file_name_what_is_wrong(tmp_path):
    path = tmp_path / "mnist.npz"
    path.write_text("not an archive\n")
    # the same words and remedy as the loader's (mnist.prepared_arrays)
    with pytest.raises(UserError, match=r"not the prepared MNIST \(not a zip archive\); the "
                                        r"prepared data is data/mnist.npz"):
        mnist.class_counts(path)
    with open(path, "wb") as f:
        np.savez(f, train_y=np.zeros(3, np.uint8), validation_y=np.zeros(3, np.uint8))
    with pytest.raises(UserError, match=r"not the prepared MNIST \(no test_y\); the prepared"):
        mnist.class_counts(path)


@pytest.mark.parametrize("command, spec, words", [
    ("plot", "null", "--spec: None: not a figure entry"),
    ("plot", '{"family": "nope"}', "--spec: family: unknown figure family 'nope'"),
    ("replay", "null", "--spec: None: not a replay spec")])
@pytest.mark.parametrize("check_only", [[], ["--check-only"]])
def test_a_spec_the_command_refuses_its_check_only_refuses_too(tmp_path, capsys, check_only,
                                                               command, spec, words):
    suffix = ".png" if command == "plot" else ".json"
    err = one_line_error(capsys, [*check_only, command, "--spec", spec, "--out",
                                  str(tmp_path / f"out{suffix}")])
    assert err.startswith(f"error: {words}"), err


@pytest.mark.parametrize("changes, words", [
    ({"cost_kind": "foo"}, "cost_kind: 'foo' is not one of ['quadratic', 'cross-entropy']"),
    ({"eta": "x"}, "eta: 'x' is not of type 'number'"),
    ({"epochs": -3}, "epochs: -3 is less than the minimum of 1"),
    ({"output": [0.5, 1.5, 0.4]}, "output: not 3 values (before training and after each of "
                                  "its 2 epochs) in [0, 1]"),
    ({"cost": [0.5, 0.4]}, "cost: not 3 values (before training and after each of its 2 "
                           "epochs) >= 0")])
def test_a_neuron_result_the_figure_cannot_draw_is_named(tmp_path, changes, words):
    """A neuron's curves as a figure draws them, each value in its range: an output above 1
    or three outputs for 300 epochs were drawn without a word."""
    good = {"schema": readers.NEURON_SCHEMA, "w0": 2.0, "b0": 2.0, "cost_kind": "quadratic",
            "eta": 0.15, "epochs": 2, "output": [0.9, 0.8, 0.7], "cost": [0.4, 0.3, 0.2],
            "w": 1.0, "b": 1.0}
    path = tmp_path / "n.json"
    path.write_text(json.dumps(good))
    assert neuron.read_result(path)["epochs"] == 2
    path.write_text(json.dumps({**good, **changes}))
    with pytest.raises(UserError, match=f"^{re.escape(str(path))}: single-neuron result: "
                                        f"{re.escape(words)}$"):
        neuron.read_result(path)


def test_check_only_after_the_command_is_told_where_it_goes(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["check", "--check-only"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and err.count("\n") == 1
    assert err.endswith("(--check-only goes before the command: python -m nndl3 --check-only "
                        "<command>)\n")


def test_a_special_file_given_as_an_input_is_called_one(capsys):
    """/dev/null exists: 'run spec file missing' named the wrong problem."""
    assert cli.main(["train", "--spec", "/dev/null", "--run", "r", "--out-dir", "o"]) == 1
    assert capsys.readouterr().err == "error: /dev/null: a special file, not a run spec file\n"


def test_an_empty_output_path_is_called_empty(capsys):
    """Path('') is '.', which was called a folder."""
    assert cli.main(["neuron", "--w", "2", "--b", "2", "--cost", "quadratic", "--eta", "0.15",
                     "--epochs", "3", "--out", ""]) == 1
    assert capsys.readouterr().err == "error: --out: an empty path\n"
