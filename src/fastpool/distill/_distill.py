"""The distillation pipeline: prune the vocabulary, embed each token, PCA, SIF, quantise."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tokenizers import Tokenizer
from transformers import AutoModel

from .. import _checks
from ..model import StaticModel
from ..persistence import quantize_table, quantize_vocabulary
from ._bert import compact_supported
from ._custom_vocab import add_vocabulary, check_vocabulary
from ._forward import (
    POOLINGS,
    check_forward_dtype,
    embed_sequences,
    resolve_device,
    resolve_precision,
)
from ._pca import apply_pca, check_pca_dims
from ._sif import zipf_sif_weights
from ._vocab import prune, read_tokenizer_json

QUANTIZE_TO = ("float16", "float32", "float64", "int8")


def teacher_folder(teacher: str | Path) -> Path:
    """The folder holding the transformer: the root, or the Transformer module of modules.json."""
    folder = Path(teacher).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(
            f"teacher must be a local model folder, got {str(teacher)!r} (fastpool never "
            "downloads; fetch hub models first, e.g. with `huggingface-cli download`)"
        )
    modules = folder / "modules.json"
    if modules.is_file():
        for module in json.loads(modules.read_text(encoding="utf-8")):
            if module.get("type", "").endswith("models.Transformer"):
                sub = folder / module.get("path", "")
                if (sub / "config.json").is_file():
                    return sub
    return folder


def _check(
    sif_coefficient: float | None,
    token_remove_pattern: str | None,
    pooling: str,
    quantize_to: str,
    pca_dims: Any,
) -> None:
    if sif_coefficient is not None and not 0.0 < sif_coefficient < 1.0:
        raise ValueError(f"sif_coefficient must be in (0, 1) or None, got {sif_coefficient}")
    if token_remove_pattern is not None:
        try:
            re.compile(token_remove_pattern)
        except re.error as err:
            raise ValueError(f"token_remove_pattern is not a valid regex: {err}") from None
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
    if quantize_to not in QUANTIZE_TO:
        raise ValueError(f"quantize_to must be one of {QUANTIZE_TO}, got {quantize_to!r}")
    check_pca_dims(pca_dims)


def distill(
    teacher: str | Path,
    *,
    vocabulary: list[str] | None = None,
    vocabulary_quantization: int | None = None,
    pca_dims: Any = 256,
    sif_coefficient: float | None = 1e-4,
    token_remove_pattern: str | None = r"\[unused\d+\]",
    pooling: str = "mean",
    quantize_to: str = "float16",
    batch_size: int | None = None,
    forward_dtype: str = "auto",
    device: str | None = None,
    show_progress_bar: bool = True,
) -> StaticModel:
    """See :func:`fastpool.distill.distill`."""
    _check(sif_coefficient, token_remove_pattern, pooling, quantize_to, pca_dims)
    words = check_vocabulary(vocabulary) if vocabulary is not None else None
    if vocabulary_quantization is not None:
        _checks.positive_int(vocabulary_quantization, "vocabulary_quantization")
    torch_device = resolve_device(device)
    check_forward_dtype(forward_dtype)  # before any loading
    folder = teacher_folder(teacher)

    doc = read_tokenizer_json(folder)
    vocab = prune(doc, token_remove_pattern)
    if words:
        vocab, _ = add_vocabulary(vocab, doc, words, token_remove_pattern)
    model = AutoModel.from_pretrained(str(folder)).eval()
    precision = resolve_precision(
        forward_dtype, torch_device, compact=compact_supported(model, torch_device)
    )
    pooled = embed_sequences(
        model,
        vocab.teacher_inputs(),
        pad_id=vocab.pad_id,
        pooling=pooling,
        batch_size=batch_size,
        device=torch_device,
        precision=precision,
        show_progress_bar=show_progress_bar,
    )
    del model
    weights = zipf_sif_weights(len(vocab.tokens), sif_coefficient)
    mapping = None
    if vocabulary_quantization is None:
        table = apply_pca(pooled, pca_dims) * weights[:, None]
        token_weights = None
    else:
        # model2vec's order: cluster the teacher's rows, PCA the centres, keep the SIF
        # weights per token (not folded into the shared rows).
        centres, mapping, token_weights = quantize_vocabulary(
            vocabulary_quantization, pooled, weights, None, None
        )
        table = apply_pca(centres, pca_dims)
    table = quantize_table(table, quantize_to)

    teacher_name = Path(teacher).name
    config = {
        "model_type": "model2vec",
        "architectures": ["StaticModel"],
        "tokenizer_name": teacher_name,
        "apply_pca": pca_dims,
        "sif_coefficient": sif_coefficient,
        "hidden_dim": int(table.shape[1]),
        "seq_length": 1000000,
        "normalize": True,
        "pooling": pooling,
    }
    tokenizer = Tokenizer.from_str(json.dumps(vocab.tokenizer_json))
    return StaticModel(
        table,
        tokenizer,
        config=config,
        normalize=True,
        base_model_name=teacher_name,
        weights=token_weights,
        token_mapping=mapping,
    )
