"""Row-sparse autograd and optimiser: the table's gradient is (unique ids, one row each).

``BagMean`` is model2vec's weighted mean as an autograd function. Its backward sums the
gradient of every occurrence of a token into one row per *unique* id (``index_add_``) and
returns it as a coalesced sparse tensor, so nothing the size of the table is built; torch's
own ``embedding_bag(sparse=True)`` instead returns one row per occurrence, which
``SparseAdam`` then sorts and merges (measured: 2-3x slower per step, see benchmarks/README.md).

``RowAdam`` is lazy Adam on such gradients: only the rows in a step's gradient have their
moments and values updated (``SparseAdam``'s semantics, bias correction by the global step).

For float32 tables (what training uses) both run natively (``_native``, C++ over the distinct
ids, OpenMP, GIL released): the backward is one pass that sums each id's gradient rows and
forms both gradients, the Adam step one pass over each touched row of the parameter and its
moments in place. The torch formulas below are the reference (and the path for other dtypes);
tests/test_train.py holds the two to each other.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F

from . import _native

# False: the torch formulas for every dtype (benchmarks/bench_train.py times both paths).
USE_NATIVE = True


def _native_ok(*tensors: torch.Tensor) -> bool:
    return USE_NATIVE and all(t.dtype == torch.float32 and t.device.type == "cpu" for t in tensors)


class Batch(NamedTuple):
    """A CSR batch with the index work of the backward done up front (in numpy)."""

    ids: torch.Tensor  # int64, one per token
    offsets: torch.Tensor  # int64, n_rows + 1
    rows: torch.Tensor  # int64, the row of each token
    inv_length: torch.Tensor  # float32, 1 / len(row) per row (1 for empty rows)
    unique: torch.Tensor  # int64, the sorted distinct ids
    by_id: torch.Tensor  # int64, the rows of the tokens sorted by id (stable)
    id_offsets: torch.Tensor  # int64, where each unique id's run starts in by_id


def make_batch(ids: np.ndarray, offsets: np.ndarray) -> Batch:
    lengths = np.diff(offsets)
    rows = np.repeat(np.arange(lengths.size, dtype=np.int64), lengths)
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]]) if ids.size else order
    t = torch.from_numpy
    return Batch(
        t(ids.astype(np.int64, copy=False)), t(offsets.astype(np.int64, copy=False)), t(rows),
        t((1.0 / np.maximum(lengths, 1)).astype(np.float32)), t(sorted_ids[starts]),
        t(rows[order]), t(starts.astype(np.int64)),
    )  # fmt: skip


class BagMean(torch.autograd.Function):
    """out[r] = sum_{i in row r} w[ids[i]] * table[ids[i]] / len(row r); empty rows are 0."""

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any, table: torch.Tensor, weights: torch.Tensor, batch: Batch
    ) -> torch.Tensor:
        scale = weights[batch.ids] * batch.inv_length.to(table.dtype)[batch.rows]
        out = F.embedding_bag(
            batch.ids, table, batch.offsets[:-1], mode="sum", per_sample_weights=scale
        )
        ctx.batch = batch
        ctx.save_for_backward(table, weights)
        return out

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[Any, ...]:  # type: ignore[override]
        table, weights = ctx.saved_tensors
        b: Batch = ctx.batch
        # A token's weight depends only on its id, so both gradients follow from
        # S[u] = sum over the occurrences i of id u of grad[row i] / len(row i): one
        # embedding_bag over the output gradient whose bags are the unique ids.
        need_table, need_weights = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        if _native_ok(grad, table, weights):
            return (*native_backward(grad, table, weights, b, need_table, need_weights), None)
        summed = F.embedding_bag(
            b.by_id, grad.contiguous(), b.id_offsets, mode="sum",
            per_sample_weights=b.inv_length.to(grad.dtype)[b.by_id],
        )  # fmt: skip
        index = b.unique[None, :]
        grad_table = grad_weights = None
        if need_table:
            values = summed * weights[b.unique][:, None]
            grad_table = torch.sparse_coo_tensor(
                index, values, table.shape, is_coalesced=True, check_invariants=False
            )
        if need_weights:
            dots = (summed * table[b.unique]).sum(1)
            grad_weights = torch.sparse_coo_tensor(
                index, dots, weights.shape, is_coalesced=True, check_invariants=False
            )
        return grad_table, grad_weights, None


def native_backward(
    grad: torch.Tensor,
    table: torch.Tensor,
    weights: torch.Tensor,
    b: Batch,
    need_table: bool,
    need_weights: bool,
) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """``BagMean``'s two sparse gradients from one native pass over the distinct ids."""
    n_unique = int(b.unique.numel())
    values = torch.empty((n_unique, table.shape[1]), dtype=torch.float32)
    dots = torch.empty(n_unique if need_weights else 0, dtype=torch.float32)
    _native.bag_backward_rows(
        grad.detach().contiguous().numpy(), b.inv_length.numpy(), b.by_id.numpy(),
        b.id_offsets.numpy(), b.unique.numpy(), table.detach().numpy(),
        weights.detach().numpy(), values.numpy(), dots.numpy(), need_table, need_weights,
        torch.get_num_threads(),
    )  # fmt: skip
    index = b.unique[None, :]
    grad_table = grad_weights = None
    if need_table:
        grad_table = torch.sparse_coo_tensor(
            index, values, table.shape, is_coalesced=True, check_invariants=False
        )
    if need_weights:
        grad_weights = torch.sparse_coo_tensor(
            index, dots, weights.shape, is_coalesced=True, check_invariants=False
        )
    return grad_table, grad_weights


def _as_rows(t: torch.Tensor) -> Any:
    """A contiguous tensor's memory as a (rows, width) numpy view (1-D: width 1)."""
    return t.detach().view(t.shape[0], -1).numpy()


class RowAdam(torch.optim.Optimizer):
    """Lazy Adam for row-sparse gradients (and dense ones: then every row is touched)."""

    def __init__(
        self,
        params: Iterable[torch.Tensor],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps})

    @torch.no_grad()
    def step(self, closure: Any = None) -> None:  # type: ignore[override]
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["m"] = torch.zeros_like(p)
                    state["v"] = torch.zeros_like(p)
                state["step"] += 1
                t = state["step"]
                lr = group["lr"] * (1 - beta2**t) ** 0.5 / (1 - beta1**t)
                grad = p.grad
                if grad.is_sparse:
                    grad = grad.coalesce()
                    idx, g = grad.indices()[0], grad.values()
                else:
                    idx, g = torch.arange(p.shape[0]), grad
                m, v = state["m"], state["v"]
                if _native_ok(p, g, m, v) and all(t.is_contiguous() for t in (p, m, v)):
                    _native.row_adam_rows(
                        _as_rows(p), _as_rows(m), _as_rows(v), idx.contiguous().numpy(),
                        _as_rows(g.contiguous()), beta1, beta2, group["eps"], lr,
                        torch.get_num_threads(),
                    )  # fmt: skip
                    continue
                m = state["m"].index_select(0, idx).mul_(beta1).add_(g, alpha=1 - beta1)
                v = state["v"].index_select(0, idx).mul_(beta2).addcmul_(g, g, value=1 - beta2)
                state["m"].index_copy_(0, idx, m)
                state["v"].index_copy_(0, idx, v)
                # The rows are distinct: gather, update, copy back (index_add_ on CPU goes
                # through a serial scatter_add_, ~20x slower here).
                update = m.div_(v.sqrt_().add_(group["eps"])).mul_(-lr)
                p.index_copy_(0, idx, p.index_select(0, idx).add_(update))
