"""Where a training run starts: a static model (a fastpool model, or a folder) and its rows."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..model import StaticModel


def base_model(model: Any) -> StaticModel:
    """A ``StaticModel``, or a local folder loaded as one; None is the bundled default."""
    if isinstance(model, StaticModel):
        return model
    if model is None:
        from .._api import default_model

        return default_model()
    if isinstance(model, str | os.PathLike):
        return StaticModel.from_pretrained(model)
    raise TypeError(
        f"model must be a fastpool StaticModel, a model folder or None, got {type(model).__name__}"
    )


def random_table(n_rows: int, dim: int, seed: int) -> np.ndarray:
    """N(0, 1) rows, as ``torch.nn.EmbeddingBag`` (sentence-transformers' StaticEmbedding)
    initialises a table it is given no weights for."""
    if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
        raise ValueError(f"dim must be an int >= 1, got {dim!r}")
    return np.random.default_rng(seed).standard_normal((n_rows, dim), dtype=np.float32)
