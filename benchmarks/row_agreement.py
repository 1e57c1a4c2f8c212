"""How closely two tables of the same shape agree row for row (the distillation benchmarks)."""

from __future__ import annotations

import numpy as np


def row_cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cosine of each row of ``a`` with the same row of ``b``, in float64."""
    a, b = a.astype(np.float64), b.astype(np.float64)
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-32)


def rotated_onto(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a`` rotated onto ``b`` (orthogonal Procrustes): PCA signs and near-equal
    components may differ between two numerically different runs."""
    u, _, vt = np.linalg.svd(a.astype(np.float64).T @ b.astype(np.float64))
    return a.astype(np.float64) @ (u @ vt)
