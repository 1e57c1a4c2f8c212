"""The native tokenizers: support detection and a checked wrapper, for every family.

``native_support(tokenizer_json)`` says whether a tokenizer.json can be run by
a C++ tokenizer family (``FAMILIES``: ``wordpiece.py`` and its siblings) with
ids identical to Hugging Face ``tokenizers`` (``encode(text,
add_special_tokens=False)``); when it cannot, the caller keeps
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
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from .. import _checks, _core
from .._threads import effective_n_threads
from .._tokenizer_doc import parse
from . import _bridge, bpe, unigram, wordpiece
from .family import Built
from .surrogates import replace_lone_surrogates

__all__ = [
    "MAX_CACHE_WORDS",
    "TABLES_TOKENIZERS_VERSION",
    "CacheInfo",
    "NativeTokenizer",
    "native_support",
    "native_tokenizer",
]

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
#: The native families by tokenizer.json ``model.type`` (see family.py for what each offers).
FAMILIES: dict[str, Any] = {"BPE": bpe, "Unigram": unigram, "WordPiece": wordpiece}


def _load(tokenizer_json: Mapping[str, Any] | str) -> Mapping[str, Any]:
    if isinstance(tokenizer_json, str):
        # Clean vocabularies (and merges) as native tables: no Python object per token.
        return parse(tokenizer_json) or json.loads(tokenizer_json)
    if isinstance(tokenizer_json, Mapping):
        return tokenizer_json
    raise TypeError(
        f"tokenizer_json must be a dict or a JSON string, got {type(tokenizer_json).__name__}"
    )


def _family(tj: Mapping[str, Any]) -> Any:
    """The family module that may run this tokenizer.json, or why none can (a str)."""
    extra = set(tj) - _TOP_KEYS
    if extra:
        return f"tokenizer.json keys {sorted(extra)} are not known to the native tokenizer"
    model = tj.get("model")
    if not isinstance(model, Mapping):
        return "no model in tokenizer.json"
    family = FAMILIES.get(model.get("type"))  # type: ignore[arg-type]
    if family is None:
        native = ", ".join(sorted(FAMILIES))
        return f"model type {model.get('type')!r} (native: {native})"
    return family


def _prepare(tj: Mapping[str, Any]) -> Built | str:
    """The family's native tokenizer of tj, or why there is none: one pass for both (a
    family's checks may be its build, as BPE's merges are)."""
    family = _family(tj)
    return family if isinstance(family, str) else family.prepare(tj)


def native_support(tokenizer_json: Mapping[str, Any] | str) -> tuple[bool, str]:
    """Whether the native tokenizer reproduces ``tokenizers`` exactly for this tokenizer.json.

    Returns ``(True, "")`` or ``(False, reason)``. Each family in ``FAMILIES``
    says what it supports (``wordpiece.support_reason``: a WordPiece model with a
    BertNormalizer or none, the BertPreTokenizer, and added tokens whose
    single_word, lstrip, rstrip and normalized flags are false).
    """
    try:
        tj = _load(tokenizer_json)
    except ValueError as e:
        return False, f"tokenizer.json is not valid JSON: {e}"
    if not isinstance(tj, Mapping):
        return False, "tokenizer.json is not a JSON object"
    family = _family(tj)
    reason = family if isinstance(family, str) else family.support_reason(tj)
    return (not reason, reason)


def native_tokenizer(tokenizer_json: Mapping[str, Any]) -> tuple[NativeTokenizer | None, str]:
    """``(NativeTokenizer, "")`` for a parsed tokenizer.json the native tokenizer reproduces,
    else ``(None, reason)``: ``native_support`` and the build in one pass."""
    prepared = _prepare(tokenizer_json)
    if isinstance(prepared, str):
        return None, prepared
    return NativeTokenizer._of(prepared), ""


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


#: The largest ``NativeTokenizer.cache_words`` (the word cache's arenas use 32-bit offsets).
MAX_CACHE_WORDS = 1 << 24


class CacheInfo(NamedTuple):
    """What a native tokenizer keeps between calls (``NativeTokenizer.cache_info``)."""

    scratches: int  #: per-thread working memories kept
    words: int  #: words cached, over all of them
    bytes: int  #: bytes they have allocated
    max_words: int  #: the word-cache capacity per thread (``cache_words``)


class NativeTokenizer:
    """A native tokenizer (of any family in ``FAMILIES``) built from a supported tokenizer.json."""

    def __init__(self, tokenizer_json: Mapping[str, Any] | str) -> None:
        tj = _load(tokenizer_json)
        if not isinstance(tj, Mapping):
            raise ValueError("tokenizer.json is not supported natively: not a JSON object")
        built = _prepare(tj)
        if isinstance(built, str):
            raise ValueError(f"tokenizer.json is not supported natively: {built}")
        self._set(built)

    @classmethod
    def _of(cls, built: Built) -> NativeTokenizer:
        self = cls.__new__(cls)
        self._set(built)
        return self

    def _set(self, built: Built) -> None:
        #: The unknown token's id, or -1 if the model has none.
        self.unk_id = built.unk_id
        #: One past the largest id the tokenizer can produce.
        self.vocab_size = built.vocab_size
        self._tok = built.tok

    @classmethod
    def from_json(cls, tokenizer_json: Mapping[str, Any] | str) -> NativeTokenizer:
        """Build from a tokenizer.json (string or parsed); ValueError if unsupported."""
        return cls(tokenizer_json)

    def clear_cache(self) -> None:
        """Free the working memory kept between calls, word caches included.

        Each thread of a call keeps its buffers and its word cache (the ids of the
        words it met, up to ``cache_words`` of them) for the next call, as
        ``tokenizers`` keeps its word cache. Calls running meanwhile free theirs when
        they end. Ids never depend on the cache; only speed does.
        """
        self._tok.clear_cache()

    @property
    def cache_words(self) -> int:
        """The most words each thread's word cache holds (0: no word cache).

        65,536 by default (3–5 MB per thread on real text). Setting it clears the
        cache. Only the byte-level BPE and Unigram families cache words.
        """
        return int(self._tok.cache_words())

    @cache_words.setter
    def cache_words(self, value: int) -> None:
        self._tok.set_cache_words(_checks.bounded_int(value, "cache_words", MAX_CACHE_WORDS))

    def cache_info(self) -> CacheInfo:
        """What is kept between calls now: scratches (one per thread that ran), cached
        words and bytes allocated (scratches in use by a running call not counted)."""
        scratches, words, nbytes = self._tok.cache_info()
        return CacheInfo(int(scratches), int(words), int(nbytes), self.cache_words)

    def _pretokenize(self, texts: Sequence[str]) -> list[list[str]]:
        """Test hook: the normalized, pre-tokenized words the model sees, per text.

        Compare with ``tokenizer.pre_tokenizer.pre_tokenize_str(
        tokenizer.normalizer.normalize_str(text))`` (for texts without added tokens).
        Families without the hook raise TypeError.
        """
        pretokenize = getattr(self._tok, "pretokenize", None)
        if pretokenize is None:
            raise TypeError(f"{type(self._tok).__name__} has no pretokenize test hook")
        return pretokenize(_text_tuple(texts))

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
