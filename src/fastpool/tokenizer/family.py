"""What every native tokenizer family shares: the built result, string tables, added tokens.

A family module (``wordpiece.py``, and Unigram / BPE beside it) offers three functions,
registered in ``native.FAMILIES`` under the tokenizer.json ``model.type`` it runs:

- ``support_reason(tj) -> str``: ``""`` when the native family reproduces ``tokenizers``
  exactly for this parsed tokenizer.json (normalizer, pre-tokenizer, model, added
  tokens), else the reason, in words a user can act on. Never approximate.
- ``build(tj) -> Built``: the built ``_bridge.NativeBase`` subclass, for a tokenizer.json
  ``support_reason`` accepted.
- ``prepare(tj) -> Built | str``: both in one pass (what loading calls): the checks and
  the build share their work (Unigram's vocabulary pass; BPE's checks are its build).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _bridge

__all__ = [
    "INT32_MAX",
    "Built",
    "added_tokens",
    "added_tokens_reason",
    "string_table",
    "strip_flags",
    "strip_reason",
    "utf8",
]

INT32_MAX = 2**31 - 1
_ADDED_KEYS = {"id", "content", "single_word", "lstrip", "rstrip", "normalized", "special"}


@dataclass(frozen=True)
class Built:
    """A built native tokenizer and the ids it can produce."""

    tok: _bridge.NativeBase
    #: The unknown token's id (dropped by ``encode``, model2vec's rule), or -1 if none.
    unk_id: int
    #: One past the largest id the tokenizer can produce.
    vocab_size: int


def utf8(s: str) -> bytes | None:
    """``s`` as UTF-8, or None if it holds a lone surrogate."""
    try:
        return s.encode("utf-8")
    except UnicodeEncodeError:
        return None


def string_table(items: Iterable[tuple[str, int]]) -> tuple[bytes, np.ndarray, np.ndarray]:
    """Strings with ids as one UTF-8 blob, int64 offsets (n + 1) and int32 ids (n)."""
    encoded = [(s.encode("utf-8"), i) for s, i in items]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(b) for b, _ in encoded], dtype=np.int64)
    ids = np.array([i for _, i in encoded], dtype=np.int32)
    return b"".join(b for b, _ in encoded), offsets, ids


def added_tokens_reason(tj: Mapping[str, Any], vocab: Mapping[str, int], n_vocab: int) -> str:
    """'' if the added tokens are ones every native family splits out exactly, else why.

    Supported: single_word and normalized false (split out of the raw text,
    leftmost-longest), lstrip / rstrip as ``strip_reason`` allows them, ids as tokenizers
    numbers them on load."""
    added = tj.get("added_tokens") or []
    reason = strip_reason(added)
    if reason:
        return reason
    next_new = n_vocab
    for a in added:
        if not isinstance(a, Mapping) or set(a) - _ADDED_KEYS:
            return f"added token {a!r} has options that are not implemented natively"
        content = a.get("content")
        if not isinstance(content, str) or not content or utf8(content) is None:
            return f"added token content {content!r} is not a non-empty UTF-8 string"
        for flag in ("single_word", "normalized"):
            if a.get(flag, False) is not False:
                return f"added token {content!r} has {flag}=true (only false is native)"
        # tokenizers re-numbers added tokens on load: a vocabulary token keeps
        # its vocabulary id, others are numbered from the vocabulary size in order.
        want = vocab.get(content)
        if want is None:
            want = next_new
            next_new += 1
        if a.get("id") != want:
            return (
                f"added token {content!r} has id {a.get('id')!r}, but tokenizers would "
                f"give it {want}"
            )
    if next_new > INT32_MAX:
        return "vocabulary too large for int32 ids"
    return ""


def added_tokens(tj: Mapping[str, Any]) -> list[tuple[str, int]]:
    """(content, id) of the added tokens of a tokenizer.json ``added_tokens_reason`` accepted."""
    return [(a["content"], int(a["id"])) for a in tj.get("added_tokens") or []]


def strip_reason(added: Any) -> str:
    """'' if the added tokens' lstrip / rstrip flags are ones the native split reproduces.

    lstrip / rstrip absorb the whitespace before / after a match (tokenizers' rule);
    with rstrip, a token that starts with whitespace could match inside what another
    absorbed, which tokenizers resolves its own way: declined."""
    if not isinstance(added, list):
        return "added_tokens is not a list"
    flagged = False
    for a in added:
        if not isinstance(a, Mapping):
            return f"added token {a!r} is not an object"
        for flag in ("lstrip", "rstrip"):
            if not isinstance(a.get(flag, False), bool):
                return f"added token {a.get('content')!r} has {flag}={a.get(flag)!r}"
        flagged |= bool(a.get("rstrip", False))
    if flagged:
        for a in added:
            content = a.get("content")
            if isinstance(content, str) and content[:1].isspace():
                return f"added token {content!r} starts with whitespace beside an rstrip token"
    return ""


def strip_flags(tj: Mapping[str, Any]) -> np.ndarray:
    return np.array(
        [bool(a.get("lstrip")) | bool(a.get("rstrip")) << 1 for a in tj.get("added_tokens") or []],
        dtype=np.uint8,
    )
