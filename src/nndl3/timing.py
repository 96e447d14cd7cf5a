"""Where a training process spends its time: the `timing` object of a run record.

Phases (seconds, wall clock): `startup` = process start to training start (interpreter,
imports, Numba compilation or cache load), `load` = reading mnist.npz, `augment` = rotation
expansion, `sparse` = building the fast engine (the inputs' CSR form), `epochs` = SGD epochs,
`monitoring` = the monitors, `write` = encoding and writing the records (in the training
log's last line only: a record cannot hold the time to write itself). The same phases in
CPU seconds of this process under `cpu` (on a busy machine wall time overstates work).
"""

from __future__ import annotations

import contextlib
import json
import os
import time

PHASES = ("startup", "load", "augment", "sparse", "epochs", "monitoring", "write")
LOG_PREFIX = "timing "  # a job's log line of its times, the last one read (`logged`)


def log_line(times: dict) -> str:
    return LOG_PREFIX + json.dumps(times)


def logged(log_text: str) -> dict:
    """The times of a log's last `log_line` ({} if it has none)."""
    lines = [s for s in log_text.splitlines() if s.startswith(LOG_PREFIX)]
    return json.loads(lines[-1].removeprefix(LOG_PREFIX)) if lines else {}


def process_start() -> float:
    """time.time() at which this process started (Linux /proc), else at this module's import."""
    try:
        with open("/proc/self/stat") as f:
            ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return time.time() - uptime + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return _IMPORTED


_IMPORTED = time.time()


class Timer:
    """Accumulates seconds per phase: `with timer("load"): ...`."""

    def __init__(self):
        self.seconds = dict.fromkeys(PHASES, 0.0)
        self.cpu = dict.fromkeys(PHASES, 0.0)
        self.started = process_start()

    @contextlib.contextmanager
    def __call__(self, phase: str):
        start, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.seconds[phase] += time.perf_counter() - start
            self.cpu[phase] += time.process_time() - cpu

    def mark_startup(self):
        """Startup ends now: everything since the process started that no phase counted."""
        def uncounted(total, phases):
            return max(total - sum(v for k, v in phases.items() if k != "startup"), 0.0)

        self.seconds["startup"] = uncounted(time.time() - self.started, self.seconds)
        self.cpu["startup"] = uncounted(time.process_time(), self.cpu)

    def totals(self) -> dict:
        """Wall and CPU seconds since the process started (for the log's last line)."""
        return {"total": round(time.time() - self.started, 4),
                "total_cpu": round(time.process_time(), 4)}

    def rounded(self, without=()) -> dict:
        """Wall seconds per phase, and CPU seconds under "cpu", leaving out `without`."""
        return {**{k: round(v, 4) for k, v in self.seconds.items() if k not in without},
                "cpu": {k: round(v, 4) for k, v in self.cpu.items() if k not in without}}
