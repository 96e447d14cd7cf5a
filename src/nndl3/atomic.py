"""Atomic writes: every output appears whole or not at all.

Each writer writes into a temporary file in the destination's folder and renames it
into place, so an interrupted job never leaves a half-written file behind that a
later Snakemake run would take for finished.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .errors import UserError


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it onto `path` if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = None
    try:  # from the file's making on: an exception (Ctrl-C, SIGTERM) removes it
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                    suffix=suffix or ".tmp")
        tmp = Path(name)
        os.close(fd)
        yield tmp
        # mkstemp makes the file private (0600); an output gets the mode any new file would
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, path)
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)


def writable(path: str | os.PathLike, option: str) -> Path:
    """`path` as an output file's: its folder writable (or creatable), and not itself a
    folder; checked before a command works, not at its end, and leaving nothing behind
    (a broken input writes no output, not even a folder). `option` names it in errors."""
    if path == "":  # Path("") is the current folder
        raise UserError(f"{option}: an empty path")
    if str(path).endswith(os.sep):  # Path() drops the slash that says "a folder"
        raise UserError(f"{option}: {path}: a folder, not a file")
    path = Path(path)
    writable_folder(path.parent, option, path)
    if path.is_dir():
        raise UserError(f"{option}: {path}: a folder, not a file")
    if path.is_symlink() or (path.exists() and not path.is_file()):
        # the rename that writes it would replace the link or the device itself
        raise UserError(f"{option}: {path}: a link or a special file, not a regular file")
    return path


def writable_folder(folder: str | os.PathLike, option: str, named=None) -> Path:
    """`folder`, or the nearest of its parents that exists (the writer makes the rest), a
    folder in which a file can be created."""
    folder = Path(folder)
    if named is None and folder.exists() and not folder.is_dir():
        raise UserError(f"{option}: {folder}: a file, not a folder")
    existing = folder.absolute()
    while not existing.exists():
        existing = existing.parent
    try:
        tempfile.NamedTemporaryFile(dir=existing, prefix=".probe.").close()
    except OSError as e:
        raise UserError(f"{option}: {named or folder}: its folder cannot be written "
                        f"({e.strerror})") from None
    return folder


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_json(path: str | os.PathLike, obj) -> None:
    write_text(path, json.dumps(obj, indent=1, sort_keys=False) + "\n")
