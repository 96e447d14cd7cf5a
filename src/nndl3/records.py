"""Reading and writing run records (the JSON schema is documented in docs/run-record.md)."""

from __future__ import annotations

from pathlib import Path

from . import atomic, readers


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
    """A run record, checked: missing, truncated, another schema or a lacking key is a UserError."""
    return readers.record(path)
