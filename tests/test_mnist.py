import gzip
import hashlib
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nndl3 import mnist
from nndl3.errors import UserError
from nndl3.mnist import IdxFile


def idx_bytes(array, magic=None):
    magic = magic if magic is not None else (0x0803 if array.ndim == 3 else 0x0801)
    return struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape) + \
        array.astype(np.uint8).tobytes()


@pytest.fixture
def images():
    return np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)


def write_gz(path, raw):
    path.write_bytes(gzip.compress(raw))
    return path


def spec_for(raw, shape):
    return IdxFile("x.gz", hashlib.md5(raw).hexdigest(), shape)


def test_idx_round_trip(tmp_path, images):
    raw = idx_bytes(images)
    out = mnist.read_idx_gz(write_gz(tmp_path / "x.gz", raw), spec_for(raw, (3, 28, 28)))
    np.testing.assert_array_equal(out, images)
    labels = np.array([5, 0, 4], dtype=np.uint8)
    np.testing.assert_array_equal(mnist.parse_idx(idx_bytes(labels), "l"), labels)


def test_missing_file(tmp_path, images):
    with pytest.raises(UserError, match=r"x\.gz: file missing"):
        mnist.read_idx_gz(tmp_path / "x.gz", spec_for(b"", (3, 28, 28)))


def test_truncated_gzip(tmp_path, images):
    raw = idx_bytes(images)
    blob = gzip.compress(raw)
    (tmp_path / "x.gz").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(UserError, match="truncated or corrupt gzip"):
        mnist.read_idx_gz(tmp_path / "x.gz", spec_for(raw, (3, 28, 28)))


def test_corrupt_gzip(tmp_path):
    (tmp_path / "x.gz").write_bytes(b"this is not gzip at all")
    with pytest.raises(UserError, match="truncated or corrupt gzip"):
        mnist.read_idx_gz(tmp_path / "x.gz", spec_for(b"", (3, 28, 28)))


def test_wrong_magic(tmp_path, images):
    raw = idx_bytes(images, magic=0x0808)
    with pytest.raises(UserError, match="wrong magic number 0x00000808"):
        mnist.read_idx_gz(write_gz(tmp_path / "x.gz", raw), spec_for(raw, (3, 28, 28)))


def test_labels_with_the_image_magic(tmp_path):
    labels = np.array([1, 2, 3], dtype=np.uint8)
    raw = idx_bytes(labels, magic=0x0803)
    with pytest.raises(UserError, match="wrong magic number 0x00000803 \\(expected 0x00000801\\)"):
        mnist.read_idx_gz(write_gz(tmp_path / "x.gz", raw), spec_for(raw, (3,)))


def test_header_disagrees_with_length(tmp_path, images):
    raw = idx_bytes(images)[:-5]
    with pytest.raises(UserError, match="wrong dimensions"):
        mnist.read_idx_gz(write_gz(tmp_path / "x.gz", raw), spec_for(raw, (3, 28, 28)))


def test_wrong_dimensions(tmp_path, images):
    raw = idx_bytes(images[:, :27, :])
    with pytest.raises(UserError, match=r"wrong dimensions \(3, 27, 28\), expected \(3, 28, 28\)"):
        mnist.read_idx_gz(write_gz(tmp_path / "x.gz", raw), spec_for(raw, (3, 28, 28)))


def test_checksum_mismatch(tmp_path, images):
    raw = idx_bytes(images)
    spec = IdxFile("x.gz", "0" * 32, (3, 28, 28))
    with pytest.raises(UserError, match="checksum mismatch"):
        mnist.read_idx_gz(write_gz(tmp_path / "x.gz", raw), spec)


def test_missing_folder_writes_nothing(tmp_path):
    out = tmp_path / "mnist.npz"
    with pytest.raises(UserError, match="MNIST folder missing"):
        mnist.prepare(out, str(tmp_path / "nowhere"))
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_no_network_and_no_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("MNIST_DIR", raising=False)
    out = tmp_path / "mnist.npz"
    with pytest.raises(UserError, match="no MNIST folder given .* no mirror reachable"):
        mnist.prepare(out, None, tmp_path / "raw", ("http://127.0.0.1:9/",))
    assert not out.exists()


def test_cli_error_is_one_line_and_nonzero(tmp_path):
    out = tmp_path / "mnist.npz"
    proc = subprocess.run([sys.executable, "-m", "nndl3", "prepare-data", "--out", str(out),
                           "--mnist-dir", str(tmp_path / "nowhere")],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "MNIST folder missing" in proc.stderr
    assert not out.exists()


def test_a_bad_file_in_the_folder_writes_nothing(tmp_path, images):
    folder = tmp_path / "mnist"
    folder.mkdir()
    for spec in mnist.FILES.values():
        (folder / spec.name).write_bytes(b"garbage")
    out = tmp_path / "mnist.npz"
    with pytest.raises(UserError, match="train-images-idx3-ubyte.gz: truncated or corrupt gzip"):
        mnist.prepare(out, str(folder))
    assert not out.exists()


REAL = os.environ.get("MNIST_DIR")


@pytest.mark.skipif(not REAL, reason="MNIST_DIR not set: the real-data check needs the files")
def test_real_mnist_split(tmp_path):
    out = tmp_path / "mnist.npz"
    assert mnist.prepare(out, REAL)
    data = mnist.load(out)
    assert [len(data[s][0]) for s in mnist.SETS] == [50000, 10000, 10000]
    train_labels = np.concatenate([data["train"][1], data["validation"][1]])
    assert np.bincount(train_labels).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918,
                                                  6265, 5851, 5949]
    assert data["train"][1][:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    pixels = np.concatenate([data["train"][0], data["validation"][0]])
    assert abs(pixels.mean() - 0.1307) < 5e-5 and pixels.max() == 1.0
    assert not list(Path(tmp_path).glob(".*tmp*"))


def test_split_is_the_books():
    """train = the first 50,000 images of the training file, validation = the last 10,000."""
    ids = np.arange(60000)
    arrays = {"train_images": np.zeros((60000, 28, 28), np.uint8), "train_labels": ids,
              "test_images": np.zeros((10000, 28, 28), np.uint8), "test_labels": ids[:10000]}
    parts = mnist.split(arrays)
    assert parts["train_y"].tolist() == list(range(50000))
    assert parts["validation_y"].tolist() == list(range(50000, 60000))
    assert parts["train_x"].shape == (50000, 784) and parts["test_x"].shape == (10000, 784)


def test_a_prepared_file_that_holds_the_arrays_already_is_kept(tmp_path, monkeypatch):
    """Rewritten, it would be newer than every result and Snakemake would retrain them."""
    parts = {"train_x": np.arange(6, dtype=np.uint8).reshape(2, 3),
             "train_y": np.array([1, 2], dtype=np.uint8)}
    monkeypatch.setattr(mnist, "load_raw", lambda *args: None)
    monkeypatch.setattr(mnist, "split", lambda raw: parts)
    out = tmp_path / "mnist.npz"
    out.write_bytes(b"not an npz")
    assert mnist.prepare(out) is True
    os.utime(out, (1, 1))
    assert mnist.prepare(out) is False and out.stat().st_mtime == 1
    parts = {**parts, "train_y": np.array([1, 3], dtype=np.uint8)}
    assert mnist.prepare(out) is True and out.stat().st_mtime > 1
    np.testing.assert_array_equal(np.load(out)["train_y"], [1, 3])
    os.utime(out, (1, 1))
    parts = {**parts, "train_y": parts["train_y"].astype(np.int64)}  # equal values, not bits
    assert mnist.prepare(out) is True and np.load(out)["train_y"].dtype == np.int64


@pytest.mark.parametrize("given, words", [
    ("option", "MNIST folder missing (from --mnist-dir, or the config's mnist_dir)"),
    ("environment", "MNIST folder missing (from MNIST_DIR)"),
    ("a file", "not a folder (from --mnist-dir, or the config's mnist_dir)")])
def test_the_mnist_folder_error_names_where_the_folder_came_from(tmp_path, monkeypatch,
                                                                 given, words):
    folder = tmp_path / "nowhere"
    if given == "a file":
        folder.write_text("")
    monkeypatch.setenv("MNIST_DIR", str(folder))
    with pytest.raises(UserError) as error:
        mnist.source_folder(None if given == "environment" else str(folder))
    assert str(error.value) == f"{folder}: {words}"


def test_the_evaluation_sets_the_commands_offer_are_mnists_but_training():
    from nndl3 import cli

    assert cli.EVALUATION_SETS == tuple(s for s in mnist.SETS if s != "train")
