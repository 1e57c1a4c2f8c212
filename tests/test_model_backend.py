"""StaticModel's choice of tokenizer backend, and that both backends agree."""

from __future__ import annotations

import numpy as np
import pytest
from model_factory import make_model_folder

import fastpool
from fastpool import StaticModel

TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "",
    "Café, naïve, RÉSUMÉ — façade!!! [UNK] [PAD]",
    "中文字符 and emoji 😀🎉 with\todd\u00a0whitespace\u200b",
    "word " * 700,
    "x" * 3000,
]


@pytest.fixture(scope="module")
def bert_folder():
    """The bundled model: the real all-MiniLM-L6-v2 tokenizer (BERT WordPiece)."""
    from fastpool._api import default_model_path

    return default_model_path()


def test_auto_picks_native_for_bert_wordpiece(bert_folder):
    assert StaticModel.from_pretrained(bert_folder).tokenizer_backend == "native"


def test_auto_falls_back_to_tokenizers(tmp_path):
    folder = make_model_folder(tmp_path, kind="bpe")  # a Whitespace pre-tokenizer
    assert StaticModel.from_pretrained(folder).tokenizer_backend == "tokenizers"
    with pytest.raises(ValueError, match="the native tokenizer cannot run this model"):
        StaticModel.from_pretrained(folder, tokenizer_backend="native")


def test_auto_picks_native_for_unigram_with_nfkc(tmp_path):
    folder = make_model_folder(tmp_path, kind="unigram")
    assert StaticModel.from_pretrained(folder).tokenizer_backend == "native"


def test_forcing_and_rejecting_backends(bert_folder):
    model = StaticModel.from_pretrained(bert_folder, tokenizer_backend="tokenizers")
    assert model.tokenizer_backend == "tokenizers"
    with pytest.raises(ValueError, match="tokenizer_backend must be one of auto, native, "):
        StaticModel.from_pretrained(bert_folder, tokenizer_backend="rust")


@pytest.mark.parametrize("max_length", [None, 8, 512])
@pytest.mark.parametrize("normalize", [True, False])
def test_backends_give_identical_vectors(bert_folder, max_length, normalize):
    native = StaticModel.from_pretrained(bert_folder)
    hf = StaticModel.from_pretrained(bert_folder, tokenizer_backend="tokenizers")
    kwargs = dict(max_length=max_length, normalize=normalize)
    np.testing.assert_array_equal(native.encode(TEXTS, **kwargs), hf.encode(TEXTS, **kwargs))
    assert native.tokenize(TEXTS, max_length=max_length) == hf.tokenize(
        TEXTS, max_length=max_length
    )
    for a, b in zip(
        native.encode_as_sequence(TEXTS, max_length=max_length),
        hf.encode_as_sequence(TEXTS, max_length=max_length),
        strict=True,
    ):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", ["float32", "float16", "int8"])
@pytest.mark.parametrize("vocab_quantized", [False, True])
def test_backends_agree_on_wordpiece_folders(tmp_path, dtype, vocab_quantized):
    folder = make_model_folder(
        tmp_path, kind="wordpiece", dtype=dtype, vocab_quantized=vocab_quantized, weights=True
    )
    native = StaticModel.from_pretrained(folder)
    hf = StaticModel.from_pretrained(folder, tokenizer_backend="tokenizers")
    assert native.tokenizer_backend == "native"
    np.testing.assert_array_equal(native.encode(TEXTS), hf.encode(TEXTS))


def test_native_encode_with_progress_bar_and_threads(bert_folder):
    model = StaticModel.from_pretrained(bert_folder)
    whole = model.encode(TEXTS * 20, n_threads=1)
    np.testing.assert_array_equal(
        model.encode(TEXTS * 20, batch_size=7, show_progress_bar=True), whole
    )
    np.testing.assert_array_equal(model.encode(TEXTS * 20, n_threads=2), whole)
    np.testing.assert_array_equal(model.encode(TEXTS[0]), whole[0])
    assert model.encode([]).shape == (0, model.dim)


def test_load_passes_the_backend(bert_folder):
    assert fastpool.load(bert_folder).tokenizer_backend == "native"
    assert fastpool.load(bert_folder, tokenizer_backend="tokenizers").tokenizer_backend == (
        "tokenizers"
    )
