"""chonkie embeddings on fastpool: ``FastpoolEmbeddings``, a chonkie ``BaseEmbeddings``.

    from chonkie import SemanticChunker
    from fastpool.integrations.chonkie import FastpoolEmbeddings

    chunker = SemanticChunker(embedding_model=FastpoolEmbeddings("path/to/potion-base-8M"))

Needs ``chonkie``.
"""

from __future__ import annotations

import importlib.util
import os
from typing import Any

import numpy as np
from chonkie.embeddings.base import BaseEmbeddings

from ..model import StaticModel
from ._common import resolve_model

__all__ = ["FastpoolEmbeddings"]


class FastpoolEmbeddings(BaseEmbeddings):
    """chonkie ``BaseEmbeddings`` backed by a :class:`fastpool.StaticModel`.

    Parameters
    ----------
    model : StaticModel, path-like or None
        A loaded model, a local model folder, or None for fastpool's bundled model.
    **load_kwargs
        Passed to :func:`fastpool.load` when ``model`` is a path.
    """

    def __init__(
        self, model: StaticModel | str | os.PathLike[str] | None = None, **load_kwargs: Any
    ) -> None:
        super().__init__()
        self.model = resolve_model(model, **load_kwargs)

    @property
    def dimension(self) -> int:
        """Dimension of the vectors."""
        return self.model.dim

    def embed(self, text: str) -> np.ndarray:
        """The float32 vector of one text."""
        return self.model.encode(text)

    def embed_batch(self, texts: list[str]) -> list[np.ndarray]:
        """One float32 vector per text (rows of one array, encoded in one call)."""
        return list(self.model.encode(list(texts)))

    def similarity(self, u: np.ndarray, v: np.ndarray) -> np.float32:
        """Cosine similarity of two vectors."""
        denominator = np.linalg.norm(u) * np.linalg.norm(v)
        return np.float32(np.dot(u, v) / denominator) if denominator else np.float32(0.0)

    def get_tokenizer(self) -> Any:
        """The model's ``tokenizers.Tokenizer`` (chonkie counts tokens with it)."""
        return self.model.tokenizer

    @classmethod
    def _is_available(cls) -> bool:
        return importlib.util.find_spec("fastpool") is not None

    def __repr__(self) -> str:
        return f"FastpoolEmbeddings(model={self.model!r})"
