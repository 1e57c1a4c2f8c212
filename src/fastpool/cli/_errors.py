"""The one exception the command line turns into a one-line message and exit status 2."""

from __future__ import annotations


class CLIError(Exception):
    """A user-fixable problem (missing file, unknown field, bad format): message, exit 2."""
