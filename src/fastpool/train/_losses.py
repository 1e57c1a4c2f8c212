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


def mnrl(
    queries: torch.Tensor,
    positives: torch.Tensor,
    scale: float = 20.0,
    negatives: torch.Tensor | None = None,
) -> torch.Tensor:
    """With ``negatives`` (one hard negative per pair), each query is scored against every
    positive and every negative of the batch, as MNRL does with (anchor, positive, negative)."""
    candidates = positives if negatives is None else torch.cat([positives, negatives])
    scores = F.normalize(queries, dim=-1) @ F.normalize(candidates, dim=-1).T * scale
    return F.cross_entropy(scores, torch.arange(scores.shape[0]))


def matryoshka(
    queries: torch.Tensor,
    positives: torch.Tensor,
    dims: Sequence[int] | None,
    scale: float = 20.0,
    negatives: torch.Tensor | None = None,
) -> torch.Tensor:
    if not dims:
        return mnrl(queries, positives, scale, negatives)
    total = queries.new_zeros(())
    for d in dims:
        neg = None if negatives is None else negatives[:, :d]
        total = total + mnrl(queries[:, :d], positives[:, :d], scale, neg)
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


def geometry(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """1 - the mean per-row Pearson correlation of the in-batch cosine similarities of ``pred``
    with those of ``target`` (the teacher's vectors of the same texts), diagonal left out.

    It keeps the teacher's *ranking* of pairs (what a Spearman against the teacher measures)
    while leaving the student free to use its own scale and offset of cosines, and it needs no
    map between the two spaces, so the targets keep their own width.
    """
    n = pred.shape[0]
    off = ~torch.eye(n, dtype=torch.bool)
    s = F.normalize(pred, dim=-1) @ F.normalize(pred, dim=-1).T
    t = F.normalize(target, dim=-1) @ F.normalize(target, dim=-1).T
    s, t = s[off].view(n, n - 1), t[off].view(n, n - 1)
    s = F.normalize(s - s.mean(dim=1, keepdim=True), dim=1)
    t = F.normalize(t - t.mean(dim=1, keepdim=True), dim=1)
    return 1.0 - (s * t).sum(dim=1).mean()
