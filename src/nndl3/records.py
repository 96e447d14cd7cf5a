"""Reading and writing run records (the JSON schema is documented in docs/run-record.md)."""

from __future__ import annotations

from pathlib import Path

from . import atomic
from .errors import UserError
from .train import RECORD_SCHEMA


def record_path(out_dir: str | Path, seed: int) -> Path:
    return Path(out_dir) / f"seed-{seed}.json"


def write_all(records: list[dict], out_dir: str | Path) -> list[Path]:
    paths = []
    for record in records:
        path = record_path(out_dir, record["seed"])
        atomic.write_json(path, record)
        paths.append(path)
    return paths


def read(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: run record missing")
    record = atomic.read_json(path)
    if record.get("schema") != RECORD_SCHEMA:
        raise UserError(f"{path}: not a run record of schema {RECORD_SCHEMA}")
    return record
