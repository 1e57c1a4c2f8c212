"""A local model folder -> :class:`ModelParts` (files found, read, checked against each other).

Nothing here touches the network, and nothing large is copied: the table stays
a memory map unless an option changes its dtype or ``mmap=False``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from tokenizers import Tokenizer

from .. import _checks
from .._st import read_st_settings
from .._tokenizer_doc import MergeTable, PieceTable, TokenizerDoc, added_outside
from .._tokenizer_doc import from_str as tokenizer_from_str
from .._tokenizer_doc import parse as parse_vocab_table
from .._tokenizer_doc import scan as scan_tables
from . import json_reader
from .fold import fold_weights as fold
from .folder import find_model_files, read_card_metadata, read_config
from .parts import ModelParts
from .quantize import quantize_table, quantize_vocabulary
from .safetensors import SafetensorsFile

SEMANTICS = ("auto", "model2vec", "sentence-transformers")


def _from_str(text: str, path: Path) -> Tokenizer:
    """``Tokenizer.from_str``, its faults a ValueError naming the file."""
    tokenizer = tokenizer_from_str(text, str(path))
    tokenizer.no_truncation()
    return tokenizer


def _read_tokenizer(path: Path) -> tuple[TokenizerDoc, int]:
    """The tokenizer.json at ``path``, read once, and its token count (added tokens
    included).

    A vocabulary the native pass reads clean (``_tokenizer_doc.parse``) is not built
    into a ``tokenizers.Tokenizer`` here: the rest of the file is, with a one-token
    vocabulary, so that a file ``tokenizers`` refuses is still refused at load. Any
    other file is built whole, as ``tokenizers`` reads it.
    """
    limits = json_reader.TOKENIZER_FILE
    raw = json_reader.read_bytes(path, limits.max_bytes)
    scanned = scan_tables(raw)
    data = None
    if scanned is None:
        json_reader.check_extent(raw, str(path), limits)
    else:  # the tables' extent is known: only the rest is measured
        json_reader.check_extent(
            scanned.rest, str(path), limits, size=len(raw), extra=scanned.structurals
        )
        data = parse_vocab_table(raw, raw, scanned)
        del scanned
    stub = None if data is None else _stub(data, path)
    if data is not None and stub is not None:
        padding = _from_str(json.dumps(stub), path).padding
        vocab = data["model"]["vocab"]
        n_tokens = len(vocab) + len(added_outside(data, vocab))
        # The text stays bytes (checked UTF-8) until saving or tokenizers needs it.
        return TokenizerDoc(raw, data, padding=padding, source=str(path)), n_tokens
    text = json_reader.checked_text(raw, path)
    del raw
    tokenizer = _from_str(text, path)
    # WordPiece and BPE raise a bare Exception on every unknown word when their
    # unk_token is not in the vocabulary: a broken file, reported here.
    unk_token = getattr(tokenizer.model, "unk_token", None)
    if unk_token is not None and tokenizer.model.token_to_id(unk_token) is None:
        raise ValueError(f"{path}: the unknown token {unk_token!r} is not in the vocabulary")
    padding = tokenizer.padding
    tokenizer.no_padding()
    n_tokens = tokenizer.get_vocab_size(with_added_tokens=True)
    return TokenizerDoc(text, None, tokenizer, padding), n_tokens


def _stub(data: dict[str, Any], path: Path) -> dict[str, Any] | None:
    """``data`` with a one-token vocabulary (and no merges) that ``tokenizers`` reads as
    it would read the whole file, or None when only the whole file can tell (the
    caller then builds it). The vocabulary tables were checked natively."""
    model = data["model"]
    vocab = model["vocab"]
    if isinstance(vocab, PieceTable):  # Unigram: tokenizers checks unk_id < len(vocab)
        unk = model.get("unk_id")
        if unk is not None and (isinstance(unk, bool) or not isinstance(unk, int)
                                or not 0 <= unk < len(vocab)):  # fmt: skip
            return None
        entry = vocab[0 if unk is None else unk]
        return {**data, "model": {**model, "vocab": [entry], "unk_id": None if unk is None else 0}}
    unk_token = model.get("unk_token", "[UNK]" if model.get("type") == "WordPiece" else None)
    if isinstance(unk_token, str) and unk_token not in vocab:
        raise ValueError(f"{path}: the unknown token {unk_token!r} is not in the vocabulary")
    if model.get("type") == "BPE":
        # tokenizers checks every merge against the vocabulary when it builds the whole
        # file: the native build makes the same checks (a file it declines is built by
        # tokenizers when the pipeline needs it, its faults worded as _from_str words them).
        if not isinstance(model.get("merges"), MergeTable):
            return None
        stub_vocab = {} if unk_token is None else {unk_token: 0}
        return {**data, "model": {**model, "vocab": stub_vocab, "merges": []}}
    if not isinstance(unk_token, str):
        return None
    return {**data, "model": {**model, "vocab": {unk_token: 0}}}


def _parse(doc: TokenizerDoc, path: Path) -> Mapping[str, Any]:
    """The parsed tokenizer.json (a JSON object), its faults a ValueError naming the file."""
    if doc.parsed is None:
        data = json_reader.parse_text(doc.text, str(path))
        if not isinstance(data, dict):
            raise ValueError(f"{path}: must hold a JSON object")
        doc.parsed = data
    return doc.parsed


def _check_tokenizer_fields(tokenizer_json: Mapping[str, Any], path: Path) -> None:
    """The integer fields of tokenizer.json that fastpool passes on as int64."""
    model = tokenizer_json.get("model")
    truncation = tokenizer_json.get("truncation")
    with _checks.naming(str(path), a_file=True):
        if isinstance(model, dict) and "max_input_chars_per_word" in model:
            _checks.file_int(model["max_input_chars_per_word"], "max_input_chars_per_word")
        if isinstance(truncation, dict):
            _checks.file_int(truncation.get("max_length"), "truncation.max_length")


def load_parts(
    path: str | os.PathLike[str],
    *,
    subfolder: str | None = None,
    quantize_to: str | None = None,
    dimensionality: int | None = None,
    vocabulary_quantization: int | None = None,
    semantics: str = "auto",
    mmap: bool = True,
    fold_weights: bool = False,
) -> ModelParts:
    """Read the model in the local folder ``path`` (see ``StaticModel.from_pretrained``).

    Raises FileNotFoundError when ``path`` is not a folder, ValueError naming the
    file when one is missing, truncated, corrupt or inconsistent with the others.
    """
    _checks.one_of(semantics, "semantics", SEMANTICS)
    if subfolder:
        path = Path(path).expanduser() / subfolder
    files = find_model_files(path)
    config = read_config(files.config)
    tensors = SafetensorsFile(files.tensors, mmap=mmap)
    if files.table_name not in tensors:
        raise ValueError(
            f"{files.tensors}: no tensor {files.table_name!r} (has {sorted(tensors.tensors)[:20]})"
        )
    table = tensors.get(files.table_name)
    weights = tensors.get("weights") if "weights" in tensors else None
    mapping = tensors.get("mapping") if "mapping" in tensors else None
    tokenizer, n_tokens = _read_tokenizer(files.tokenizer)
    if mapping is None and vocabulary_quantization is None and np.ndim(table) == 2:
        # Checked again when the model is built; here first, before a hostile
        # vocabulary of millions of tokens is copied into Python objects.
        if np.shape(table)[0] != n_tokens:
            raise ValueError(
                f"{files.tensors}: the table has {np.shape(table)[0]} rows but the "
                f"tokenizer has {n_tokens} tokens ({files.tokenizer})"
            )

    # The tokenizer's integer fields before anything reads them as int64; the
    # extent of the text was checked when it was read.
    tokenizer_data = _parse(tokenizer, files.tokenizer)
    _check_tokenizer_fields(tokenizer_data, files.tokenizer)

    if vocabulary_quantization is not None:
        with _checks.naming(str(files.tensors), a_file=True):
            table, mapping, weights = quantize_vocabulary(
                vocabulary_quantization, table, weights, mapping, tokenizer.tokenizer()
            )
    if quantize_to is not None:
        with _checks.naming(str(files.tensors), a_file=True):
            table = _checks.table(table)
        table = quantize_table(table, quantize_to)
    if dimensionality is not None:
        columns = np.shape(table)[1] if np.ndim(table) == 2 else 0
        _checks.column_count(dimensionality, "dimensionality", columns)
        table = table[:, :dimensionality]
    if fold_weights and weights is not None:
        with _checks.naming(str(files.tensors), a_file=True):
            table, weights = fold(table, weights, mapping), None

    st_settings = None
    if semantics == "sentence-transformers" or (
        semantics == "auto" and files.is_sentence_transformers
    ):
        st_config = config
        if not files.is_sentence_transformers:
            st_path = files.folder / "config_sentence_transformers.json"
            st_config = read_config(st_path) if st_path.is_file() else {}
        modules_path = files.folder / "modules.json"
        modules = json_reader.read_json(modules_path) if modules_path.is_file() else None
        st_settings = read_st_settings(
            files.folder, st_config, tokenizer_data, modules, tokenizer_path=files.tokenizer
        )
    del tokenizer_data
    meta = read_card_metadata(files.folder)
    return ModelParts(
        table=table,
        tokenizer=tokenizer,
        weights=weights,
        mapping=mapping,
        config=config,
        base_model=meta.get("base_model"),
        language=meta.get("language"),
        st_settings=st_settings,
        source=str(files.tensors),
        from_file=True,
    )
