import os
import sys

from .cli import main

status = main()
# Every output is written and closed, and main has flushed stdout through its guard: the
# interpreter's teardown (finalizing NumPy, Numba, SciPy, scikit-learn, matplotlib) would
# only add CPU time to every job after its work is done, so the process ends here.
for stream in (sys.stdout, sys.stderr):
    if stream is not None:  # started with it closed
        try:
            stream.flush()
        except OSError:  # its reader gone: main's guard has met that already
            pass
os._exit(status)
