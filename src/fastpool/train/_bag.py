"""The trainable static model: a float32 table and one weight per token id, in torch.

``forward`` computes model2vec's mean, ``sum_i w[id_i] * table[id_i] / n`` (empty rows are
zeros), with ``_rows.BagMean``: its backward returns one gradient row per distinct id of the
batch, so a step never builds a dense gradient of the whole table (30,000 x 256 floats for the
default model), and ``_rows.RowAdam`` updates only those rows.

A model enters as one float32 row per token id (mapping, weights, int8 scales and any
normalisation of the stored table resolved by pooling each id alone) and leaves with the
learned weights folded into its rows, so the saved model is a plain table that model2vec and
sentence-transformers load.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from tokenizers import Tokenizer

from ..model import DEFAULT_MAX_LENGTH, StaticModel
from ._rows import BagMean, RowAdam, make_batch


def rows_per_id(model: StaticModel) -> np.ndarray:
    """float32 (n_ids, dim): what the model pools for each token id alone (unnormalised)."""
    n = model.tokenizer.get_vocab_size(with_added_tokens=True)
    n = model.mapping.size if model.mapping is not None else min(n, model.table.shape[0])
    ids = np.arange(n, dtype=np.int32)
    offsets = np.arange(n + 1, dtype=np.int64)
    return model.pool(ids, offsets, normalize=False, n_threads=None)


class StaticBag(torch.nn.Module):
    """``table`` (n_ids, dim) and ``weights`` (n_ids, 1), both with sparse gradients."""

    def __init__(self, table: np.ndarray, *, train_weights: bool = True) -> None:
        super().__init__()
        self.table = torch.nn.Parameter(torch.from_numpy(np.array(table, dtype=np.float32)))
        ones = torch.ones(self.table.shape[0])
        self.weights = torch.nn.Parameter(ones, requires_grad=train_weights)

    @property
    def dim(self) -> int:
        return int(self.table.shape[1])

    def forward(self, ids: np.ndarray, offsets: np.ndarray) -> torch.Tensor:
        """(n_rows, dim) weighted means of the CSR rows ``ids`` / ``offsets`` (numpy)."""
        return BagMean.apply(self.table, self.weights, make_batch(ids, offsets))

    def folded_table(self) -> np.ndarray:
        """The table with the learned weights multiplied in (float32 numpy)."""
        with torch.no_grad():
            return (self.table * self.weights[:, None]).numpy().copy()


def sparse_optimizer(bag: StaticBag, lr: float) -> torch.optim.Optimizer:
    """Lazy Adam over the parameters that learn: only the rows a step touches move."""
    return RowAdam([p for p in bag.parameters() if p.requires_grad], lr=lr)


def to_static_model(
    bag: StaticBag,
    tokenizer: Tokenizer,
    *,
    config: dict[str, Any],
    base_model: str | None,
    quantize_to: str = "float32",
) -> StaticModel:
    """A fastpool model of the trained table (weights folded in), stored as ``quantize_to``."""
    from ..persistence import quantize_table

    table = quantize_table(bag.folded_table(), quantize_to)
    config = {**config, "hidden_dim": int(table.shape[1]), "normalize": True}
    # model2vec's constructor: normalize and max_length are arguments (its defaults would
    # overwrite the config's), so the trained model keeps its source's token limit.
    return StaticModel(
        table, tokenizer, config=config, normalize=True, base_model_name=base_model,
        max_length=config.get("max_length", DEFAULT_MAX_LENGTH),
    )  # fmt: skip
