"""Fold per-token weights into the table rows, once, so encode runs the unweighted kernel."""

from __future__ import annotations

import numpy as np

from .._aligned import empty_bytes


def fold_weights(table: np.ndarray, weights: np.ndarray, mapping: np.ndarray | None) -> np.ndarray:
    """``table * weights[:, None]`` as a new float32 table (float64 stays float64).

    Only for models without a mapping: with one, several token ids share a row but not a
    weight, so there is no single row to scale. Each product is rounded once where the
    weighted kernel fuses it into the sum, so vectors may differ in the last bit. The
    result is private memory: a memory-mapped table is read once, not kept mapped.
    """
    if mapping is not None:
        raise ValueError(
            "fold_weights needs a model without a mapping (vocabulary-quantized models share "
            "a table row between tokens of different weights)"
        )
    table = np.asarray(table)
    weights = np.asarray(weights)
    if table.ndim != 2 or weights.ndim != 1 or table.shape[0] != weights.shape[0]:
        raise ValueError(
            f"fold_weights needs one weight per table row, got weights of shape "
            f"{weights.shape} for a table of shape {table.shape}"
        )
    dtype = np.float64 if table.dtype == np.float64 else np.float32
    # Rows on cache lines, unlike numpy's own large arrays (see _aligned).
    folded = empty_bytes(table.size * np.dtype(dtype).itemsize).view(dtype).reshape(table.shape)
    np.copyto(folded, table, casting="unsafe")  # as astype would (bfloat16 via ml_dtypes)
    np.multiply(folded, weights.astype(dtype)[:, None], out=folded)
    return folded
