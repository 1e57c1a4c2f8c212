"""Hugging Face ``tokenizers`` -> CSR ``(ids, offsets)``, with model2vec 0.10's rules.

The tokenizer is a private copy with truncation and padding switched off; the
token limit is applied here, per call, so nothing is mutated per call and
threads that call with different limits never see each other's settings.

Per text, model2vec 0.10 (1) cuts the text to ``max_length * median_token_length``
code points, (2) tokenizes without special tokens, (3) keeps the first
``max_length`` tokens and (4) drops the unknown token. Steps 3 and 4 run here as
two vectorised numpy passes over the flat id array, so the Python work per
text is one ``Encoding.ids`` call and one list append.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
from tokenizers import Encoding, Tokenizer

from .. import _checks
from .._threads import in_forked_child
from .surrogates import replace_lone_surrogates

# tokenizers' reading of TOKENIZERS_PARALLELISM: these values (any case) turn it off.
_PARALLELISM_OFF = frozenset(["", "off", "false", "f", "no", "n", "0"])


@contextlib.contextmanager
def panics_as_errors(source: str) -> Iterator[None]:
    """A panic inside ``tokenizers`` (e.g. a tokenizer.json regex that exhausts
    Oniguruma's retry limit) raised as ValueError naming the model: pyo3's
    PanicException is a BaseException that ``except Exception`` would miss."""
    try:
        yield
    except BaseException as err:
        if not _checks.is_panic(err):
            raise
        raise _checks.TokenizerFailure(
            f"{source}: the tokenizer failed on this input ({err})"
        ) from None


def _pool_lost_in_fork() -> bool:
    """Whether ``encode_batch`` would wait forever on Rayon's pool: in a forked
    child with TOKENIZERS_PARALLELISM explicitly on. (tokenizers turns its
    parallelism off in such a child by itself only when the variable is unset.)
    The pool's threads do not survive fork; the child's batch waits on them."""
    if not in_forked_child():
        return False
    value = os.environ.get("TOKENIZERS_PARALLELISM")
    return value is not None and value.strip().lower() not in _PARALLELISM_OFF


def _encode_batch(tokenizer: Tokenizer, batch: list[str]) -> list[Encoding]:
    if _pool_lost_in_fork():  # one text at a time never enters the pool
        return [tokenizer.encode(text, add_special_tokens=False) for text in batch]
    return tokenizer.encode_batch_fast(batch, add_special_tokens=False)


def private_tokenizer(tokenizer: Tokenizer) -> Tokenizer:
    """A copy of ``tokenizer`` with truncation and padding off."""
    copy = Tokenizer.from_str(tokenizer.to_str())
    copy.no_truncation()
    copy.no_padding()
    return copy


def model2vec_tokenizer(
    tokenizer: Tokenizer | str, max_length: int | None, padding: dict | None
) -> Tokenizer:
    """A copy (of a Tokenizer, or built from tokenizer.json text) set up as model2vec
    0.10 holds its tokenizer: truncation at ``max_length`` and, when the source had
    padding, padding of length 0."""
    text = tokenizer if isinstance(tokenizer, str) else tokenizer.to_str()
    copy = Tokenizer.from_str(text)
    if max_length is None:
        copy.no_truncation()
    else:
        copy.enable_truncation(max_length)
    if padding is not None:
        copy.enable_padding(
            pad_id=padding["pad_id"], pad_token=padding["pad_token"],
            pad_type_id=padding["pad_type_id"], length=0,
        )  # fmt: skip
    return copy


def unknown_token_id(
    tokenizer: Tokenizer, tokenizer_json: str | Mapping[str, Any] | None = None
) -> int | None:
    """The id model2vec 0.10 drops after tokenizing, or None.

    WordPiece, BPE and WordLevel: the id of ``model.unk_token``. Unigram: the
    ``unk_id`` of the serialised model (pass the tokenizer.json, text or parsed,
    when at hand, to skip re-serialising a large vocabulary).
    """
    model = tokenizer.model
    if hasattr(model, "unk_token"):
        token = model.unk_token
        return None if token is None else tokenizer.token_to_id(token)
    if tokenizer_json is None:
        tokenizer_json = tokenizer.to_str()
    data = json.loads(tokenizer_json) if isinstance(tokenizer_json, str) else tokenizer_json
    unk = (data.get("model") or {}).get("unk_id")
    return None if unk is None else int(unk)


def vocabulary(tokenizer: Tokenizer) -> tuple[str, ...]:
    """Every token (added tokens included), sorted by id, as model2vec lists them."""
    return tuple(token for token, _ in sorted(tokenizer.get_vocab().items(), key=lambda x: x[1]))


def median_token_length(tokens: Sequence[str]) -> int:
    """``int(np.median(...))`` of the token lengths in code points, as model2vec 0.10."""
    if not tokens:
        return 0
    lengths = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
    return int(np.median(lengths))


def encode_texts(
    tokenizer: Tokenizer, texts: Sequence[str], *, char_limit: int | None
) -> list[Encoding]:
    """Step 1-2: cut each text to ``char_limit`` code points, tokenize without specials.

    Runs in Rust with the GIL released, so it may run on a helper thread while
    the caller turns the previous batch into CSR.
    """
    batch = texts if isinstance(texts, list) else list(texts)
    # tokenizers would read a 2-item list as a (text, pair) input: accept str only.
    if not all(isinstance(text, str) for text in batch):
        _checks.texts(batch)  # raises, naming the first item that is not a str
    if char_limit is not None:
        batch = [text[:char_limit] for text in batch]
    try:
        return _encode_batch(tokenizer, batch)
    except TypeError:  # tokenizers' word for a lone surrogate
        fixed = replace_lone_surrogates(batch)
        if fixed is batch:
            raise
        return _encode_batch(tokenizer, fixed)


def encodings_to_csr(
    encodings: Sequence[Encoding], *, max_length: int | None, unk_id: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """Steps 3-4: CSR int32 ids, int64 offsets; first ``max_length`` tokens, no ``unk_id``."""
    n_rows = len(encodings)
    flat: list[int] = []
    lengths: list[int] = []
    append = lengths.append
    for encoding in encodings:
        row = encoding.ids
        flat += row
        append(len(row))
    ids = np.array(flat, dtype=np.int32)
    offsets = np.zeros(n_rows + 1, dtype=np.int64)
    if n_rows:
        np.cumsum(lengths, out=offsets[1:])

    keep: np.ndarray | None = None
    if max_length is not None and n_rows and max(lengths) > max_length:
        # Position of each token within its text; keep the first max_length.
        starts = np.repeat(offsets[:-1], lengths)
        keep = np.arange(ids.size, dtype=np.int64) - starts < max_length
    if unk_id is not None:
        known = ids != unk_id
        keep = known if keep is None else keep & known
    if keep is not None and not keep.all():
        kept_before = np.zeros(ids.size + 1, dtype=np.int64)
        np.cumsum(keep, out=kept_before[1:])
        offsets = kept_before[offsets]
        ids = ids[keep]
    return ids, offsets


def tokenize_csr(
    tokenizer: Tokenizer,
    texts: Sequence[str],
    *,
    max_length: int | None,
    char_limit: int | None,
    unk_id: int | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Tokenize ``texts`` into CSR: int32 ``ids`` and int64 ``offsets`` (``len(texts) + 1``).

    Parameters
    ----------
    tokenizer : tokenizers.Tokenizer
        Must have truncation and padding off (see :func:`private_tokenizer`).
    texts : sequence of str
    max_length : int or None
        Keep at most this many tokens per text (before dropping ``unk_id``).
    char_limit : int or None
        Cut each text to this many code points before tokenizing.
    unk_id : int or None
        Token id removed from the output.
    """
    encodings = encode_texts(tokenizer, texts, char_limit=char_limit)
    return encodings_to_csr(encodings, max_length=max_length, unk_id=unk_id)


def tokenize_csr_batches(
    tokenizer: Tokenizer,
    texts: Sequence[str],
    *,
    batch_size: int,
    max_length: int | None,
    char_limit: int | None,
    unk_id: int | None,
    workers: int = 0,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """CSR per batch of ``batch_size`` texts, in order.

    With ``workers > 0``, that many helper threads tokenize the next batches
    (at most ``2 * workers`` in flight, which bounds memory) while this thread
    turns finished ones into CSR: the per-token Python work overlaps the
    tokenizer, and concurrent calls keep the tokenizers thread pool busy
    through each call's tail. The helpers live for this call only.
    """
    starts = range(0, len(texts), batch_size)

    def encode(start: int) -> list[Encoding]:
        return encode_texts(tokenizer, texts[start : start + batch_size], char_limit=char_limit)

    if workers < 1 or len(starts) < 2:
        for start in starts:
            yield encodings_to_csr(encode(start), max_length=max_length, unk_id=unk_id)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fastpool-tokenize") as pool:
        in_flight: deque[Future[list[Encoding]]] = deque()
        for start in starts:
            in_flight.append(pool.submit(encode, start))
            if len(in_flight) >= 2 * workers:
                encodings = in_flight.popleft().result()
                yield encodings_to_csr(encodings, max_length=max_length, unk_id=unk_id)
        while in_flight:
            encodings = in_flight.popleft().result()
            yield encodings_to_csr(encodings, max_length=max_length, unk_id=unk_id)
