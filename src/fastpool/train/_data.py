"""Training data as the trainers take it: checked texts, labels and pairs, tokenized once to CSR.

numpy only (no torch): the classifier's inference path uses it too. Every fault is a
TypeError/ValueError that names the argument and the first offending row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..model import StaticModel


def texts(values: Any, name: str) -> list[str]:
    """A non-empty list of non-blank strings; the message names the first bad row."""
    if isinstance(values, str) or not isinstance(values, Sequence | np.ndarray):
        raise TypeError(f"{name} must be a sequence of str, got {type(values).__name__}")
    out = list(values)
    if not out:
        raise ValueError(f"{name} is empty: nothing to train on")
    for i, value in enumerate(out):
        if not isinstance(value, str):
            raise TypeError(f"{name}[{i}] must be str, got {type(value).__name__}")
        if not value.strip():
            raise ValueError(f"{name}[{i}] is an empty text")
    return out


def same_length(a: Sequence[Any], b: Sequence[Any], names: str) -> None:
    if len(a) != len(b):
        raise ValueError(f"{names} must have the same length, got {len(a)} and {len(b)}")


def columns(rows: Sequence[dict[str, Any]], wanted: Sequence[str], where: str) -> list[list[Any]]:
    """The ``wanted`` fields of every row (e.g. a JSONL file); names the first row missing one."""
    out: list[list[Any]] = [[] for _ in wanted]
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise ValueError(f"{where}: row {i + 1} is not an object")
        for column, key in zip(out, wanted, strict=True):
            if key not in row:
                raise ValueError(f"{where}: row {i + 1} has no {key!r} column")
            column.append(row[key])
    if not rows:
        raise ValueError(f"{where}: no rows")
    return out


class Tokenized:
    """Texts tokenized once by the model's own tokenizer, as CSR (``ids``, ``offsets``)."""

    def __init__(self, model: StaticModel, values: list[str]) -> None:
        ids, offsets = model.tokenize_csr(values)
        self.ids = ids.astype(np.int64)
        self.offsets = offsets
        self.n_tokens = int(offsets[-1])

    def __len__(self) -> int:
        return int(self.offsets.size - 1)

    def gather(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The CSR batch of ``rows`` (in that order): (ids int64, offsets int64)."""
        starts = self.offsets[rows]
        lengths = self.offsets[rows + 1] - starts
        offsets = np.zeros(rows.size + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        index = np.repeat(starts - offsets[:-1], lengths) + np.arange(offsets[-1])
        return self.ids[index], offsets


def split(n: int, heldout: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train rows, held-out rows): a seeded shuffle; ``heldout`` is a fraction in [0, 1)."""
    if not 0.0 <= heldout < 1.0:
        raise ValueError(f"heldout must be in [0, 1), got {heldout}")
    order = np.random.default_rng(seed).permutation(n)
    n_held = int(round(n * heldout))
    if heldout > 0 and n_held == 0 and n > 1:
        n_held = 1
    return np.sort(order[n_held:]), np.sort(order[:n_held])
