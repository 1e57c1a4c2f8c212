"""One tokenizer.json, read once: its text, its parsed value, and the Hugging Face
``Tokenizer`` built from it only when something asks for it.

Loading a model reads tokenizer.json once. :func:`parse` walks the text in C++
(``_core.json_vocab``) and reads ``model.vocab`` straight into a string table, a
:class:`VocabTable` (a WordPiece or BPE token -> id object) or a :class:`PieceTable`
(a Unigram ``[[piece, score], ...]`` list), and a BPE ``model.merges`` list into a
:class:`MergeTable`, with every check the native families make of them; Python's
``json`` reads only the few kilobytes around them. A vocabulary
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
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
from tokenizers import Tokenizer

from . import _checks, _core

__all__ = [
    "TABLE_MODEL_TYPES",
    "MergeTable",
    "PieceTable",
    "TokenizerDoc",
    "VocabStats",
    "VocabTable",
    "json_unknown_token_id",
    "parse",
    "vocab_stats",
]

#: The tokenizer.json ``model.type`` whose ``vocab`` :func:`parse` hands over as a
#: table, by the vocab's JSON shape (their native families read one: see
#: tokenizer/wordpiece.py, bpe.py, unigram.py). A family may add itself here once its
#: ``support_reason`` and ``build`` take the table (a Mapping or Sequence, but O(n)
#: to iterate).
TABLE_MODEL_TYPES = frozenset({"WordPiece", "BPE", "Unigram"})
#: The model types whose vocab is a [[piece, score], ...] list (a PieceTable).
_LIST_VOCAB_TYPES = frozenset({"Unigram"})
#: The model types whose ``merges`` list :func:`parse` hands over as a MergeTable.
_MERGES_TYPES = frozenset({"BPE"})
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
        k = _find_index(self.blob, self.offsets, token)
        return None if k < 0 else int(self.ids[k])

    def find_many(self, tokens: list[str]) -> list[int | None]:
        """The ids of ``tokens`` (None where absent), in one native pass."""
        if self._dict is not None:
            return [self._dict.get(t) for t in tokens]
        return [None if k < 0 else int(self.ids[k]) for k in _find_indices(self, tokens)]

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


def _find_index(blob: bytes, offsets: np.ndarray, token: str) -> int:
    try:
        needle = token.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate is no token of a clean table
        return -1
    return _core.find_string(blob, offsets, needle)


def _find_indices(table: VocabTable | PieceTable, tokens: list[str]) -> list[int]:
    """The table index of each token (-1: absent), in one hashed native pass (a few
    tokens: one linear look-up each, cheaper than hashing the table)."""
    if len(tokens) <= 8:
        return [_find_index(table.blob, table.offsets, t) if isinstance(t, str) else -1
                for t in tokens]  # fmt: skip
    # A lone surrogate's surrogatepass bytes are no valid UTF-8: never in a clean table.
    needles = [t.encode("utf-8", "surrogatepass") if isinstance(t, str) else b"" for t in tokens]
    found = _core.find_strings(table.blob, table.offsets, needles)
    return [k if isinstance(t, str) else -1 for t, k in zip(tokens, found, strict=True)]


class PieceTable(Sequence[list[Any]]):
    """A Unigram vocabulary (``[[piece, score], ...]``) as one UTF-8 blob with int64
    offsets, float64 scores and int32 code point counts, in the file's order; checked
    clean by ``_core.json_vocab`` (unique valid UTF-8 pieces, finite scores). A
    read-only Sequence of ``[piece, score]`` lists (decoded on demand).

    ``scores`` are the file's numbers as ``json.loads`` reads them; ``tokenizer_scores``
    as Hugging Face tokenizers reads them (one in seven is an ulp away), the ones the
    native Viterbi sums so that near-tied paths break as tokenizers breaks them."""

    def __init__(
        self,
        blob: bytes,
        offsets: np.ndarray,
        scores: np.ndarray,
        chars: np.ndarray,
        tokenizer_scores: np.ndarray,
    ):
        self.blob, self.offsets, self.scores, self.chars = blob, offsets, scores, chars
        self.tokenizer_scores = tokenizer_scores
        self._list: list[list[Any]] | None = None

    def find(self, piece: str) -> int | None:
        """The id (index) of ``piece``, or None."""
        k = _find_index(self.blob, self.offsets, piece) if isinstance(piece, str) else -1
        return None if k < 0 else k

    def find_many(self, pieces: list[str]) -> list[int | None]:
        """The ids of ``pieces`` (None where absent), in one native pass."""
        return [None if k < 0 else k for k in _find_indices(self, pieces)]

    def as_list(self) -> list[list[Any]]:
        if self._list is None:
            blob, offsets = self.blob, self.offsets.tolist()
            pieces = [blob[offsets[k] : offsets[k + 1]].decode("utf-8") for k in range(len(self))]
            self._list = [list(e) for e in zip(pieces, self.scores.tolist(), strict=True)]
        return self._list

    def __len__(self) -> int:
        return len(self.scores)

    def __getitem__(self, k: Any) -> Any:
        if self._list is None and isinstance(k, int) and -len(self) <= k < len(self):
            k %= len(self)  # one entry, decoded alone
            piece = self.blob[self.offsets[k] : self.offsets[k + 1]].decode("utf-8")
            return [piece, float(self.scores[k])]
        return self.as_list()[k]


class MergeTable(Sequence[Any]):
    """BPE merges as their strings' UTF-8, each NUL-terminated (``"left right"``
    strings, or the two strings of each ``[left, right]`` pair when ``pairs``), checked
    clean by ``_core.json_vocab``. A read-only Sequence of the merges as ``json.loads``
    reads them (decoded on demand)."""

    def __init__(self, data: bytes, n: int, pairs: bool):
        self.data, self.n, self.pairs = data, n, pairs
        self._list: list[Any] | None = None

    def as_list(self) -> list[Any]:
        if self._list is None:
            strings = self.data.decode("utf-8").split("\0")[:-1] if self.n else []
            if self.pairs:
                self._list = [[strings[2 * k], strings[2 * k + 1]] for k in range(self.n)]
            else:
                self._list = strings
        return self._list

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, k: Any) -> Any:
        return self.as_list()[k]


class Scan(NamedTuple):
    """What the native pass read of a tokenizer.json's bytes (see :func:`scan`)."""

    found: dict[str, Any]
    #: The text with the vocab (and merges) spans replaced by ``{}`` / ``[]``.
    rest: bytes
    #: The structural characters ``[ { , :`` inside the replaced spans, less the
    #: placeholders' (json_reader counts them over the whole text).
    structurals: int


def scan(raw: bytes) -> Scan | None:
    """The native pass over tokenizer.json bytes, or None when its tables are not clean."""
    found = _core.json_vocab(raw, MAX_TOKEN_CHARS)
    if found["status"] != 0:
        return None
    n = len(found["ids"])
    is_list = found["scores"] is not None
    # [ and n x ([ ,) and n-1 x , ; or { and n x : and n-1 x , (the placeholder counts 1).
    counted = (3 * n if is_list else 2 * n) - 1
    spans = [(found["begin"], found["end"], b"[]" if is_list else b"{}")]
    if found["merges_begin"] >= 0:
        spans.append((found["merges_begin"], found["merges_end"], b"[]"))
        m = found["n_merges"]
        counted += max(0, (3 * m if found["merge_pairs"] else m) - 1)
    parts, at = [], 0
    for begin, end, placeholder in sorted(spans):
        parts += [raw[at:begin], placeholder]
        at = end
    parts.append(raw[at:])
    return Scan(found, b"".join(parts), counted)


def parse(
    text: str | bytes, raw: bytes | None = None, scanned: Scan | None = None
) -> dict[str, Any] | None:
    """The parsed tokenizer.json ``text`` with ``model.vocab`` as a :class:`VocabTable` or
    :class:`PieceTable` (and a BPE ``model.merges`` as a :class:`MergeTable`), or None
    when the fast path does not apply (tables that are not clean, a model type outside
    TABLE_MODEL_TYPES, or text that ``json.loads`` or a strict UTF-8 decode would
    refuse): then read it with ``json.loads``. ``raw``: the text's UTF-8 when at hand
    (the file's bytes; ``text`` may then be those bytes); ``scanned``: :func:`scan` of it."""
    if raw is None:
        if isinstance(text, bytes):
            raw = text
        else:
            try:
                raw = text.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate: json.loads words it
                return None
    if scanned is None:
        scanned = scan(raw)
        if scanned is None:
            return None
    found = scanned.found
    try:
        # Strict UTF-8: the spans were checked natively, so the whole text decodes.
        rest = json.loads(scanned.rest.decode("utf-8"))
    except (ValueError, RecursionError):
        return None
    model = rest.get("model") if isinstance(rest, dict) else None
    kind = model.get("type") if isinstance(model, dict) else None
    is_list = found["scores"] is not None
    if kind not in TABLE_MODEL_TYPES or is_list != (kind in _LIST_VOCAB_TYPES):
        return None
    assert isinstance(model, dict)
    if found["merges_begin"] >= 0:
        if kind not in _MERGES_TYPES:
            return None
        model["merges"] = MergeTable(found["merges"], found["n_merges"], found["merge_pairs"])
    if is_list:
        model["vocab"] = PieceTable(
            found["blob"],
            found["offsets"],
            found["scores"],
            found["chars"],
            found["tokenizer_scores"],
        )
    else:
        model["vocab"] = VocabTable(found["blob"], found["offsets"], found["ids"], found["chars"])
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
    if isinstance(vocab, PieceTable):  # Unigram: a piece's id is its index
        lengths, ids = vocab.chars, np.arange(len(vocab), dtype=np.int64)
    elif not isinstance(vocab, Mapping):
        return None
    elif isinstance(vocab, VocabTable):
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


def added_outside(
    tokenizer_json: Mapping[str, Any], vocab: Mapping[str, int] | PieceTable
) -> dict[str, int]:
    """The added tokens (content -> id) that are not in ``vocab``: the ones
    ``tokenizers`` counts on top of it."""
    added = tokenizer_json.get("added_tokens") or []
    if isinstance(vocab, VocabTable | PieceTable):
        found = vocab.find_many([a["content"] for a in added])
        return {a["content"]: int(a["id"]) for a, k in zip(added, found, strict=True) if k is None}
    return {a["content"]: int(a["id"]) for a in added if a["content"] not in vocab}


def plain(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` with its tables turned back into dicts and lists (for ``json.dumps``)."""
    model = data.get("model")
    if not isinstance(model, Mapping):
        return dict(data)
    return {**data, "model": {k: _plain_value(v) for k, v in model.items()}}


def _plain_value(value: Any) -> Any:
    if isinstance(value, VocabTable):
        return value.as_dict()
    return value.as_list() if isinstance(value, PieceTable | MergeTable) else value


def from_str(text: str, source: str) -> Tokenizer:
    """``Tokenizer.from_str``, its faults a ValueError naming ``source`` (a file)."""
    try:
        return Tokenizer.from_str(text)
    except Exception as err:  # tokenizers raises a bare Exception on bad JSON
        raise ValueError(f"{source}: not a valid tokenizer ({err})") from None
    except BaseException as err:  # a Rust panic (pyo3's PanicException) is no Exception
        if not _checks.is_panic(err):
            raise
        raise ValueError(f"{source}: not a valid tokenizer (tokenizers panicked: {err})") from None


class TokenizerDoc:
    """A tokenizer.json: ``text``, its parsed :attr:`data` and, built on first call
    of :meth:`tokenizer`, its ``tokenizers.Tokenizer`` (truncation and padding off).

    ``padding`` is the padding the source tokenizer had (saving and
    ``model.tokenizer`` restore it). ``source``: the file the text was read from,
    when the full file was not built at load (a fault found when it is built names
    it, as loading would have). Pickles as its text.
    """

    def __init__(
        self,
        text: str | bytes,
        data: Mapping[str, Any] | None = None,
        tokenizer: Tokenizer | None = None,
        padding: dict[str, Any] | None = None,
        source: str | None = None,
    ) -> None:
        # bytes: UTF-8 already checked (parse read it clean), decoded on first use.
        self._text: str | None = None if isinstance(text, bytes) else text
        self._raw: bytes | None = text if isinstance(text, bytes) else None
        self.padding = padding
        self.source = source
        #: The parsed value once read (``data`` reads it on first use).
        self.parsed = data
        self._tokenizer = tokenizer
        self._lock = threading.Lock()
        self._text_lock = threading.Lock()

    @property
    def text(self) -> str:
        """The tokenizer.json text (what saving writes)."""
        if self._text is None:
            with self._text_lock:
                if self._text is None:
                    assert self._raw is not None
                    self._text, self._raw = self._raw.decode("utf-8"), None
        return self._text

    @property
    def data(self) -> Mapping[str, Any]:
        """The parsed tokenizer.json (``model.vocab`` a VocabTable where :func:`parse` could)."""
        if self.parsed is None:
            raw = self._raw
            self.parsed = parse(self.text if raw is None else raw) or json.loads(self.text)
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
                    if self.source is None:
                        tokenizer = Tokenizer.from_str(self.text)
                    else:
                        tokenizer = from_str(self.text, self.source)
                    tokenizer.no_truncation()
                    tokenizer.no_padding()
                    self._tokenizer = tokenizer
        return self._tokenizer

    def __reduce__(self) -> tuple[Any, ...]:
        return (TokenizerDoc, (self.text, None, None, self.padding, self.source))
