"""Classifiers on a static model: a logistic or small-MLP head, single- or multi-label.

Training (``StaticClassifier.fit``) needs torch; the static model is frozen and the head is
trained on its text vectors with Adam, keeping the state with the best held-out loss.
Inference (``predict``, ``predict_proba``, ``evaluate``, ``load``) is numpy only. A classifier
is saved as one folder: ``model/`` (the static model, model2vec's layout), ``head.npz`` (the
layers) and ``classifier.json`` (classes, multi-label or not).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..model import StaticModel
from ._data import same_length
from ._data import texts as check_texts

HEAD = "head.npz"
META = "classifier.json"


def _labels(labels: Any, n: int) -> tuple[list[Any], bool]:
    """(labels as a list, multi-label?): a label per text, or a list of labels per text."""
    if isinstance(labels, str) or not isinstance(labels, Sequence | np.ndarray):
        raise TypeError(f"labels must be a sequence, got {type(labels).__name__}")
    values = list(labels)
    if len(values) != n:
        raise ValueError(f"texts and labels must have the same length, got {n} and {len(values)}")
    multi = [isinstance(v, list | tuple | set | frozenset) for v in values]
    if any(multi) and not all(multi):
        i = multi.index(not multi[0])
        raise ValueError(f"labels[{i}] mixes single labels and lists of labels")
    return values, bool(multi and multi[0])


class StaticClassifier:
    """A static model and a head: ``layers`` is [(weight (in, out), bias (out,)), ...]."""

    def __init__(
        self,
        model: StaticModel,
        layers: list[tuple[np.ndarray, np.ndarray]],
        classes: Sequence[Any],
        *,
        multilabel: bool = False,
    ) -> None:
        self.model = model
        self.layers = [(np.asarray(w, np.float32), np.asarray(b, np.float32)) for w, b in layers]
        self.classes = list(classes)
        self.multilabel = multilabel

    # -- inference (numpy only) -----------------------------------------------------------------

    def _logits(self, texts: Sequence[str]) -> np.ndarray:
        x = self.model.encode(list(texts))
        for i, (w, b) in enumerate(self.layers):
            x = x @ w + b
            if i < len(self.layers) - 1:
                x = np.maximum(x, 0.0)
        return x

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """(n, classes): softmax probabilities, or per-class sigmoids for multi-label."""
        z = self._logits(texts)
        if self.multilabel:
            return 1.0 / (1.0 + np.exp(-z))
        z = np.exp(z - z.max(1, keepdims=True))
        return z / z.sum(1, keepdims=True)

    def predict(self, texts: Sequence[str], *, threshold: float = 0.5) -> list[Any]:
        """One class per text, or (multi-label) the list of classes over ``threshold``."""
        p = self.predict_proba(texts)
        if self.multilabel:
            return [[self.classes[j] for j in np.flatnonzero(row >= threshold)] for row in p]
        return [self.classes[j] for j in p.argmax(1)]

    def evaluate(self, texts: Sequence[str], labels: Sequence[Any]) -> dict[str, float]:
        """Accuracy (single-label: exact; multi-label: exact set match) and micro F1."""
        values, multi = _labels(labels, len(texts))
        predicted = self.predict(texts)
        if not multi:
            acc = float(np.mean([a == b for a, b in zip(predicted, values, strict=True)]))
            return {"accuracy": acc, "micro_f1": acc}
        tp = fp = fn = 0
        for got, want in zip(predicted, values, strict=True):
            g, w = set(got), set(want)
            tp, fp, fn = tp + len(g & w), fp + len(g - w), fn + len(w - g)
        f1 = 2 * tp / max(2 * tp + fp + fn, 1)
        exact = float(np.mean([set(a) == set(b) for a, b in zip(predicted, values, strict=True)]))
        return {"accuracy": exact, "micro_f1": f1}

    def save(self, folder: str | Path) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(folder / "model")
        arrays = {f"w{i}": w for i, (w, _) in enumerate(self.layers)}
        arrays.update({f"b{i}": b for i, (_, b) in enumerate(self.layers)})
        np.savez(folder / HEAD, **arrays)  # type: ignore[arg-type]
        meta = {"classes": self.classes, "multilabel": self.multilabel, "layers": len(self.layers)}
        (folder / META).write_text(json.dumps(meta, indent=2), encoding="utf-8")
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> StaticClassifier:
        folder = Path(folder)
        if not (folder / META).is_file():
            raise ValueError(f"{folder} has no {META}: not a saved StaticClassifier")
        meta = json.loads((folder / META).read_text(encoding="utf-8"))
        with np.load(folder / HEAD) as z:
            layers = [(z[f"w{i}"], z[f"b{i}"]) for i in range(meta["layers"])]
        model = StaticModel.from_pretrained(folder / "model")
        return cls(model, layers, meta["classes"], multilabel=meta["multilabel"])

    # -- training (torch) -----------------------------------------------------------------------

    @classmethod
    def fit(
        cls,
        texts: Sequence[str],
        labels: Sequence[Any],
        *,
        model: Any = None,
        hidden_dim: int = 0,
        epochs: int = 100,
        lr: float = 1e-2,
        batch_size: int = 256,
        heldout: float = 0.1,
        patience: int = 10,
        seed: int = 0,
        n_threads: int | None = None,
    ) -> StaticClassifier:
        """Fit a head: logistic (``hidden_dim`` 0) or one hidden ReLU layer of that width.

        ``labels``: one label per text, or a list of labels per text (multi-label). Needs at
        least two classes. Stops when the held-out loss has not improved for ``patience``
        epochs and keeps the best head.
        """
        from . import require_torch

        require_torch()
        import torch

        from ._base import base_model
        from ._common import set_threads
        from ._data import split

        corpus = check_texts(texts, "texts")
        values, multi = _labels(labels, len(corpus))
        same_length(corpus, values, "texts and labels")
        classes = sorted({c for v in values for c in (v if multi else [v])}, key=str)
        if len(classes) < 2:
            raise ValueError(f"labels hold one class only ({classes!r}): need at least two")
        set_threads(n_threads)
        static = base_model(model)
        index = {c: i for i, c in enumerate(classes)}
        x = torch.from_numpy(static.encode(corpus))
        if multi:
            y = torch.zeros(len(corpus), len(classes))
            for i, v in enumerate(values):
                y[i, [index[c] for c in v]] = 1.0
            loss_fn: Any = torch.nn.BCEWithLogitsLoss()
        else:
            y = torch.tensor([index[v] for v in values])
            loss_fn = torch.nn.CrossEntropyLoss()
        torch.manual_seed(seed)
        dims = [x.shape[1], *([hidden_dim] if hidden_dim else []), len(classes)]
        linears = [torch.nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:], strict=True)]
        mods: list[torch.nn.Module] = []
        for i, lin in enumerate(linears):
            mods += [lin] if i == len(linears) - 1 else [lin, torch.nn.ReLU()]
        head = torch.nn.Sequential(*mods)
        opt = torch.optim.Adam(head.parameters(), lr=lr)
        train_rows, held_rows = split(len(corpus), heldout, seed)
        tr, he = torch.from_numpy(train_rows), torch.from_numpy(held_rows)
        best, best_loss, bad = None, float("inf"), 0
        gen = torch.Generator().manual_seed(seed)
        for _ in range(epochs):
            perm = tr[torch.randperm(tr.numel(), generator=gen)]
            for i in range(0, perm.numel(), batch_size):
                rows = perm[i : i + batch_size]
                opt.zero_grad()
                loss_fn(head(x[rows]), y[rows]).backward()
                opt.step()
            with torch.no_grad():
                rows = he if he.numel() else tr
                held = float(loss_fn(head(x[rows]), y[rows]))
            if held < best_loss:
                best_loss, bad = held, 0
                best = {k: v.clone() for k, v in head.state_dict().items()}
            else:
                bad += 1
                if bad >= patience:
                    break
        assert best is not None
        head.load_state_dict(best)
        layers = [(lin.weight.detach().numpy().T.copy(), lin.bias.detach().numpy().copy())
                  for lin in linears]  # fmt: skip
        return cls(static, layers, classes, multilabel=multi)
