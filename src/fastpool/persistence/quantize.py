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


# model2vec 0.10 clusters with these settings; the same ones give the same clusters.
KMEANS_SEED = 42
KMEANS_INIT = "random"
KMEANS_HINT = "vocabulary_quantization needs scikit-learn: pip install 'fastpool[quantization]'"


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
    try:
        from sklearn.cluster import KMeans
    except ImportError as err:
        raise ImportError(KMEANS_HINT) from err
    if weights is None:
        # The norm carries the token's importance; the clusters should only see directions.
        token_weights = np.linalg.norm(rows, axis=1) + 1e-32
        rows = rows / token_weights[:, None]
    else:
        token_weights = np.asarray(weights)  # kept as given, as model2vec keeps them
        _checks.float_vector(token_weights, "weights")
        if token_weights.shape != (rows.shape[0],):
            raise ValueError(
                f"weights must have one entry per row, shape ({rows.shape[0]},), "
                f"got shape {token_weights.shape}"
            )
    points = rows.astype(np.float32)
    kmeans = KMeans(n_clusters=n_clusters, random_state=KMEANS_SEED, init=KMEANS_INIT)
    kmeans.fit(points)
    token_mapping = kmeans.predict(points).astype(np.int32, copy=False)
    centres = kmeans.cluster_centers_.astype(rows.dtype)
    return centres, token_mapping, token_weights
