"""The bundled default model: fastpool.load() and fastpool.encode(ids, offsets) with no table."""

from __future__ import annotations

import numpy as np
import pytest

import fastpool
from fastpool._api import default_model, default_model_path


def test_load_without_path_is_the_bundled_model():
    model = fastpool.load()
    assert model.dim == 256
    assert model.tokenizer_backend == "native"
    assert model.normalize is True
    assert (default_model_path() / "LICENSE").is_file()
    assert default_model() is default_model()  # loaded once per process


def test_encode_without_table_uses_the_bundled_table():
    model = fastpool.load()
    texts = ["static embeddings are fast", "", "a lookup table per token"]
    ids, offsets = model.tokenize_csr(texts)
    np.testing.assert_array_equal(fastpool.encode(ids, offsets), model.encode(texts))


def test_bundled_model_finds_the_related_sentence():
    model = fastpool.load()
    docs = model.encode(["The cat sat on the mat.", "Stock markets fell sharply today."])
    query = model.encode("A kitten is sitting on a rug.")
    assert np.argmax(docs @ query) == 0


def test_weights_without_table_is_an_error():
    with pytest.raises(ValueError, match="weights, mapping and scale need a table"):
        fastpool.encode([1], [0, 1], weights=np.ones(29525))
