"""Model argument shared by the adapters."""

from __future__ import annotations

import os
from typing import Any

from .._api import load
from ..model import StaticModel


def resolve_model(
    model: StaticModel | str | os.PathLike[str] | None, **load_kwargs: Any
) -> StaticModel:
    """``model`` itself, or the local folder ``model`` loaded, or fastpool's bundled model."""
    if isinstance(model, StaticModel):
        if load_kwargs:
            raise TypeError("loading options apply only when model is a path")
        return model
    return load(model, **load_kwargs)
