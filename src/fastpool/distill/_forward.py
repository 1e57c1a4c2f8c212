"""The teacher's forward pass: one short sequence per token, pooled to one vector.

Nearly all the time is the teacher's linear layers. This pass batches by length (sorted, so
batches pad little), runs under ``torch.inference_mode``, runs BERT teachers on CPU as a
``CompactBert`` (_bert.py: the same float32 arithmetic through oneDNN's kernels, GELU fused,
no per-sequence attention set-up: ~2x the teacher's own module on the AMD EPYC we measured),
and has three precisions:

- "float32": float32 everywhere (the default for BERT teachers on CPU).
- "bf16-matmul": float32 tensors everywhere, but oneDNN may compute the float32 matrix products
  with the CPU's bfloat16 units (its ``fpmath_mode`` bf16, which torch exposes as
  ``torch.backends.mkldnn.matmul.fp32_precision``). For a teacher that runs itself it is the
  default where the CPU has bfloat16 units, because the setting also routes torch's float32
  ``nn.Linear`` through oneDNN (on the AMD EPYC: 1.8-2.2x torch's default float32 product,
  with oneDNN's float32 kernels' own error, ~5e-7 relative). What oneDNN does in that mode
  depends on the CPU (on a Xeon with AMX the sample check below failed), so a sample of tokens is
  first run both ways and the pass falls back to strict float32 when they differ by more than
  ``BF16_MATMUL_TOLERANCE``.
- "bfloat16": autocast, every matrix product rounded to bfloat16 (~4e-3 relative error): equal
  to the float32 table only up to a rotation (see docs/distill.md).
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import sys
import warnings
from collections.abc import Callable, Iterator
from typing import Any, Literal

import numpy as np
import torch

from ._bert import CompactBert, compact_bert

Pooling = Literal["mean", "first", "last", "pooler"]
POOLINGS = ("mean", "first", "last", "pooler")
FORWARD_DTYPES = ("auto", "float32", "bf16-matmul", "bfloat16")
# Largest |fast - strict| / max|strict| over the sample for "bf16-matmul" to be used.
BF16_MATMUL_TOLERANCE = 1e-4
# Sequences run both ways before a "bf16-matmul" pass.
BF16_MATMUL_SAMPLE = 256
# Sequences per forward pass: on CPU, 256 per thread keeps the activations in cache (1 thread,
# 8,192 tokens of all-MiniLM-L6-v2: 5.4 s at 256, 6.7 s at 4096 in float32; 2.95 s vs 3.9 s
# with bf16 matmuls); GPUs want many.
DEFAULT_BATCH_SIZE_CPU = 256
DEFAULT_BATCH_SIZE_OTHER = 4096


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


def bf16_matmul_available(device: torch.device) -> bool:
    """Whether oneDNN can run this device's float32 matrix products on bfloat16 units."""
    matmul = getattr(torch.backends.mkldnn, "matmul", None)
    return (
        device.type == "cpu"
        and torch.backends.mkldnn.is_available()
        and hasattr(matmul, "fp32_precision")
        and bf16_is_fast(device)
    )


def check_forward_dtype(forward_dtype: str) -> None:
    """Raise ValueError unless ``forward_dtype`` is one of FORWARD_DTYPES."""
    if forward_dtype not in FORWARD_DTYPES:
        raise ValueError(f"forward_dtype must be one of {FORWARD_DTYPES}, got {forward_dtype!r}")


def resolve_precision(forward_dtype: str, device: torch.device, *, compact: bool = False) -> str:
    """The precision to run: "float32", "bf16-matmul" or "bfloat16".

    "auto" is "float32" when the teacher runs as a ``CompactBert`` (``compact``: its float32
    products already go through oneDNN, which is where "bf16-matmul" got its speed on the
    CPUs we measured, so the sample check would only cost time), else "bf16-matmul" where it
    is available (a CPU with bfloat16 units and a torch with oneDNN), else "float32". Warns
    when bfloat16 would be emulated (slow).
    """
    check_forward_dtype(forward_dtype)
    if forward_dtype == "auto":
        if compact:
            return "float32"
        return "bf16-matmul" if bf16_matmul_available(device) else "float32"
    if forward_dtype == "bf16-matmul" and not bf16_matmul_available(device):
        warnings.warn(
            f"forward_dtype='bf16-matmul' needs a CPU with bfloat16 units and torch with "
            f"oneDNN; running strict float32 on {device}",
            stacklevel=3,
        )
        return "float32"
    if forward_dtype != "bfloat16":
        return forward_dtype
    if not bf16_is_fast(device):
        warnings.warn(
            f"forward_dtype='bfloat16' on {device}, which has no bfloat16 dot-product hardware: "
            "expect it to be slower than float32",
            stacklevel=3,
        )
    return "bfloat16"


@contextlib.contextmanager
def _fp32_precision(value: str) -> Iterator[None]:
    """Set oneDNN's float32 matmul precision for the block (a process-wide torch setting)."""
    matmul = torch.backends.mkldnn.matmul  # type: ignore[attr-defined]  # torch >= 2.9
    previous = matmul.fp32_precision
    matmul.fp32_precision = value
    try:
        yield
    finally:
        matmul.fp32_precision = previous


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


def embed_sequences(
    model: torch.nn.Module,
    sequences: list[list[int]],
    *,
    pad_id: int,
    pooling: str = "mean",
    batch_size: int | None = None,
    device: torch.device | None = None,
    precision: str = "float32",
    show_progress_bar: bool = True,
) -> np.ndarray:
    """Run ``model`` over every sequence and pool; float32 array of shape (len(sequences), dim).

    ``model`` is moved to ``device`` in place. ``precision`` is "float32", "bf16-matmul" or
    "bfloat16" (see the module docstring; "bf16-matmul" first checks a sample against strict
    float32 and falls back to it, with a warning, when they differ). ``batch_size`` None:
    256 sequences per torch thread on CPU (at most 4096), 4096 elsewhere. Rows come back in
    the order of ``sequences`` whatever order the batches ran in.
    """
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
    if precision not in FORWARD_DTYPES[1:]:
        raise ValueError(f"precision must be one of {FORWARD_DTYPES[1:]}, got {precision!r}")
    device = device if device is not None else torch.device("cpu")
    if batch_size is None:
        batch_size = default_batch_size(device)
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if not sequences:
        raise ValueError("no sequences to embed")
    model = model.to(device).eval()
    # BERT teachers on CPU: the same float32 arithmetic in fewer steps (see _bert.py);
    # bfloat16 autocast keeps the teacher's own modules, which autocast knows.
    compact = compact_bert(model, device) if precision != "bfloat16" else None
    run = functools.partial(
        _embed,
        model,
        compact,
        pad_id=pad_id,
        pooling=pooling,
        batch_size=batch_size,
        device=device,
    )
    if precision == "bf16-matmul" and not _bf16_matmul_agrees(run, sequences):
        precision = "float32"
    fast = precision == "bf16-matmul"
    matmuls = _fp32_precision("bf16") if fast else contextlib.nullcontext()
    bar = _progress(len(sequences), show_progress_bar)
    try:
        with matmuls:
            out = run(sequences, bf16_autocast=precision == "bfloat16", bar=bar)
    finally:
        bar.close()
    return np.nan_to_num(out)


def _bf16_matmul_agrees(run: Callable[..., np.ndarray], sequences: list[list[int]]) -> bool:
    """Run a spread sample of ``sequences`` strictly and with bf16 matmuls; compare."""
    step = max(1, len(sequences) // BF16_MATMUL_SAMPLE)
    sample = sequences[::step][:BF16_MATMUL_SAMPLE]
    strict = run(sample, bf16_autocast=False, bar=_NoBar())
    with _fp32_precision("bf16"):
        fast = run(sample, bf16_autocast=False, bar=_NoBar())
    error = float(np.abs(fast - strict).max() / max(float(np.abs(strict).max()), 1e-30))
    if error <= BF16_MATMUL_TOLERANCE:
        return True
    warnings.warn(
        f"oneDNN's bfloat16 matrix products differ from float32 by {error:.1e} (relative) on "
        f"this CPU, more than {BF16_MATMUL_TOLERANCE:g}: running strict float32 instead",
        stacklevel=3,
    )
    return False


def default_batch_size(device: torch.device) -> int:
    """256 sequences per torch thread on CPU, at most 4096; 4096 on other devices."""
    if device.type != "cpu":
        return DEFAULT_BATCH_SIZE_OTHER
    return min(DEFAULT_BATCH_SIZE_CPU * max(1, torch.get_num_threads()), DEFAULT_BATCH_SIZE_OTHER)


@torch.inference_mode()
def _embed(
    model: torch.nn.Module,
    compact: CompactBert | None,
    sequences: list[list[int]],
    *,
    pad_id: int,
    pooling: str,
    batch_size: int,
    device: torch.device,
    bf16_autocast: bool,
    bar: Any,
) -> np.ndarray:
    takes_token_types = "token_type_ids" in inspect.signature(model.forward).parameters
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16_autocast)
    lengths = np.fromiter((len(s) for s in sequences), dtype=np.int64, count=len(sequences))
    order = np.argsort(lengths, kind="stable")
    out: np.ndarray | None = None
    for start in range(0, len(order), batch_size):
        rows = order[start : start + batch_size]
        width = int(lengths[rows].max())
        if int(lengths[rows].min()) == width:  # no padding (the usual case: one token each)
            ids = np.array([sequences[r] for r in rows], dtype=np.int64)
        else:
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
        if compact is not None:
            hidden = compact(inputs["input_ids"], inputs["attention_mask"])
            head = getattr(model, "pooler", None)  # BertModel's pooler: dense + tanh on [CLS]
            pooler = head(hidden) if pooling == "pooler" and head is not None else None
        else:
            with autocast:
                result = model(**inputs)
            hidden = result.last_hidden_state
            pooler = getattr(result, "pooler_output", None)
        pooled = _pool(
            pooling,
            hidden.float(),
            None if pooler is None else pooler.float(),
            inputs["attention_mask"],
        )
        pooled_np = pooled.cpu().numpy()
        if out is None:
            out = np.empty((len(sequences), pooled_np.shape[1]), dtype=np.float32)
        out[rows] = pooled_np
        bar.update(len(rows))
    assert out is not None  # sequences is not empty
    return out
