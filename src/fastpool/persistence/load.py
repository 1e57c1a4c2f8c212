"""A local model folder -> :class:`ModelParts` (files found, read, checked against each other).

Nothing here touches the network, and nothing large is copied: the table stays
a memory map unless an option changes its dtype or ``mmap=False``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from tokenizers import Tokenizer

from .. import _checks
from .._st import read_st_settings
from . import json_reader
from .fold import fold_weights as fold
from .folder import find_model_files, read_card_metadata, read_config
from .parts import ModelParts
from .quantize import quantize_table, quantize_vocabulary
from .safetensors import SafetensorsFile

SEMANTICS = ("auto", "model2vec", "sentence-transformers")


def _read_tokenizer(path: Path) -> tuple[Tokenizer, str]:
    text = json_reader.read_text(path, json_reader.TOKENIZER_FILE)
    try:
        tokenizer = Tokenizer.from_str(text)
    except Exception as err:  # tokenizers raises a bare Exception on bad JSON
        raise ValueError(f"{path}: not a valid tokenizer ({err})") from None
    except BaseException as err:  # a Rust panic (pyo3's PanicException) is no Exception
        if not _checks.is_panic(err):
            raise
        raise ValueError(f"{path}: not a valid tokenizer (tokenizers panicked: {err})") from None
    # WordPiece and BPE raise a bare Exception on every unknown word when their
    # unk_token is not in the vocabulary: a broken file, reported here.
    unk_token = getattr(tokenizer.model, "unk_token", None)
    if unk_token is not None and tokenizer.model.token_to_id(unk_token) is None:
        raise ValueError(f"{path}: the unknown token {unk_token!r} is not in the vocabulary")
    return tokenizer, text


def _check_tokenizer_fields(tokenizer_json: dict[str, Any], path: Path) -> None:
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
    tokenizer, tokenizer_json = _read_tokenizer(files.tokenizer)
    n_tokens = tokenizer.get_vocab_size(with_added_tokens=True)
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
    tokenizer_data = json_reader.parse_text(tokenizer_json, str(files.tokenizer))
    if not isinstance(tokenizer_data, dict):
        raise ValueError(f"{files.tokenizer}: must hold a JSON object")
    _check_tokenizer_fields(tokenizer_data, files.tokenizer)

    if vocabulary_quantization is not None:
        with _checks.naming(str(files.tensors), a_file=True):
            table, mapping, weights = quantize_vocabulary(
                vocabulary_quantization, table, weights, mapping, tokenizer
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
    padding = tokenizer.padding
    tokenizer.no_truncation()
    tokenizer.no_padding()
    meta = read_card_metadata(files.folder)
    return ModelParts(
        table=table,
        tokenizer=tokenizer,
        tokenizer_json=tokenizer_json,
        weights=weights,
        mapping=mapping,
        config=config,
        padding=padding,
        base_model=meta.get("base_model"),
        language=meta.get("language"),
        st_settings=st_settings,
        source=str(files.tensors),
        from_file=True,
    )
