"""``fastpool search``: exact top-k cosine search of one query over a corpus, in constant memory.

The corpus is encoded in chunks; each chunk's best ``k`` are merged into a running
top-k, so only ``k`` texts are kept. Ties break by row id (lower first).
"""

from __future__ import annotations

import argparse
import json
from itertools import islice
from typing import Any

import numpy as np

from ..tokenizer.surrogates import without_surrogates as printable
from ._errors import CLIError
from ._model import load_model, resolve_model
from ._readers import open_source

_CHUNK = 65536


def top_k(model: Any, query: str, rows: Any, k: int, threads: int | None) -> list[tuple]:
    """[(score, id, text)] of the ``k`` rows most similar to ``query``, best first."""
    try:
        q = model.encode([query], normalize=True, n_threads=threads)[0]
    except UnicodeEncodeError:  # e.g. undecodable bytes in argv, on an older library
        raise CLIError(
            "the query holds a lone surrogate (an undecodable byte?) that this fastpool "
            "library cannot encode"
        ) from None
    scores = np.empty(0, dtype=np.float32)
    ids = np.empty(0, dtype=np.int64)
    texts: list[str] = []
    first = 0
    while True:
        chunk = list(islice(rows, _CHUNK))
        if not chunk:
            break
        vectors = model.encode(chunk, normalize=True, n_threads=threads)
        # A per-row reduction (not BLAS gemv) gives equal texts equal scores wherever they sit.
        chunk_scores = (vectors * q).sum(axis=1)
        if len(chunk) > k:
            # Everything tied with the k-th best stays a candidate, so ties break by id.
            kth = np.partition(chunk_scores, len(chunk) - k)[len(chunk) - k]
            keep = np.flatnonzero(chunk_scores >= kth)
        else:
            keep = np.arange(len(chunk))
        scores = np.concatenate([scores, chunk_scores[keep]])
        ids = np.concatenate([ids, keep.astype(np.int64) + first])
        texts = texts + [chunk[i] for i in keep]
        order = np.lexsort((ids, -scores))[:k]
        scores, ids, texts = scores[order], ids[order], [texts[i] for i in order]
        first += len(chunk)
    return [(float(s), int(i), t) for s, i, t in zip(scores, ids, texts, strict=True)]


def run(args: argparse.Namespace) -> int:
    source = open_source(args.corpus, args.input_format, args.field)
    kwargs: dict[str, Any] = {}
    if args.max_length is not None:
        kwargs["max_length"] = None if args.max_length < 0 else args.max_length
    model = load_model(resolve_model(args.model), **kwargs)
    hits = top_k(model, args.query, source.rows(), args.k, args.threads)
    # A JSONL text may hold lone surrogates; stdout's UTF-8 cannot, so print U+FFFD.
    hits = [(s, i, printable(t)) for s, i, t in hits]
    if args.json:
        records = [
            {"rank": r, "score": s, "id": i, "text": t} for r, (s, i, t) in enumerate(hits, 1)
        ]
        print(json.dumps(records, ensure_ascii=False, indent=1))
        return 0
    for score, row, text in hits:
        print(f"{score:.4f}\t{row}\t{' '.join(text.split())}")
    return 0
