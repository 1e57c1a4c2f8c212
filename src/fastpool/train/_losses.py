"""Losses: in-batch negatives (MNRL) inside Matryoshka, and tokenlearn's regression losses.

``mnrl`` is sentence-transformers' MultipleNegativesRankingLoss: cosine similarities of each
query to every positive of the batch, times ``scale`` (20 there), cross-entropy against the
query's own positive. ``matryoshka`` sums a loss over leading prefixes of the vectors (each
prefix renormalised by the cosine), with weight 1 each, as MatryoshkaLoss does by default.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

FIT_LOSSES = ("cosine", "mse", "contrastive")


def mnrl(queries: torch.Tensor, positives: torch.Tensor, scale: float = 20.0) -> torch.Tensor:
    scores = F.normalize(queries, dim=-1) @ F.normalize(positives, dim=-1).T * scale
    return F.cross_entropy(scores, torch.arange(scores.shape[0]))


def matryoshka(
    queries: torch.Tensor,
    positives: torch.Tensor,
    dims: Sequence[int] | None,
    scale: float = 20.0,
) -> torch.Tensor:
    if not dims:
        return mnrl(queries, positives, scale)
    total = queries.new_zeros(())
    for d in dims:
        total = total + mnrl(queries[:, :d], positives[:, :d], scale)
    return total


def regression(kind: str, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """tokenlearn's choices: 1 - cosine, mean squared error, or in-batch contrastive."""
    if kind == "cosine":
        return (1.0 - F.cosine_similarity(pred, target, dim=-1, eps=1e-12)).mean()
    if kind == "mse":
        return F.mse_loss(pred, target)
    if kind == "contrastive":
        return mnrl(pred, target)
    raise ValueError(f"loss must be one of {FIT_LOSSES}, got {kind!r}")
