"""The teacher's forward pass: one short sequence per token, pooled to one vector.

Nearly all the time is the teacher's linear layers, which model2vec's float32 pass already runs
near the CPU's float32 peak. This pass batches by length (sorted, so batches pad little) in
large batches, runs under ``torch.inference_mode``, and offers a bfloat16 pass (autocast:
bfloat16 matrix products, float32 weights and pooling), which oneDNN runs at about twice the
float32 rate on CPUs with avx512_bf16 or AMX.
"""

from __future__ import annotations

import inspect
import sys
import warnings
from typing import Literal

import numpy as np
import torch

Pooling = Literal["mean", "first", "last", "pooler"]
POOLINGS = ("mean", "first", "last", "pooler")
FORWARD_DTYPES = ("float32", "bfloat16")


def resolve_device(device: str | None) -> torch.device:
    """None picks CUDA when available, else CPU (MPS is not picked: slow in torch >= 2.8)."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def bf16_is_fast(device: torch.device) -> bool:
    """Whether this device has bfloat16 dot-product hardware (else torch emulates it, slowly)."""
    if device.type == "cuda":
        return bool(torch.cuda.is_bf16_supported())
    if device.type == "cpu":
        cpu = torch.cpu
        return bool(cpu._is_avx512_bf16_supported() or cpu._is_amx_tile_supported())
    return False


def resolve_dtype(forward_dtype: str, device: torch.device) -> torch.dtype:
    """torch dtype for ``forward_dtype``; warns when bfloat16 would be emulated (slow)."""
    if forward_dtype not in FORWARD_DTYPES:
        raise ValueError(f"forward_dtype must be one of {FORWARD_DTYPES}, got {forward_dtype!r}")
    if forward_dtype == "float32":
        return torch.float32
    if not bf16_is_fast(device):
        warnings.warn(
            f"forward_dtype='bfloat16' on {device}, which has no bfloat16 dot-product hardware: "
            "expect it to be slower than float32",
            stacklevel=3,
        )
    return torch.bfloat16


def _progress(total: int, show: bool):  # noqa: ANN202 - tqdm or a stand-in
    if not show:
        return _NoBar()
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm comes with transformers
        return _NoBar()
    return tqdm(total=total, desc="Distilling", unit=" tokens", file=sys.stderr)


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _pool(
    pooling: str, hidden: torch.Tensor, pooler: torch.Tensor | None, mask: torch.Tensor
) -> torch.Tensor:
    if pooling == "mean":
        # Masked mean over every position, bos/eos included (model2vec's choice).
        weights = mask.to(hidden.dtype)
        return (weights.unsqueeze(-1) * hidden).sum(1) / weights.sum(1, keepdim=True).clamp_min(1.0)
    if pooling == "first":
        return hidden[:, 0]
    if pooling == "last":
        last = (mask.sum(1) - 1).clamp_min(0)
        return hidden[torch.arange(hidden.shape[0], device=hidden.device), last]
    if pooler is None:
        raise ValueError('pooling="pooler" needs a teacher that returns pooler_output')
    return pooler


@torch.inference_mode()
def embed_sequences(
    model: torch.nn.Module,
    sequences: list[list[int]],
    *,
    pad_id: int,
    pooling: str = "mean",
    batch_size: int = 4096,
    device: torch.device | None = None,
    dtype: torch.dtype = torch.float32,
    show_progress_bar: bool = True,
) -> np.ndarray:
    """Run ``model`` over every sequence and pool; float32 array of shape (len(sequences), dim).

    ``model`` is moved to ``device`` in place; ``dtype=torch.bfloat16`` runs it under
    bfloat16 autocast. Rows come back in the order of ``sequences`` whatever order the
    batches ran in.
    """
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    device = device if device is not None else torch.device("cpu")
    model = model.to(device).eval()
    takes_token_types = "token_type_ids" in inspect.signature(model.forward).parameters
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=dtype == torch.bfloat16)

    lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences))
    order = np.argsort(lengths, kind="stable")
    out: np.ndarray | None = None
    bar = _progress(len(sequences), show_progress_bar)
    try:
        for start in range(0, len(order), batch_size):
            rows = order[start : start + batch_size]
            width = int(lengths[rows].max())
            ids = np.full((len(rows), width), pad_id, dtype=np.int64)
            for j, r in enumerate(rows):
                ids[j, : lengths[r]] = sequences[r]
            mask = np.arange(width) < lengths[rows][:, None]
            inputs = {
                "input_ids": torch.from_numpy(ids).to(device),
                "attention_mask": torch.from_numpy(mask.astype(np.int64)).to(device),
            }
            if takes_token_types:
                inputs["token_type_ids"] = torch.zeros_like(inputs["input_ids"])
            with autocast:
                result = model(**inputs)
            pooler = getattr(result, "pooler_output", None)
            pooled = _pool(
                pooling,
                result.last_hidden_state.float(),
                None if pooler is None else pooler.float(),
                inputs["attention_mask"],
            )
            pooled_np = pooled.cpu().numpy()
            if out is None:
                out = np.empty((len(sequences), pooled_np.shape[1]), dtype=np.float32)
            out[rows] = pooled_np
            bar.update(len(rows))
    finally:
        bar.close()
    if out is None:
        raise ValueError("no sequences to embed")
    return np.nan_to_num(out)
