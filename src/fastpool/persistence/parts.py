"""The parts a :class:`fastpool.StaticModel` is built from, as loading hands them over."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._st import STSettings
from .._tokenizer_doc import TokenizerDoc


@dataclass
class ModelParts:
    """Arrays, tokenizer and metadata of one model, before any model-level check.

    ``tokenizer`` is the model's tokenizer.json, read once: its text, parsed value
    and the ``tokenizers.Tokenizer`` built from it on demand, private to the model
    (truncation and padding off); its ``padding`` is the padding the source had,
    which saving and ``StaticModel.tokenizer`` restore. ``st_settings`` is set for
    sentence-transformers semantics. ``source`` names the model in messages
    (the tensors file, or "StaticModel" for arrays); ``from_file`` says it is a
    file, whose faults are ValueErrors.
    """

    table: np.ndarray
    tokenizer: TokenizerDoc
    weights: np.ndarray | None = None
    mapping: np.ndarray | None = None
    config: dict[str, Any] = field(default_factory=dict)
    base_model: str | None = None
    language: list[str] | str | None = None
    st_settings: STSettings | None = None
    source: str = "StaticModel"
    from_file: bool = False

    @property
    def tokenizer_json(self) -> str:
        """The tokenizer.json text."""
        return self.tokenizer.text

    @property
    def padding(self) -> dict[str, Any] | None:
        """The padding the source tokenizer had."""
        return self.tokenizer.padding
