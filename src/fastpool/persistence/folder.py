"""Find the files of a local Model2Vec or sentence-transformers static model folder.

Layouts are tried in model2vec 0.10's order; the first whose three files all
exist wins:

(a) ``config.json`` + ``model.safetensors`` + ``tokenizer.json`` (model2vec);
(b) ``config_sentence_transformers.json`` + ``model.safetensors`` + ``tokenizer.json``;
(c) ``config_sentence_transformers.json`` + ``0_StaticEmbedding/`` holding
    ``model.safetensors`` and ``tokenizer.json``.

Nothing here touches the network.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ModelFiles:
    """The files of one model folder."""

    folder: Path
    config: Path
    tensors: Path
    tokenizer: Path
    is_sentence_transformers: bool

    @property
    def table_name(self) -> str:
        """Name of the embedding tensor: ``embedding.weight`` or ``embeddings``."""
        return "embedding.weight" if self.is_sentence_transformers else "embeddings"


_LAYOUTS = (
    ("config.json", "model.safetensors", "tokenizer.json", False),
    ("config_sentence_transformers.json", "model.safetensors", "tokenizer.json", True),
    (
        "config_sentence_transformers.json",
        "0_StaticEmbedding/model.safetensors",
        "0_StaticEmbedding/tokenizer.json",
        True,
    ),
)
#: (config, tensors, tokenizer, is_sentence_transformers) per layout, in the order tried.
LAYOUTS = _LAYOUTS


def find_model_files(path: str | os.PathLike[str]) -> ModelFiles:
    """The files of the model in the local folder ``path``.

    Raises
    ------
    FileNotFoundError
        If ``path`` is not an existing folder (fastpool never downloads).
    ValueError
        If no known layout is complete.
    """
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(
            f"{folder} is not a local model folder (nor a Hugging Face Hub repo id such as "
            "'org/name')"
        )
    for config, tensors, tokenizer, is_st in _LAYOUTS:
        files = ModelFiles(folder, folder / config, folder / tensors, folder / tokenizer, is_st)
        if files.config.is_file() and files.tensors.is_file() and files.tokenizer.is_file():
            return files
    tried = "; ".join(" + ".join(layout[:3]) for layout in _LAYOUTS)
    raise ValueError(f"{folder}: no model files found. Tried the layouts: {tried}")


def read_config(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``; ValueError naming the file if it is not one."""
    try:
        with open(path, encoding="utf-8") as f:
            config = json.load(f)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{path}: not valid JSON ({err})") from None
    except RecursionError:
        raise ValueError(f"{path}: not valid JSON (too deeply nested)") from None
    if not isinstance(config, dict):
        raise ValueError(f"{path}: must hold a JSON object, got {type(config).__name__}")
    # The keys fastpool reads, checked here so the error names the file.
    normalize = config.get("normalize")
    if normalize is not None and not isinstance(normalize, bool):
        raise ValueError(f"{path}: normalize must be true, false or null, got {normalize!r}")
    max_length = config.get("max_length")
    if max_length is not None and (
        isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 0
    ):
        raise ValueError(
            f"{path}: max_length must be a non-negative integer or null, got {max_length!r}"
        )
    return config


_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(\n|\Z)", re.S)


def read_card_metadata(folder: Path) -> dict[str, Any]:
    """``base_model`` and ``language`` from the YAML front matter of README.md.

    A deliberately small reader (scalars and ``- item`` lists, no YAML
    dependency): the two fields only feed the model card that
    ``save_pretrained`` writes.
    """
    readme = folder / "README.md"
    try:
        text = readme.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}
    meta: dict[str, Any] = {}
    key: str | None = None
    for line in match.group(1).splitlines():
        item = re.match(r"^\s*-\s+(.+?)\s*$", line)
        if item and key is not None:
            value = meta.get(key)
            meta[key] = ([] if not isinstance(value, list) else value) + [
                item.group(1).strip("'\"")
            ]
            continue
        pair = re.match(r"^([A-Za-z_][\w-]*):\s*(.*?)\s*$", line)
        if pair:
            key, value_text = pair.group(1), pair.group(2)
            meta[key] = value_text.strip("'\"") if value_text else []
    return {k: meta[k] for k in ("base_model", "language") if meta.get(k) not in (None, "", [])}
