"""Folder layouts, configs, and the checks made once at load (errors name the file)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from model_factory import make_model_folder, make_tokenizer, write_safetensors

import fastpool
from fastpool.persistence.folder import find_model_files, read_card_metadata


def test_layouts_are_found(tmp_path: Path) -> None:
    a = find_model_files(make_model_folder(tmp_path, layout="model2vec"))
    assert a.config.name == "config.json" and a.table_name == "embeddings"
    b = find_model_files(make_model_folder(tmp_path, layout="st"))
    assert b.config.name == "config_sentence_transformers.json"
    assert b.table_name == "embedding.weight"
    c = find_model_files(make_model_folder(tmp_path, layout="st_nested"))
    assert c.tensors.parent.name == "0_StaticEmbedding"
    for layout in ("model2vec", "st", "st_nested"):
        model = fastpool.load(tmp_path / f"wordpiece-float32-{layout}")
        assert model.encode("hello world").shape == (16,)


def test_layout_order_prefers_model2vec(tmp_path: Path) -> None:
    folder = make_model_folder(tmp_path)
    (folder / "config_sentence_transformers.json").write_text("{}")
    assert find_model_files(folder).config.name == "config.json"


def test_missing_folder_and_missing_files(tmp_path: Path) -> None:
    # An absolute path is never read as a hub id (tests/test_hub.py has those).
    with pytest.raises(FileNotFoundError, match="not a local model folder"):
        fastpool.load(tmp_path / "nope")
    folder = make_model_folder(tmp_path)
    (folder / "tokenizer.json").unlink()
    with pytest.raises(ValueError, match="no model files found"):
        fastpool.load(folder)


def test_bad_config_and_tokenizer(tmp_path: Path) -> None:
    folder = make_model_folder(tmp_path)
    (folder / "config.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="config.json: must hold a JSON object"):
        fastpool.load(folder)
    (folder / "config.json").write_text("{not json")
    with pytest.raises(ValueError, match="config.json: not valid JSON"):
        fastpool.load(folder)
    (folder / "config.json").write_text("{}")
    (folder / "tokenizer.json").write_text("{}")
    with pytest.raises(ValueError, match="tokenizer.json: not a valid tokenizer"):
        fastpool.load(folder)


def _rewrite(folder: Path, **tensors: np.ndarray) -> None:
    write_safetensors(folder / "model.safetensors", tensors)


def test_inconsistent_arrays_are_caught_at_load(tmp_path: Path) -> None:
    folder = make_model_folder(tmp_path)
    n = make_tokenizer("wordpiece").get_vocab_size()
    table = np.zeros((n, 4), np.float32)

    _rewrite(folder, embeddings=table[:-1])
    with pytest.raises(ValueError, match=f"table has {n - 1} rows but the tokenizer has {n}"):
        fastpool.load(folder)
    _rewrite(folder, embeddings=table, weights=np.ones(n - 1))
    with pytest.raises(ValueError, match="weights must be 1-D with one entry per token id"):
        fastpool.load(folder)
    _rewrite(folder, embeddings=table[:10], mapping=np.full(n, 10, np.int64))
    with pytest.raises(ValueError, match=r"mapping must be in \[0, 10\)"):
        fastpool.load(folder)
    _rewrite(folder, embeddings=table[:10], mapping=np.zeros(n - 5, np.int32))
    with pytest.raises(ValueError, match=r"the model has only \d+ \(len\(mapping\)\)"):
        fastpool.load(folder)
    _rewrite(folder, embeddings=table[:, 0])
    with pytest.raises(ValueError, match="must be 2-D"):
        fastpool.load(folder)
    _rewrite(folder, embeddings=table.astype(np.int32))
    with pytest.raises(ValueError, match="table dtype must be"):
        fastpool.load(folder)
    _rewrite(folder, weights=np.ones(n))
    with pytest.raises(ValueError, match="no tensor 'embeddings'") as info:
        fastpool.load(folder)
    assert "model.safetensors" in str(info.value)


@pytest.mark.parametrize("mapping_dtype", ["int32", "int64"])
@pytest.mark.parametrize("weights_dtype", ["float16", "float32", "float64"])
def test_mapping_and_weights_dtypes(tmp_path: Path, mapping_dtype: str, weights_dtype: str) -> None:
    folder = make_model_folder(
        tmp_path, vocab_quantized=True, mapping_dtype=mapping_dtype, weights_dtype=weights_dtype
    )
    model = fastpool.load(folder)
    assert model.mapping is not None and model.mapping.dtype == np.int32
    # model2vec's attribute keeps the stored dtype; the kernel pools a float32 copy.
    assert model.weights is not None and model.weights.dtype == np.dtype(weights_dtype)
    assert model.vocabulary_quantization == model.table.shape[0]


@pytest.mark.parametrize("dtype", ["float64", "bfloat16"])
def test_other_table_dtypes(tmp_path: Path, dtype: str) -> None:
    if dtype == "bfloat16":
        pytest.importorskip("ml_dtypes")
    folder = make_model_folder(tmp_path, dtype=dtype)
    model = fastpool.load(folder)
    assert model.embedding_dtype == dtype
    ids, offsets = model.tokenize_csr(["hello world", "the fox"])
    table = np.asarray(model.table).astype(np.float64)
    expected = np.stack(
        [table[ids[a:b]].mean(axis=0) for a, b in zip(offsets[:-1], offsets[1:], strict=False)]
    )
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(
        model.encode(["hello world", "the fox"], normalize=True), expected, atol=1e-6
    )


def test_card_metadata(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text(
        "---\nbase_model: sentence-transformers/all-MiniLM-L6-v2\nlanguage:\n- en\n- nl\n"
        "library_name: model2vec\n---\n# Card\n"
    )
    assert read_card_metadata(tmp_path) == {
        "base_model": "sentence-transformers/all-MiniLM-L6-v2",
        "language": ["en", "nl"],
    }
    (tmp_path / "README.md").write_text("no front matter")
    assert read_card_metadata(tmp_path) == {}


def test_loading_does_not_change_the_folder(tmp_path: Path) -> None:
    folder = make_model_folder(tmp_path)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    fastpool.load(folder).encode(["x"])
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


@pytest.mark.parametrize("dtype", ["bfloat16", "float64", "int8", "float16"])
def test_save_and_reload_keeps_dtype_and_vectors(tmp_path: Path, dtype: str) -> None:
    if dtype == "bfloat16":
        pytest.importorskip("ml_dtypes")
    model = fastpool.load(make_model_folder(tmp_path, dtype=dtype, vocab_quantized=True))
    model.save_pretrained(tmp_path / "saved")
    again = fastpool.load(tmp_path / "saved")
    assert again.embedding_dtype == dtype
    np.testing.assert_array_equal(
        np.asarray(again.table).view(np.uint8), np.asarray(model.table).view(np.uint8)
    )
    texts = ["hello world", "the quick brown fox", ""]
    np.testing.assert_array_equal(again.encode(texts), model.encode(texts))
