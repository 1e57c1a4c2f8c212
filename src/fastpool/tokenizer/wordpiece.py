"""The native BERT WordPiece family: which tokenizer.json files it runs, and building it.

Runs a WordPiece model with a BertNormalizer (or none), the BertPreTokenizer and
added tokens as ``family.added_tokens_reason`` allows
(lstrip / rstrip included, as an MPNet-style ``<mask>`` has), id for id as ``tokenizers``
(``csrc/fastpool/tokenizer/tokenizer.h``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._tokenizer_doc import MAX_TOKEN_CHARS as _TABLE_TOKEN_CHARS
from .._tokenizer_doc import VocabTable
from . import _bridge
from .family import (
    Built,
    added_tokens,
    added_tokens_reason,
    string_table,
    strip_flags,
    utf8,
)

__all__ = ["MAX_TOKEN_CHARS", "build", "prepare", "support_reason"]

_MODEL_KEYS = {
    "type",
    "vocab",
    "unk_token",
    "continuing_subword_prefix",
    "max_input_chars_per_word",
}
_NORMALIZER_KEYS = {"type", "clean_text", "handle_chinese_chars", "strip_accents", "lowercase"}
#: The trie is built recursively, one level per byte: longer tokens are declined.
MAX_TOKEN_CHARS = 1000


def support_reason(tj: Mapping[str, Any]) -> str:
    """'' when the native WordPiece reproduces this tokenizer.json exactly, else why."""
    model = tj.get("model")
    if not isinstance(model, Mapping):
        return "no model in tokenizer.json"
    if model.get("type") != "WordPiece":
        return f"model type {model.get('type')!r} (only WordPiece is native)"
    extra = set(model) - _MODEL_KEYS
    if extra:
        return f"WordPiece options {sorted(extra)} are not implemented natively"
    vocab = model.get("vocab")
    if not isinstance(vocab, Mapping) or not vocab:
        return "WordPiece vocab is missing or empty"
    # A VocabTable passed these checks natively, in one pass over the JSON text.
    checked = isinstance(vocab, VocabTable) and MAX_TOKEN_CHARS == _TABLE_TOKEN_CHARS
    for tok, i in () if checked else vocab.items():
        if not isinstance(tok, str) or utf8(tok) is None:
            return f"vocabulary token {tok!r} is not valid UTF-8 text"
        if len(tok) > MAX_TOKEN_CHARS:  # the trie is built recursively, one level per byte
            return f"vocabulary token {tok[:20]!r}... is longer than {MAX_TOKEN_CHARS} characters"
        if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < len(vocab):
            return f"vocabulary id {i!r} of {tok!r} is outside [0, {len(vocab)})"
    unk = model.get("unk_token")
    if not isinstance(unk, str) or unk not in vocab:
        return f"unk_token {unk!r} is not in the vocabulary"
    prefix = model.get("continuing_subword_prefix", "##")
    if not isinstance(prefix, str) or utf8(prefix) is None:
        return f"continuing_subword_prefix {prefix!r} is not a string"
    mic = model.get("max_input_chars_per_word", 100)
    if isinstance(mic, bool) or not isinstance(mic, int) or mic < 0:
        return f"max_input_chars_per_word {mic!r} is not a non-negative integer"

    norm = tj.get("normalizer")
    if norm is not None:
        if not isinstance(norm, Mapping) or norm.get("type") != "BertNormalizer":
            kind = norm.get("type") if isinstance(norm, Mapping) else norm
            return f"normalizer {kind!r} (only BertNormalizer or none is native)"
        extra = set(norm) - _NORMALIZER_KEYS
        if extra:
            return f"BertNormalizer options {sorted(extra)} are not implemented natively"
        for key in ("clean_text", "handle_chinese_chars", "lowercase"):
            if not isinstance(norm.get(key, True), bool):
                return f"BertNormalizer {key} must be true or false, got {norm.get(key)!r}"
        if norm.get("strip_accents") not in (None, True, False):
            return (
                "BertNormalizer strip_accents must be true, false or null, "
                f"got {norm.get('strip_accents')!r}"
            )

    pre = tj.get("pre_tokenizer")
    if not isinstance(pre, Mapping) or dict(pre) != {"type": "BertPreTokenizer"}:
        kind = pre.get("type") if isinstance(pre, Mapping) else pre
        return f"pre_tokenizer {kind!r} (only BertPreTokenizer is native)"

    return added_tokens_reason(tj, vocab, len(vocab))


def build(tj: Mapping[str, Any]) -> Built:
    """The native WordPiece tokenizer of a tokenizer.json ``support_reason`` accepted."""
    model = tj["model"]
    vocab: Mapping[str, int] = model["vocab"]
    norm = tj.get("normalizer") or {
        "clean_text": False,
        "handle_chinese_chars": False,
        "strip_accents": False,
        "lowercase": False,
    }
    lowercase = bool(norm.get("lowercase", True))
    strip = norm.get("strip_accents")
    added = added_tokens(tj)
    unk_id = int(vocab[model["unk_token"]])
    tok = _bridge.WordPieceTokenizer(
        *(vocab.string_table() if isinstance(vocab, VocabTable) else string_table(vocab.items())),
        *string_table(added),
        model.get("continuing_subword_prefix", "##").encode("utf-8"),
        bool(norm.get("clean_text", True)),
        bool(norm.get("handle_chinese_chars", True)),
        lowercase if strip is None else bool(strip),
        lowercase,
        int(model.get("max_input_chars_per_word", 100)),
        unk_id,
        strip_flags(tj),
    )
    return Built(tok, unk_id, max([len(vocab)] + [i + 1 for _, i in added]))


def prepare(tj: Mapping[str, Any]) -> Built | str:
    """The native WordPiece tokenizer of this tokenizer.json, or why there is none."""
    return support_reason(tj) or build(tj)
