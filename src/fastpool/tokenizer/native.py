"""The native BERT WordPiece tokenizer: support detection and a checked wrapper.

``native_support(tokenizer_json)`` says whether a tokenizer.json can be run by
the C++ tokenizer with ids identical to Hugging Face ``tokenizers``
(``encode(text, add_special_tokens=False)``); when it cannot, the caller keeps
using ``tokenizers``. ``NativeTokenizer`` tokenizes to CSR or tokenizes and
pools in one native pass (``encode``), with model2vec's steps: cut each text to
``max_chars`` code points, keep the first ``max_tokens`` tokens, then drop the
unknown token.

The json's ``truncation`` and ``padding`` are ignored (the caller passes
``max_tokens``), as are ``post_processor`` and ``decoder`` (no special tokens
are added and nothing is decoded).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from .. import _checks, _core
from .._threads import effective_n_threads
from . import _bridge
from .surrogates import replace_lone_surrogates

__all__ = ["TABLES_TOKENIZERS_VERSION", "NativeTokenizer", "native_support"]

#: The `tokenizers` version whose character classes the native tables reproduce
#: (tools/gen_unicode_tables.py measured them; the every-code-point tests check them).
TABLES_TOKENIZERS_VERSION: str = _bridge.tables_tokenizers_version()

_TOP_KEYS = {
    "version",
    "truncation",
    "padding",
    "added_tokens",
    "normalizer",
    "pre_tokenizer",
    "post_processor",
    "decoder",
    "model",
}
_MODEL_KEYS = {
    "type",
    "vocab",
    "unk_token",
    "continuing_subword_prefix",
    "max_input_chars_per_word",
}
_NORMALIZER_KEYS = {"type", "clean_text", "handle_chinese_chars", "strip_accents", "lowercase"}
_ADDED_KEYS = {"id", "content", "single_word", "lstrip", "rstrip", "normalized", "special"}
_INT32_MAX = 2**31 - 1
_MAX_TOKEN_CHARS = 1000


def _load(tokenizer_json: Mapping[str, Any] | str) -> Mapping[str, Any]:
    if isinstance(tokenizer_json, str):
        return json.loads(tokenizer_json)
    if isinstance(tokenizer_json, Mapping):
        return tokenizer_json
    raise TypeError(
        f"tokenizer_json must be a dict or a JSON string, got {type(tokenizer_json).__name__}"
    )


def _utf8(s: str) -> bytes | None:
    try:
        return s.encode("utf-8")
    except UnicodeEncodeError:
        return None


def _check(tj: Mapping[str, Any]) -> str:
    """'' when supported, else the reason."""
    extra = set(tj) - _TOP_KEYS
    if extra:
        return f"tokenizer.json keys {sorted(extra)} are not known to the native tokenizer"
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
    for tok, i in vocab.items():
        if not isinstance(tok, str) or _utf8(tok) is None:
            return f"vocabulary token {tok!r} is not valid UTF-8 text"
        if len(tok) > _MAX_TOKEN_CHARS:  # the trie is built recursively, one level per byte
            return f"vocabulary token {tok[:20]!r}... is longer than {_MAX_TOKEN_CHARS} characters"
        if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < len(vocab):
            return f"vocabulary id {i!r} of {tok!r} is outside [0, {len(vocab)})"
    unk = model.get("unk_token")
    if not isinstance(unk, str) or unk not in vocab:
        return f"unk_token {unk!r} is not in the vocabulary"
    prefix = model.get("continuing_subword_prefix", "##")
    if not isinstance(prefix, str) or _utf8(prefix) is None:
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

    added = tj.get("added_tokens") or []
    next_new = len(vocab)
    for a in added:
        if not isinstance(a, Mapping) or set(a) - _ADDED_KEYS:
            return f"added token {a!r} has options that are not implemented natively"
        content = a.get("content")
        if not isinstance(content, str) or not content or _utf8(content) is None:
            return f"added token content {content!r} is not a non-empty UTF-8 string"
        for flag in ("single_word", "lstrip", "rstrip", "normalized"):
            if a.get(flag, False) is not False:
                return f"added token {content!r} has {flag}=true (only false is native)"
        # tokenizers re-numbers added tokens on load: a vocabulary token keeps
        # its vocabulary id, others are numbered from len(vocab) in order.
        want = vocab.get(content)
        if want is None:
            want = next_new
            next_new += 1
        if a.get("id") != want:
            return (
                f"added token {content!r} has id {a.get('id')!r}, but tokenizers would "
                f"give it {want}"
            )
    if next_new > _INT32_MAX:
        return "vocabulary too large for int32 ids"
    return ""


def native_support(tokenizer_json: Mapping[str, Any] | str) -> tuple[bool, str]:
    """Whether the native tokenizer reproduces ``tokenizers`` exactly for this tokenizer.json.

    Returns ``(True, "")`` or ``(False, reason)``. Supported: a WordPiece model
    with a BertNormalizer (or no normalizer), the BertPreTokenizer, and added
    tokens whose single_word, lstrip, rstrip and normalized flags are false.
    """
    try:
        tj = _load(tokenizer_json)
    except ValueError as e:
        return False, f"tokenizer.json is not valid JSON: {e}"
    if not isinstance(tj, Mapping):
        return False, "tokenizer.json is not a JSON object"
    reason = _check(tj)
    return (not reason, reason)


def _string_table(items: Iterable[tuple[str, int]]) -> tuple[bytes, np.ndarray, np.ndarray]:
    encoded = [(s.encode("utf-8"), i) for s, i in items]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(b) for b, _ in encoded], dtype=np.int64)
    ids = np.array([i for _, i in encoded], dtype=np.int32)
    return b"".join(b for b, _ in encoded), offsets, ids


def _text_tuple(texts: Sequence[str] | str) -> tuple:
    if isinstance(texts, str | bytes):
        raise TypeError("texts must be a sequence of str, got a single str; wrap it in a list")
    return tuple(texts)


def _surrogate_free(texts: tuple, err: UnicodeEncodeError) -> tuple:
    """The texts with lone surrogates replaced (see surrogates.py); ``err`` if none had one."""
    fixed = replace_lone_surrogates(texts)
    if fixed is texts:
        raise err
    return tuple(fixed)


class NativeTokenizer:
    """The native BERT WordPiece tokenizer built from a supported tokenizer.json."""

    def __init__(self, tokenizer_json: Mapping[str, Any] | str) -> None:
        tj = _load(tokenizer_json)
        ok, reason = native_support(tj)
        if not ok:
            raise ValueError(f"tokenizer.json is not supported natively: {reason}")
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
        added = [(a["content"], int(a["id"])) for a in tj.get("added_tokens") or []]
        self.unk_id = int(vocab[model["unk_token"]])
        #: One past the largest id the tokenizer can produce.
        self.vocab_size = max([len(vocab)] + [i + 1 for _, i in added])
        self._tok = _bridge.Tokenizer(
            *_string_table(vocab.items()),
            *_string_table(added),
            model.get("continuing_subword_prefix", "##").encode("utf-8"),
            bool(norm.get("clean_text", True)),
            bool(norm.get("handle_chinese_chars", True)),
            lowercase if strip is None else bool(strip),
            lowercase,
            int(model.get("max_input_chars_per_word", 100)),
            self.unk_id,
        )

    @classmethod
    def from_json(cls, tokenizer_json: Mapping[str, Any] | str) -> NativeTokenizer:
        """Build from a tokenizer.json (string or parsed); ValueError if unsupported."""
        return cls(tokenizer_json)

    def _pretokenize(self, texts: Sequence[str]) -> list[list[str]]:
        """Test hook: the normalized, pre-tokenized words WordPiece sees, per text.

        Compare with ``tokenizer.pre_tokenizer.pre_tokenize_str(
        tokenizer.normalizer.normalize_str(text))`` (for texts without added tokens).
        """
        return self._tok.pretokenize(_text_tuple(texts))

    def tokenize_csr(
        self,
        texts: Sequence[str],
        *,
        max_chars: int | None = None,
        max_tokens: int | None = None,
        drop_unk: bool = False,
        n_threads: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Token ids of texts as CSR: ``(ids int32, offsets int64)``.

        Each text is cut to its first ``max_chars`` code points, tokenized,
        cut to its first ``max_tokens`` tokens and, with ``drop_unk``, stripped
        of the unknown id (model2vec's order). None means no limit.
        """
        items = _text_tuple(texts)
        try:
            return self._tok.tokenize_csr(
                items,
                _checks.native_limit(max_chars, "max_chars"),
                _checks.native_limit(max_tokens, "max_tokens"),
                bool(drop_unk),
                effective_n_threads(n_threads),
            )
        except UnicodeEncodeError as err:
            items = _surrogate_free(items, err)
        return self._tok.tokenize_csr(
            items,
            _checks.native_limit(max_chars, "max_chars"),
            _checks.native_limit(max_tokens, "max_tokens"),
            bool(drop_unk),
            effective_n_threads(n_threads),
        )

    def encode(
        self,
        texts: Sequence[str],
        table: npt.ArrayLike,
        *,
        weights: npt.ArrayLike | None = None,
        mapping: npt.ArrayLike | None = None,
        scale: npt.ArrayLike | None = None,
        max_chars: int | None = None,
        max_tokens: int | None = None,
        normalize: bool = True,
        out: np.ndarray | None = None,
        n_threads: int | None = None,
    ) -> np.ndarray:
        """Tokenize and mean-pool texts in one native pass: float32 (len(texts), dim).

        Matches ``fastpool.encode`` on ``tokenize_csr(texts, max_chars=...,
        max_tokens=..., drop_unk=True)``: token t reads ``table[mapping[t]]``
        (or ``table[t]``) times ``weights[t]`` (and, for an int8 table, times
        ``scale`` of that row or of the whole table); empty rows are zeros.
        """
        items = _text_tuple(texts)
        arrays = _checks.pool_arrays(table, weights, mapping, scale)
        if arrays.n_ids < self.vocab_size:
            raise ValueError(
                f"the tokenizer has {self.vocab_size} token ids but the model has only "
                f"{arrays.n_ids} ({arrays.ids_are})"
            )
        shape = (len(items), arrays.table.shape[1])
        if out is None:
            out = _core.empty_rows(*shape)
        else:
            inputs = (arrays.table, arrays.weights, arrays.mapping, arrays.scale)
            out = _checks.out(out, shape, inputs)
        self.encode_into(
            items,
            arrays.table,
            out,
            arrays.weights,
            arrays.mapping,
            _checks.native_limit(max_chars, "max_chars"),
            _checks.native_limit(max_tokens, "max_tokens"),
            bool(normalize),
            effective_n_threads(n_threads),
            arrays.scale,
        )
        return out

    def encode_into(
        self,
        texts: tuple | _bridge.ArrowTexts,
        table: np.ndarray,
        out: np.ndarray,
        weights: np.ndarray | None,
        mapping: np.ndarray | None,
        max_chars: int,
        max_tokens: int,
        normalize: bool,
        n_threads: int,
        scale: np.ndarray | None = None,
    ) -> None:
        """``encode`` without its checks, for callers that checked once already
        (``StaticModel`` validates its arrays at load): a tuple of texts (or
        ``_bridge.ArrowTexts``, rows read from Arrow buffers), arrays
        in the kernel's dtypes and layout, limits as ints (-1: none), a resolved
        thread count."""
        try:
            self._tok.encode(
                texts, table, out, weights, mapping, max_chars, max_tokens, True, normalize,
                n_threads, scale,
            )  # fmt: skip
        except UnicodeEncodeError as err:
            assert isinstance(texts, tuple)  # Arrow rows are bytes: never this error
            self._tok.encode(
                _surrogate_free(texts, err), table, out, weights, mapping, max_chars, max_tokens,
                True, normalize, n_threads, scale,
            )  # fmt: skip
