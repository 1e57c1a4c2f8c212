"""Count a vocabulary from a corpus: the words for ``distill(vocabulary=...)``.

Plain Python (no torch): the corpus is read line by line, so its size does not matter,
only the number of distinct words.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable

from .. import _checks

# A word: letters/digits/underscore, with inner hyphens or apostrophes ("state-of-the-art",
# "don't"). The teacher's own pre-tokenizer decides later how each word is stored.
WORD = re.compile(r"\w+(?:[-'’]\w+)*")


def count_vocabulary(
    corpus: str | os.PathLike[str] | Iterable[str],
    *,
    top_n: int | None = None,
    min_count: int = 1,
    lowercase: bool = False,
) -> list[str]:
    """The most frequent words of ``corpus``, most frequent first.

    Parameters
    ----------
    corpus
        A UTF-8 text file (path) or an iterable of texts.
    top_n
        Keep at most this many words; None keeps all that pass ``min_count``.
    min_count
        Keep only words seen at least this many times.
    lowercase
        Count lowercased words (for cased teachers that should not tell "The" from "the").

    Ties in count keep the order in which the words first appeared, so the result is
    deterministic.
    """
    if top_n is not None:
        top_n = _checks.positive_int(top_n, "top_n")
    min_count = _checks.positive_int(min_count, "min_count")
    counts: Counter[str] = Counter()
    for line in _lines(corpus):
        if lowercase:
            line = line.lower()
        counts.update(WORD.findall(line))
    # Counter keeps first-seen order and most_common's sort is stable: ties stay in that order.
    ranked = [w for w, c in counts.most_common() if c >= min_count]
    return ranked if top_n is None else ranked[:top_n]


def _lines(corpus: str | os.PathLike[str] | Iterable[str]) -> Iterable[str]:
    if isinstance(corpus, (str, os.PathLike)):
        path = os.fspath(corpus)
        if not os.path.isfile(path):
            raise FileNotFoundError(f"corpus {path!r}: no such file")
        with open(path, encoding="utf-8", errors="replace") as f:
            yield from f
        return
    if isinstance(corpus, bytes) or not isinstance(corpus, Iterable):
        raise TypeError(f"corpus must be a path or an iterable of str, got {type(corpus).__name__}")
    for i, text in enumerate(corpus):
        if not isinstance(text, str):
            raise TypeError(f"corpus must hold str, got {type(text).__name__} at index {i}")
        yield text
