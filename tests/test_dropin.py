"""fastpool as a drop-in for ``model2vec.StaticModel``.

``fastpool.StaticModel`` covers the surface third-party code calls, and
``fastpool.patch_model2vec()`` makes ``model2vec.StaticModel`` itself a
fastpool-backed subclass, under which LangChain, chonkie and semhash run
unchanged (each test skips when its package is missing; they are in the
``test`` extra).
"""

from __future__ import annotations

import json
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import model2vec
import numpy as np
import pytest
from model_factory import make_model_folder
from tokenizers import Tokenizer

import fastpool
from fastpool.patch import patch_model2vec, unpatch_model2vec

TEXTS = [
    "hello world",
    "The quick brown fox jumps over the lazy dog.",
    "Tokenizers split text into words and subword pieces. " * 30,
    "",
    "日本語 unknown 🙂",
]
ORIGINAL = model2vec.StaticModel


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return make_model_folder(tmp_path, normalize=True, max_length=64)


@pytest.fixture
def patched() -> Iterator[type]:
    cls = patch_model2vec()
    try:
        yield cls
    finally:
        unpatch_model2vec()
    assert model2vec.StaticModel is ORIGINAL


# -- fastpool.StaticModel's model2vec surface ------------------------------------------------


def test_from_pretrained_takes_model2vec_positional_arguments(folder: Path) -> None:
    # path, token, normalize, subfolder, quantize_to, dimensionality
    ours = fastpool.StaticModel.from_pretrained(folder, None, False, None, "float16", 8)
    theirs = ORIGINAL.from_pretrained(folder, None, False, None, "float16", 8)
    assert ours.normalize is theirs.normalize is False
    assert ours.dim == theirs.dim == 8 and ours.embedding_dtype == "float16"
    ours = fastpool.StaticModel.from_pretrained(folder, token="hf_x", force_download=False)
    assert ours.max_length == 64


def test_subfolder_and_load_local(tmp_path: Path) -> None:
    make_model_folder(tmp_path / "repo", name="sub")
    a = fastpool.StaticModel.from_pretrained(tmp_path / "repo", subfolder="sub")
    b = fastpool.StaticModel.load_local(tmp_path / "repo" / "sub")
    np.testing.assert_array_equal(a.encode(TEXTS), b.encode(TEXTS))


def test_vocabulary_quantization(folder: Path) -> None:
    pytest.importorskip("sklearn")
    ours = fastpool.StaticModel.from_pretrained(folder, vocabulary_quantization=20)
    assert ours.vocabulary_quantization == 20 and ours.token_mapping is not None
    assert ours.encode(TEXTS).shape == (len(TEXTS), 16)
    with pytest.raises(ValueError, match="already quantized"):
        fastpool.StaticModel.from_pretrained(
            make_model_folder(folder.parent, vocab_quantized=True), vocabulary_quantization=4
        )


def test_encode_accepts_what_callers_pass(folder: Path) -> None:
    model = fastpool.load(folder)
    theirs = ORIGINAL.from_pretrained(folder)
    expected = theirs.encode(TEXTS)
    got = model.encode(
        TEXTS,
        show_progress_bar=False,
        batch_size=2,
        use_multiprocessing=False,
        multiprocessing_threshold=1,
        convert_to_numpy=True,  # LangChain, chonkie
        convert_to_tensor=False,
        device="cpu",
    )
    np.testing.assert_allclose(got, expected, atol=1e-6, rtol=0)
    single = model.encode("hello world")
    assert single.shape == (model.dim,)
    np.testing.assert_allclose(single, theirs.encode("hello world"), atol=1e-6, rtol=0)


def test_model2vec_attributes(tmp_path: Path) -> None:
    folder = make_model_folder(tmp_path, vocab_quantized=True, normalize=True)
    (folder / "README.md").write_text("---\nbase_model: some/teacher\nlanguage:\n- en\n---\n")
    ours = fastpool.load(folder)
    theirs = ORIGINAL.from_pretrained(folder)
    assert ours.dim == theirs.dim
    np.testing.assert_array_equal(ours.embedding, theirs.embedding)
    np.testing.assert_array_equal(ours.token_mapping, theirs.token_mapping)
    assert ours.weights is not None and theirs.weights is not None
    np.testing.assert_allclose(ours.weights, theirs.weights, rtol=1e-6)
    assert ours.tokens == theirs.tokens
    assert ours.base_model_name == theirs.base_model_name == "some/teacher"
    assert ours.language == theirs.language == ["en"]
    assert ours.normalize is theirs.normalize is True
    assert ours.max_length == theirs.max_length == 512
    assert ours.unk_token_id == theirs.unk_token_id
    assert ours.median_token_length == theirs.median_token_length
    assert isinstance(ours.tokenizer, Tokenizer)
    assert ours.tokenizer.truncation == theirs.tokenizer.truncation
    assert ours.tokenizer.padding == theirs.tokenizer.padding
    ids = ours.tokenizer.encode("hello world", add_special_tokens=False).ids
    assert ids == theirs.tokenizer.encode("hello world", add_special_tokens=False).ids
    # The tokenizer is a copy: changing it leaves encode alone.
    before = ours.encode(TEXTS)
    ours.tokenizer.enable_truncation(1)
    np.testing.assert_array_equal(ours.encode(TEXTS), before)


def test_save_pretrained_keeps_model_type(folder: Path, tmp_path: Path) -> None:
    model = fastpool.load(folder)
    out = model.save_pretrained(tmp_path / "saved", "my-model", subfolder="sub")
    assert out == tmp_path / "saved" / "sub"
    config = json.loads((out / "config.json").read_text())
    assert config["model_type"] == "model2vec"
    np.testing.assert_allclose(
        ORIGINAL.from_pretrained(out).encode(TEXTS), model.encode(TEXTS), atol=1e-6, rtol=0
    )


# -- patch_model2vec -------------------------------------------------------------------------


def test_patch_swaps_the_class_everywhere(folder: Path) -> None:
    holder = types.ModuleType("holder_of_static_model")
    holder.StaticModel = ORIGINAL  # type: ignore[attr-defined]  # `from model2vec import StaticModel`
    sys.modules[holder.__name__] = holder
    try:
        cls = patch_model2vec()
        assert patch_model2vec() is cls  # idempotent
        import model2vec.model

        assert model2vec.StaticModel is cls and model2vec.model.StaticModel is cls
        assert holder.StaticModel is cls  # type: ignore[attr-defined]
        model: Any = model2vec.StaticModel.from_pretrained(folder)
        assert isinstance(model.fastpool_model, fastpool.StaticModel)
        assert isinstance(model, ORIGINAL) and isinstance(model, model2vec.StaticModel)
    finally:
        unpatch_model2vec()
        del sys.modules[holder.__name__]
    assert holder.StaticModel is ORIGINAL  # type: ignore[attr-defined]
    assert model2vec.StaticModel is ORIGINAL


@pytest.mark.parametrize("layout", ["model2vec", "st"])
def test_patched_model_encodes_as_model2vec(tmp_path: Path, patched: type, layout: str) -> None:
    folder = make_model_folder(tmp_path, layout=layout, vocab_quantized=layout == "model2vec")
    reference = ORIGINAL.from_pretrained(folder)  # model2vec's semantics, every layout
    model: Any = model2vec.StaticModel.from_pretrained(folder)
    for kwargs in ({}, {"max_length": 3}, {"normalize": True}, {"max_length": None}):
        np.testing.assert_allclose(
            model.encode(TEXTS, **kwargs), reference.encode(TEXTS, **kwargs), atol=1e-6, rtol=0
        )
    assert model.tokenize(TEXTS) == reference.tokenize(TEXTS)
    for ours, theirs in zip(
        model.encode_as_sequence(TEXTS), reference.encode_as_sequence(TEXTS), strict=True
    ):
        np.testing.assert_allclose(ours, theirs, atol=1e-6, rtol=0)
    assert model.dim == reference.dim and model.tokens == reference.tokens
    assert model.embedding_dtype == reference.embedding_dtype
    assert model.vocabulary_quantization == reference.vocabulary_quantization
    model.normalize = True
    assert model.config["normalize"] is True and model.fastpool_model.normalize is True
    model.max_length = 3
    np.testing.assert_allclose(
        model.encode(TEXTS), reference.encode(TEXTS, max_length=3, normalize=True), atol=1e-6
    )


def test_patched_model2vec_code_paths(folder: Path, tmp_path: Path, patched: type) -> None:
    """model2vec's own quantize_model, save_pretrained and constructor, on the subclass."""
    from model2vec.model import quantize_model

    model = model2vec.StaticModel.from_pretrained(folder)
    small = quantize_model(model, quantize_to="float16", dimensionality=8)
    assert isinstance(small, patched) and small.dim == 8
    model.save_pretrained(tmp_path / "saved")
    reloaded = ORIGINAL.from_pretrained(tmp_path / "saved")
    np.testing.assert_allclose(reloaded.encode(TEXTS), model.encode(TEXTS), atol=1e-6, rtol=0)
    built = model2vec.StaticModel(
        vectors=np.asarray(model.embedding), tokenizer=model.tokenizer, normalize=True
    )
    np.testing.assert_allclose(
        built.encode(TEXTS),
        ORIGINAL.from_pretrained(folder, max_length=512).encode(TEXTS),
        atol=1e-6,
        rtol=0,
    )


def test_python_m_fastpool_patch(folder: Path, tmp_path: Path) -> None:
    script = tmp_path / "script.py"
    script.write_text(
        "import sys, model2vec\n"
        "model = model2vec.StaticModel.from_pretrained(sys.argv[1])\n"
        "print(type(model).__name__, isinstance(model, model2vec.model.StaticModel),"
        " hasattr(model, 'fastpool_model'), model.encode(['hello world']).shape, sys.argv[2])\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "fastpool.patch", str(script), str(folder), "extra-arg"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == ["StaticModel", "True", "True", "(1,", "16)", "extra-arg"]
    usage = subprocess.run([sys.executable, "-m", "fastpool.patch"], capture_output=True, text=True)
    assert usage.returncode == 2 and "usage: python -m fastpool.patch" in usage.stderr


# -- third-party code, unchanged, on the patched class ---------------------------------------


def test_langchain_model2vec_embeddings(folder: Path, patched: type) -> None:
    lc = pytest.importorskip("langchain_community.embeddings")
    embeddings = lc.Model2vecEmbeddings(str(folder))
    assert isinstance(embeddings._model, patched)
    reference = ORIGINAL.from_pretrained(folder)
    documents = embeddings.embed_documents(TEXTS)
    np.testing.assert_allclose(documents, reference.encode(TEXTS), atol=1e-6, rtol=0)
    query = embeddings.embed_query("hello world")
    assert isinstance(query, list) and isinstance(query[0], float)
    np.testing.assert_allclose(query, reference.encode("hello world"), atol=1e-6, rtol=0)


def test_chonkie_model2vec_embeddings(folder: Path, patched: type) -> None:
    pytest.importorskip("chonkie")
    from chonkie import SemanticChunker
    from chonkie.embeddings import Model2VecEmbeddings

    embeddings = Model2VecEmbeddings(str(folder))
    assert isinstance(embeddings.model, patched)
    assert embeddings.dimension == 16
    reference = ORIGINAL.from_pretrained(folder)
    np.testing.assert_allclose(embeddings.embed(TEXTS[1]), reference.encode(TEXTS[1]), atol=1e-6)
    np.testing.assert_allclose(
        np.asarray(embeddings.embed_batch(TEXTS)), reference.encode(TEXTS), atol=1e-6, rtol=0
    )
    # A loaded instance passes chonkie's isinstance check.
    wrapped = Model2VecEmbeddings(model2vec.StaticModel.from_pretrained(folder))
    assert wrapped.dimension == 16
    chunker = SemanticChunker(embedding_model=wrapped, chunk_size=32, threshold=0.5)
    text = " ".join(TEXTS[:3])
    chunks = chunker.chunk(text)
    assert chunks and "".join(chunk.text for chunk in chunks) == text


def test_semhash(folder: Path, patched: type) -> None:
    pytest.importorskip("semhash")
    from semhash import SemHash

    model: Any = model2vec.StaticModel.from_pretrained(folder)
    records = [
        "the quick brown fox",
        "the quick brown fox",
        "The quick brown fox.",
        "tokenizers split text into pieces",
        "numbers like 42 appear in text",
    ]
    semhash = SemHash.from_records(records, model=model)
    result = semhash.self_deduplicate(threshold=0.95)
    kept = list(result.selected)
    assert "the quick brown fox" in kept and "tokenizers split text into pieces" in kept
    assert len(kept) < len(records)
