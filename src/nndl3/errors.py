"""The one exception type the CLI turns into a one-line message and exit status 1 (bad
input), and the one handler that does so, for the package's commands and the scripts
alike; with SIGTERM raised into a package command (`sigterm_raises`)."""

import contextlib
import os
import signal
import sys

# Set to show the traceback of an error the commands do not anticipate (a bug, or an input
# no check covers); a user otherwise sees one line.
TRACEBACK_VARIABLE = "NNDL3_TRACEBACK"


class UserError(Exception):
    """Bad input: the message names the file, key or value and what is wrong with it."""


def require_one_of(value, allowed, where: str) -> None:
    """A UserError naming `where` unless value is one of `allowed`."""
    if value not in allowed:
        raise UserError(f"{where}: {value!r} is not one of {', '.join(map(str, allowed))}")


class Terminated(BaseException):
    """SIGTERM (`timeout`, a cluster's cancel) raised in a command of the package as it
    runs (`sigterm_raises`), so that its pending writes remove their temporary files
    (nndl3.atomic) as on Ctrl-C; Python's default ends the process on the spot and leaves
    them."""


# a SIGTERM is raised into the command only, not its epilogue; one that comes before the
# command starts is held until it does
_SIGTERM = {"running": False, "pending": False}


def _terminate(signum, frame):
    if _SIGTERM["running"]:
        raise Terminated
    _SIGTERM["pending"] = True  # after the command, with its outputs written: unused


@contextlib.contextmanager
def sigterm_raises():
    """SIGTERM raises Terminated in the command `exit_status` runs, in this block. Only
    for a command that starts no child process of its own to wait on: a script waiting in
    `subprocess.run` would answer the exception by killing its child (Snakemake) outright."""
    _SIGTERM["pending"] = False  # before the handler: a SIGTERM from here on is kept
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:  # None: a handler set from C, which cannot be restored; Python's default
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


def exit_status(main, command: str | None = None) -> int:
    """main()'s exit status, what stops it one line on stderr: bad input (UserError) and a
    failed file operation status 1, Ctrl-C 130 and SIGTERM (where `sigterm_raises`) 143
    (outputs are written whole or not at all, nndl3.atomic), anything else status 1 unless
    TRACEBACK_VARIABLE asks for the traceback. command: the name the lines give (default:
    the script's)."""
    command = command or os.path.basename(sys.argv[0])
    try:
        return _running(main)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"error: {command}: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print(f"error: {command}: terminated (SIGTERM)", file=sys.stderr)
        return 128 + signal.SIGTERM
    except OSError as exc:  # a file the command reads or writes, named by the system
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {command}: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        if os.environ.get(TRACEBACK_VARIABLE):
            raise
        print(f"error: {command}: unexpected {type(exc).__name__}: {exc} (an input no "
              f"check covers, or a bug; {TRACEBACK_VARIABLE}=1 shows where)", file=sys.stderr)
        return 1


def _running(main) -> int:
    """main()'s status, with a SIGTERM raised into it (`_terminate`), or raised as it
    starts if one came before."""
    _SIGTERM["running"] = True
    try:
        if _SIGTERM["pending"]:
            raise Terminated
        return main() or 0
    finally:
        _SIGTERM["running"] = False
