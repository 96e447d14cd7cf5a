"""The argument parser and types shared by the package's command line and the benchmark
and tool scripts: a bad value is refused as the arguments are parsed, before any work, in
one line (exit status 2, as argparse's)."""

from __future__ import annotations

import argparse
import copy
import re
from pathlib import Path

from .errors import UserError


def positive(text: str) -> int:
    """A count of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text}: at least 1")
    return value


def folder(text: str) -> Path:
    """An existing folder, whose files a script reads."""
    path = Path(text)
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: " + ("not a folder" if path.exists()
                                                        else "no such folder"))
    return path


def output_file(text: str) -> Path:
    """A script's output file, writable now (atomic.writable), not after the work."""
    from .atomic import writable

    try:
        return writable(text, "output")
    except UserError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("output: ")) from None


def output_folder(text: str) -> Path:
    """A script's output folder: one, or one that can be made, writable now (as
    output_file)."""
    from .atomic import writable_folder

    try:
        return writable_folder(text, "output")
    except UserError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("output: ")) from None


def output_flag(path: str) -> type[argparse.Action]:
    """The action of a flag that sets an output option to `path`, checked as the option's
    own values are (`output_file`), when the flag is given."""

    class OutputFlag(argparse.Action):
        def __init__(self, option_strings, dest, **kwargs):
            super().__init__(option_strings, dest, nargs=0, **kwargs)

        def __call__(self, parser, namespace, values, option_string=None):
            try:
                setattr(namespace, self.dest, output_file(path))
            except argparse.ArgumentTypeError as exc:
                parser.error(f"argument {option_string}: {exc}")

    return OutputFlag


DEFAULT = "(default: %(default)s)"


class DefaultsFormatter(argparse.HelpFormatter):
    """--help shows an option's default where it has one and its help does not say it
    (an option without help too): each default is written once, in the option."""

    def _format_action(self, action):
        if not action.help and self._shows_default(action):  # argparse skips it otherwise
            action = copy.copy(action)
            action.help = DEFAULT
        return super()._format_action(action)

    def _get_help_string(self, action):
        if self._shows_default(action) and not re.search(r"\bdefault\b", action.help):
            return f"{action.help} {DEFAULT}"
        return action.help

    @staticmethod
    def _shows_default(action) -> bool:
        return bool(action.option_strings) and not (
            action.default is None or action.default is False  # 0 is shown
            or action.default == [] or action.default is argparse.SUPPRESS)


class DocstringFormatter(argparse.RawDescriptionHelpFormatter, DefaultsFormatter):
    """DefaultsFormatter, with the description and epilog as written (a script's docstring
    laid out as a table or a list)."""


class OneLineParser(argparse.ArgumentParser):
    """argparse, whose errors are one line like every other error (not a usage block);
    exit status 2, as argparse's. The parsers of its subcommands are of this class too."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", DefaultsFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message):
        hint = "--help lists the options"
        if "unrecognized arguments" in message and "--check-only" in message:
            hint = "--check-only goes before the command: python -m nndl3 --check-only <command>"
        self.exit(2, f"error: {self.prog}: {message} ({hint})\n")


def script_parser(doc: str, **kwargs) -> OneLineParser:
    """A benchmark's or tool's parser, described by its docstring's first paragraph."""
    return OneLineParser(description=doc.split("\n\n")[0], **kwargs)
