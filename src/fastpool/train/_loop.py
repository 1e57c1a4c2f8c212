"""The training loop both roads share: seeded batches, SparseAdam, held-out early stopping,
atomic checkpoints and resume.

Determinism: the batch order of epoch ``e`` is a permutation drawn from ``(seed, e)`` and no
step draws random numbers, so a run is a pure function of its inputs and thread count. Resume:
a checkpoint holds the parameters, the optimiser's moments, the position (epoch, step) and the
early-stopping state; it is written to a temporary file and renamed, so a ``kill -9`` leaves
either the previous checkpoint or the new one. Resuming replays the steps after the last
checkpoint and ends with exactly the table an uninterrupted run ends with.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ._bag import StaticBag, sparse_optimizer

CHECKPOINT = "checkpoint.pt"


@dataclass
class LoopConfig:
    epochs: int = 3
    batch_size: int = 256
    lr: float = 1e-2
    seed: int = 0
    patience: int | None = 2
    eval_every: int | None = None  # steps between held-out evaluations; None: once per epoch
    checkpoint_dir: Path | None = None
    checkpoint_every: int = 200  # steps
    show_progress_bar: bool = True
    unit: str = "texts"
    min_batch: int = 1  # a smaller last batch is dropped (in-batch negatives need 2)

    def check(self) -> None:
        for name in ("epochs", "batch_size", "checkpoint_every"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        if not (isinstance(self.lr, float | int) and math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be a finite number > 0, got {self.lr!r}")
        if self.patience is not None and (not isinstance(self.patience, int) or self.patience < 1):
            raise ValueError(f"patience must be an int >= 1 or None, got {self.patience!r}")
        if self.eval_every is not None and self.eval_every < 1:
            raise ValueError(f"eval_every must be >= 1 or None, got {self.eval_every!r}")


@dataclass
class History:
    train_loss: list[float] = field(default_factory=list)  # one per step
    heldout_loss: list[float] = field(default_factory=list)  # one per evaluation
    best_heldout: float = math.inf
    stopped_early: bool = False
    steps: int = 0
    seconds: float = 0.0


def batches(n: int, cfg: LoopConfig, epoch: int) -> list[np.ndarray]:
    order = np.random.default_rng([cfg.seed, epoch]).permutation(n)
    out = [order[i : i + cfg.batch_size] for i in range(0, n, cfg.batch_size)]
    return [b for b in out if b.size >= cfg.min_batch]


def _bar(total: int, initial: int, cfg: LoopConfig, desc: str) -> Any:
    if not cfg.show_progress_bar:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm comes with torch's usual companions
        return None
    return tqdm(total=total, initial=initial, desc=desc, unit=f" {cfg.unit}", file=sys.stderr)


def _save(path: Path, state: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        torch.save(state, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def run(
    bag: StaticBag,
    n_train: int,
    batch_loss: Callable[[np.ndarray], torch.Tensor],
    cfg: LoopConfig,
    *,
    heldout_loss: Callable[[], float] | None = None,
    fingerprint: dict[str, Any] | None = None,
    desc: str = "Training",
) -> History:
    """Train ``bag`` in place; returns the history. With a held-out loss, the best state wins."""
    cfg.check()
    torch.manual_seed(cfg.seed)
    opt = sparse_optimizer(bag, cfg.lr)
    epoch_batches = [len(batches(n_train, cfg, 0))] * cfg.epochs
    if epoch_batches[0] == 0:
        raise ValueError(f"no batch of at least {cfg.min_batch} rows in {n_train} training rows")
    history = History()
    best: dict[str, torch.Tensor] | None = None
    bad = 0
    epoch, step = 0, 0
    fingerprint = {**(fingerprint or {}), "n_train": n_train, "batch_size": cfg.batch_size,
                   "seed": cfg.seed, "dim": bag.dim, "rows": int(bag.table.shape[0])}  # fmt: skip
    path = None if cfg.checkpoint_dir is None else Path(cfg.checkpoint_dir) / CHECKPOINT
    if path is not None and path.is_file():
        state = torch.load(path, weights_only=False)
        if state["fingerprint"] != fingerprint:
            raise ValueError(
                f"{path} was written by another run ({state['fingerprint']}), not this one "
                f"({fingerprint}): remove it or pick another checkpoint folder"
            )
        bag.load_state_dict(state["bag"])
        opt.load_state_dict(state["opt"])
        epoch, step, bad, best = state["epoch"], state["step"], state["bad"], state["best"]
        history = state["history"]
    elif path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)

    def checkpoint() -> None:
        if path is not None:
            _save(path, {"fingerprint": fingerprint, "bag": bag.state_dict(),
                         "opt": opt.state_dict(), "epoch": epoch, "step": step, "bad": bad,
                         "best": best, "history": history})  # fmt: skip

    def evaluate() -> bool:
        """Held-out loss now; True when patience has run out."""
        nonlocal best, bad
        if heldout_loss is None:
            return False
        with torch.no_grad():
            loss = float(heldout_loss())
        history.heldout_loss.append(loss)
        if loss < history.best_heldout:
            history.best_heldout, bad = loss, 0
            best = {k: v.detach().clone() for k, v in bag.state_dict().items()}
        else:
            bad += 1
        return cfg.patience is not None and bad >= cfg.patience

    done_rows = sum(min(b.size, cfg.batch_size) for b in batches(n_train, cfg, 0)) * epoch
    bar = _bar(sum(b.size for b in batches(n_train, cfg, 0)) * cfg.epochs, done_rows, cfg, desc)
    start = time.perf_counter()
    rows_done = 0
    stop = history.stopped_early
    try:
        while epoch < cfg.epochs and not stop:
            plan = batches(n_train, cfg, epoch)
            if bar is not None and step:
                bar.update(sum(b.size for b in plan[:step]))
            while step < len(plan):
                rows = plan[step]
                opt.zero_grad(set_to_none=True)
                loss = batch_loss(rows)
                loss.backward()
                opt.step()
                history.train_loss.append(float(loss.detach()))
                history.steps += 1
                step += 1
                rows_done += rows.size
                if bar is not None:
                    bar.update(rows.size)
                    bar.set_postfix(loss=f"{history.train_loss[-1]:.4f}", refresh=False)
                if cfg.eval_every and history.steps % cfg.eval_every == 0 and evaluate():
                    stop = True
                    break
                if history.steps % cfg.checkpoint_every == 0:
                    checkpoint()
            if not stop:
                epoch, step = epoch + 1, 0
                if not cfg.eval_every and evaluate():
                    stop = True
            history.stopped_early = stop
            checkpoint()
    finally:
        if bar is not None:
            bar.close()
    history.seconds = time.perf_counter() - start
    if best is not None:
        bag.load_state_dict(best)
    return history
