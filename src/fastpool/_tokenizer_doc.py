"""One tokenizer.json, read once: its text, its parsed value, and the Hugging Face
``Tokenizer`` built from it only when something asks for it.

Loading a model reads tokenizer.json once. :func:`parse` walks the text in C++
(``_core.json_vocab``) and reads ``model.vocab`` straight into a string table, a
:class:`VocabTable`, with every check the native WordPiece tokenizer makes of a
vocabulary; Python's ``json`` reads only the few kilobytes around it. A vocabulary
that the C++ pass does not call clean (a duplicate token, a lone surrogate, an id
that is not a plain integer in range, ...) makes :func:`parse` return None: the
caller reads the file with ``json.loads`` and the Python checks, which word every
fault as before.

:class:`TokenizerDoc` holds the text (what saving writes, what pickling carries),
the parsed value (shared by the loader, the sentence-transformers settings and the
native tokenizer) and builds the ``tokenizers.Tokenizer`` on first use: a model
on the native backend never builds it unless ``model.tokenizer`` or saving asks.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np
from tokenizers import Tokenizer

from . import _core

__all__ = [
    "TABLE_MODEL_TYPES",
    "TokenizerDoc",
    "VocabStats",
    "VocabTable",
    "json_unknown_token_id",
    "parse",
    "vocab_stats",
]

#: The tokenizer.json ``model.type`` whose ``vocab`` :func:`parse` hands over as a
#: :class:`VocabTable` (their native family reads one: see tokenizer/wordpiece.py).
#: A family whose vocab is a JSON object of token -> id may add itself here once its
#: ``support_reason`` and ``build`` take a VocabTable (a Mapping, but O(n) to iterate).
TABLE_MODEL_TYPES = frozenset({"WordPiece"})
#: Longest vocabulary token (code points) the native tries take (wordpiece.MAX_TOKEN_CHARS).
MAX_TOKEN_CHARS = 1000


class VocabTable(Mapping[str, int]):
    """A vocabulary as one UTF-8 blob with int64 offsets, int32 ids and int32 code
    point counts, in the file's order; checked clean by ``_core.json_vocab``
    (unique valid UTF-8 tokens of at most MAX_TOKEN_CHARS code points, ids in
    ``[0, len)``). A read-only Mapping: looking a token up is one native pass;
    iterating decodes every token (for the rare caller that needs them all)."""

    def __init__(self, blob: bytes, offsets: np.ndarray, ids: np.ndarray, chars: np.ndarray):
        self.blob, self.offsets, self.ids, self.chars = blob, offsets, ids, chars
        self._dict: dict[str, int] | None = None

    def string_table(self) -> tuple[bytes, np.ndarray, np.ndarray]:
        """``family.string_table(self.items())``, without a Python object per token."""
        return self.blob, self.offsets, self.ids

    def find(self, token: str) -> int | None:
        """The id of ``token``, or None."""
        if self._dict is not None:
            return self._dict.get(token)
        try:
            needle = token.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate is no token of a clean table
            return None
        k = _core.find_string(self.blob, self.offsets, needle)
        return None if k < 0 else int(self.ids[k])

    def as_dict(self) -> dict[str, int]:
        if self._dict is None:
            blob, offsets = self.blob, self.offsets.tolist()
            tokens = [blob[offsets[k] : offsets[k + 1]].decode("utf-8") for k in range(len(self))]
            self._dict = dict(zip(tokens, self.ids.tolist(), strict=True))
        return self._dict

    def __getitem__(self, token: str) -> int:
        found = self.find(token) if isinstance(token, str) else None
        if found is None:
            raise KeyError(token)
        return found

    def get(self, token: str, default: Any = None) -> Any:  # type: ignore[override]
        found = self.find(token) if isinstance(token, str) else None
        return default if found is None else found

    def __contains__(self, token: object) -> bool:
        return isinstance(token, str) and self.find(token) is not None

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self) -> Iterator[str]:
        return iter(self.as_dict())


def parse(text: str, raw: bytes | None = None) -> dict[str, Any] | None:
    """The parsed tokenizer.json ``text`` with ``model.vocab`` as a :class:`VocabTable`,
    or None when the fast path does not apply (not a clean vocabulary, a model type
    outside TABLE_MODEL_TYPES, or text that ``json.loads`` would refuse): then read
    it with ``json.loads``. ``raw``: the text's UTF-8 when at hand (the file's bytes)."""
    if raw is None:
        try:
            raw = text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: json.loads words it
            return None
    status, begin, end, blob, offsets, ids, chars = _core.json_vocab(raw, MAX_TOKEN_CHARS)
    if status != 0:
        return None
    assert offsets is not None and ids is not None and chars is not None
    try:
        rest = json.loads(raw[:begin] + b"{}" + raw[end:])
    except (ValueError, RecursionError):
        return None
    model = rest.get("model") if isinstance(rest, dict) else None
    if not isinstance(model, dict) or model.get("type") not in TABLE_MODEL_TYPES:
        return None
    model["vocab"] = VocabTable(blob, offsets, ids, chars)
    return rest


#: The families whose tokenizers ``model`` has ``unk_token`` (the others: ``unk_id``).
_UNK_TOKEN_MODELS = frozenset({"WordPiece", "BPE", "WordLevel"})


def json_unknown_token_id(tokenizer_json: Mapping[str, Any]) -> int | None:
    """:func:`unknown_token_id` read from a parsed tokenizer.json whose ids are as
    ``tokenizers`` numbers them (one a native family accepted): an added token of
    that content first, as ``token_to_id`` looks, then the vocabulary."""
    model = tokenizer_json["model"]
    if model.get("type") not in _UNK_TOKEN_MODELS:
        unk = model.get("unk_id")
        return None if unk is None else int(unk)
    token = model.get("unk_token")
    if token is None:
        return None
    for added in tokenizer_json.get("added_tokens") or []:
        if added["content"] == token:
            return int(added["id"])
    found = model["vocab"].get(token)
    return None if found is None else int(found)


class VocabStats(NamedTuple):
    """What a model needs of its vocabulary (added tokens included) at load."""

    n_tokens: int
    max_id: int
    #: model2vec's median token length (see :func:`median_token_length`).
    median_token_length: int


def vocab_stats(tokenizer_json: Mapping[str, Any]) -> VocabStats | None:
    """:class:`VocabStats` of a parsed tokenizer.json whose ``model.vocab`` is a token ->
    id mapping with ids as ``tokenizers`` numbers them (one a native family accepted),
    as ``Tokenizer.get_vocab()`` would give them; None for another vocabulary layout."""
    vocab = tokenizer_json["model"].get("vocab")
    if not isinstance(vocab, Mapping):
        return None
    if isinstance(vocab, VocabTable):
        lengths, ids = vocab.chars, vocab.ids
    else:
        lengths = np.fromiter(map(len, vocab), dtype=np.int64, count=len(vocab))
        ids = np.fromiter(vocab.values(), dtype=np.int64, count=len(vocab))
    new = list(added_outside(tokenizer_json, vocab).items())
    if new:
        lengths = np.concatenate([lengths, np.array([len(t) for t, _ in new], dtype=lengths.dtype)])
        ids = np.concatenate([ids, np.array([i for _, i in new], dtype=ids.dtype)])
    if not len(ids):
        return VocabStats(0, -1, 0)
    return VocabStats(len(ids), int(ids.max()), int(np.median(lengths)))


def added_outside(tokenizer_json: Mapping[str, Any], vocab: Mapping[str, int]) -> dict[str, int]:
    """The added tokens (content -> id) that are not in ``vocab``: the ones
    ``tokenizers`` counts on top of it."""
    added = tokenizer_json.get("added_tokens") or []
    return {a["content"]: int(a["id"]) for a in added if a["content"] not in vocab}


def plain(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` with a VocabTable turned back into a dict (for ``json.dumps``)."""
    model = data.get("model")
    if isinstance(model, Mapping) and isinstance(model.get("vocab"), VocabTable):
        return {**data, "model": {**model, "vocab": model["vocab"].as_dict()}}
    return dict(data)


class TokenizerDoc:
    """A tokenizer.json: ``text``, its parsed :attr:`data` and, built on first call
    of :meth:`tokenizer`, its ``tokenizers.Tokenizer`` (truncation and padding off).

    ``padding`` is the padding the source tokenizer had (saving and
    ``model.tokenizer`` restore it). Pickles as its text.
    """

    def __init__(
        self,
        text: str,
        data: Mapping[str, Any] | None = None,
        tokenizer: Tokenizer | None = None,
        padding: dict[str, Any] | None = None,
    ) -> None:
        self.text = text
        self.padding = padding
        #: The parsed value once read (``data`` reads it on first use).
        self.parsed = data
        self._tokenizer = tokenizer
        self._lock = threading.Lock()

    @property
    def data(self) -> Mapping[str, Any]:
        """The parsed tokenizer.json (``model.vocab`` a VocabTable where :func:`parse` could)."""
        if self.parsed is None:
            self.parsed = parse(self.text) or json.loads(self.text)
        return self.parsed

    @property
    def built(self) -> bool:
        """Whether the ``tokenizers.Tokenizer`` exists yet (for tests and benchmarks)."""
        return self._tokenizer is not None

    def tokenizer(self) -> Tokenizer:
        """The ``tokenizers.Tokenizer`` of the text, built once, truncation and padding off.
        Shared: callers that change it make their own copy."""
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    tokenizer = Tokenizer.from_str(self.text)
                    tokenizer.no_truncation()
                    tokenizer.no_padding()
                    self._tokenizer = tokenizer
        return self._tokenizer

    def __reduce__(self) -> tuple[Any, ...]:
        return (TokenizerDoc, (self.text, None, None, self.padding))
