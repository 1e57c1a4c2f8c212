"""The specification of pooling, in numpy: what every kernel must compute.

Mirrors model2vec's semantics: ``mapping`` picks the table row, ``weights`` are
indexed by the original id, ``mean`` divides by the token count (not the weight
sum), an empty row is zeros, and normalisation is ``x / (||x|| + 1e-32)``.
Computed in float64 so that it is the more accurate side of every comparison.
"""

from __future__ import annotations

import numpy as np


def pool_reference(
    ids, offsets, table, *, weights=None, mapping=None, scale=None, mode="mean", normalize=True
):
    ids = np.asarray(ids, dtype=np.int64)
    offsets = np.asarray(offsets, dtype=np.int64)
    table = np.asarray(table).astype(np.float64)
    n_rows, dim = len(offsets) - 1, table.shape[1]
    rows = ids if mapping is None else np.asarray(mapping, dtype=np.int64)[ids]
    vectors = table[rows]
    if scale is not None:
        scale = np.asarray(scale, dtype=np.float64).reshape(-1)
        vectors *= (scale if scale.size == 1 else scale[rows])[:, None]
    if weights is not None:
        vectors *= np.asarray(weights, dtype=np.float64)[ids][:, None]
    out = np.zeros((n_rows, dim))
    for r in range(n_rows):
        begin, end = offsets[r], offsets[r + 1]
        if end > begin:
            out[r] = vectors[begin:end].sum(axis=0)
            if mode == "mean":
                out[r] /= end - begin
    if normalize:
        out /= np.linalg.norm(out, axis=1, keepdims=True) + 1e-32
    return out.astype(np.float32)


# Tolerances per table dtype, in the manner of scikit-learn's ASSERT_RESULT: the
# kernel accumulates in float32 (float64 for float64 tables) in token order.
TOLERANCES = {
    "float32": dict(rtol=1e-5, atol=1e-6),
    "float16": dict(rtol=1e-5, atol=1e-6),  # exact conversion, float32 sums
    "bfloat16": dict(rtol=1e-5, atol=1e-6),
    "float64": dict(rtol=1e-6, atol=1e-7),
    "int8": dict(rtol=1e-5, atol=1e-5),  # raw integer sums reach the hundreds
}


def assert_pooled_close(got, want, dtype: str) -> None:
    """Compare with the dtype's tolerance; atol scales with the largest value so
    that unnormalised sums (int8 sums reach the thousands) are judged relatively."""
    tol = TOLERANCES[dtype]
    scale = max(1.0, float(np.abs(want).max())) if want.size else 1.0
    np.testing.assert_allclose(got, want, rtol=tol["rtol"], atol=tol["atol"] * scale)
