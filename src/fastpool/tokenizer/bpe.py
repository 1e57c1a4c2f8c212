"""The native byte-level BPE family: which tokenizer.json files it runs, and building it.

Runs a BPE model behind the ByteLevel pre-tokenizer (GPT-2, RoBERTa and their
kin) or behind ``Sequence[Split(Qwen2's pattern, Isolated), ByteLevel]`` (Qwen2's
shape), with no normalizer or one of ``NFC`` / ``NFD`` / ``NFKC`` / ``NFKD`` (Qwen's
NFC; alone or a ``Sequence`` of them, ``csrc/fastpool/tokenizer/unicode_norm.h``), and
added tokens as ``family.added_tokens_reason`` allows (lstrip /
rstrip included; normalized ones with no normalizer), id for id as ``tokenizers``
(``csrc/fastpool/tokenizer/bpe.h``). Declined, with the reason: dropout, any other
normalizer, any other pre-tokenizer or Split pattern.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import chain
from typing import Any

import numpy as np

from .._tokenizer_doc import MergeTable, VocabTable
from . import _bridge
from .family import (
    INT32_MAX,
    Built,
    added_tokens,
    added_tokens_reason,
    string_table,
    strip_flags,
    utf8,
)

__all__ = ["SPLIT_PATTERNS", "build", "prepare", "support_reason"]

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


def _affix(model: Mapping[str, Any], key: str) -> str | None:
    """The model's prefix / suffix as a str ('' for none), or None if it is not a string."""
    value = model.get(key)
    if value is None:
        return ""
    return value if isinstance(value, str) and utf8(value) is not None else None


def _nul_terminated(strings: Sequence[Any], what: str) -> bytes | str:
    """UTF-8 of the strings, each NUL-terminated (one pass, no object per string); or why not."""
    if strings and set(map(type, strings)) != {str}:
        return f"{what} must be strings"
    text = "\0".join(strings) + "\0" if strings else ""
    if text.count("\0") != len(strings):
        return f"a {what[:-1]} holds a NUL character (not native)"
    data = utf8(text)
    return f"a {what[:-1]} is not valid UTF-8 text" if data is None else data


def _table_text(
    vocab: VocabTable, merges: MergeTable
) -> tuple[bytes, np.ndarray, bytes, int, bool] | str:
    """_model_text of tables the native JSON pass read (valid UTF-8, ids in [0, n), merges
    all strings or all pairs without NUL): only a NUL in a token is left to decline."""
    if b"\0" in vocab.blob:
        return "a vocabulary token holds a NUL character (not native)"
    data = np.insert(np.frombuffer(vocab.blob, dtype=np.uint8), vocab.offsets[1:], 0).tobytes()
    return data, vocab.ids, merges.data, merges.n, merges.pairs and merges.n > 0


def _model_text(model: Mapping[str, Any]) -> tuple[bytes, np.ndarray, bytes, int, bool] | str:
    """(vocabulary, ids, merges, merge count, merges as pairs) for the bridge, or why not."""
    vocab, merges = model["vocab"], model["merges"]
    if isinstance(vocab, VocabTable) and isinstance(merges, MergeTable):
        return _table_text(vocab, merges)
    vocab_data = _nul_terminated(list(vocab), "vocabulary tokens")
    if isinstance(vocab_data, str):
        return vocab_data
    values = list(vocab.values())
    n = len(values)
    if set(map(type, values)) != {int}:
        return "vocabulary ids must be integers"
    ids = np.fromiter(values, dtype=np.int64, count=n)
    if int(ids.min()) < 0 or int(ids.max()) >= n:
        return f"vocabulary ids must lie in [0, {n})"
    kinds = set(map(type, merges))
    pairs = bool(merges) and kinds != {str}
    if pairs:
        if kinds != {list} or set(map(len, merges)) != {2}:
            return "merges must all be 'left right' strings or all [left, right] pairs"
        merges_data = _nul_terminated(list(chain.from_iterable(merges)), "merge tokens")
    else:
        merges_data = _nul_terminated(merges, "merges")
    if isinstance(merges_data, str):
        return merges_data
    return vocab_data, ids.astype(np.int32), merges_data, len(merges), pairs


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
            name = next((k for k, v in SPLIT_PATTERNS.items() if pattern == {"Regex": v}), None)
            if name is None:
                return f"Split pattern {pattern!r} (native: {', '.join(SPLIT_PATTERNS)})", None
            if dict(split) != {"type": "Split", "pattern": pattern, "behavior": "Isolated",
                               "invert": False}:  # fmt: skip
                return f"Split options {dict(split)!r} (only Isolated, not inverted)", None
            return steps[1], name
        return "pre_tokenizer Sequence (only [Split, ByteLevel] is native for BPE)", None
    kind = pre.get("type") if isinstance(pre, Mapping) else pre
    return f"pre_tokenizer {kind!r} (only ByteLevel, alone or after Split, is native)", None


def _forms(norm: Any) -> list[int] | str:
    """The normalizer as Unicode forms applied in order ([] for none), or why not native."""
    if norm is None:
        return []
    steps = norm.get("normalizers") if isinstance(norm, Mapping) else None
    if isinstance(norm, Mapping) and norm.get("type") == "Sequence" and isinstance(steps, list):
        if set(norm) != {"type", "normalizers"}:
            return f"normalizer Sequence options {sorted(set(norm))} are not native"
    else:
        steps = [norm]
    forms: list[int] = []
    for step in steps:
        kind = step.get("type") if isinstance(step, Mapping) else step
        if (
            not isinstance(step, Mapping)
            or kind not in _bridge.UNICODE_FORMS
            or set(step) != {"type"}
        ):
            native = ", ".join(_bridge.UNICODE_FORMS)
            return f"normalizer {kind!r} (native for BPE: {native}, a Sequence of them, none)"
        forms.append(_bridge.UNICODE_FORMS[kind])
    return forms


def support_reason(tj: Mapping[str, Any]) -> str:
    """'' when the native byte-level BPE reproduces this tokenizer.json exactly, else why."""
    prepared = prepare(tj)
    return prepared if isinstance(prepared, str) else ""


def prepare(tj: Mapping[str, Any]) -> Built | str:
    """The native byte-level BPE tokenizer of this tokenizer.json, or why there is none.
    The per-token checks (vocabulary, every merge) are the build itself, in C++."""
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
    unk = model.get("unk_token")
    if unk is not None and (not isinstance(unk, str) or unk not in vocab):
        return f"unk_token {unk!r} is not in the vocabulary"
    prefix = _affix(model, "continuing_subword_prefix")
    suffix = _affix(model, "end_of_word_suffix")
    if prefix is None or suffix is None:
        return "continuing_subword_prefix and end_of_word_suffix must be strings or null"
    if not isinstance(model.get("merges"), list | MergeTable):
        return "BPE merges are missing"

    forms = _forms(tj.get("normalizer"))
    if isinstance(forms, str):
        return forms
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

    added = tj.get("added_tokens") or []
    if not forms and _raw_match_is_exact(added):
        # With no normalizer, tokens that match the normalized text (GPT-2's <|endoftext|>,
        # RoBERTa's <s>) match the raw text, in the one leftmost-longest pass done here.
        tj = {**tj, "added_tokens": [{**a, "normalized": False} for a in added]}
    reason = added_tokens_reason(tj, _added_lookup(vocab, tj), n)
    if reason:
        return reason
    if n > INT32_MAX:
        return "vocabulary too large for int32 ids"
    tok = _construct(tj)
    if isinstance(tok, str):
        return tok
    unk_id = -1 if unk is None else int(vocab[unk])
    return Built(tok, unk_id, max([n] + [i + 1 for _, i in added_tokens(tj)]))


def _added_lookup(vocab: Mapping[str, int], tj: Mapping[str, Any]) -> Mapping[str, int]:
    """The vocabulary ids of the added tokens' contents (one native pass for a table)."""
    if not isinstance(vocab, VocabTable):
        return vocab
    added = [a.get("content") for a in tj.get("added_tokens") or [] if isinstance(a, Mapping)]
    contents = [c for c in added if isinstance(c, str)]
    found = vocab.find_many(contents)
    return {c: i for c, i in zip(contents, found, strict=True) if i is not None}


def _raw_match_is_exact(added: Any) -> bool:
    """Whether, with no normalizer, matching every added token on the raw text in one
    leftmost-longest pass gives what tokenizers' two passes give (the normalized=false
    tokens on the raw text first, then the normalized=true ones in what is left).

    True when all are normalized=true (one pass either way), or when no match of one kind
    can overlap or touch one of the other: no token contains or overlaps (a proper suffix
    that starts the other) a token of the other kind, the normalized=true tokens have no
    lstrip / rstrip, and none of them ends (starts) with whitespace that an lstrip
    (rstrip) token of the other kind would take (RoBERTa: <s>, </s>, <pad>, <unk>
    normalized, <mask> raw with lstrip)."""
    if not isinstance(added, list) or not all(isinstance(a, Mapping) for a in added):
        return False
    kinds = {a.get("normalized") for a in added}
    if kinds == {True}:
        return True
    if kinds != {True, False}:
        return False
    norm = [a for a in added if a.get("normalized") is True]
    raw = [a for a in added if a.get("normalized") is False]
    if len(norm) * len(raw) > 10_000 or any(a.get("lstrip") or a.get("rstrip") for a in norm):
        return False
    contents = [a.get("content") for a in added]
    if not all(isinstance(c, str) and c for c in contents):
        return False
    lstrip = any(a.get("lstrip") for a in raw)
    rstrip = any(a.get("rstrip") for a in raw)
    for a in norm:
        x = a["content"]
        if (lstrip and x[-1].isspace()) or (rstrip and x[0].isspace()):
            return False
        for b in raw:
            y = b["content"]
            if x in y or y in x or _overlaps(x, y) or _overlaps(y, x):
                return False
    return True


def _overlaps(x: str, y: str) -> bool:
    """Whether a proper suffix of x starts y."""
    return any(y.startswith(x[k:]) for k in range(1, len(x)))


def _construct(tj: Mapping[str, Any]) -> _bridge.ByteLevelBPETokenizer | str:
    """The native tokenizer of a tokenizer.json whose options support_reason checked,
    or why its vocabulary or merges are not ones tokenizers would run."""
    model = tj["model"]
    pre, split = _pre_tokenizer(tj["pre_tokenizer"])
    assert isinstance(pre, Mapping), pre
    forms = _forms(tj.get("normalizer"))
    assert not isinstance(forms, str), forms
    text = _model_text(model)
    if isinstance(text, str):
        return text
    vocab: Mapping[str, int] = model["vocab"]
    unk = model.get("unk_token")
    try:
        return _bridge.ByteLevelBPETokenizer(
            *text,
            *string_table(added_tokens(tj)),
            (_affix(model, "continuing_subword_prefix") or "").encode("utf-8"),
            (_affix(model, "end_of_word_suffix") or "").encode("utf-8"),
            bool(pre["add_prefix_space"]),
            bool(pre.get("use_regex", True)),
            bool(model.get("ignore_merges", False)),
            bool(model.get("fuse_unk", False)),
            bool(model.get("byte_fallback", False)),
            -1 if unk is None else int(vocab[unk]),
            split == "qwen2",
            forms or None,
            strip_flags(tj),
        )
    except ValueError as err:
        if len(err.args) == 2:  # (message, index of the first merge tokenizers refuses)
            k = err.args[1]
            return (
                f"merge {k} ({model['merges'][k]!r}) is malformed, names a token outside "
                "the vocabulary, or lacks continuing_subword_prefix on its right"
            )
        return str(err)


def build(tj: Mapping[str, Any]) -> Built:
    """The native byte-level BPE tokenizer of a tokenizer.json ``support_reason`` accepted."""
    prepared = prepare(tj)
    assert not isinstance(prepared, str), prepared
    return prepared
