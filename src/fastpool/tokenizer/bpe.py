"""The native byte-level BPE family: which tokenizer.json files it runs, and building it.

Runs a BPE model behind the ByteLevel pre-tokenizer (GPT-2, RoBERTa and their
kin) or behind ``Sequence[Split(Qwen2's pattern, Isolated), ByteLevel]`` (Qwen2's
shape), with no normalizer, and added tokens as ``family.added_tokens_reason``
allows, id for id as ``tokenizers`` (``csrc/fastpool/tokenizer/bpe.h``).
Declined, with the reason: dropout, any normalizer (Qwen's NFC among them), any
other pre-tokenizer or Split pattern.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from . import _bridge
from .family import INT32_MAX, Built, added_tokens, added_tokens_reason, string_table, utf8

__all__ = ["SPLIT_PATTERNS", "build", "support_reason"]

_MODEL_KEYS = {
    "type",
    "dropout",
    "unk_token",
    "continuing_subword_prefix",
    "end_of_word_suffix",
    "fuse_unk",
    "byte_fallback",
    "ignore_merges",
    "vocab",
    "merges",
}
_PRE_KEYS = {"type", "add_prefix_space", "trim_offsets", "use_regex"}
#: The Split patterns run natively (compared as strings), by name.
SPLIT_PATTERNS = {
    "qwen2": "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}"
    "\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
}

#: The merge ids of the last merges list resolved: support_reason and build see the
#: same tokenizer.json one after the other, so the second lookup is free.
_last: tuple[Any, Any, str, tuple[np.ndarray, np.ndarray, np.ndarray] | str] | None = None


def _affix(model: Mapping[str, Any], key: str) -> str | None:
    """The model's prefix / suffix as a str ('' for none), or None if it is not a string."""
    value = model.get(key)
    if value is None:
        return ""
    return value if isinstance(value, str) and utf8(value) is not None else None


def _merge_pairs(merges: Sequence[Any]) -> list[Sequence[Any]] | str:
    """The (left, right) of each merge, either json form; or why they are malformed."""
    if all(isinstance(m, str) for m in merges):
        pairs = [m.split(" ") for m in merges]
    else:
        pairs = list(merges)
    for k, p in enumerate(pairs):
        if not isinstance(p, list | tuple) or len(p) != 2:
            return f"merge {k} ({merges[k]!r}) is not two tokens"
    return pairs


def _merge_ids(
    vocab: Mapping[str, int], merges: Sequence[Any], prefix: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | str:
    """int32 (left, right, merged) ids of the merges in rank order, or why tokenizers
    would refuse them (``merged`` is ``left + right`` less the prefix, as it builds it)."""
    global _last
    if _last is not None and _last[0] is merges and _last[1] is vocab and _last[2] == prefix:
        return _last[3]
    pairs = _merge_pairs(merges)
    result: tuple[np.ndarray, np.ndarray, np.ndarray] | str
    if isinstance(pairs, str):
        result = pairs
    else:
        get = vocab.get
        cut = len(prefix)
        left = [get(a, -1) if isinstance(a, str) else -1 for a, _ in pairs]
        right = [get(b, -1) if isinstance(b, str) else -1 for _, b in pairs]
        if prefix and not all(b.startswith(prefix) for _, b in pairs if isinstance(b, str)):
            result = "a merge's right token lacks continuing_subword_prefix"
        else:
            new = [get(a + b[cut:], -1) if l >= 0 and r >= 0 else -1
                   for (a, b), l, r in zip(pairs, left, right)]  # fmt: skip
            arrays = tuple(np.array(x, dtype=np.int32) for x in (left, right, new))
            bad = np.flatnonzero((arrays[0] < 0) | (arrays[1] < 0) | (arrays[2] < 0))
            if bad.size:
                result = f"merge {int(bad[0])} ({merges[int(bad[0])]!r}) is not in the vocabulary"
            else:
                result = arrays  # type: ignore[assignment]
    _last = (merges, vocab, prefix, result)
    return result


def _flag(model: Mapping[str, Any], key: str) -> str:
    value = model.get(key, False)
    return "" if isinstance(value, bool) else f"BPE {key} must be true or false, got {value!r}"


def _pre_tokenizer(pre: Any) -> tuple[Mapping[str, Any] | str, str | None]:
    """(the ByteLevel step, the Split pattern's name or "") of a native pre-tokenizer,
    or (why it is not native, None)."""
    if isinstance(pre, Mapping) and pre.get("type") == "ByteLevel":
        return pre, ""
    if isinstance(pre, Mapping) and pre.get("type") == "Sequence":
        steps = pre.get("pretokenizers")
        if (
            isinstance(steps, list)
            and len(steps) == 2
            and all(isinstance(x, Mapping) for x in steps)
            and steps[0].get("type") == "Split"
            and steps[1].get("type") == "ByteLevel"
        ):
            split = steps[0]
            pattern = split.get("pattern")
            name = next(
                (k for k, v in SPLIT_PATTERNS.items() if pattern == {"Regex": v}), None
            )
            if name is None:
                return f"Split pattern {pattern!r} (native: {', '.join(SPLIT_PATTERNS)})", None
            if dict(split) != {"type": "Split", "pattern": pattern, "behavior": "Isolated",
                               "invert": False}:  # fmt: skip
                return f"Split options {dict(split)!r} (only Isolated, not inverted)", None
            return steps[1], name
        return "pre_tokenizer Sequence (only [Split, ByteLevel] is native for BPE)", None
    kind = pre.get("type") if isinstance(pre, Mapping) else pre
    return f"pre_tokenizer {kind!r} (only ByteLevel, alone or after Split, is native)", None


def support_reason(tj: Mapping[str, Any]) -> str:
    """'' when the native byte-level BPE reproduces this tokenizer.json exactly, else why."""
    model = tj.get("model")
    if not isinstance(model, Mapping) or model.get("type") != "BPE":
        return "no BPE model in tokenizer.json"
    extra = set(model) - _MODEL_KEYS
    if extra:
        return f"BPE options {sorted(extra)} are not implemented natively"
    if model.get("dropout") is not None:
        return f"BPE dropout {model.get('dropout')!r} (only null is native: ids would be random)"
    for key in ("fuse_unk", "byte_fallback", "ignore_merges"):
        reason = _flag(model, key)
        if reason:
            return reason
    vocab = model.get("vocab")
    if not isinstance(vocab, Mapping) or not vocab:
        return "BPE vocab is missing or empty"
    n = len(vocab)
    for tok, i in vocab.items():
        if not isinstance(tok, str) or utf8(tok) is None:
            return f"vocabulary token {tok!r} is not valid UTF-8 text"
        if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < n:
            return f"vocabulary id {i!r} of {tok!r} is outside [0, {n})"
    unk = model.get("unk_token")
    if unk is not None and (not isinstance(unk, str) or unk not in vocab):
        return f"unk_token {unk!r} is not in the vocabulary"
    prefix = _affix(model, "continuing_subword_prefix")
    suffix = _affix(model, "end_of_word_suffix")
    if prefix is None or suffix is None:
        return "continuing_subword_prefix and end_of_word_suffix must be strings or null"
    merges = model.get("merges")
    if not isinstance(merges, list):
        return "BPE merges are missing"
    ids = _merge_ids(vocab, merges, prefix)
    if isinstance(ids, str):
        return ids

    if tj.get("normalizer") is not None:
        norm = tj["normalizer"]
        kind = norm.get("type") if isinstance(norm, Mapping) else norm
        return f"normalizer {kind!r} (only none is native for BPE)"
    pre, split = _pre_tokenizer(tj.get("pre_tokenizer"))
    if split is None:
        return pre  # type: ignore[return-value]
    assert isinstance(pre, Mapping)
    if set(pre) - _PRE_KEYS:
        return f"ByteLevel options {sorted(set(pre) - _PRE_KEYS)} are not implemented natively"
    for key in ("add_prefix_space", "trim_offsets", "use_regex"):
        if not isinstance(pre.get(key, True), bool):
            return f"ByteLevel {key} must be true or false, got {pre.get(key)!r}"
    if "add_prefix_space" not in pre or "trim_offsets" not in pre:
        return "ByteLevel needs add_prefix_space and trim_offsets (tokenizers refuses it)"

    reason = added_tokens_reason(tj, vocab, n)
    if reason:
        return reason
    if n > INT32_MAX:
        return "vocabulary too large for int32 ids"
    return ""


def build(tj: Mapping[str, Any]) -> Built:
    """The native byte-level BPE tokenizer of a tokenizer.json ``support_reason`` accepted."""
    model = tj["model"]
    pre, split = _pre_tokenizer(tj["pre_tokenizer"])
    assert isinstance(pre, Mapping), pre
    vocab: Mapping[str, int] = model["vocab"]
    prefix = _affix(model, "continuing_subword_prefix") or ""
    suffix = _affix(model, "end_of_word_suffix") or ""
    ids = _merge_ids(vocab, model["merges"], prefix)
    assert not isinstance(ids, str), ids
    added = added_tokens(tj)
    unk = model.get("unk_token")
    unk_id = -1 if unk is None else int(vocab[unk])
    tok = _bridge.ByteLevelBPETokenizer(
        *string_table(vocab.items()),
        *ids,
        *string_table(added),
        prefix.encode("utf-8"),
        suffix.encode("utf-8"),
        bool(pre["add_prefix_space"]),
        bool(pre.get("use_regex", True)),
        bool(model.get("ignore_merges", False)),
        bool(model.get("fuse_unk", False)),
        bool(model.get("byte_fallback", False)),
        unk_id,
        split == "qwen2",
    )
    return Built(tok, unk_id, max([len(vocab)] + [i + 1 for _, i in added]))
