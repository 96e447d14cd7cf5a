"""The one exception type the CLI turns into a one-line message and exit status 1, and the
one handler that does so, for the package's commands and the scripts alike."""

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
    """SIGTERM (`timeout`, a cluster's cancel, Snakemake stopping its jobs), raised where
    the command is, so that its pending writes remove their temporary files (nndl3.atomic)
    as on Ctrl-C; Python's default would end the process on the spot and leave them."""


def _terminate(signum, frame):
    raise Terminated


def exit_status(main, command: str | None = None) -> int:
    """main()'s exit status, what stops it one line on stderr: bad input (UserError) and a
    failed file operation status 1, Ctrl-C 130 and SIGTERM 143 (outputs are written whole
    or not at all, nndl3.atomic), anything else status 1 unless TRACEBACK_VARIABLE asks
    for the traceback. command: the name the lines give (default: the script's)."""
    import os
    import signal
    import sys

    command = command or os.path.basename(sys.argv[0])
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return _guarded(main, command)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _guarded(main, command: str) -> int:
    import os
    import signal
    import sys

    try:
        return main() or 0
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
