"""Build tiny Model2Vec / sentence-transformers model folders for tests.

    from model_factory import make_model_folder
    folder = make_model_folder(tmp_path, kind="wordpiece", dtype="float32")

Tokenizers are trained with the ``tokenizers`` library on a small built-in
English corpus, so characters outside it (CJK, emoji) are unknown. Each saved
tokenizer.json has truncation and padding switched *on* (as real exported
tokenizers often do), which loaders must ignore. Deterministic for a given
``seed``; no torch, no network.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

KINDS = ("wordpiece", "bpe", "unigram")

CORPUS = [
    "The quick brown fox jumps over the lazy dog.",
    "A static embedding model looks up one vector per token and averages them.",
    "Tokenizers split text into words and subword pieces.",
    "Python's standard library has docstrings for modules, classes and functions.",
    "Return the number of items in a container, or raise an error.",
    "Café, naïve, résumé and façade keep their accents.",
    "Numbers like 42, 3.14 and 1e-6 appear in technical text.",
    "Mean pooling divides the sum of vectors by the number of tokens.",
    "If the file is truncated, raise a ValueError naming the file.",
    "Several threads may call encode at the same time.",
    "The model normalizes each vector to unit length when asked.",
    "Hello world! How are you today? Fine, thanks.",
    "Sentences, paragraphs, and whole documents are all just text.",
    "Unknown characters become the unknown token, which is then dropped.",
] * 4

_UNK = {"wordpiece": "[UNK]", "bpe": "[UNK]", "unigram": "<unk>"}
_SPECIALS = {
    "wordpiece": ["[PAD]", "[UNK]", "[CLS]", "[SEP]"],
    "bpe": ["[PAD]", "[UNK]"],
    "unigram": ["<pad>", "<unk>"],
}


def make_tokenizer(
    kind: str = "wordpiece", *, vocab_size: int = 300, limits: bool = True
) -> Tokenizer:
    """A small trained tokenizer: ``"wordpiece"``, ``"bpe"`` or ``"unigram"``.

    With ``limits`` the tokenizer has truncation (8 tokens) and padding (to
    16 tokens) enabled, as exported tokenizers often do.
    """
    specials = _SPECIALS[kind]
    if kind == "wordpiece":
        tok = Tokenizer(models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=40))
        tok.normalizer = normalizers.BertNormalizer(lowercase=True)
        tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        tok.decoder = decoders.WordPiece()
        trainer: Any = trainers.WordPieceTrainer(
            vocab_size=vocab_size, special_tokens=specials, show_progress=False
        )
    elif kind == "bpe":
        tok = Tokenizer(models.BPE(unk_token="[UNK]"))
        tok.pre_tokenizer = pre_tokenizers.Whitespace()
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size, special_tokens=specials, show_progress=False
        )
    elif kind == "unigram":
        tok = Tokenizer(models.Unigram())
        tok.normalizer = normalizers.NFKC()
        tok.pre_tokenizer = pre_tokenizers.Metaspace()
        tok.decoder = decoders.Metaspace()
        trainer = trainers.UnigramTrainer(
            vocab_size=vocab_size, special_tokens=specials, unk_token="<unk>", show_progress=False
        )
    else:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    tok.train_from_iterator(CORPUS, trainer=trainer)
    if limits:
        tok.enable_truncation(8)
        tok.enable_padding(pad_id=0, pad_token=specials[0], length=16)
    return tok


def make_table(rng: np.random.Generator, rows: int, dim: int, dtype: str) -> np.ndarray:
    """Random table in ``dtype`` (float32, float16, float64, bfloat16 or int8)."""
    if dtype == "int8":
        return rng.integers(-127, 128, size=(rows, dim), dtype=np.int8)
    values = rng.standard_normal((rows, dim)).astype(np.float32)
    if dtype == "bfloat16":
        import ml_dtypes

        return values.astype(ml_dtypes.bfloat16)
    return values.astype(dtype)


def write_safetensors(path: Path, tensors: dict[str, np.ndarray]) -> None:
    """safetensors.numpy.save_file, plus BF16 (which it cannot write) done by hand."""
    if not any(a.dtype.name == "bfloat16" for a in tensors.values()):
        from safetensors.numpy import save_file

        save_file({k: np.ascontiguousarray(v) for k, v in tensors.items()}, str(path))
        return
    codes = {
        "float32": "F32",
        "float16": "F16",
        "float64": "F64",
        "int8": "I8",
        "int32": "I32",
        "int64": "I64",
        "bfloat16": "BF16",
    }
    header: dict[str, Any] = {}
    blobs, offset = [], 0
    for name, arr in tensors.items():
        data = np.ascontiguousarray(arr).view(np.uint8).tobytes()
        header[name] = {
            "dtype": codes[arr.dtype.name],
            "shape": list(arr.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    path.write_bytes(len(raw).to_bytes(8, "little") + raw + b"".join(blobs))


def make_model_folder(
    tmp_path: Path,
    *,
    kind: str = "wordpiece",
    dtype: str = "float32",
    vocab_quantized: bool = False,
    weights: bool | None = None,
    mapping_dtype: str = "int64",
    weights_dtype: str = "float64",
    layout: str = "model2vec",
    normalize: bool | None = None,
    max_length: Any = "unset",
    dim: int = 16,
    seed: int = 0,
    name: str | None = None,
) -> Path:
    """Write a model folder and return its path.

    Parameters
    ----------
    kind : "wordpiece", "bpe" or "unigram"
    dtype : table dtype: "float32", "float16", "float64", "bfloat16" or "int8"
    vocab_quantized : a table of ``rows // 4`` clusters plus ``mapping`` and ``weights``
    weights : per-token weights (default: only for vocabulary-quantized models)
    layout : "model2vec" (config.json), "st" (config_sentence_transformers.json,
        ``embedding.weight``) or "st_nested" (files under 0_StaticEmbedding/)
    normalize, max_length : written to config.json when given ("unset" omits the key)
    """
    rng = np.random.default_rng(seed)
    tok = make_tokenizer(kind)
    n = tok.get_vocab_size(with_added_tokens=True)
    folder = Path(tmp_path) / (name or f"{kind}-{dtype}{'-vq' if vocab_quantized else ''}-{layout}")
    tensor_folder = folder / "0_StaticEmbedding" if layout == "st_nested" else folder
    tensor_folder.mkdir(parents=True, exist_ok=True)

    tensors: dict[str, np.ndarray] = {}
    rows = max(4, n // 4) if vocab_quantized else n
    table_name = "embeddings" if layout == "model2vec" else "embedding.weight"
    tensors[table_name] = make_table(rng, rows, dim, dtype)
    if vocab_quantized:
        mapping = rng.permutation(np.arange(n) % rows).astype(mapping_dtype)
        tensors["mapping"] = mapping
    if weights or (weights is None and vocab_quantized):
        tensors["weights"] = rng.uniform(0.1, 2.0, size=n).astype(weights_dtype)
    write_safetensors(tensor_folder / "model.safetensors", tensors)
    tok.save(str(tensor_folder / "tokenizer.json"))

    config: dict[str, Any] = {"model_type": "model2vec", "hidden_dim": dim}
    if normalize is not None:
        config["normalize"] = normalize
    if max_length != "unset":
        config["max_length"] = max_length
    if layout == "model2vec":
        (folder / "config.json").write_text(json.dumps(config, indent=4))
    elif layout in ("st", "st_nested"):
        st_config = {
            "__version__": {"sentence_transformers": "6.2.0"},
            "prompts": {},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        }
        (folder / "config_sentence_transformers.json").write_text(json.dumps(st_config, indent=2))
    else:
        raise ValueError(f"layout must be model2vec, st or st_nested, got {layout!r}")
    return folder
