"""The tokenlearn road: regress a static model's text vectors on a teacher's targets.

Minish Lab's tokenlearn keeps, per text of a corpus, the teacher's mean token embedding
(``featurize``'s ``tokens``), reduces the targets by PCA to the static model's width and trains
the table and one weight per token so that the model's mean of a text's rows matches its
target. The losses are tokenlearn's choices: ``"cosine"`` (1 - cosine), ``"mse"`` and
``"contrastive"`` (in-batch negatives between predictions and targets).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import require_torch


def pca_targets(targets: np.ndarray, dim: int, fit_rows: np.ndarray) -> np.ndarray:
    """``targets`` projected on the top ``dim`` principal axes of ``targets[fit_rows]``.

    Computed with torch (float64), so it runs on the training's thread count: numpy's
    BLAS keeps its own pool of threads, which on a busy machine made this small
    eigendecomposition take seconds (measured: 2.0 s against 0.03 s single-threaded).
    """
    require_torch()
    import torch

    x = torch.from_numpy(np.asarray(targets, dtype=np.float64))
    if x.ndim != 2:
        raise ValueError(f"targets must be 2-D (texts, width), got shape {tuple(x.shape)}")
    if dim > x.shape[1]:
        raise ValueError(
            f"targets have width {x.shape[1]}, narrower than the model's {dim}: PCA cannot widen"
        )
    fit_x = x[torch.from_numpy(np.asarray(fit_rows, dtype=np.int64))]
    mean = fit_x.mean(0)
    centred = fit_x - mean
    _, vectors = torch.linalg.eigh(centred.T @ centred)
    axes = vectors.flip(1)[:, :dim]
    # A sign per axis that makes its largest-magnitude entry positive: a deterministic result.
    signs = torch.where(axes[axes.abs().argmax(0), torch.arange(dim)] < 0, -1.0, 1.0)
    axes = axes * signs.to(axes.dtype)
    return ((x - mean) @ axes).to(torch.float32).numpy()


def fit(
    texts: Sequence[str],
    targets: Any,
    *,
    model: Any = None,
    loss: str = "cosine",
    pca: bool = True,
    epochs: int = 3,
    batch_size: int = 256,
    lr: float = 1e-3,
    heldout: float = 0.1,
    patience: int | None = 2,
    eval_every: int | None = None,
    seed: int = 0,
    checkpoint_dir: str | Path | None = None,
    checkpoint_every: int = 200,
    train_weights: bool = True,
    quantize_to: str = "float32",
    n_threads: int | None = None,
    show_progress_bar: bool = True,
) -> Any:
    """Fit ``model`` (a ``StaticModel``, a folder, None for the bundled default) to
    ``targets`` (one row per text); returns ``Trained(model, history)``.

    ``pca``: reduce the targets to the model's width first (fitted on the training rows);
    without it their width must equal the model's. ``heldout``: the fraction of texts kept
    out; training stops when their loss has not improved for ``patience`` evaluations and the
    best state is kept. Checkpoints and resume as in
    :func:`fastpool.train.contrastive.train_contrastive`.
    """
    require_torch()
    import torch

    from ._bag import StaticBag, rows_per_id, to_static_model
    from ._base import base_model
    from ._common import Trained, set_threads, trained_config
    from ._data import Tokenized, split
    from ._data import texts as check_texts
    from ._loop import LoopConfig, run
    from ._losses import FIT_LOSSES, regression

    corpus = check_texts(texts, "texts")
    if loss not in FIT_LOSSES:
        raise ValueError(f"loss must be one of {FIT_LOSSES}, got {loss!r}")
    y = np.asarray(targets, dtype=np.float32)
    if y.ndim != 2 or y.shape[0] != len(corpus):
        raise ValueError(
            f"targets must have shape ({len(corpus)}, width) (one row per text), got {y.shape}"
        )
    if not np.isfinite(y).all():
        raise ValueError("targets contain NaN or infinity")
    set_threads(n_threads)
    base = base_model(model)
    bag = StaticBag(rows_per_id(base), train_weights=train_weights)
    train_rows, held_rows = split(len(corpus), heldout, seed)
    if pca:
        y = pca_targets(y, bag.dim, train_rows)
    elif y.shape[1] != bag.dim:
        raise ValueError(f"targets have width {y.shape[1]}, the model {bag.dim}: pass pca=True")
    data = Tokenized(base, corpus)
    target = torch.from_numpy(y)
    min_batch = 2 if loss == "contrastive" else 1

    def rows_loss(rows: np.ndarray) -> torch.Tensor:
        return regression(loss, bag(*data.gather(rows)), target[torch.from_numpy(rows)])

    def heldout_loss() -> float:
        losses, sizes = [], []
        for i in range(0, held_rows.size, batch_size):
            rows = held_rows[i : i + batch_size]
            if rows.size >= min_batch:
                losses.append(float(rows_loss(rows)))
                sizes.append(rows.size)
        return float(np.average(losses, weights=sizes)) if losses else float("nan")

    cfg = LoopConfig(
        epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, patience=patience,
        eval_every=eval_every,
        checkpoint_dir=None if checkpoint_dir is None else Path(checkpoint_dir),
        checkpoint_every=checkpoint_every, show_progress_bar=show_progress_bar, unit="texts",
        min_batch=min_batch,
    )  # fmt: skip
    history = run(
        bag,
        train_rows.size,
        lambda rows: rows_loss(train_rows[rows]),
        cfg,
        heldout_loss=heldout_loss if held_rows.size >= min_batch else None,
        fingerprint={"road": "tokenlearn", "texts": len(corpus), "loss": loss},
        desc="Fitting",
    )
    recipe = {"road": "tokenlearn", "loss": loss, "pca": pca, "epochs": epochs,
              "batch_size": batch_size, "lr": lr, "texts": len(corpus), "seed": seed,
              "steps": history.steps}  # fmt: skip
    config = trained_config(base, **recipe)
    trained = to_static_model(
        bag, base.tokenizer, config=config, base_model=base.base_model_name,
        quantize_to=quantize_to,
    )  # fmt: skip
    return Trained(trained, history)
