"""Changing a loaded table's dtype, and model2vec's vocabulary quantization."""

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
    tokenizer: Tokenizer,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cluster a loaded model's vocabulary (:func:`cluster_vocabulary`), once.

    Returns ``(table, mapping, weights)`` of the clustered model.
    """
    if mapping is not None or np.shape(table)[0] != tokenizer.get_vocab_size():
        raise ValueError("the model's vocabulary is already quantized; cannot quantize it again")
    n_clusters = _checks.positive_int(n_clusters, "vocabulary_quantization")
    weights_arr = None if weights is None else np.asarray(weights)
    return cluster_vocabulary(n_clusters, weights_arr, np.asarray(table))
