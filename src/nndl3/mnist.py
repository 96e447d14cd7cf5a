"""MNIST: find or download the four IDX files, verify them, split them the book's way.

The raw files come from a folder (the `MNIST_DIR` environment variable or the
`mnist_dir` config key) or, without one, from public mirrors tried in turn. Each file
is decompressed, its IDX header checked (magic number, dimensions), and the MD5 of the
decompressed bytes compared with the canonical one. Only then is `data/mnist.npz`
written, atomically: train = first 50,000 training images, validation = last 10,000,
test = the 10,000 official test images; pixels stay uint8 there and are scaled to
[0, 1] when loaded.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import atomic, paths, readers
from .errors import UserError


@dataclass(frozen=True)
class IdxFile:
    name: str
    md5: str  # of the decompressed content
    shape: tuple[int, ...]


IMAGE_MAGIC, LABEL_MAGIC = 2051, 2049  # 0x00000803 and 0x00000801: uint8, 3 or 1 dimensions

FILES = {
    "train_images": IdxFile("train-images-idx3-ubyte.gz", "6bbc9ace898e44ae57da46a324031adb",
                            (60000, 28, 28)),
    "train_labels": IdxFile("train-labels-idx1-ubyte.gz", "a25bea736e30d166cdddb491f175f624",
                            (60000,)),
    "test_images": IdxFile("t10k-images-idx3-ubyte.gz", "2646ac647ad5339dbf082846283269ea",
                           (10000, 28, 28)),
    "test_labels": IdxFile("t10k-labels-idx1-ubyte.gz", "27ae3e4e09519cfbb04c329615203637",
                           (10000,)),
}

MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)

N_TRAIN = 50_000  # the rest of the official training file is the validation set
BOOK_PIXEL_DIVISOR = 256  # the author's mnist.pkl.gz: byte / 256 in float32, exact in float64


def parse_idx(raw: bytes, name: str, expected_magic: int | None = None) -> np.ndarray:
    """Parse decompressed IDX bytes (uint8 data, 1 or 3 dimensions) into an array."""
    if len(raw) < 4:
        raise UserError(f"{name}: too short to be an IDX file ({len(raw)} bytes)")
    magic = struct.unpack(">I", raw[:4])[0]
    allowed = (expected_magic,) if expected_magic else (IMAGE_MAGIC, LABEL_MAGIC)
    if magic not in allowed:
        raise UserError(f"{name}: wrong magic number {magic:#010x} (expected "
                        + " or ".join(f"{m:#010x}" for m in allowed) + ")")
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise UserError(f"{name}: truncated IDX header")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    expected = int(np.prod(dims))
    if len(raw) - header != expected:
        raise UserError(f"{name}: wrong dimensions: header says {'x'.join(map(str, dims))} "
                        f"= {expected} bytes of data, file holds {len(raw) - header}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def read_idx_gz(path: Path, spec: IdxFile, verify_md5: bool = True) -> np.ndarray:
    """Decompress, parse and verify one IDX .gz file against its canonical description."""
    if not path.is_file():
        raise UserError(f"{path}: file missing")
    try:
        raw = gzip.decompress(path.read_bytes())
    except (OSError, EOFError, zlib.error) as exc:
        raise UserError(f"{path}: truncated or corrupt gzip ({exc})") from None
    array = parse_idx(raw, str(path), IMAGE_MAGIC if len(spec.shape) == 3 else LABEL_MAGIC)
    if array.shape != spec.shape:
        raise UserError(f"{path}: wrong dimensions {array.shape}, expected {spec.shape}")
    if verify_md5:
        md5 = hashlib.md5(raw).hexdigest()
        if md5 != spec.md5:
            raise UserError(f"{path}: checksum mismatch: MD5 of decompressed content is {md5}, "
                            f"expected {spec.md5}")
    return array


def download(spec: IdxFile, folder: Path, mirrors=MIRRORS, timeout: float = 30.0) -> Path:
    """Fetch one file from the first mirror that answers; verified by the caller."""
    import urllib.error  # here, not at the top: every training job would pay its import
    import urllib.request

    target = folder / spec.name  # its folder made by the write: none if nothing came
    failures = []
    for mirror in mirrors:
        try:
            with urllib.request.urlopen(mirror + spec.name, timeout=timeout) as response:
                payload = response.read()
        except (urllib.error.URLError, OSError) as exc:
            failures.append(f"{mirror}: {getattr(exc, 'reason', exc)}")
            continue
        with atomic.atomic_path(target) as tmp:
            tmp.write_bytes(payload)
        return target
    raise UserError(f"{spec.name}: no MNIST folder given (set MNIST_DIR or config key "
                    f"mnist_dir) and no mirror reachable ({'; '.join(failures)})")


def source_folder(mnist_dir: str | None) -> Path | None:
    """The folder to read from: the explicit setting, else MNIST_DIR, else None (download)."""
    folder = mnist_dir or os.environ.get("MNIST_DIR") or None
    if folder is None:
        return None
    given = "--mnist-dir, or the config's mnist_dir" if mnist_dir else "MNIST_DIR"
    folder = Path(folder)
    if not folder.is_dir():
        problem = "not a folder" if folder.exists() else "MNIST folder missing"
        raise UserError(f"{folder}: {problem} (from {given})")
    return folder


def load_raw(mnist_dir: str | None, download_dir: Path, mirrors=MIRRORS,
             files=FILES) -> dict[str, np.ndarray]:
    """The verified arrays of `files`, read from the folder or downloaded into `download_dir`."""
    folder = source_folder(mnist_dir)
    arrays = {}
    for key, spec in files.items():
        if folder is not None:
            arrays[key] = read_idx_gz(folder / spec.name, spec)
        else:
            arrays[key] = read_downloaded(spec, download_dir, mirrors)
    return arrays


def read_downloaded(spec: IdxFile, folder: Path, mirrors) -> np.ndarray:
    """One file of the download folder, fetched first if missing. A file there that fails
    verification is deleted, so that a rerun fetches it again instead of failing on the same
    bytes forever (files in the user's own MNIST folder are never deleted)."""
    path = folder / spec.name
    if not path.is_file():
        path = download(spec, folder, mirrors)
    try:
        return read_idx_gz(path, spec)
    except UserError as exc:
        path.unlink(missing_ok=True)
        raise UserError(f"{exc} (deleted it: a rerun downloads it again)") from None


def split(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The book's split; images flattened to 784 uint8 pixels."""
    train_x = arrays["train_images"].reshape(-1, 784)
    train_y = arrays["train_labels"]
    return {
        "train_x": train_x[:N_TRAIN], "train_y": train_y[:N_TRAIN],
        "validation_x": train_x[N_TRAIN:], "validation_y": train_y[N_TRAIN:],
        "test_x": arrays["test_images"].reshape(-1, 784), "test_y": arrays["test_labels"],
    }


def prepare(output: str | os.PathLike, mnist_dir: str | None = None,
            download_dir: str | os.PathLike = paths.DOWNLOADS, mirrors=MIRRORS) -> bool:
    """Build `output` (data/mnist.npz) from verified raw files; nothing is written on error.
    An `output` that already holds these arrays is kept as it is (False): rewritten by hand
    (`prepare-data` outside Snakemake, which deletes a job's outputs before running it), it
    would be newer than every result, and Snakemake would retrain them all."""
    parts = split(load_raw(mnist_dir, Path(download_dir), mirrors))
    output = Path(output)
    if holds(output, parts):
        return False
    with atomic.atomic_path(output, suffix=".npz") as tmp:
        np.savez(tmp, **parts)
    return True


def holds(path: Path, parts: dict) -> bool:
    """Whether `path` is an .npz of exactly these arrays (an unreadable file is not)."""
    if not path.is_file():
        return False
    try:
        with np.load(path, allow_pickle=False) as z:
            return sorted(z.files) == sorted(parts) and all(
                z[k].dtype == v.dtype and np.array_equal(z[k], v) for k, v in parts.items())
    except readers.NUMPY_FILE_ERRORS:
        return False


SETS = ("train", "validation", "test")


def load(path: str | os.PathLike, dtype=np.float64, sets=SETS, train_size: int | None = None,
         divisor: int = 255) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{set name: (pixels / divisor in `dtype`, int64 labels)} from mnist.npz, for the named
    sets, the training set cut to its first `train_size` images: the scaling is most of the
    loading time, so a job scales only what it uses. divisor 255 gives [0, 1]; 256 is the
    scale of the book's own copy of MNIST (mnist.pkl.gz, max 255/256)."""
    path = prepared_file(path)
    out = {}
    for s, (x, y) in prepared_arrays(path, sets).items():
        if s == "train" and train_size is not None:
            if not 1 <= train_size <= len(y):  # a slice would take a negative one silently
                raise UserError(f"training size {train_size}: not in 1..{len(y)}, the "
                                f"training images of {path}")
            x, y = x[:train_size], y[:train_size]
        out[s] = (x / np.array(divisor, dtype)).astype(dtype, copy=False), y.astype(np.int64)
    return out


def prepared_file(path) -> Path:
    """The prepared data's path, a file: a folder or a missing file is a UserError."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{path}: a folder, not the prepared data (an .npz file, made by "
                        "`snakemake prepare_data`)")
    if not path.is_file():
        raise UserError(f"{path}: prepared data missing (run `snakemake prepare_data`)")
    return path


def remedy(path) -> str:
    """What to do about a file given as the prepared data that is not: the workflow's is
    made again; another is the wrong file."""
    if os.path.abspath(path) == os.path.abspath(paths.DATA):
        return "delete it and run `snakemake prepare_data`"
    return f"the prepared data is {paths.DATA}, made by `snakemake prepare_data`"


def prepared_arrays(path: Path, sets) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{set: (pixels, labels)} as stored in mnist.npz; a file that is not one (not an .npz,
    truncated, or without a set's arrays) is a UserError naming it."""
    z = readers.npz_arrays(path, "not the prepared MNIST", f"; {remedy(path)}",
                           [f"{s}_{k}" for s in sets for k in "xy"])
    arrays = {s: (z[f"{s}_x"], z[f"{s}_y"]) for s in sets}
    for s, (x, y) in arrays.items():
        problem = set_problem(s, x, y)
        if problem:
            raise UserError(f"{path}: not the prepared MNIST: {problem}; {remedy(path)}")
    return arrays


def class_counts(path) -> dict:
    """{set name: images of each digit 0-9} of the prepared data, from its labels alone."""
    path = prepared_file(path)
    labels = readers.npz_arrays(path, "not the prepared MNIST", f"; {remedy(path)}",
                                [f"{s}_y" for s in SETS])
    for s in SETS:
        problem = labels_problem(s, labels[f"{s}_y"])
        if problem:
            raise UserError(f"{path}: not the prepared MNIST: {problem}; {remedy(path)}")
    return {s: np.bincount(labels[f"{s}_y"], minlength=10).tolist() for s in SETS}


def set_problem(s: str, x: np.ndarray, y: np.ndarray) -> str | None:
    """What is wrong with set `s`'s arrays, if anything: the engines index weights by pixel
    and outputs by label, so both must be in range."""
    if x.ndim != 2 or x.shape[1] != 784:
        return f"{s}_x has shape {x.shape}, not (n, 784)"
    if y.shape != (len(x),):
        return f"{s}_y has shape {y.shape}, not ({len(x)},)"
    return labels_problem(s, y)


def labels_problem(s: str, y: np.ndarray) -> str | None:
    """What is wrong with set `s`'s labels, if anything: none, or not digits."""
    if y.ndim != 1 or not len(y):
        return f"{s} is empty" if y.ndim == 1 else f"{s}_y has shape {y.shape}, not (n,)"
    if y.dtype.kind not in "iu" or y.min() < 0 or y.max() > 9:
        return f"{s}_y holds labels outside 0..9"
    return None
