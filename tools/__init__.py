"""Scripts that are not tests: CI's helpers and the mutant harness, run as `python tools/X.py`
(the tests import some of them as `tools.X`)."""
