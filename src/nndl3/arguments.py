"""argparse types shared by the package's command line and the benchmark and tool scripts:
a bad value is refused as the arguments are parsed, before any work, in argparse's one
line (exit status 2)."""

from __future__ import annotations

import argparse
from pathlib import Path

from .errors import UserError


def positive(text: str) -> int:
    """A count of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text}: at least 1")
    return value


def output_file(text: str) -> Path:
    """A script's output file, writable now (atomic.writable), not after the work."""
    from .atomic import writable

    try:
        return writable(text, "output")
    except UserError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("output: ")) from None
