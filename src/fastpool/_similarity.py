"""Pairwise similarity of embeddings, as sentence-transformers' ``model.similarity``.

Every function takes two arrays of shape ``(n, dim)`` and ``(m, dim)`` (a 1-D
vector counts as one row) and returns an ``(n, m)`` float32 matrix, like
sentence-transformers (which returns a torch tensor). No torch needed.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

SIMILARITY_FUNCTIONS = ("cosine", "dot", "euclidean", "manhattan")
# torch.nn.functional.normalize's eps: a zero vector has similarity 0.
_EPS = 1e-12


def _rows(x: npt.ArrayLike, name: str) -> np.ndarray:
    arr = np.asarray(x)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 1-D or 2-D, got shape {arr.shape}")
    if arr.dtype.kind not in "fiu":
        raise ValueError(f"{name} must hold numbers, got dtype {arr.dtype}")
    return arr.astype(np.float32, copy=False)


def similarity(a: npt.ArrayLike, b: npt.ArrayLike, *, fn: str = "cosine") -> np.ndarray:
    """Similarity of every row of ``a`` with every row of ``b``: an ``(n, m)`` float32 matrix.

    ``fn`` is ``"cosine"`` (default, as sentence-transformers: rows are scaled by
    ``1 / max(‖x‖, 1e-12)``), ``"dot"``, ``"euclidean"`` or ``"manhattan"`` (the
    last two negated distances, so larger is more similar, as sentence-transformers).
    """
    if fn not in SIMILARITY_FUNCTIONS:
        raise ValueError(f"fn must be one of {', '.join(SIMILARITY_FUNCTIONS)}, got {fn!r}")
    x, y = _rows(a, "a"), _rows(b, "b")
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"a and b must have the same dim, got {x.shape[1]} and {y.shape[1]}")
    if fn == "cosine":
        x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), _EPS)
        y = y / np.maximum(np.linalg.norm(y, axis=1, keepdims=True), _EPS)
        return x @ y.T
    if fn == "dot":
        return x @ y.T
    # Distances row by row from the differences (not |x|^2 + |y|^2 - 2xy, which
    # loses the small distances to cancellation), in (m, dim) memory per row.
    out = np.empty((x.shape[0], y.shape[0]), dtype=np.float32)
    for i, row in enumerate(x):
        diff = y - row
        out[i] = np.sqrt((diff * diff).sum(1)) if fn == "euclidean" else np.abs(diff).sum(1)
    return -out
