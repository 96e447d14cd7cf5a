"""nndl3.literature_checkpoint: a literature run killed between its saves resumes from the
last one and ends where an unbroken run ends, bit for bit."""

import io

import numpy as np
import pytest

from nndl3 import literature
from nndl3.literature_checkpoint import Checkpoint

from .test_literature import tiny_data, tiny_spec

EPOCHS = 5


class Killed(Exception):
    pass


class KilledAt(io.StringIO):
    """A log that kills the run when the progress line of `epoch` (0-based) is written."""

    def __init__(self, epoch):
        super().__init__()
        self.mark = f"epoch {epoch:>4}/{EPOCHS}"

    def write(self, text):
        if text.startswith(self.mark):
            raise Killed
        return super().write(text)


def trained(monkeypatch, spec, data, log, checkpoint=None):
    """The record and the network's parameters after training."""
    nets = []
    create = literature.create
    monkeypatch.setattr(literature, "create", lambda *a: nets.append(create(*a)) or nets[-1])
    record = literature.train_seed("t", spec, 1, data, log, checkpoint)
    return record, [p.copy() for p in nets[-1].params()]


def same(a, b):
    (ra, pa), (rb, pb) = a, b
    for key in ("validation_accuracy", "test_accuracy", "best_epoch", "test_at_best"):
        assert ra[key] == rb[key], key
    assert all(np.array_equal(x, y) for x, y in zip(pa, pb, strict=True))


@pytest.mark.parametrize("keys", [
    {},
    {"distortion": {"kind": "elastic", "sigma": 4.0, "alpha": 34.0}},
    {"distortion": {"kind": "affine", "max_degrees": 15.0, "max_shift": 2.0, "max_skew": 0.2},
     "dropout": 0.5, "input_dropout": 0.2, "max_norm": 15.0, "mini_batch": 30,
     "momentum_schedule": {"start": 0.5, "end": 0.99, "epochs": 2, "damped": True}},
])
def test_a_killed_run_resumes_to_the_unbroken_runs_numbers(monkeypatch, tmp_path, keys):
    spec, data = tiny_spec(epochs=EPOCHS, **keys), tiny_data()
    unbroken = trained(monkeypatch, spec, data, io.StringIO())
    checkpoint = Checkpoint(tmp_path / "seed-1.npz", {"run": "t", "spec": spec}, every=2)
    with pytest.raises(Killed):  # saved after epochs 0-1, killed in epoch 3
        trained(monkeypatch, spec, data, KilledAt(3), checkpoint)
    log = io.StringIO()
    resumed = trained(monkeypatch, spec, data, log, checkpoint)
    same(resumed, unbroken)
    assert "resuming at epoch 2" in log.getvalue() and resumed[0]["resumed_at"] == [2]
    assert unbroken[0]["resumed_at"] == []
    assert len(resumed[0]["seconds_per_epoch"]) == EPOCHS
    assert len(resumed[0]["distortion_seconds"]) == (EPOCHS if "distortion" in keys else 0)


def test_a_checkpoint_of_other_settings_is_not_resumed(monkeypatch, tmp_path):
    spec, data = tiny_spec(epochs=EPOCHS), tiny_data()
    path = tmp_path / "seed-1.npz"
    with pytest.raises(Killed):
        trained(monkeypatch, spec, data, KilledAt(3), Checkpoint(path, {"code": "a"}, 2))
    log = io.StringIO()
    fresh = trained(monkeypatch, spec, data, log, Checkpoint(path, {"code": "b"}, 2))
    assert "of other settings or code; starting afresh" in log.getvalue()
    same(fresh, trained(monkeypatch, spec, data, io.StringIO()))
    for junk in (b"not a checkpoint", b"PK\x03\x04 a zip cut short"):
        path.write_bytes(junk)
        log = io.StringIO()
        trained(monkeypatch, spec, data, log, Checkpoint(path, {"code": "b"}, 2))
        assert "unreadable" in log.getvalue()
    np.savez(path, meta=np.array('"no key"'))  # an npz of something else
    log = io.StringIO()
    trained(monkeypatch, spec, data, log, Checkpoint(path, {"code": "b"}, 2))
    assert "of other settings or code" in log.getvalue()
    with open(path, "wb") as f:  # a .npy, which np.load gives as an array
        np.save(f, np.zeros(3))
    log = io.StringIO()
    trained(monkeypatch, spec, data, log, Checkpoint(path, {"code": "b"}, 2))
    assert "unreadable" in log.getvalue()
    np.savez(path, meta=np.array('{"key": {"code": "b"}, "epoch": 2}'))  # its key, no state
    log = io.StringIO()
    same(trained(monkeypatch, spec, data, log, Checkpoint(path, {"code": "b"}, 2)),
         trained(monkeypatch, spec, data, io.StringIO()))
    assert "incomplete; starting afresh" in log.getvalue()


def tampered(path, change) -> None:
    """The checkpoint at `path` rewritten with `change(meta, arrays)` applied."""
    import json

    with np.load(path) as saved:
        meta = json.loads(str(saved["meta"]))
        arrays = {name: saved[name] for name in saved.files if name != "meta"}
    change(meta, arrays)
    np.savez(path, meta=np.array(json.dumps(meta)), **arrays)


def shrink_first(meta, arrays):
    arrays["param_0"] = arrays["param_0"][:-1]


def past_the_end(meta, arrays):  # whole but for its epoch, the run's last
    meta["epoch"] = EPOCHS
    for k in ("validation_accuracy", "test_accuracy", "seconds"):
        meta["progress"][k] = (meta["progress"][k] * EPOCHS)[:EPOCHS]


@pytest.mark.parametrize("change, words", [
    (shrink_first, "incomplete"),
    (past_the_end, "incomplete"),
    (lambda meta, arrays: meta["progress"].update(distortion=["x"]), "incomplete"),
    (lambda meta, arrays: meta["progress"].update(resumed_at=["y"]), "incomplete"),
    (lambda meta, arrays: meta["rng"].update(shuffle={"state": "z"}), "unusable"),
])
def test_a_checkpoint_of_this_run_with_broken_contents_starts_afresh(monkeypatch, tmp_path,
                                                                     change, words):
    """Before, a wrong shape or generator state stopped the run with an unnamed error, and
    an epoch past the run's end or words for numbers went into its record."""
    spec, data = tiny_spec(epochs=EPOCHS), tiny_data()
    path = tmp_path / "seed-1.npz"
    with pytest.raises(Killed):
        trained(monkeypatch, spec, data, KilledAt(3), Checkpoint(path, {"code": "a"}, 2))
    tampered(path, change)
    log = io.StringIO()
    fresh = trained(monkeypatch, spec, data, log, Checkpoint(path, {"code": "a"}, 2))
    assert f"{words}" in log.getvalue() and "starting afresh" in log.getvalue()
    same(fresh, trained(monkeypatch, spec, data, io.StringIO()))
    assert fresh[0]["resumed_at"] == []


def test_a_checkpoint_that_cannot_be_saved_costs_the_resume_not_the_run(monkeypatch,
                                                                        tmp_path):
    spec, data = tiny_spec(epochs=EPOCHS), tiny_data()
    blocked = tmp_path / "file"
    blocked.write_text("")
    log = io.StringIO()  # its folder is a file: every save fails
    done = trained(monkeypatch, spec, data, log, Checkpoint(blocked / "c.npz", {}, 2))
    same(done, trained(monkeypatch, spec, data, io.StringIO()))
    assert log.getvalue().count("not saved") == 2


def test_the_data_is_part_of_a_checkpoints_key():
    from nndl3.literature_checkpoint import data_digest

    data = tiny_data()
    other = {**data, "test": (data["test"][0], (data["test"][1] + 1) % 10)}
    assert data_digest(data) == data_digest(tiny_data()) != data_digest(other)


def test_the_checkpoint_is_saved_every_so_many_epochs_but_not_after_the_last():
    c = Checkpoint(None, {}, every=2)
    assert [e for e in range(EPOCHS) if c.due(e, EPOCHS)] == [1, 3]
    assert [e for e in range(4) if c.due(e, 4)] == [1]


def test_a_checkpoint_interval_below_one_epoch_is_one_line(tmp_path):
    import subprocess
    import sys

    from nndl3 import paths

    from .conftest import ROOT

    out = subprocess.run([sys.executable, "-m", "nndl3", "literature-train", "--run",
                          "simard_plain", "--seed", "1", "--data", paths.DATA, "--out",
                          str(tmp_path / "x.json"), "--checkpoint", str(tmp_path / "c.npz"),
                          "--checkpoint-every", "0"], capture_output=True, text=True,
                         cwd=ROOT)
    assert out.returncode == 2 and out.stderr.count("\n") == 1
    assert "--checkpoint-every: 0: at least 1" in out.stderr
    assert not (tmp_path / "x.json").exists()


def test_a_checkpoint_path_that_cannot_be_written_is_refused_before_training(tmp_path):
    from nndl3.atomic import writable
    from nndl3.errors import UserError

    (tmp_path / "file").write_text("")
    with pytest.raises(UserError, match="--checkpoint: .*its folder cannot be written"):
        writable(tmp_path / "file" / "c.npz", "--checkpoint")
    (tmp_path / "dir.npz").mkdir()
    with pytest.raises(UserError, match="a folder, not a file"):
        writable(tmp_path / "dir.npz", "--checkpoint")
    assert writable(tmp_path / "new" / "c.npz", "--checkpoint") == tmp_path / "new" / "c.npz"
    assert not (tmp_path / "new").exists()  # nothing made: the writer makes the folder
