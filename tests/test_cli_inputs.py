"""What the command line does with inputs no file-format check covers: outputs that cannot
be written (refused before any work), a broken prepared-data file, sizes and counts out of
range, records given twice, a --root that is no checkout, and an error no check foresaw
(one line, the traceback only on request)."""

import json

import numpy as np
import pytest

from nndl3 import cli, literature, mnist
from nndl3.errors import UserError

from .conftest import synthetic_digits


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
    ("folder", "a folder, not a file")])
def test_an_output_that_cannot_be_written_is_refused_before_the_command_runs(
        tmp_path, tiny_npz, capsys, monkeypatch, where, words):
    (tmp_path / "file").write_text("")
    (tmp_path / "folder").mkdir()
    ran = []
    monkeypatch.setattr(cli, "cmd_darkness", lambda args: ran.append(args))
    err = one_line_error(capsys, ["darkness", "--data", str(tiny_npz), "--out",
                                  str(tmp_path / where)])
    assert f"--out: {tmp_path / where}: {words}" in err and not ran


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
    assert f"{data}: not a readable .npz {words}" in err
    assert not (tmp_path / "d.json").exists()


def test_a_prepared_data_file_without_a_set_names_the_arrays(tmp_path):
    data = tmp_path / "mnist.npz"
    np.savez(data, train_x=np.zeros((2, 784), np.uint8), train_y=np.zeros(2, np.int64))
    with pytest.raises(UserError, match="not the prepared MNIST: no test_x, test_y"):
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
    monkeypatch.delenv(cli.TRACEBACK_VARIABLE, raising=False)
    err = one_line_error(capsys, argv)
    assert "darkness: unexpected KeyError: 'somewhere'" in err
    assert f"{cli.TRACEBACK_VARIABLE}=1 shows where" in err
    monkeypatch.setenv(cli.TRACEBACK_VARIABLE, "1")
    with pytest.raises(KeyError):
        cli.main(argv)


def test_a_system_error_names_its_file(tmp_path, tiny_npz, capsys, monkeypatch):
    def missing(args):
        raise FileNotFoundError(2, "No such file or directory", "parts/p0.npz")

    monkeypatch.setattr(cli, "cmd_darkness", missing)
    err = one_line_error(capsys, ["darkness", "--data", str(tiny_npz), "--out",
                                  str(tmp_path / "d.json")])
    assert "error: darkness: parts/p0.npz: No such file or directory" in err


def test_docs_refuse_a_root_that_is_no_checkout(tmp_path, capsys):
    err = one_line_error(capsys, ["docs", "--check", "--root", str(tmp_path / "nowhere")])
    assert "not this repository's checkout" in err


def literature_record(path, **changes):
    doc = {"schema": literature.RECORD_SCHEMA, "run": "simard_plain", "seed": 1,
           "test_at_best": 0.984, "best_epoch": 120, "n_test": 10000, **changes}
    path.write_text(json.dumps(doc))
    return str(path)


@pytest.mark.parametrize("changes, words", [
    ({"run": None}, "'run' is None, not a string"),
    ({"seed": "1"}, "'seed' is '1', not an integer"),
    ({"test_at_best": "0.98"}, "test_at_best '0.98' at best_epoch 120: not a finished"),
    ({"test_at_best": 98.4}, "test_at_best 98.4 at best_epoch 120: not a finished")])
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
        assert f"`{cli.TRACEBACK_VARIABLE}=1" in (ROOT / doc).read_text(), doc


def test_missing_predicted_labels_say_missing(tmp_path):
    with pytest.raises(UserError, match="labels.npy: predicted labels missing"):
        cli.predicted_labels(str(tmp_path / "labels.npy"), 10)
