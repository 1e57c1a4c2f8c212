"""``fastpool info``: what a model folder holds."""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from ._errors import CLIError
from ._model import load_model, resolve_model


def _layout(path: str) -> str:
    from ..persistence.folder import find_model_files

    files = find_model_files(path)
    if not files.is_sentence_transformers:
        return "model2vec"
    nested = os.path.basename(os.path.dirname(files.tensors)) == "0_StaticEmbedding"
    return "sentence-transformers (0_StaticEmbedding/)" if nested else "sentence-transformers"


def _tokenizer_type(path: str) -> str | None:
    from ..persistence.folder import find_model_files
    from ..persistence.json_reader import TOKENIZER_FILE, read_object

    try:  # the bounded reader: the model loaded, but this is a second read
        return str(read_object(find_model_files(path).tokenizer, TOKENIZER_FILE)["model"]["type"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _disk_size(path: str) -> tuple[int, int]:
    total = count = 0
    for root, _, files in os.walk(path):
        for name in files:
            total += os.path.getsize(os.path.join(root, name))
            count += 1
    return total, count


def _human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"  # unreachable


def describe(path: str) -> dict[str, Any]:
    """The facts ``info`` prints, as a dict."""
    model = load_model(path)
    size, n_files = _disk_size(path)
    backend = getattr(model, "tokenizer_backend", None) or "tokenizers"
    return {
        "path": os.path.abspath(path),
        "layout": _layout(path),
        "vocab_size": len(model.tokens),
        "table_rows": int(model.table.shape[0]),
        "dim": model.dim,
        "dtype": model.embedding_dtype,
        "vocabulary_quantization": model.vocabulary_quantization,
        "weights": model.weights is not None,
        "tokenizer_backend": str(backend),
        "tokenizer_model": _tokenizer_type(path),
        "normalize": model.normalize,
        "max_length": model.max_length,
        "size_bytes": size,
        "files": n_files,
    }


def run(args: argparse.Namespace) -> int:
    path = resolve_model(args.model)
    if not os.path.isdir(path):
        raise CLIError(f"{path}: no such model folder")
    facts = describe(path)
    if args.json:
        print(json.dumps(facts, indent=1))
        return 0
    tok = facts["tokenizer_backend"]
    if facts["tokenizer_model"]:
        tok += f" ({facts['tokenizer_model']})"
    vq = facts["vocabulary_quantization"]
    rows = f"{facts['table_rows']:,} rows" + (" (vocabulary-quantized)" if vq else "")
    lines = [
        ("path", facts["path"]),
        ("layout", facts["layout"]),
        ("vocab size", f"{facts['vocab_size']:,} tokens"),
        ("table", f"{rows} x {facts['dim']} {facts['dtype']}"),
        ("dim", str(facts["dim"])),
        ("dtype", facts["dtype"]),
        ("weights", "yes" if facts["weights"] else "no"),
        ("tokenizer", tok),
        ("normalize", str(facts["normalize"]).lower()),
        ("max_length", "none" if facts["max_length"] is None else str(facts["max_length"])),
        ("size", f"{_human(facts['size_bytes'])} on disk ({facts['files']} files)"),
    ]
    for key, value in lines:
        print(f"{key + ':':<12} {value}")
    return 0
