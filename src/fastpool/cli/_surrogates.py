"""Lone surrogates: code points a JSON ``"\\ud800"`` escape puts in a str, and UTF-8 cannot hold.

The library encodes such a text as if each lone surrogate were U+FFFD. The CLI
never lets one stop it with a traceback: text it prints gets the same U+FFFD
(stdout's strict UTF-8 codec would raise), and an encoder that still refuses
them (an older library) is reported as a one-line error naming the row.
"""

from __future__ import annotations

import re

from ._errors import CLIError

_LONE = re.compile("[\ud800-\udfff]")  # in a Python str every surrogate is a lone one


def printable(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD, safe to print."""
    return _LONE.sub("\ufffd", text)


def encode_error(texts: list[str], first_row: int, where: str) -> CLIError:
    """The error for an encoder's UnicodeEncodeError on ``texts`` (rows from ``first_row``)."""
    for i, text in enumerate(texts):
        found = _LONE.search(text)
        if found is not None:
            return CLIError(
                f"{where} row {first_row + i}: the text holds a lone surrogate "
                f"(U+{ord(found.group()):04X}) that this fastpool library cannot encode"
            )
    return CLIError(f"{where}: a text in rows {first_row}.. could not be encoded as UTF-8")
