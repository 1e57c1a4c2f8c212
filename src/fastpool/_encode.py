"""The checked kernel entry: check and coerce the inputs once (``_checks``), then pool.

The C++ kernel trusts its inputs; everything it relies on is checked before it
runs. Arrays already in the kernel's dtypes and layout pass through without
copies, so a one-row call costs about a microsecond of checks. A table is
required here: the bundled model's default belongs to ``fastpool._api``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import numpy as np
import numpy.typing as npt

from . import _checks, _core
from ._threads import default_thread_code, effective_n_threads

__all__ = ["encode", "pool_chunks"]

#: Tokens tokenized before one kernel call (4 MiB of int32 ids).
POOL_CHUNK_TOKENS = 1 << 20


def encode(
    ids: npt.ArrayLike,
    offsets: npt.ArrayLike,
    table: npt.ArrayLike,
    *,
    weights: npt.ArrayLike | None = None,
    mapping: npt.ArrayLike | None = None,
    scale: npt.ArrayLike | None = None,
    mode: Literal["mean", "sum"] = "mean",
    normalize: bool = True,
    out: np.ndarray | None = None,
    n_threads: int | None = None,
) -> np.ndarray:
    """``fastpool.encode`` with a required table (see its docstring for every argument)."""
    _checks.one_of(mode, "mode", ("mean", "sum"))
    canonical = weights is None and mapping is None and scale is None and n_threads is None
    if out is not None and canonical:  # an out over an input takes the checked path (it raises)
        canonical = not any(np.may_share_memory(out, x) for x in (table, ids, offsets))
    if canonical:
        # Canonical inputs are checked and pooled in one Cython call (a 1-row call
        # then costs about a microsecond); anything else takes the path below.
        pooled = _core.encode_fast(
            ids, offsets, table, out, mode == "mean", bool(normalize), default_thread_code()
        )
        if pooled is not None:
            return pooled
    threads = effective_n_threads(n_threads)
    ids_arr = _checks.integer_vector(ids, "ids")
    offsets_arr = _checks.offsets(offsets, ids_arr.size)
    arrays = _checks.pool_arrays(table, weights, mapping, scale)
    _checks.in_range(ids_arr, "ids", arrays.n_ids, arrays.ids_are)
    shape = (offsets_arr.size - 1, arrays.table.shape[1])
    if out is None:
        out_arr = _core.empty_rows(*shape)
    else:
        inputs = (arrays.table, ids_arr, offsets_arr, arrays.weights, arrays.mapping, arrays.scale)
        out_arr = _checks.out(out, shape, inputs)
    _core.pool_csr(
        ids_arr, offsets_arr, arrays.table, out_arr, arrays.weights, arrays.mapping,
        arrays.scale, mode == "mean", bool(normalize), threads,
    )  # fmt: skip
    return out_arr


def pool_chunks(
    batches: Iterable[tuple[np.ndarray, np.ndarray]],
    arrays: _checks.PoolArrays,
    out: np.ndarray,
    normalize: bool,
    n_threads: int,
) -> None:
    """Mean-pool CSR batches, already checked, into consecutive rows of ``out``.

    Batches are joined into chunks of about :data:`POOL_CHUNK_TOKENS` tokens
    before each kernel call: every switch between the tokenizers
    thread pool and the OpenMP team costs the spin-wait of the idle one
    (pooling per 1,024-text batch measured ~35% slower than once, 2 threads).
    """
    pieces: list[tuple[np.ndarray, np.ndarray]] = []
    start = tokens = stop = 0
    n_rows = out.shape[0]
    for piece in batches:
        pieces.append(piece)
        stop += piece[1].size - 1
        tokens += piece[0].size
        if tokens >= POOL_CHUNK_TOKENS or stop == n_rows:
            ids, offsets = concat_csr(pieces)
            _core.pool_csr(
                ids, offsets, arrays.table, out[start:stop], arrays.weights, arrays.mapping,
                arrays.scale, True, normalize, n_threads,
            )  # fmt: skip
            pieces, start, tokens = [], stop, 0


def concat_csr(pieces: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Join CSR batches into one (ids int32, offsets int64)."""
    if len(pieces) == 1:
        return pieces[0]
    ids = np.concatenate([p[0] for p in pieces])
    offsets = np.empty(sum(p[1].size - 1 for p in pieces) + 1, dtype=np.int64)
    row = base = 0
    for piece_ids, piece_offsets in pieces:
        k = piece_offsets.size - 1
        np.add(piece_offsets[:-1], base, out=offsets[row : row + k])
        row += k
        base += piece_ids.size
    offsets[row] = base
    return ids, offsets
