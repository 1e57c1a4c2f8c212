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


def quantize_vocabulary(
    n_clusters: int,
    table: np.ndarray,
    weights: np.ndarray | None,
    mapping: np.ndarray | None,
    tokenizer: Tokenizer,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """model2vec's vocabulary quantization (k-means over rows), run by model2vec itself.

    Returns ``(table, mapping, weights)`` of the clustered model.
    """
    if mapping is not None or np.shape(table)[0] != tokenizer.get_vocab_size():
        raise ValueError("the model's vocabulary is already quantized; cannot quantize it again")
    n_clusters = _checks.positive_int(n_clusters, "vocabulary_quantization")
    try:
        from model2vec.vocabulary_quantization import quantize_vocabulary as m2v_quantize
    except ImportError as err:
        raise ImportError(
            "vocabulary_quantization needs model2vec and scikit-learn: "
            "pip install 'model2vec[quantization]'"
        ) from err
    weights_arr = None if weights is None else np.asarray(weights)
    return m2v_quantize(  # type: ignore[no-any-return]
        n_clusters=n_clusters, weights=weights_arr, embeddings=np.asarray(table)
    )
