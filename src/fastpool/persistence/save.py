"""Write a model folder the way model2vec 0.10's ``save_pretrained`` does.

Files: ``model.safetensors`` (``embeddings``, optional ``weights`` and
``mapping``), ``tokenizer.json``, ``config.json`` (with ``embedding_dtype`` and,
for vocabulary-quantized models, ``vocabulary_quantization``), ``modules.json``
(sentence-transformers: StaticEmbedding, plus Normalize when ``normalize`` is
on) and a ``README.md`` model card. model2vec 0.10 and sentence-transformers
both load the result.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from tokenizers import Tokenizer

from .replace import replace_bytes, sync_folder
from .safetensors import write_file

_CARD = """\
---
{front_matter}
---

# {model_name} Model Card

A static embedding model (Model2Vec format): text is tokenized, one vector is
looked up per token, and the vectors are averaged{normalized}.
Written by [fastpool](https://pypi.org/project/fastpool/); it loads unchanged in
Model2Vec and Sentence Transformers.

## Usage

### fastpool

```python
import fastpool

model = fastpool.load("{model_name}")
embeddings = model.encode(["Example sentence"])
```

### Model2Vec

```python
from model2vec import StaticModel

model = StaticModel.from_pretrained("{model_name}")
embeddings = model.encode(["Example sentence"])
```

### Sentence Transformers

```python
from sentence_transformers import SentenceTransformer

model = SentenceTransformer("{model_name}")
embeddings = model.encode(["Example sentence"])
```
"""


def _yaml_scalar(value: str) -> str:
    """A YAML scalar: plain when safe, else double-quoted (JSON strings are valid YAML)."""
    plain = value.replace("-", "").replace("_", "").replace("/", "").replace(".", "")
    return (
        value if plain.isascii() and plain.isalnum() and value[0] not in "-." else json.dumps(value)
    )


def model_card(
    model_name: str, *, base_model: str | None, language: list[str] | str | None, normalize: bool
) -> str:
    """README.md text with model2vec's front matter fields (alphabetical, as its card has)."""
    fields: dict[str, Any] = {
        "base_model": base_model,
        "language": [language] if isinstance(language, str) else language,
        "library_name": "model2vec",
        "license": "mit",
        "model_name": model_name,
        "tags": ["embeddings", "static-embeddings", "sentence-transformers"],
    }
    lines = []
    for key, value in fields.items():
        if value is None or value == []:
            continue
        if isinstance(value, list):
            lines.append(f"{key}:")
            lines.extend(f"- {_yaml_scalar(str(v))}" for v in value)
        else:
            lines.append(f"{key}: {_yaml_scalar(str(value))}")
    return _CARD.format(
        front_matter="\n".join(lines),
        model_name=model_name,
        normalized=" and scaled to unit length" if normalize else "",
    )


def save_model_folder(
    folder: str | os.PathLike[str],
    *,
    table: np.ndarray,
    weights: np.ndarray | None,
    mapping: np.ndarray | None,
    tokenizer: Tokenizer,
    config: Mapping[str, Any],
    model_name: str | None = None,
    base_model: str | None = None,
    language: list[str] | str | None = None,
) -> Path:
    """Write a model2vec 0.10 model folder; returns its path.

    ``tokenizer`` is written as given (the caller sets its truncation and
    padding to what model2vec would hold).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {"embeddings": table}
    if weights is not None:
        tensors["weights"] = weights
    if mapping is not None:
        tensors["mapping"] = mapping
    # Every file is replaced, never written in place (see replace.py): a file
    # name that is a symbolic link, as in a Hugging Face cache snapshot, is
    # swapped for a regular file and the blob it pointed to is left alone.
    write_file(folder / "model.safetensors", tensors)
    replace_bytes(folder / "tokenizer.json", tokenizer.to_str(pretty=False).encode("utf-8"))

    cfg = dict(config)
    cfg["embedding_dtype"] = np.dtype(table.dtype).name
    if mapping is not None:
        cfg["vocabulary_quantization"] = int(table.shape[0])
    else:
        cfg.pop("vocabulary_quantization", None)
    replace_bytes(folder / "config.json", json.dumps(cfg, indent=4).encode("utf-8"))

    modules = [
        {"idx": 0, "name": "0", "path": ".", "type": "sentence_transformers.models.StaticEmbedding"}
    ]
    if cfg.get("normalize"):
        modules.append(
            {
                "idx": 1,
                "name": "1",
                "path": "1_Normalize",
                "type": "sentence_transformers.models.Normalize",
            }
        )
    replace_bytes(folder / "modules.json", json.dumps(modules, indent=4).encode("utf-8"))

    card = model_card(
        model_name or folder.resolve().name,
        base_model=base_model,
        language=language,
        normalize=bool(cfg.get("normalize")),
    )
    replace_bytes(folder / "README.md", card.encode("utf-8"))
    sync_folder(folder)
    return folder
