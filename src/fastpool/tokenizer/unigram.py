"""The native SentencePiece Unigram family: which tokenizer.json files it runs, and building it.

Runs a Unigram model (``unk_id`` set, ``byte_fallback`` either way) behind a normalizer
made of ``Precompiled`` (SentencePiece charsmaps), ``Replace`` (a literal string, or the
regex ``" {2,}"`` XLM-R-family files carry), ``Prepend``, ``Strip``, ``Lowercase`` and
``NFC`` / ``NFD`` / ``NFKC`` / ``NFKD`` (``csrc/fastpool/tokenizer/unicode_norm.h``) steps
(alone or in a ``Sequence``), or none; a ``Metaspace`` pre-tokenizer (any ``prepend_scheme``,
``split`` true or false, the legacy ``add_prefix_space`` / ``str_rep`` keys), a ``Sequence``
of ``WhitespaceSplit``, ``Whitespace``, ``Punctuation`` (any ``behavior``), ``Digits`` and at
most one ``Metaspace`` (T5-family files: ``[WhitespaceSplit, Metaspace]``; DeBERTa-v2:
``[Punctuation, Metaspace]``; ``prepend_scheme`` ``first`` only before any splitting step),
one of those alone, or none; added tokens as ``family.added_tokens_reason``
allows, plus ``lstrip`` / ``rstrip`` (XLM-R's ``<mask>`` has ``lstrip``). Ids are those
of ``tokenizers`` (``csrc/fastpool/tokenizer/unigram.h``).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

import numpy as np

from .._tokenizer_doc import PieceTable
from . import _bridge
from .family import (
    Built,
    added_tokens,
    added_tokens_reason,
    string_table,
    strip_flags,
    utf8,
)

__all__ = ["build", "prepare", "support_reason"]

_MODEL_KEYS = {"type", "unk_id", "vocab", "byte_fallback"}
_STEP_KEYS = {
    "Precompiled": {"type", "precompiled_charsmap"},
    "Replace": {"type", "pattern", "content"},
    "Prepend": {"type", "prepend"},
    "Strip": {"type", "strip_left", "strip_right"},
    **{form: {"type"} for form in _bridge.UNICODE_FORMS},  # NFC, NFD, NFKC, NFKD
    "Lowercase": {"type"},
}
_METASPACE_KEYS = {"type", "replacement", "prepend_scheme", "split", "add_prefix_space", "str_rep"}
_SCHEMES = {"always": 0, "never": 1, "first": 2}
#: The one Replace regex reproduced natively (XLM-R's converter adds it): runs of 2+ spaces.
SPACE_RUN_REGEX = " {2,}"
# Step kinds as unigram.h numbers them.
_PRECOMPILED, _REPLACE, _REPLACE_SPACES, _PREPEND, _STRIP = range(5)
_UNICODE = 8  # the form (_bridge.UNICODE_FORMS) goes in the charsmap slot
_LOWERCASE = 5


_Vocab = tuple[bytes, np.ndarray, np.ndarray, dict[str, int]]


def _vocab(tj: Mapping[str, Any]) -> _Vocab | str:
    """(UTF-8 blob, byte offsets, float64 scores as tokenizers reads them, {added content:
    last id}) of the Unigram vocab, or why it is not usable: one C pass over the json's
    list (_bridge.unigram_vocab)."""
    vocab = tj["model"].get("vocab")
    added = tj.get("added_tokens") or []
    wanted: set[str] = {
        c for a in added if isinstance(a, Mapping) and isinstance(c := a.get("content"), str)
    }
    if isinstance(vocab, PieceTable):  # read and checked natively from the JSON text
        contents = sorted(wanted)
        ids = vocab.find_many(contents)
        found = {c: k for c, k in zip(contents, ids, strict=True) if k is not None}
        return vocab.blob, vocab.offsets, vocab.tokenizer_scores, found
    if not isinstance(vocab, list) or not vocab:
        return "Unigram vocab is missing or empty"
    return _bridge.unigram_vocab(vocab, wanted)


def _charsmap(step: Mapping[str, Any]) -> bytes | str:
    """The raw precompiled charsmap of a Precompiled step, or why it is not usable."""
    blob = step.get("precompiled_charsmap")
    if not isinstance(blob, str) or not blob:
        return "Precompiled precompiled_charsmap is missing or empty"
    try:
        raw = base64.b64decode(blob, validate=True)
    except (binascii.Error, ValueError):
        return "Precompiled precompiled_charsmap is not valid base64"
    if len(raw) < 4:
        return "Precompiled precompiled_charsmap is too short"
    trie = int.from_bytes(raw[:4], "little")
    if trie == 0 or trie % 4 or trie > len(raw) - 4:
        return "Precompiled precompiled_charsmap has an invalid trie size"
    try:
        raw[4 + trie :].decode("utf-8")
    except UnicodeDecodeError:
        return "Precompiled precompiled_charsmap's strings are not valid UTF-8"
    return raw


def _flat_steps(norm: Any) -> list[Any]:
    if isinstance(norm, Mapping) and norm.get("type") == "Sequence":
        items = norm.get("normalizers")
        if not isinstance(items, list) or set(norm) != {"type", "normalizers"}:
            return [norm]
        return [s for item in items for s in _flat_steps(item)]
    return [norm]


def _steps(norm: Any) -> tuple[list[tuple[int, bytes, bytes, bool, bool, int]], list[bytes]] | str:
    """The native normalizer steps and charsmaps of a normalizer, or why it is not native."""
    steps: list[tuple[int, bytes, bytes, bool, bool, int]] = []
    charsmaps: list[bytes] = []
    if norm is None:
        return steps, charsmaps
    for step in _flat_steps(norm):
        kind = step.get("type") if isinstance(step, Mapping) else step
        keys = _STEP_KEYS.get(kind)  # type: ignore[arg-type]
        if keys is None or not isinstance(step, Mapping):
            native = ", ".join(sorted(_STEP_KEYS))
            return f"normalizer {kind!r} (native for Unigram: {native}, Sequence, none)"
        if set(step) - keys:
            return f"{kind} options {sorted(set(step) - keys)} are not implemented natively"
        if kind == "Precompiled":
            raw = _charsmap(step)
            if isinstance(raw, str):
                return raw
            steps.append((_PRECOMPILED, b"", b"", False, False, len(charsmaps)))
            charsmaps.append(raw)
        elif kind == "Lowercase":
            steps.append((_LOWERCASE, b"", b"", False, False, -1))
        elif kind == "Replace":
            pattern, content = step.get("pattern"), step.get("content")
            if not isinstance(content, str) or utf8(content) is None:
                return f"Replace content {content!r} is not a string"
            if not isinstance(pattern, Mapping) or len(pattern) != 1:
                return f"Replace pattern {pattern!r} is not a String or Regex pattern"
            (ptype, text) = next(iter(pattern.items()))
            if ptype == "String" and isinstance(text, str) and text and utf8(text) is not None:
                steps.append((_REPLACE, text.encode(), content.encode(), False, False, -1))
            elif ptype == "Regex" and text == SPACE_RUN_REGEX:
                steps.append((_REPLACE_SPACES, b"", content.encode(), False, False, -1))
            else:
                return (
                    f"Replace pattern {pattern!r} (native: a non-empty String, "
                    f"or the Regex {SPACE_RUN_REGEX!r})"
                )
        elif kind in _bridge.UNICODE_FORMS:
            steps.append((_UNICODE, b"", b"", False, False, _bridge.UNICODE_FORMS[kind]))
        elif kind == "Prepend":
            text = step.get("prepend")
            if not isinstance(text, str) or utf8(text) is None:
                return f"Prepend prepend {text!r} is not a string"
            steps.append((_PREPEND, text.encode(), b"", False, False, -1))
        else:
            left, right = step.get("strip_left", True), step.get("strip_right", True)
            if not isinstance(left, bool) or not isinstance(right, bool):
                return "Strip strip_left and strip_right must be true or false"
            steps.append((_STRIP, b"", b"", left, right, -1))
    return steps, charsmaps


def _metaspace(pre: Any) -> tuple[int, bytes, int, bool] | str:
    """(pre kind, replacement, prepend scheme, split) of the pre-tokenizer, or why not native."""
    if pre is None:
        return 0, b"", 0, True
    if not isinstance(pre, Mapping) or pre.get("type") != "Metaspace":
        kind = pre.get("type") if isinstance(pre, Mapping) else pre
        return f"pre_tokenizer {kind!r} (native for Unigram: Metaspace or none)"
    if set(pre) - _METASPACE_KEYS:
        return (
            f"Metaspace options {sorted(set(pre) - _METASPACE_KEYS)} are not implemented natively"
        )
    rep = pre.get("replacement", "\u2581")
    if not isinstance(rep, str) or len(rep) != 1 or utf8(rep) is None:
        return f"Metaspace replacement {rep!r} is not one character"
    scheme = pre.get("prepend_scheme", "always")
    if scheme not in _SCHEMES:
        return f"Metaspace prepend_scheme {scheme!r} (native: always, never, first)"
    split = pre.get("split", True)
    if not isinstance(split, bool):
        return f"Metaspace split {split!r} is not true or false"
    # Legacy keys (older files): str_rep is ignored; add_prefix_space must agree with the
    # scheme (false: never), or tokenizers refuses the file.
    prefix = pre.get("add_prefix_space")
    if prefix is not None and (not isinstance(prefix, bool) or prefix != (scheme != "never")):
        return f"Metaspace add_prefix_space {prefix!r} disagrees with prepend_scheme {scheme!r}"
    if not isinstance(pre.get("str_rep", ""), str):
        return "Metaspace str_rep is not a string"
    return 1, rep.encode(), _SCHEMES[scheme], split


# Pre-tokenizer Sequence step kinds and split behaviors as unigram.h's PreStep numbers them.
_SPLITTERS = {"WhitespaceSplit": 0, "Whitespace": 1, "Punctuation": 2, "Digits": 3}
_META_STEP = 4
_BEHAVIORS = {"Removed": 0, "Isolated": 1, "MergedWithPrevious": 2, "MergedWithNext": 3}
_BEHAVIORS["Contiguous"] = 4
_SPLITTER_KEYS = {
    "WhitespaceSplit": {"type"},
    "Whitespace": {"type"},
    "Punctuation": {"type", "behavior"},
    "Digits": {"type", "individual_digits"},
}
_Pre = tuple[int, bytes, int, bool, list[tuple[int, int]]]


def _flat_pre(pre: Any) -> list[Any]:
    if isinstance(pre, Mapping) and pre.get("type") == "Sequence":
        items = pre.get("pretokenizers")
        if not isinstance(items, list) or set(pre) != {"type", "pretokenizers"}:
            return [pre]
        return [s for item in items for s in _flat_pre(item)]
    return [pre]


def _splitter(step: Mapping[str, Any]) -> tuple[int, int] | str:
    """(PreStep kind, behavior) of a splitting pre-tokenizer, or why it is not native."""
    kind = step["type"]
    extra = set(step) - _SPLITTER_KEYS[kind]
    if extra:
        return f"{kind} options {sorted(extra)} are not implemented natively"
    if kind == "Punctuation":
        behavior = step.get("behavior", "Isolated")
        if behavior not in _BEHAVIORS:
            return f"Punctuation behavior {behavior!r} (native: {', '.join(_BEHAVIORS)})"
        return _SPLITTERS[kind], _BEHAVIORS[behavior]
    if kind == "Digits":
        individual = step.get("individual_digits")
        if not isinstance(individual, bool):
            return f"Digits individual_digits {individual!r} is not true or false"
        return _SPLITTERS[kind], _BEHAVIORS["Isolated" if individual else "Contiguous"]
    return _SPLITTERS[kind], _BEHAVIORS["Removed"]


def _pre_tokenizer(pre: Any) -> _Pre | str:
    """(pre kind, Metaspace replacement, scheme, split, Sequence steps) of the
    pre-tokenizer, or why it is not native."""
    if pre is None or (isinstance(pre, Mapping) and pre.get("type") == "Metaspace"):
        meta = _metaspace(pre)
        return meta if isinstance(meta, str) else (*meta, [])
    flat = _flat_pre(pre)
    steps: list[tuple[int, int]] = []
    meta_args: tuple[bytes, int, bool] = (b"", 0, True)
    for step in flat:
        kind = step.get("type") if isinstance(step, Mapping) else step
        if not isinstance(step, Mapping) or (kind not in _SPLITTERS and kind != "Metaspace"):
            native = ", ".join([*_SPLITTERS, "Metaspace"])
            return f"pre_tokenizer {kind!r} (native for Unigram: {native}, a Sequence, none)"
        if kind == "Metaspace":
            meta = _metaspace(step)
            if isinstance(meta, str):
                return meta
            if any(k == _META_STEP for k, _ in steps):
                return "a pre_tokenizer Sequence with more than one Metaspace is not native"
            if meta[2] == _SCHEMES["first"] and steps:
                # "first" means the piece at original offset 0, which after a split depends
                # on the normalizer's alignments: not reproduced natively.
                return "Metaspace prepend_scheme 'first' after a splitting pre-tokenizer"
            meta_args = meta[1:]
            steps.append((_META_STEP, 0))
            continue
        got = _splitter(step)
        if isinstance(got, str):
            return got
        steps.append(got)
    if not steps:
        return 0, b"", 0, True, []
    if steps == [(_META_STEP, 0)]:
        return 1, *meta_args, []
    return 2, *meta_args, steps


def _model_reason(model: Mapping[str, Any], n: int) -> str:
    extra = set(model) - _MODEL_KEYS
    if extra:
        return f"Unigram options {sorted(extra)} are not implemented natively"
    unk = model.get("unk_id")
    if isinstance(unk, bool) or not isinstance(unk, int) or not 0 <= unk < n:
        return (
            f"Unigram unk_id {unk!r} is not an id in [0, {n}) (a model without one is not native)"
        )
    if not isinstance(model.get("byte_fallback", False), bool):
        return "Unigram byte_fallback must be true or false"
    return ""


def support_reason(tj: Mapping[str, Any]) -> str:
    """'' when the native Unigram reproduces this tokenizer.json exactly, else why."""
    checked = _checked_vocab(tj)
    return checked if isinstance(checked, str) else ""


def _checked_vocab(tj: Mapping[str, Any]) -> _Vocab | str:
    """The vocabulary of a tokenizer.json the native Unigram reproduces, or why it does not."""
    model = tj.get("model")
    if not isinstance(model, Mapping) or model.get("type") != "Unigram":
        return "not a Unigram model"
    vocab = _vocab(tj)
    if isinstance(vocab, str):
        return vocab
    _, offsets, _, found = vocab
    n = len(offsets) - 1
    reason = _model_reason(model, n)
    if reason:
        return reason
    for part in (_steps(tj.get("normalizer")), _pre_tokenizer(tj.get("pre_tokenizer"))):
        if isinstance(part, str):
            return part
    if tj.get("added_tokens"):
        reason = added_tokens_reason(tj, found, n)  # found: last id of a piece
        if reason:
            return reason
    return vocab


def build(tj: Mapping[str, Any]) -> Built:
    """The native Unigram tokenizer of a tokenizer.json ``support_reason`` accepted."""
    prepared = prepare(tj)
    assert not isinstance(prepared, str), prepared
    return prepared


def prepare(tj: Mapping[str, Any]) -> Built | str:
    """The native Unigram tokenizer of this tokenizer.json, or why there is none (one pass
    over its vocabulary for both)."""
    vocab = _checked_vocab(tj)
    if isinstance(vocab, str):
        return vocab
    model = tj["model"]
    blob, offsets, scores, _ = vocab
    steps = _steps(tj.get("normalizer"))
    pre = _pre_tokenizer(tj.get("pre_tokenizer"))
    assert not isinstance(steps, str) and not isinstance(pre, str)
    added = added_tokens(tj)
    added_data, added_offsets, added_ids = string_table(added)
    unk_id = int(model["unk_id"])
    n = len(scores)
    tok = _bridge.UnigramTokenizer(
        blob,
        offsets,
        scores,
        unk_id,
        bool(model.get("byte_fallback", False)),
        added_data,
        added_offsets,
        added_ids,
        strip_flags(tj),
        list(steps[0]),
        list(steps[1]),
        *pre,
    )
    return Built(tok, unk_id, max([n] + [i + 1 for _, i in added]))
