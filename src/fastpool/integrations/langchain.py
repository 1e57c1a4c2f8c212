"""LangChain embeddings on fastpool: ``FastpoolEmbeddings``.

    from fastpool.integrations.langchain import FastpoolEmbeddings

    embeddings = FastpoolEmbeddings("path/to/potion-base-8M")
    vectors = embeddings.embed_documents(["first text", "second text"])
    query = embeddings.embed_query("a question")

Needs ``langchain-core``.
"""

from __future__ import annotations

import os
from typing import Any

from langchain_core.embeddings import Embeddings

from ..model import StaticModel
from ._common import resolve_model

__all__ = ["FastpoolEmbeddings"]


class FastpoolEmbeddings(Embeddings):
    """LangChain ``Embeddings`` backed by a :class:`fastpool.StaticModel`.

    Parameters
    ----------
    model : StaticModel, path-like or None
        A loaded model, a local model folder, or None for fastpool's bundled model.
    encode_kwargs : dict, optional
        Passed to every ``encode`` call (e.g. ``{"normalize": True}``,
        ``{"prompt_name": "query"}``).
    query_encode_kwargs : dict, optional
        Passed to ``encode`` by :meth:`embed_query` instead of ``encode_kwargs``
        (default: ``encode_kwargs``).
    **load_kwargs
        Passed to :func:`fastpool.load` when ``model`` is a path.
    """

    def __init__(
        self,
        model: StaticModel | str | os.PathLike[str] | None = None,
        *,
        encode_kwargs: dict[str, Any] | None = None,
        query_encode_kwargs: dict[str, Any] | None = None,
        **load_kwargs: Any,
    ) -> None:
        self.model = resolve_model(model, **load_kwargs)
        self.encode_kwargs = dict(encode_kwargs or {})
        self.query_encode_kwargs = (
            self.encode_kwargs if query_encode_kwargs is None else dict(query_encode_kwargs)
        )

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """One vector (a list of floats) per text."""
        return self.model.encode(list(texts), **self.encode_kwargs).tolist()  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> list[float]:
        """The vector of one text."""
        return self.model.encode(text, **self.query_encode_kwargs).tolist()  # type: ignore[no-any-return]
