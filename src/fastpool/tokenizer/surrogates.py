"""Text that is not valid Unicode: each lone surrogate is read as U+FFFD.

A Python ``str`` can hold lone surrogates (``json.loads('"\\ud800"')``,
``os.fsdecode`` of bad bytes with ``surrogateescape``); neither UTF-8 nor
Hugging Face ``tokenizers`` accepts them. fastpool encodes such a text as the
same text with every surrogate code point replaced by U+FFFD, the character
``bytes.decode(..., "replace")`` puts where input is not valid, so one bad row
never stops a batch and both backends give the same ids. The check runs only
after a backend refused a batch, so valid text pays nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypeVar

_SURROGATE = re.compile("[\ud800-\udfff]")
_S = TypeVar("_S", bound=Sequence[str])


def without_surrogates(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD (safe to print or write as UTF-8)."""
    return _SURROGATE.sub("\ufffd", text)


def replace_lone_surrogates(texts: _S) -> _S | list[str]:
    """``texts`` itself when no text holds a surrogate, else a list with each replaced."""
    if not any(_SURROGATE.search(text) for text in texts if isinstance(text, str)):
        return texts
    return [_SURROGATE.sub("\ufffd", text) if isinstance(text, str) else text for text in texts]
