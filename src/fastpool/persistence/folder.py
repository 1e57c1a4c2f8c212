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

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import _checks
from .json_reader import read_object


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
    """The JSON object in ``path`` (bounded: see json_reader); ValueError naming the
    file if it is not one, or if a key fastpool reads has a wrong value."""
    config = read_object(path)
    normalize = config.get("normalize")
    if normalize is not None and not isinstance(normalize, bool):
        raise ValueError(f"{path}: normalize must be true, false or null, got {normalize!r}")
    with _checks.naming(str(path), a_file=True):
        _checks.file_int(config.get("max_length"), "max_length")
    return config


# The front matter is at the top of README.md: only this much is read. Model
# cards with a long model-index stay far below it.
MAX_CARD_BYTES = 1 * 2**20
_CARD_KEYS = ("base_model", "language")


def _unquote(text: str) -> str:
    return text.strip().strip("'\"")


def read_card_metadata(folder: Path) -> dict[str, Any]:
    """``base_model`` and ``language`` from the YAML front matter of README.md.

    A deliberately small reader (scalars and ``- item`` lists, no YAML
    dependency): the two fields only feed the model card that
    ``save_pretrained`` writes. It reads at most MAX_CARD_BYTES and parses with
    string methods only, in time linear in what it read; a card it cannot read
    gives no metadata.
    """
    try:
        with open(folder / "README.md", "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                return {}
            head = f.read(MAX_CARD_BYTES)
    except OSError:
        return {}
    text = head.decode("utf-8", errors="replace")
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return {}
    meta: dict[str, Any] = {}
    key: str | None = None
    for line in lines[1:]:
        if line.rstrip() == "---":
            break
        stripped = line.strip()
        if stripped.startswith("- ") or stripped.startswith("-\t"):
            if key is not None:
                value = meta.get(key)
                items = value if isinstance(value, list) else []
                meta[key] = [*items, _unquote(stripped[2:])]
            continue
        name, colon, rest = line.partition(":")
        if colon and name and name == name.strip() and _is_key(name):
            key = name
            meta[key] = _unquote(rest) or []
    else:
        return {}  # no closing line within what was read
    return {k: meta[k] for k in _CARD_KEYS if meta.get(k) not in (None, "", [])}


def _is_key(name: str) -> bool:
    head = name[0]
    return (head.isascii() and (head.isalpha() or head == "_")) and all(
        c.isascii() and (c.isalnum() or c in "_-") for c in name
    )
