"""model2vec 0.10's quantization API, under its names and signatures.

``fastpool.quantization`` mirrors ``model2vec.quantization`` (``DType``,
``quantize_embeddings``, ``quantize_and_reduce_dim``) and adds model2vec's
``quantize_vocabulary`` (``model2vec.vocabulary_quantization``) and
``quantize_model`` (``model2vec.quantize_model``; also ``fastpool.quantize_model``).
Results equal model2vec's on the same inputs.

Two functions are called ``quantize_embeddings`` in the ecosystem, and each
stays under its own library's path: ``fastpool.quantization.quantize_embeddings``
is model2vec's (a *table* to a dtype), ``fastpool.quantize_embeddings`` is
sentence-transformers' (``sentence_transformers.quantize_embeddings``: *output
vectors* to int8/uint8/binary/ubinary with calibration ranges).
"""

from __future__ import annotations

import copy
from enum import Enum
from typing import Any, TypeVar

import numpy as np

from . import _checks
from .model import StaticModel
from .persistence.quantize import cluster_vocabulary, quantize_table

__all__ = [
    "DType",
    "quantize_and_reduce_dim",
    "quantize_embeddings",
    "quantize_model",
    "quantize_vocabulary",
]


class DType(str, Enum):
    """The table dtypes model2vec quantizes to (a ``str``: ``DType.Int8 == "int8"``)."""

    Float16 = "float16"
    Float32 = "float32"
    Float64 = "float64"
    Int8 = "int8"


def _dtype(quantize_to: object) -> DType:
    try:
        return DType(quantize_to)
    except ValueError:
        choices = ", ".join(d.value for d in DType)
        raise ValueError(f"quantize_to must be one of {choices}, got {quantize_to!r}") from None


def quantize_embeddings(embeddings: np.ndarray, quantize_to: DType | str) -> np.ndarray:
    """A table in another dtype, as model2vec 0.10 converts it.

    The same array when it already has that dtype. int8: scaled by
    ``max(|x|) / 127`` (computed in float16, rounded, clipped to [-127, 127]),
    bit for bit model2vec's.
    """
    target = _dtype(quantize_to)
    return quantize_table(np.asarray(embeddings), target.value)


def quantize_and_reduce_dim(
    embeddings: np.ndarray, quantize_to: DType | str | None, dimensionality: int | None
) -> np.ndarray:
    """:func:`quantize_embeddings` (when ``quantize_to``), then keep the first
    ``dimensionality`` columns (when given; ValueError if more than the table has)."""
    if quantize_to is not None:
        embeddings = quantize_embeddings(embeddings, quantize_to)
    if dimensionality is not None:
        _checks.column_count(dimensionality, "dimensionality", int(np.shape(embeddings)[1]))
        embeddings = embeddings[:, :dimensionality]
    return embeddings


def quantize_vocabulary(
    n_clusters: int, weights: np.ndarray | None, embeddings: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """model2vec's vocabulary quantization: ``(centres, token_mapping, weights)``.

    k-means (scikit-learn, model2vec's settings) over the rows; without
    ``weights`` each row's norm becomes its weight. Needs scikit-learn.
    """
    n_clusters = _checks.positive_int(n_clusters, "n_clusters")
    return cluster_vocabulary(
        n_clusters, None if weights is None else np.asarray(weights), np.asarray(embeddings)
    )


Model = TypeVar("Model")


def quantize_model(
    model: Model,
    vocabulary_quantization: int | None = None,
    quantize_to: DType | str | None = None,
    dimensionality: int | None = None,
) -> Model:
    """A new model with a clustered vocabulary, another dtype and/or fewer columns.

    model2vec 0.10's ``quantize_model``, for a :class:`fastpool.StaticModel` (the
    copy keeps its semantics, tokenizer backend and settings) and for any class
    with model2vec's constructor and attributes (``model2vec.StaticModel``).
    ValueError when asked to quantize an already quantized vocabulary.
    """
    m: Any = model
    weights = m.weights
    token_mapping = m.token_mapping
    embeddings = m.embedding
    if vocabulary_quantization is not None:
        if len(m.tokens) != len(embeddings) or token_mapping is not None:
            raise ValueError(
                "the model's vocabulary is already quantized; cannot quantize it again"
            )
        embeddings, token_mapping, weights = quantize_vocabulary(
            vocabulary_quantization, weights, embeddings
        )
    if quantize_to is not None or dimensionality is not None:
        embeddings = quantize_and_reduce_dim(embeddings, quantize_to, dimensionality)
    if isinstance(m, StaticModel):
        new = copy.copy(m)
        if new.truncate_dim is not None and new.truncate_dim > np.shape(embeddings)[1]:
            new.truncate_dim = None
        new.set_arrays(embeddings, weights, token_mapping)
        return new  # type: ignore[return-value]
    return type(m)(  # type: ignore[no-any-return]
        vectors=embeddings, tokenizer=m.tokenizer, config=m.config, weights=weights,
        token_mapping=token_mapping, normalize=m.normalize, base_model_name=m.base_model_name,
        language=m.language, max_length=m.max_length,
    )  # fmt: skip
