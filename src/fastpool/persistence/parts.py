"""The parts a :class:`fastpool.StaticModel` is built from, as loading hands them over."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tokenizers import Tokenizer

from .._st import STSettings


@dataclass
class ModelParts:
    """Arrays, tokenizer and metadata of one model, before any model-level check.

    ``tokenizer`` is private to the model (truncation and padding off);
    ``padding`` is the padding its source had, which saving and
    ``StaticModel.tokenizer`` restore. ``st_settings`` is set for
    sentence-transformers semantics. ``source`` names the model in messages
    (the tensors file, or "StaticModel" for arrays); ``from_file`` says it is a
    file, whose faults are ValueErrors.
    """

    table: np.ndarray
    tokenizer: Tokenizer
    tokenizer_json: str
    weights: np.ndarray | None = None
    mapping: np.ndarray | None = None
    config: dict[str, Any] = field(default_factory=dict)
    padding: dict[str, Any] | None = None
    base_model: str | None = None
    language: list[str] | str | None = None
    st_settings: STSettings | None = None
    source: str = "StaticModel"
    from_file: bool = False
