"""The contrastive road: (query, positive) pairs, in-batch negatives, Matryoshka dimensions.

sentence-transformers' static-retrieval recipe (MultipleNegativesRankingLoss inside a
MatryoshkaLoss over a ``StaticEmbedding``), trained on fastpool's own tokenization (once, by
the native tokenizer) and a sparse table gradient (see ``_bag.py``), from a static model or
from a random table over a model's vocabulary.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import require_torch


def train_contrastive(
    queries: Sequence[str],
    positives: Sequence[str],
    *,
    model: Any = None,
    random_init: bool = False,
    dim: int = 256,
    matryoshka_dims: Sequence[int] | None = None,
    scale: float = 20.0,
    epochs: int = 1,
    batch_size: int = 2048,
    lr: float = 0.05,
    heldout: float = 0.05,
    patience: int | None = 2,
    eval_every: int | None = None,
    seed: int = 0,
    checkpoint_dir: str | Path | None = None,
    checkpoint_every: int = 200,
    train_weights: bool = True,
    quantize_to: str = "float32",
    n_threads: int | None = None,
    show_progress_bar: bool = True,
    geometry_texts: Sequence[str] | None = None,
    geometry_targets: np.ndarray | None = None,
    geometry_weight: float = 1.0,
    geometry_batch: int = 512,
    negatives: Sequence[str] | None = None,
) -> Any:
    """Train a static model on (query, positive) pairs; returns ``Trained(model, history)``.

    ``model``: the start (a ``StaticModel``, a folder, or None for the bundled default); with
    ``random_init`` only its tokenizer is kept and the table starts as N(0, 1) rows of ``dim``
    columns. ``matryoshka_dims``: prefixes trained too (each <= the width; the full width is
    added when missing). ``heldout``: the fraction of pairs kept out for early stopping on
    their MNRL loss (evaluated once per epoch, or every ``eval_every`` steps). With
    ``checkpoint_dir`` the run checkpoints every ``checkpoint_every`` steps and resumes from
    the folder's checkpoint when there is one.

    ``geometry_texts`` with ``geometry_targets`` (the teacher's sentence embeddings of those
    texts, one row each, any width: ``featurize``'s ``sentence``) add ``geometry_weight`` times
    a term that keeps the teacher's ranking of pairs (``_losses.geometry``) on
    ``geometry_batch`` of those texts per step, picked from the step's own rows so a run stays
    a pure function of its inputs.

    ``negatives``: one hard negative per pair (sentence-transformers' (anchor, positive,
    negative) triplets): each query is then scored against the batch's positives and its
    negatives, the held-out loss too.
    """
    require_torch()
    import torch

    from ._bag import StaticBag, rows_per_id, to_static_model
    from ._base import base_model, random_table
    from ._common import Trained, set_threads, trained_config
    from ._data import Tokenized, same_length, split, texts
    from ._loop import LoopConfig, run
    from ._losses import geometry, matryoshka

    q_texts, p_texts = texts(queries, "queries"), texts(positives, "positives")
    same_length(q_texts, p_texts, "queries and positives")
    if len(q_texts) < 2:
        raise ValueError(f"in-batch negatives need at least 2 pairs, got {len(q_texts)}")
    if batch_size < 2:
        raise ValueError(f"batch_size must be >= 2 for in-batch negatives, got {batch_size}")
    set_threads(n_threads)
    base = base_model(model)
    start = rows_per_id(base)
    if random_init:
        start = random_table(start.shape[0], dim, seed)
    width = start.shape[1]
    dims = _dims(matryoshka_dims, width)
    bag = StaticBag(start, train_weights=train_weights)
    q, p = Tokenized(base, q_texts), Tokenized(base, p_texts)
    n = None
    if negatives is not None:
        n_texts = texts(negatives, "negatives")
        same_length(q_texts, n_texts, "queries and negatives")
        n = Tokenized(base, n_texts)
    train_rows, held_rows = split(len(q_texts), heldout, seed)
    if train_rows.size < 2:
        raise ValueError(f"{train_rows.size} training pairs after the held-out split: need 2")

    g = _geometry_data(base, geometry_texts, geometry_targets, geometry_weight, geometry_batch)

    def embed(data: Tokenized, rows: np.ndarray) -> torch.Tensor:
        return bag(*data.gather(rows))

    def pair_loss(rows: np.ndarray) -> torch.Tensor:
        neg = None if n is None else embed(n, rows)
        return matryoshka(embed(q, rows), embed(p, rows), dims, scale, neg)

    def batch_loss(rows: np.ndarray) -> torch.Tensor:
        loss = pair_loss(train_rows[rows])
        if g is None:
            return loss
        g_rows = rows[:geometry_batch] % len(g[0])
        return loss + geometry_weight * geometry(embed(g[0], g_rows), g[1][g_rows])

    def heldout_loss() -> float:
        losses, sizes = [], []
        for i in range(0, held_rows.size, batch_size):
            rows = held_rows[i : i + batch_size]
            if rows.size >= 2:
                losses.append(float(pair_loss(rows)))
                sizes.append(rows.size)
        return float(np.average(losses, weights=sizes)) if losses else float("nan")

    fingerprint: dict[str, Any] = {"road": "contrastive", "pairs": len(q_texts), "dims": dims}
    if n is not None:
        fingerprint["negatives"] = True
    if g is not None:  # a checkpoint of a run without the term (or another one) is refused
        fingerprint["geometry"] = [len(g[0]), geometry_weight, geometry_batch]
    cfg = LoopConfig(
        epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, patience=patience,
        eval_every=eval_every,
        checkpoint_dir=None if checkpoint_dir is None else Path(checkpoint_dir),
        checkpoint_every=checkpoint_every, show_progress_bar=show_progress_bar, unit="pairs",
        min_batch=2,
    )  # fmt: skip
    history = run(
        bag,
        train_rows.size,
        batch_loss,
        cfg,
        heldout_loss=heldout_loss if held_rows.size >= 2 else None,
        fingerprint=fingerprint,
        desc="Contrastive",
    )
    recipe = {"road": "contrastive", "loss": "MNRL", "matryoshka_dims": dims, "scale": scale,
              "epochs": epochs, "batch_size": batch_size, "lr": lr, "pairs": len(q_texts),
              "random_init": random_init, "seed": seed, "steps": history.steps}  # fmt: skip
    if n is not None:
        recipe["hard_negatives"] = True
    if g is not None:
        recipe.update(geometry_weight=geometry_weight, geometry_batch=geometry_batch,
                      geometry_texts=len(g[0]))  # fmt: skip
    config = trained_config(base, **recipe)
    trained = to_static_model(
        bag, base.tokenizer, config=config, base_model=base.base_model_name,
        quantize_to=quantize_to,
    )  # fmt: skip
    return Trained(trained, history)


def _geometry_data(
    base: Any, values: Sequence[str] | None, targets: Any, weight: float, batch: int
) -> tuple[Any, Any] | None:
    """The geometry term's (tokenized texts, float32 target tensor), or None when unused."""
    import torch

    from ._data import Tokenized, same_length, texts

    if values is None and targets is None:
        return None
    if values is None or targets is None:
        raise ValueError("geometry_texts and geometry_targets go together: got only one")
    g_texts = texts(values, "geometry_texts")
    arr = np.asarray(targets)
    if arr.ndim != 2 or not np.issubdtype(arr.dtype, np.floating):
        raise ValueError(f"geometry_targets must be a 2-d float array, got {arr.dtype} {arr.shape}")
    same_length(g_texts, list(arr), "geometry_texts and geometry_targets")
    if not np.isfinite(weight) or weight < 0:
        raise ValueError(f"geometry_weight must be a finite number >= 0, got {weight}")
    if batch < 3:
        raise ValueError(f"geometry_batch must be >= 3, got {batch}")
    return Tokenized(base, g_texts), torch.from_numpy(np.ascontiguousarray(arr, np.float32))


def _dims(matryoshka_dims: Sequence[int] | None, width: int) -> list[int]:
    if not matryoshka_dims:
        return [width]
    dims = sorted({int(d) for d in matryoshka_dims} | {width}, reverse=True)
    if dims[-1] < 1 or dims[0] > width:
        raise ValueError(f"matryoshka_dims must be in [1, {width}] (the width), got {dims}")
    return dims
