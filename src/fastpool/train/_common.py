"""What both roads share around the loop: the trained model's config, threads, the result."""

from __future__ import annotations

from typing import Any, NamedTuple

import torch

from .._threads import effective_n_threads
from ..model import StaticModel
from ._loop import History


class Trained(NamedTuple):
    """A trained model and how its training went."""

    model: StaticModel
    history: History


def set_threads(n_threads: int | None) -> None:
    """torch's intra-op threads, by fastpool's rules (None: all usable cores)."""
    torch.set_num_threads(effective_n_threads(n_threads))


def trained_config(base: StaticModel, **recipe: Any) -> dict[str, Any]:
    config = {k: v for k, v in base.config.items() if k not in ("embedding_dtype",)}
    config.update(model_type="model2vec", architectures=["StaticModel"], normalize=True)
    config["fastpool_training"] = recipe
    return config
