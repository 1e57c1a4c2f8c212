"""One model's way from text to token ids: the backend, and the limits of its semantics.

A :class:`TokenizerPipeline` picks the backend (fastpool's native tokenizer when
it reproduces ``tokenizers`` exactly for the tokenizer.json, else Hugging Face
``tokenizers``) and applies the rules of the model's semantics:

* model2vec 0.10: cut each text to ``max_length * median_token_length`` code
  points, tokenize without special tokens, keep the first ``max_length``
  tokens, drop the unknown token;
* sentence-transformers: no cut by characters, every token kept (the unknown one
  too), truncation on the side tokenizer.json says (``keep_last``: the left).

It hands out CSR ``(ids int32, offsets int64)`` batches, or tokenizes and pools
in one native pass when the native tokenizer can run the rules alone
(:meth:`fuses`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from tokenizers import Tokenizer

from .. import _checks
from .._progress import progress
from .._st import keep_last_tokens
from .._tokenizer_doc import TokenizerDoc, VocabStats, json_unknown_token_id, vocab_stats
from ._bridge import ArrowTexts
from .hf import (
    median_token_length,
    panics_as_errors,
    tokenize_csr,
    tokenize_csr_batches,
    unknown_token_id,
)
from .native import NativeTokenizer, native_tokenizer

BACKENDS = ("auto", "native", "tokenizers")
# Texts per tokenizer call when tokenizing on helper threads. Measured on 2 cores
# (stdlib docstrings, all-MiniLM-L6-v2 tokenizer): 2 helpers x 256 texts beat one
# helper x 1,024 by 10-20% (two calls in flight keep the tokenizers pool busy).
PIPELINE_BATCH = 256
#: The longest word that Hugging Face ``tokenizers``' WordPiece tokenizes on the
#: ``tokenizers`` backend; a longer word is its unknown token. Its greedy
#: longest-match tries every substring of a word, cubic in the word's length
#: (measured, tokenizers 0.22: 1,000 characters 0.1 s, 4,000 characters 5 s,
#: 15,000 characters about a minute), so a tokenizer.json whose
#: ``max_input_chars_per_word`` is larger is lowered to this, with a warning.
#: BERT's own value is 100. The native backend keeps the file's value: it is
#: linear in the word.
WORDPIECE_WORD_LIMIT = 200
_INT64_MAX = 2**63 - 1

logger = logging.getLogger(__name__)


class TokenizerPipeline:
    """Tokenizes texts for one model.

    Parameters
    ----------
    doc : TokenizerDoc
        The model's tokenizer.json (read once); its ``tokenizers.Tokenizer`` is built
        only when the ``tokenizers`` backend runs.
    backend : {"auto", "native", "tokenizers"}
        "native" raises ValueError, with the reason, when the native tokenizer
        cannot reproduce this tokenizer.json.
    sentence_transformers : bool
        sentence-transformers' rules instead of model2vec's.
    keep_last : bool
        sentence-transformers truncation on the left (keep the last tokens).
    source : str
        Names the model in error messages.
    """

    def __init__(
        self,
        doc: TokenizerDoc,
        *,
        backend: str = "auto",
        sentence_transformers: bool = False,
        keep_last: bool = False,
        source: str = "StaticModel",
    ) -> None:
        _checks.one_of(backend, "tokenizer_backend", BACKENDS)
        self.doc = doc
        self.sentence_transformers = sentence_transformers
        self.keep_last = keep_last and sentence_transformers
        self.source = source
        self._args = (backend, sentence_transformers, keep_last, source)
        self._hf: Tokenizer | None = None
        stats = None
        self.native, self.reason = self._native(backend, doc.data)
        if self.native is not None:
            stats = vocab_stats(doc.data)
        if stats is None:  # the tokenizers backend, or a vocabulary read only by tokenizers
            tokenizer = doc.tokenizer()
            self.unk_id = unknown_token_id(tokenizer, doc.data)
            # The median is order-free, so no sorted vocabulary is built here (it
            # costs more than the rest of loading).
            vocab = tokenizer.get_vocab()
            stats = VocabStats(
                len(vocab), int(max(vocab.values(), default=-1)), median_token_length(list(vocab))
            )
        else:
            self.unk_id = json_unknown_token_id(doc.data)
        if self.native is not None and self.native.unk_id != (
            -1 if self.unk_id is None else self.unk_id
        ):
            self.native, self.reason = None, "its unknown token differs from model2vec's choice"
        if self.native is None and backend == "native":
            raise ValueError(f"{source}: the native tokenizer cannot run this model: {self.reason}")
        #: The token id dropped after tokenizing (model2vec's rule), or None.
        self.drop_id = None if sentence_transformers else self.unk_id
        self.n_tokens, self.max_id, self.median_token_length = stats
        if self.native is None:
            _ = self.tokenizer  # bounded now: its warning comes with the load

    @property
    def tokenizer(self) -> Tokenizer:
        """The ``tokenizers.Tokenizer`` the ``tokenizers`` backend runs (built on first use;
        its WordPiece word limit bounded, see WORDPIECE_WORD_LIMIT)."""
        if self._hf is None:
            self._hf = _bounded_wordpiece(self.doc.tokenizer(), self.source)
        return self._hf

    def clear_cache(self) -> None:
        """Free what the tokenizer keeps between calls (see StaticModel.clear_cache)."""
        if self.native is not None:
            self.native.clear_cache()
        elif self._hf is not None:  # tokenizers' BPE and Unigram models cache words
            clear = getattr(self._hf.model, "_clear_cache", None)
            if clear is not None:
                clear()

    def set_cache_words(self, words: int) -> None:
        """Size the word cache (see StaticModel.cache_words); ``words`` is checked."""
        if self.native is not None:
            self.native.cache_words = words
        else:
            resize = getattr(self.tokenizer.model, "_resize_cache", None)
            if resize is not None:
                resize(words)

    def _native(self, backend: str, data: Mapping[str, Any]) -> tuple[NativeTokenizer | None, str]:
        if backend == "tokenizers":
            return None, "tokenizer_backend='tokenizers' was asked for"
        return native_tokenizer(data)

    def __reduce__(self) -> tuple[Any, ...]:
        # The native tokenizer is a C++ object: the pipeline is rebuilt from the json.
        return (_rebuild, (self.doc.text, *self._args))

    @property
    def backend(self) -> str:
        """``"native"`` (fastpool's C++ tokenizer) or ``"tokenizers"`` (Hugging Face)."""
        return "tokenizers" if self.native is None else "native"

    # -- the rules -----------------------------------------------------------------------------

    def char_limit(self, max_length: int | None) -> int | None:
        """model2vec cuts texts to max_length * median_token_length code points;
        sentence-transformers does not."""
        if max_length is None or self.sentence_transformers:
            return None
        # No text is 2**63 code points long: a larger product is "no cut" in int64.
        return min(max_length * self.median_token_length, _INT64_MAX)

    def keeps_last(self, max_length: int | None) -> bool:
        """True when this call truncates on the left (sentence-transformers)."""
        return self.keep_last and max_length is not None

    def fuses(self, max_length: int | None) -> bool:
        """Whether :meth:`encode_fused` runs: the native pass always drops the
        unknown token (model2vec's rule) and keeps the first tokens."""
        drops_like_native = self.drop_id is not None or self.unk_id is None
        return self.native is not None and drops_like_native and not self.keeps_last(max_length)

    # -- tokenizing ----------------------------------------------------------------------------

    def tokenize(
        self, texts: Sequence[str], max_length: int | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """CSR token ids of ``texts`` under the rules, at most ``max_length`` per text."""
        char_limit = self.char_limit(max_length)
        keep_last = self.keeps_last(max_length)
        limit = None if keep_last else max_length
        if self.native is not None:
            ids, offsets = self.native.tokenize_csr(
                texts, max_chars=char_limit, max_tokens=limit, drop_unk=self.drop_id is not None
            )
        else:
            with panics_as_errors(self.source):
                ids, offsets = tokenize_csr(
                    self.tokenizer, texts, max_length=limit, char_limit=char_limit,
                    unk_id=self.drop_id,
                )  # fmt: skip
        if keep_last:
            assert max_length is not None
            return keep_last_tokens(ids, offsets, max_length)
        return ids, offsets

    def csr_batches(
        self, texts: Sequence[str], max_length: int | None, batch_size: int, *, pipelined: bool
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """CSR per batch of ``batch_size`` texts, in order. ``pipelined``: on
        ``tokenizers``, two helper threads tokenize ahead in batches of at most
        :data:`PIPELINE_BATCH`."""
        if self.native is not None or self.keeps_last(max_length):
            return (
                self.tokenize(texts[start : start + batch_size], max_length)
                for start in range(0, len(texts), batch_size)
            )
        if pipelined:
            batch_size = min(batch_size, PIPELINE_BATCH)
        return _guarded(
            tokenize_csr_batches(
                self.tokenizer, texts, batch_size=batch_size, max_length=max_length,
                char_limit=self.char_limit(max_length), unk_id=self.drop_id,
                workers=2 if pipelined else 0,
            ),
            self.source,
        )  # fmt: skip

    def encode_fused(
        self,
        texts: list[str] | ArrowTexts,
        arrays: _checks.PoolArrays,
        out: np.ndarray,
        max_length: int | None,
        normalize: bool,
        show_progress_bar: bool,
        batch_size: int,
        n_threads: int,
    ) -> None:
        """Tokenize and mean-pool in one native pass per step (GIL released, no
        Python object per token) into ``out``; only when :meth:`fuses`. The
        arrays were checked when the model was built, so nothing O(vocabulary)
        runs per call."""
        assert self.native is not None
        char_limit = self.char_limit(max_length)
        max_chars = -1 if char_limit is None else char_limit
        max_tokens = -1 if max_length is None else max_length

        def run(items: tuple | ArrowTexts, rows: np.ndarray) -> None:
            assert self.native is not None
            self.native.encode_into(
                items, arrays.table, rows, arrays.weights, arrays.mapping, max_chars,
                max_tokens, normalize, n_threads, arrays.scale,
            )  # fmt: skip

        if isinstance(texts, ArrowTexts):  # already a native batch (every chunk of a column)
            run(texts, out)
            return
        # One call for everything unless a progress bar needs steps: the native
        # pass parallelises inside, so batches only add thread-team wake-ups.
        step = batch_size if show_progress_bar else max(1, len(texts))
        starts = range(0, len(texts), step)
        for start in progress(starts, show_progress_bar, len(starts)):
            stop = min(start + step, len(texts))
            run(tuple(texts[start:stop]), out[start:stop])


def _guarded(
    batches: Iterator[tuple[np.ndarray, np.ndarray]], source: str
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """``batches`` with a tokenizers panic raised as ValueError naming ``source``."""
    with panics_as_errors(source):
        yield from batches


def _bounded_wordpiece(tokenizer: Tokenizer, source: str) -> Tokenizer:
    """``tokenizer``, or a copy whose WordPiece per-word limit is lowered to
    WORDPIECE_WORD_LIMIT (the model's own tokenizer, which saving writes, is
    left as it is)."""
    limit = getattr(tokenizer.model, "max_input_chars_per_word", None)
    if not isinstance(limit, int) or limit <= WORDPIECE_WORD_LIMIT:
        return tokenizer
    logger.warning(
        "%s: WordPiece max_input_chars_per_word %d is lowered to %d on the tokenizers "
        "backend (its cost is cubic in the word length); longer words become the unknown "
        "token",
        source, limit, WORDPIECE_WORD_LIMIT,
    )  # fmt: skip
    copy = Tokenizer.from_str(tokenizer.to_str())
    copy.no_truncation()
    copy.no_padding()
    copy.model.max_input_chars_per_word = WORDPIECE_WORD_LIMIT  # type: ignore[attr-defined]
    return copy


def _rebuild(
    tokenizer_json: str, backend: str, sentence_transformers: bool, keep_last: bool, source: str
) -> TokenizerPipeline:
    return TokenizerPipeline(
        TokenizerDoc(tokenizer_json), backend=backend,
        sentence_transformers=sentence_transformers, keep_last=keep_last, source=source,
    )  # fmt: skip
