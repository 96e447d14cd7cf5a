"""What a checked row, curve or replayed list can be, in one place: the checks write these
(check.py, curves.py, replay_check.py, literature_check.py) and the gate reads them
(report.py). FAIL fails the gate; every other status is stated in the table and passes it."""

PASS = "pass"
WEAK = "weak"  # passes, but its tolerance could not fail a broken network (check.py)
FAIL = "FAIL"
KNOWN_DEVIATION = "known deviation"
CHANGED = "changed"  # its settings are not the book's: not compared
IDENTICAL = "PASS"  # a replayed list equal to the book's, value for value
NOT_COMPARED = "not compared"  # a prefix: "not compared (why)"
NOT_RUN = "not run"  # a literature row whose run has no records

GATE = (PASS, WEAK, FAIL, KNOWN_DEVIATION, CHANGED, IDENTICAL)


def known(status) -> bool:
    """A status the gate can read (any other would pass it unread)."""
    return isinstance(status, str) and (status in GATE or status.startswith(NOT_COMPARED))
