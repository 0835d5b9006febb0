"""Errors a user can cause. The CLI prints them as one line and exits with code 2."""

import sys


class UserError(Exception):
    """A problem with the user's input (path, repository, revision, config), not a bug."""


def warn(message: str) -> None:
    """One line on stderr about input the run worked around (what it left out is counted
    in the manifest too)."""
    print(f"repomill: warning: {message}", file=sys.stderr)
