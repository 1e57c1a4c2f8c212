"""``fastpool.encode``: check and coerce the inputs once, then run the kernel.

The C++ kernel trusts its inputs; everything it relies on is checked here, with
errors that say what was expected and what was given. The linear checks (ids in
range, offsets non-decreasing) are single C++ passes (``_core.out_of_range``,
``_core.decrease``) with the GIL released; numpy reductions only run on the
error path, to word the message. Arrays already in the kernel's dtypes and
layout pass through without copies, so a one-row call costs about a microsecond
of checks.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

from . import _core
from ._threads import default_thread_code, effective_n_threads

_TABLE_DTYPES = "float32, float16, bfloat16, float64 or int8"
_NATIVE_TABLE_DTYPES = frozenset(
    [np.dtype(np.float32), np.dtype(np.float16), np.dtype(np.float64), np.dtype(np.int8)]
)
_INDEX_DTYPES = frozenset([np.dtype(np.int32), np.dtype(np.int64)])


def _is_bfloat16(dtype: np.dtype) -> bool:
    return dtype.name == "bfloat16" and dtype.itemsize == 2


def _integer_vector(x: npt.ArrayLike, name: str) -> np.ndarray:
    """A 1-D integer array; int32/int64 pass through, other integers become int64."""
    arr = np.asarray(x)
    if arr.dtype in _INDEX_DTYPES and arr.ndim == 1 and arr.flags.c_contiguous:
        return arr  # the common case: no copy, no further look
    if arr.size == 0 and arr.dtype.kind == "f":  # [] and np.array([]) are float64
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must be an integer array (int32 or int64), got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if arr.dtype not in _INDEX_DTYPES:
        if arr.dtype == np.uint64 and arr.size and arr.max() > np.iinfo(np.int64).max:
            raise ValueError(f"{name} must be below 2**63, got {arr.max()}")
        arr = arr.astype(np.int64)
    return np.ascontiguousarray(arr)


def _check_range(arr: np.ndarray, name: str, stop: int, what: str) -> None:
    if _core.out_of_range(arr, stop) < 0:
        return
    lo, hi = int(arr.min()), int(arr.max())
    if lo < 0:
        raise ValueError(f"{name} must be in [0, {stop}) ({what}), got min {lo}")
    if hi >= stop:
        raise ValueError(f"{name} must be in [0, {stop}) ({what}), got max {hi}")


def _table(table: npt.ArrayLike) -> np.ndarray:
    arr = np.asarray(table)
    if arr.ndim != 2:
        raise ValueError(f"table must be 2-D (rows, dim), got shape {arr.shape}")
    dtype = arr.dtype
    if not dtype.isnative and dtype.kind in "fi":
        arr = arr.astype(dtype.newbyteorder("="))
    elif dtype not in _NATIVE_TABLE_DTYPES and not _is_bfloat16(dtype):
        raise TypeError(f"table dtype must be {_TABLE_DTYPES}, got {dtype}")
    if arr.dtype not in _NATIVE_TABLE_DTYPES and not _is_bfloat16(arr.dtype):
        raise TypeError(f"table dtype must be {_TABLE_DTYPES}, got {dtype}")
    itemsize = arr.dtype.itemsize
    # The kernel walks rows by stride, so a column slice table[:, :k] is read
    # in place; anything else (column gaps, negative strides) is copied once.
    row_ok = arr.strides[0] >= 0 and arr.strides[0] % itemsize == 0
    if arr.shape[1] > 1 and arr.strides[1] != itemsize or not row_ok:
        arr = np.ascontiguousarray(arr)
    return arr


def _float_vector(x: npt.ArrayLike, name: str) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"{name} must be a real-valued array, got dtype {arr.dtype}")
    return np.ascontiguousarray(arr, dtype=np.float32)


def _scale(scale: npt.ArrayLike, table: np.ndarray) -> np.ndarray:
    if table.dtype != np.int8:
        raise ValueError(f"scale applies to int8 tables only, got a {table.dtype} table")
    arr = _float_vector(scale, "scale").reshape(-1)
    if arr.size not in (1, table.shape[0]):
        raise ValueError(
            f"scale must hold 1 value or one per table row ({table.shape[0]}), got {arr.size}"
        )
    return arr


def _raise_offsets_error(offsets: np.ndarray, n_ids: int, problem: int) -> None:
    if problem == _core.OFFSETS_EMPTY:
        raise ValueError("offsets must have n_rows + 1 >= 1 entries, got 0")
    if problem == _core.OFFSETS_BAD_FIRST:
        raise ValueError(f"offsets[0] must be 0, got {offsets[0]}")
    if problem == _core.OFFSETS_BAD_LAST:
        raise ValueError(f"offsets[-1] must equal len(ids) = {n_ids}, got {offsets[-1]}")
    raise ValueError(
        f"offsets must be non-decreasing, got offsets[{problem}] = {offsets[problem]} > "
        f"offsets[{problem + 1}] = {offsets[problem + 1]}"
    )


def _out(out: np.ndarray, n_rows: int, dim: int) -> np.ndarray:
    if not isinstance(out, np.ndarray):
        raise ValueError(f"out must be a numpy.ndarray, got {type(out).__name__}")
    if out.dtype != np.float32:
        raise ValueError(f"out must have dtype float32, got {out.dtype}")
    if out.shape != (n_rows, dim):
        raise ValueError(f"out must have shape {(n_rows, dim)}, got {out.shape}")
    if not out.flags.c_contiguous or not out.flags.writeable:
        raise ValueError("out must be C-contiguous and writeable")
    return out


def encode(
    ids: npt.ArrayLike,
    offsets: npt.ArrayLike,
    table: npt.ArrayLike | None = None,
    *,
    weights: npt.ArrayLike | None = None,
    mapping: npt.ArrayLike | None = None,
    scale: npt.ArrayLike | None = None,
    mode: Literal["mean", "sum"] = "mean",
    normalize: bool = True,
    out: np.ndarray | None = None,
    n_threads: int | None = None,
) -> np.ndarray:
    """Pool ragged rows of token ids into one float32 vector per row.

    Row ``i`` is ``ids[offsets[i]:offsets[i+1]]`` (CSR). Each id picks table row
    ``mapping[id]`` (or ``id`` without a mapping), multiplied by ``weights[id]``
    when given; rows are summed, divided by the token count for ``mode="mean"``,
    and scaled to unit length when ``normalize`` (``x / (||x|| + 1e-32)``, as
    model2vec does). An empty row gives zeros.

    Parameters
    ----------
    ids : int32 or int64 array, 1-D
        Token ids, all rows back to back. Used without copying.
    offsets : int64 (or int32) array of length ``n_rows + 1``
        ``offsets[0] == 0``, non-decreasing, ``offsets[-1] == len(ids)``.
    table : (rows, dim) array of float32, float16, bfloat16, float64 or int8, optional
        The embedding table; memory-mapped and read-only tables are read in place.
        Omitted, the bundled default model's table (and its weights and mapping)
        is used, so ``ids`` are that model's token ids.
    weights : float array, optional
        One weight per token id (``len(mapping)`` or ``rows`` entries).
    mapping : int32 or int64 array, optional
        Table row for each token id (vocabulary-quantized models).
    scale : float or float array, optional
        int8 tables only: one scale for the table or one per table row.
        Without it the raw integers are pooled, as model2vec does.
    mode : "mean" or "sum"
    normalize : bool
    out : float32 array of shape (n_rows, dim), optional
        Written in place and returned, to reuse a buffer. Outputs of 8 MiB or more are
        written with non-temporal stores (past the caches, ~1.2x faster for short rows)
        when each row is 64-byte aligned, as the arrays fastpool allocates are; an ``out``
        that is not aligned gets the same values through ordinary stores.
    n_threads : int, optional
        None uses every usable core (honouring OMP_NUM_THREADS, CPU affinity,
        cgroup limits and threadpoolctl); -1 likewise, -2 all but one; 0 is an
        error. The output is bit-identical for every thread count.

    Returns
    -------
    numpy.ndarray of float32, shape (n_rows, dim)
    """
    if mode not in ("mean", "sum"):
        raise ValueError(f"mode must be 'mean' or 'sum', got {mode!r}")
    if table is None:
        if weights is not None or mapping is not None or scale is not None:
            raise ValueError("weights, mapping and scale need a table; pass table= as well")
        from ._default import default_model

        model = default_model()
        table, weights, mapping = model.table, model.weights, model.mapping
    if weights is None and mapping is None and scale is None and n_threads is None:
        # Canonical inputs are checked and pooled in one Cython call (a 1-row call
        # then costs about a microsecond); anything else takes the path below.
        pooled = _core.encode_fast(
            ids, offsets, table, out, mode == "mean", bool(normalize), default_thread_code()
        )
        if pooled is not None:
            return pooled
    threads = effective_n_threads(n_threads)
    ids_arr = _integer_vector(ids, "ids")
    offsets_arr = _integer_vector(offsets, "offsets")
    table_arr = _table(table)
    n_table_rows, dim = table_arr.shape

    offsets_arr = offsets_arr.astype(np.int64, copy=False)
    problem = _core.check_offsets(offsets_arr, ids_arr.size)
    if problem != _core.OFFSETS_OK:
        _raise_offsets_error(offsets_arr, ids_arr.size, problem)

    mapping_arr = None
    n_vocab = n_table_rows
    if mapping is not None:
        mapping_arr = _integer_vector(mapping, "mapping")
        _check_range(mapping_arr, "mapping", n_table_rows, "table rows")
        mapping_arr = mapping_arr.astype(np.int32, copy=False)
        n_vocab = mapping_arr.size
    weights_arr = None
    if weights is not None:
        weights_arr = _float_vector(weights, "weights")
        if weights_arr.ndim != 1 or weights_arr.size != n_vocab:
            source = "len(mapping)" if mapping is not None else "table rows"
            raise ValueError(
                f"weights must be 1-D with one entry per token id ({source} = {n_vocab}), "
                f"got shape {weights_arr.shape}"
            )
    _check_range(ids_arr, "ids", n_vocab, "len(mapping)" if mapping is not None else "table rows")
    scale_arr = None if scale is None else _scale(scale, table_arr)

    n_rows = offsets_arr.size - 1
    out_arr = _core.empty_rows(n_rows, dim) if out is None else _out(out, n_rows, dim)
    _core.pool_csr(
        ids_arr,
        offsets_arr,
        table_arr,
        out_arr,
        weights_arr,
        mapping_arr,
        scale_arr,
        mode == "mean",
        bool(normalize),
        threads,
    )
    return out_arr
