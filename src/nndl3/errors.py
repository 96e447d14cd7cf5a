"""The one exception type the CLI turns into a one-line message and exit status 1."""


class UserError(Exception):
    """Bad input: the message names the file, key or value and what is wrong with it."""
