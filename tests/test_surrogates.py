"""Text that is not valid Unicode: a lone surrogate encodes as U+FFFD would (docs/models.md)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from model_factory import make_model_folder

import fastpool
from fastpool.tokenizer.surrogates import replace_lone_surrogates

BAD = ["plain text", "a\ud800b", "x \udfff y \ud83d", json.loads('"tab\\udc80le"')]
REPLACED = ["plain text", "a\ufffdb", "x \ufffd y \ufffd", "tab\ufffdle"]


@pytest.mark.parametrize("kind", ["wordpiece", "bpe", "unigram"])
@pytest.mark.parametrize("backend", ["auto", "tokenizers"])
def test_lone_surrogates_encode_as_the_replacement_character(tmp_path, kind, backend) -> None:
    model = fastpool.load(make_model_folder(tmp_path, kind=kind), tokenizer_backend=backend)
    want = model.encode(REPLACED)
    np.testing.assert_array_equal(model.encode(BAD), want)
    np.testing.assert_array_equal(model.encode(BAD[1]), want[1])
    assert model.tokenize(BAD) == model.tokenize(REPLACED)
    np.testing.assert_array_equal(model.encode(BAD * 700, batch_size=64), np.tile(want, (700, 1)))


def test_the_bundled_model_on_both_backends() -> None:
    native = fastpool.load()
    plain = fastpool.load(tokenizer_backend="tokenizers")
    assert native.tokenizer_backend == "native"
    np.testing.assert_array_equal(native.encode(BAD), plain.encode(BAD))
    np.testing.assert_array_equal(native.encode(BAD), native.encode(REPLACED))


def test_replacement_leaves_valid_text_alone() -> None:
    texts = ["ok", "naïve café", "\U0001f600"]
    assert replace_lone_surrogates(texts) is texts
    assert replace_lone_surrogates(BAD) == REPLACED


def test_other_bad_input_still_raises() -> None:
    model = fastpool.load(tokenizer_backend="tokenizers")
    with pytest.raises(TypeError, match="sentences must be strings, got int at index 1"):
        model.encode(["ok", 3])  # type: ignore[list-item]
