"""sentence-transformers semantics for static models in its folder layouts.

``SentenceTransformer(folder).encode`` on a ``StaticEmbedding`` model (6.2.0,
read from its source) does, per text: prepend the prompt as text, tokenize with
``encode_batch(texts, add_special_tokens=False)`` under the truncation that
tokenizer.json sets (padding off), keep every token (the unknown token too), take
the mean of the rows (``nn.EmbeddingBag``), run the Normalize module when
modules.json lists one, *then* cut to ``truncate_dim`` columns, then normalise
again when ``normalize_embeddings=True``, then quantize to ``precision``.

This module reads those settings from a folder and mirrors the steps after
pooling (precision); pooling itself runs on the fastpool kernel.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import _checks

logger = logging.getLogger(__name__)

PRECISIONS = ("float32", "int8", "uint8", "binary", "ubinary")
_KNOWN_MODULES = ("StaticEmbedding", "Normalize")


@dataclass(frozen=True)
class STSettings:
    """What sentence-transformers applies around pooling for one folder."""

    normalize: bool = False
    prompts: dict[str, str] = field(default_factory=dict)
    default_prompt_name: str | None = None
    similarity_fn_name: str = "cosine"
    # Tokenizer truncation: keep the first (direction "Right") or last ("Left")
    # max_tokens tokens; None when tokenizer.json has no truncation.
    max_tokens: int | None = None
    keep_last: bool = False


def read_st_settings(
    folder: Path,
    config: Mapping[str, Any],
    tokenizer_json: Mapping[str, Any],
    modules: object = None,
    tokenizer_path: Path | None = None,
) -> STSettings:
    """Settings of the sentence-transformers folder ``folder``.

    ``config`` is config_sentence_transformers.json, ``modules`` the parsed
    modules.json (None: the folder has none); the caller reads both with the
    bounded reader (persistence.json_reader). modules.json may list only
    StaticEmbedding and Normalize (anything else, e.g. a Dense layer, changes the
    vectors in ways fastpool does not reproduce: ValueError). A folder without
    modules.json is read as StaticEmbedding alone.
    """
    normalize = False
    modules_path = folder / "modules.json"
    if modules is not None:
        if not isinstance(modules, list):
            raise ValueError(f"{modules_path}: must hold a JSON list of modules")
        for module in modules:
            kind = (
                str(module.get("type", "")).rsplit(".", 1)[-1] if isinstance(module, dict) else ""
            )
            if kind not in _KNOWN_MODULES:
                raise ValueError(
                    f"{modules_path}: fastpool runs StaticEmbedding (+ Normalize) models only, "
                    f"got a module of type {_checks.short_repr(kind or module)}"
                )
            normalize = normalize or kind == "Normalize"
    where = str(folder / "config_sentence_transformers.json")
    prompts = config.get("prompts") or {}
    if not isinstance(prompts, dict) or not all(
        isinstance(k, str) and isinstance(v, str | None) for k, v in prompts.items()
    ):
        raise ValueError(f"{where}: prompts must map names to strings")
    default_prompt_name = config.get("default_prompt_name")
    if default_prompt_name is not None and not isinstance(default_prompt_name, str):
        raise ValueError(
            f"{where}: default_prompt_name must be a string or null, "
            f"got {_checks.short_repr(default_prompt_name)}"
        )
    similarity_fn_name = config.get("similarity_fn_name") or "cosine"
    if not isinstance(similarity_fn_name, str):
        raise ValueError(
            f"{where}: similarity_fn_name must be a string or null, "
            f"got {_checks.short_repr(similarity_fn_name)}"
        )
    truncation = tokenizer_json.get("truncation")
    max_tokens = None
    keep_last = False
    if isinstance(truncation, dict) and truncation.get("max_length") is not None:
        with _checks.naming(str(tokenizer_path or folder / "tokenizer.json"), a_file=True):
            max_tokens = _checks.file_int(truncation["max_length"], "truncation.max_length")
        keep_last = str(truncation.get("direction", "Right")).lower() == "left"
    return STSettings(
        normalize=normalize,
        prompts={k: v or "" for k, v in prompts.items()},
        default_prompt_name=default_prompt_name,
        similarity_fn_name=str(similarity_fn_name),
        max_tokens=max_tokens,
        keep_last=keep_last,
    )


def resolve_prompt(
    prompts: Mapping[str, str],
    default_prompt_name: str | None,
    prompt: str | None,
    prompt_name: str | None,
) -> str | None:
    """sentence-transformers' rule: ``prompt`` wins, else ``prompts[prompt_name]``,
    else the default prompt."""
    if prompt is not None:
        if prompt_name is not None:
            logger.warning("Provide either a `prompt` or a `prompt_name`, not both; using `prompt`")
        return prompt
    if prompt_name is not None:
        if prompt_name not in prompts:
            raise ValueError(
                f"prompt_name {prompt_name!r} not found in the model's prompts "
                f"(has {sorted(prompts)!r})"
            )
        return prompts[prompt_name]
    if default_prompt_name is not None:
        return prompts.get(default_prompt_name)
    return None


def keep_last_tokens(ids: np.ndarray, offsets: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR with only the last ``n`` tokens of each row (left truncation)."""
    lengths = np.diff(offsets)
    if lengths.size == 0 or lengths.max() <= n:
        return ids, offsets
    positions = np.arange(ids.size, dtype=np.int64) - np.repeat(offsets[:-1], lengths)
    keep = positions >= np.repeat(lengths - n, lengths)
    new_offsets = np.zeros_like(offsets)
    np.cumsum(np.minimum(lengths, n), out=new_offsets[1:])
    return ids[keep], new_offsets


def quantize_embeddings(
    embeddings: np.ndarray,
    precision: str,
    *,
    ranges: np.ndarray | None = None,
    calibration_embeddings: np.ndarray | None = None,
) -> np.ndarray:
    """sentence-transformers' ``quantize_embeddings`` (6.2.0), in numpy.

    * ``"float32"``: unchanged.
    * ``"int8"`` / ``"uint8"``: per dimension, 256 buckets between the minimum
      and maximum of ``ranges`` (shape ``(2, dim)``), else of
      ``calibration_embeddings``, else of ``embeddings`` themselves (which needs
      at least two rows); ``floor((x - min) / step)`` clipped to [0, 255], minus
      128 for int8.
    * ``"binary"`` / ``"ubinary"``: ``packbits(x > 0)`` along the last axis
      (``ceil(dim / 8)`` bytes); "binary" subtracts 128 and returns int8, as
      sentence-transformers does.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    embeddings = np.asarray(embeddings)
    if precision == "float32":
        return embeddings.astype(np.float32, copy=False)
    if embeddings.ndim == 2 and embeddings.shape[0] == 0:
        dim = embeddings.shape[1]
        width = dim if precision.endswith("int8") else (dim + 7) // 8
        return np.zeros((0, width), dtype=np.int8 if precision in ("int8", "binary") else np.uint8)
    if precision.endswith("binary"):
        packed = np.packbits(embeddings > 0, axis=-1)
        return packed if precision == "ubinary" else (packed - 128).astype(np.int8)
    if ranges is None:
        source = (
            embeddings if calibration_embeddings is None else np.asarray(calibration_embeddings)
        )
        if calibration_embeddings is None and (source.ndim == 1 or source.shape[0] == 1):
            raise ValueError(
                f"cannot compute {precision} ranges from a single embedding; pass ranges= or "
                "calibration_embeddings= from a representative set"
            )
        ranges = np.vstack((np.min(source, axis=0), np.max(source, axis=0)))
    ranges = np.asarray(ranges).astype(np.float32, copy=False)
    starts = ranges[0, :]
    steps = (ranges[1, :] - starts) / 255
    steps = np.where(steps == 0, 1, steps)
    buckets = np.clip(np.floor((embeddings - starts) / steps), 0, 255)
    return buckets.astype(np.uint8) if precision == "uint8" else (buckets - 128).astype(np.int8)
