"""model2vec 0.10's constructor, attributes and quantization API on fastpool.StaticModel.

Each behaviour is compared with model2vec's own class on the same inputs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import model2vec
import model2vec.quantization as m2v_quant
import numpy as np
import pytest
from model_factory import make_model_folder, make_tokenizer
from tokenizers import Tokenizer

import fastpool
from fastpool import StaticModel
from fastpool.quantization import (
    DType,
    quantize_and_reduce_dim,
    quantize_embeddings,
    quantize_model,
    quantize_vocabulary,
)

TEXTS = ["hello world", "The quick brown fox jumps over the lazy dog.", "", "Mean pooling"]


@pytest.fixture(params=["wordpiece", "bpe", "unigram"])
def tokenizer(request: pytest.FixtureRequest) -> Tokenizer:
    return make_tokenizer(request.param)


def table_for(tokenizer: Tokenizer, dim: int = 8, seed: int = 0) -> np.ndarray:
    n = tokenizer.get_vocab_size()
    return np.random.default_rng(seed).standard_normal((n, dim))  # float64, as model2vec's tests


def both(*args, **kwargs):  # type: ignore[no-untyped-def]
    return StaticModel(*args, **kwargs), model2vec.StaticModel(*args, **kwargs)


# -- the constructor ---------------------------------------------------------------------------


def test_positional_and_keyword_forms(tokenizer: Tokenizer) -> None:
    table = table_for(tokenizer)
    config = {"some": "value", "normalize": True, "max_length": 7}
    weights = np.linspace(0.5, 1.5, len(table))
    forms = [
        ((table, tokenizer), {}),
        ((table, tokenizer, config), {}),
        ((table, tokenizer, config, True, "base/x", ["en"], weights, None, 16), {}),
        ((), {"vectors": table, "tokenizer": tokenizer, "config": config, "normalize": True,
              "base_model_name": "base/x", "language": ["en"], "max_length": None}),
    ]  # fmt: skip
    for args, kwargs in forms:
        ours, theirs = both(*args, **kwargs)
        assert ours.config == theirs.config
        assert (ours.normalize, ours.max_length) == (theirs.normalize, theirs.max_length)
        assert (ours.base_model_name, ours.language) == (theirs.base_model_name, theirs.language)
        assert ours.tokens == theirs.tokens
        assert ours.tokenizer.truncation == theirs.tokenizer.truncation
        assert ours.tokenizer.padding == theirs.tokenizer.padding
        np.testing.assert_allclose(ours.encode(TEXTS), theirs.encode(TEXTS), atol=1e-6, rtol=0)
    assert config == {"some": "value", "normalize": True, "max_length": 7}  # never mutated


def test_normalize_and_max_length_are_authoritative(tokenizer: Tokenizer) -> None:
    table = table_for(tokenizer)
    cases: list[tuple[dict[str, Any], dict[str, Any]]] = [
        ({"normalize": True}, {}),
        ({"normalize": False}, {"normalize": True}),
        ({"normalize": True}, {"normalize": False}),
        ({"max_length": 3}, {}),
        ({"max_length": 3}, {"max_length": None}),
    ]
    for config, kwargs in cases:
        ours, theirs = both(table, tokenizer, config, **kwargs)
        assert ours.normalize is theirs.normalize
        assert ours.max_length == theirs.max_length
        assert ours.config == theirs.config


def test_token_mapping_and_the_mismatch_error(tokenizer: Tokenizer) -> None:
    n = tokenizer.get_vocab_size()
    small = table_for(tokenizer)[:5]
    with pytest.raises(ValueError, match=rf"the table has 5 rows but the tokenizer has {n} tokens"):
        StaticModel(small, tokenizer)
    with pytest.raises(ValueError):
        model2vec.StaticModel(small, tokenizer)
    mapping = np.arange(n) % 5
    weights = np.linspace(0.1, 2.0, n)
    ours, theirs = both(small, tokenizer, weights=weights, token_mapping=mapping)
    np.testing.assert_allclose(ours.encode(TEXTS), theirs.encode(TEXTS), atol=1e-6, rtol=0)
    assert ours.vocabulary_quantization == theirs.vocabulary_quantization == 5
    # fastpool's earlier spellings still work, but not beside the new ones.
    old = StaticModel(small, tokenizer, mapping=mapping, base_model="b")
    assert old.base_model_name == "b" and old.token_mapping is not None
    with pytest.raises(TypeError, match="pass token_mapping or mapping, not both"):
        StaticModel(small, tokenizer, token_mapping=mapping, mapping=mapping)
    with pytest.raises(TypeError, match="tokenizer must be a tokenizers.Tokenizer, got str"):
        StaticModel(small, "bert-base-uncased")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="config must be a mapping or None, got list"):
        StaticModel(table_for(tokenizer), tokenizer, [])  # type: ignore[arg-type]


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "int8", "fortran"])
def test_table_dtypes_and_order(tokenizer: Tokenizer, dtype: str) -> None:
    table = table_for(tokenizer)
    if dtype == "fortran":
        table = np.asfortranarray(table)
    elif dtype == "int8":
        table = np.clip(np.rint(table * 40), -127, 127).astype(np.int8)
    else:
        table = table.astype(dtype)
    ours, theirs = both(table, tokenizer, normalize=True)
    expected = theirs.encode(TEXTS).astype(np.float32)
    got = ours.encode(TEXTS)
    assert got.dtype == np.float32  # fastpool's output stays float32 (docs/models.md)
    tol = 2e-3 if dtype == "float16" else 1e-6
    np.testing.assert_allclose(got, expected, atol=tol, rtol=0)
    np.testing.assert_array_equal(ours.embedding, table)


def test_two_models_over_one_tokenizer_share_nothing(tokenizer: Tokenizer) -> None:
    table = table_for(tokenizer)
    a = StaticModel(table, tokenizer, max_length=128)
    b = StaticModel(table, tokenizer, max_length=256)
    b.max_length = 8
    assert a.tokenizer.truncation["max_length"] == 128
    assert b.tokenizer.truncation["max_length"] == 8
    before = a.encode(TEXTS)
    a.tokenizer.enable_truncation(1)  # a copy: encode keeps the model's own settings
    np.testing.assert_array_equal(a.encode(TEXTS), before)


# -- settable attributes ----------------------------------------------------------------------


def test_setting_model2vec_attributes(tmp_path: Path) -> None:
    folder = make_model_folder(tmp_path, normalize=True)
    ours = StaticModel.from_pretrained(folder)
    theirs: Any = model2vec.StaticModel.from_pretrained(folder)
    assert not ours.embedding.flags.writeable  # memory-mapped
    mapped_bytes = (folder / "model.safetensors").read_bytes()
    new = np.asarray(ours.embedding) * 2.0
    ours.embedding = new
    theirs.embedding = new
    np.testing.assert_allclose(ours.encode(TEXTS), theirs.encode(TEXTS), atol=1e-6, rtol=0)
    weights = np.linspace(0.5, 1.5, len(new))
    ours.weights = weights
    theirs.weights = weights
    np.testing.assert_allclose(ours.encode(TEXTS), theirs.encode(TEXTS), atol=1e-6, rtol=0)
    assert ours.weights is not None and ours.weights.dtype == np.float64
    ours.set_arrays(new[:4], weights, np.arange(len(new)) % 4)
    theirs.embedding, theirs.token_mapping = new[:4], np.arange(len(new)) % 4
    np.testing.assert_allclose(ours.encode(TEXTS), theirs.encode(TEXTS), atol=1e-6, rtol=0)
    with pytest.raises(ValueError, match="mapping must be in"):
        ours.embedding = new[:2]  # the mapping points past the new table
    assert (folder / "model.safetensors").read_bytes() == mapped_bytes  # never written
    ours.tokenizer = make_tokenizer("wordpiece")
    ours.base_model_name, ours.language = "a/b", ["nl"]
    ours.tokens = ("x",)
    assert (ours.base_model_name, ours.language, ours.tokens) == ("a/b", ["nl"], ("x",))
    ours.config = {"note": 1}
    assert ours.config == {"note": 1}
    ours.config["other"] = 2
    ours.save_pretrained(tmp_path / "saved")
    saved: Any = model2vec.StaticModel.from_pretrained(tmp_path / "saved")
    assert saved.config["note"] == 1 and saved.config["other"] == 2
    assert saved.base_model_name == "a/b" and saved.language == ["nl"]
    # The replaced config has no "normalize" (as in model2vec, the save says what it holds).
    np.testing.assert_allclose(
        saved.encode(TEXTS, normalize=True), ours.encode(TEXTS), atol=1e-6, rtol=0
    )
    for name in ("unk_token_id", "median_token_length", "dim"):
        with pytest.raises(AttributeError):
            setattr(ours, name, 1)


def test_a_changed_model_no_longer_pickles_as_its_folder(tmp_path: Path) -> None:
    import pickle

    model = StaticModel.from_pretrained(make_model_folder(tmp_path))
    assert len(pickle.dumps(model)) < 2000
    model.embedding = np.asarray(model.embedding) + 1.0
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(again.encode(TEXTS), model.encode(TEXTS))


# -- quantization -----------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["float64", "float32", "float16"])
@pytest.mark.parametrize("target", list(DType) + ["int8", "float16"])
def test_quantize_embeddings_equals_model2vec(source: str, target: DType | str) -> None:
    table = np.random.default_rng(1).standard_normal((50, 6)).astype(source)
    ours = quantize_embeddings(table, target)
    theirs = m2v_quant.quantize_embeddings(table, m2v_quant.DType(target))
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)
    if ours.dtype == table.dtype:
        assert ours is table  # model2vec returns the same array


def test_dtype_mirrors_model2vec() -> None:
    assert [(d.name, d.value) for d in DType] == [(d.name, d.value) for d in m2v_quant.DType]
    assert DType.Int8 == "int8" and DType("float16") is DType.Float16
    with pytest.raises(ValueError, match="quantize_to must be one of float16, float32"):
        quantize_embeddings(np.zeros((2, 2)), "bfloat8")


def test_quantize_and_reduce_dim_equals_model2vec() -> None:
    table = np.random.default_rng(2).standard_normal((20, 6)).astype(np.float32)
    for quantize_to, dims in [(None, None), ("float16", None), (None, 3), (DType.Int8, 2)]:
        ours = quantize_and_reduce_dim(table, quantize_to, dims)
        theirs = m2v_quant.quantize_and_reduce_dim(table, quantize_to, dims)
        assert ours.dtype == theirs.dtype
        np.testing.assert_array_equal(ours, theirs)
    with pytest.raises(ValueError, match=r"dimensionality must be in \[1, 6\], got 7"):
        quantize_and_reduce_dim(table, None, 7)


@pytest.mark.parametrize("dtype", ["float32", "float16", "float64"])
@pytest.mark.parametrize("with_weights", [False, True])
def test_quantize_vocabulary_equals_model2vec(dtype: str, with_weights: bool) -> None:
    pytest.importorskip("sklearn")
    from model2vec.vocabulary_quantization import quantize_vocabulary as theirs_fn

    rng = np.random.default_rng(3)
    table = rng.standard_normal((300, 4)).astype(dtype)
    weights = rng.uniform(size=300) if with_weights else None
    ours = quantize_vocabulary(8, weights, table)
    theirs = theirs_fn(8, weights, table)
    for a, b in zip(ours, theirs, strict=True):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


def test_quantize_model_equals_model2vec(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    folder = make_model_folder(tmp_path, normalize=True)
    ours_model = StaticModel.from_pretrained(folder)
    theirs_model: Any = model2vec.StaticModel.from_pretrained(folder)
    assert fastpool.quantize_model is quantize_model
    cases: list[dict[str, Any]] = [
        {"quantize_to": "int8"},
        {"dimensionality": 4},
        {"vocabulary_quantization": 20, "quantize_to": DType.Float16},
    ]
    for kwargs in cases:
        ours = quantize_model(ours_model, **kwargs)
        theirs = model2vec.quantize_model(theirs_model, **kwargs)
        assert type(ours) is StaticModel and ours is not ours_model
        np.testing.assert_array_equal(ours.embedding, theirs.embedding)
        assert ours.embedding_dtype == theirs.embedding_dtype
        assert ours.vocabulary_quantization == theirs.vocabulary_quantization
        assert ours.normalize is theirs.normalize is True
        atol = 5e-3 if "quantize_to" in kwargs else 1e-6
        np.testing.assert_allclose(
            ours.encode(TEXTS), theirs.encode(TEXTS).astype(np.float32), atol=atol, rtol=0
        )
    assert ours_model.embedding_dtype == "float32"  # the source is left alone
    with pytest.raises(ValueError, match="already quantized"):
        quantize_model(ours, vocabulary_quantization=4)
    # model2vec's own class goes through its constructor.
    again = quantize_model(theirs_model, quantize_to="float16")
    assert type(again) is model2vec.StaticModel and again.embedding_dtype == "float16"


def test_the_two_quantize_embeddings() -> None:
    import sentence_transformers

    vectors = np.random.default_rng(4).standard_normal((10, 16)).astype(np.float32)
    np.testing.assert_array_equal(
        fastpool.quantize_embeddings(vectors, "ubinary"),
        sentence_transformers.quantize_embeddings(vectors, "ubinary"),
    )
    assert fastpool.quantization.quantize_embeddings(vectors, "int8").dtype == np.int8
