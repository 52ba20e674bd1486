"""The one base of errors that are the user's to fix, shown as one line without a traceback."""

from __future__ import annotations


class UserError(Exception):
    """Bad input, configuration or circumstances, in words the person can act on.

    The ``hotline`` command prints the message and exits with status 1; new error types that
    mean the same derive from this, rather than being added to a list in the command.
    """
