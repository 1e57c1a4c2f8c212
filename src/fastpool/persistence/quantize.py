"""Changing a loaded table's dtype, and vocabulary quantization (k-means over the rows)."""

from __future__ import annotations

import numpy as np
from tokenizers import Tokenizer

from .. import _checks

QUANTIZE_TO = ("float16", "float32", "float64", "int8")


def quantize_table(table: np.ndarray, quantize_to: str) -> np.ndarray:
    """model2vec 0.10's ``quantize_embeddings``, step for step (same int8 rounding)."""
    target = np.dtype(_checks.one_of(str(getattr(quantize_to, "value", quantize_to)),
                                     "quantize_to", QUANTIZE_TO))  # fmt: skip
    if table.dtype == target:
        return table
    if target.kind == "f":
        return table.astype(target)
    scale = np.max(np.abs(table)) / 127.0
    buf = table.astype(np.float16, copy=True)
    np.divide(buf, scale, out=buf)
    np.rint(buf, out=buf)
    np.clip(buf, -127, 127, out=buf)
    return buf.astype(np.int8)


def cluster_vocabulary(
    n_clusters: int, weights: np.ndarray | None, embeddings: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """model2vec 0.10's vocabulary quantization: k-means over the table's rows.

    Without weights, each row's norm becomes its weight and the rows are
    normalised before clustering (so long rows do not pull the centres). The
    k-means is scikit-learn's with model2vec's settings (``init="random"``,
    ``random_state=42``, on float32 rows), so the result equals model2vec's.
    Returns ``(centres in the table's dtype, row per token, weights)``.
    """
    try:
        from sklearn.cluster import KMeans
    except ImportError as err:
        raise ImportError(
            "vocabulary quantization needs scikit-learn: pip install scikit-learn"
        ) from err
    if weights is None:
        weights = np.linalg.norm(embeddings, axis=1) + 1e-32
        embeddings = embeddings / weights[:, None]
    dtype = embeddings.dtype
    rows = embeddings.astype(np.float32)
    kmeans = KMeans(n_clusters=n_clusters, random_state=42, init="random")
    kmeans.fit(rows)
    mapping = kmeans.predict(rows)
    return kmeans.cluster_centers_.astype(dtype), mapping, weights


def quantize_vocabulary(
    n_clusters: int,
    table: np.ndarray,
    weights: np.ndarray | None,
    mapping: np.ndarray | None,
    tokenizer: Tokenizer | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cluster the table's rows into ``n_clusters`` rows (model2vec 0.10's vocabulary quantization).

    The semantics are model2vec's: without ``weights``, each row's norm (+ 1e-32) becomes its
    token's weight and the rows are normalised first, so that clustering groups directions and
    the weight keeps the magnitude; with ``weights``, the rows are clustered as they are and
    the weights kept. k-means is scikit-learn's ``KMeans(n_clusters, random_state=42,
    init="random")`` fitted on the float32 rows, as model2vec runs it, so the clusters are
    model2vec's own. Returns ``(table, mapping, weights)``: the cluster centres in the table's
    dtype, the cluster of each token (int32) and the per-token weights.

    ``tokenizer`` (None skips the check) must have one token per row: a model whose vocabulary
    is already quantized cannot be quantized again.
    """
    n_rows = int(np.shape(table)[0]) if np.ndim(table) == 2 else 0
    if mapping is not None or (tokenizer is not None and n_rows != tokenizer.get_vocab_size()):
        raise ValueError("the model's vocabulary is already quantized; cannot quantize it again")
    n_clusters = _checks.positive_int(n_clusters, "vocabulary_quantization")
    rows = _checks.table(table)
    if n_clusters > rows.shape[0]:
        raise ValueError(
            f"vocabulary_quantization must be at most the number of rows ({rows.shape[0]}), "
            f"got {n_clusters}"
        )
    weights_arr = None
    if weights is not None:
        weights_arr = np.asarray(weights)  # kept as given, as model2vec keeps them
        _checks.float_vector(weights_arr, "weights")
        if weights_arr.shape != (rows.shape[0],):
            raise ValueError(
                f"weights must have one entry per row, shape ({rows.shape[0]},), "
                f"got shape {weights_arr.shape}"
            )
    return cluster_vocabulary(n_clusters, weights_arr, rows)
