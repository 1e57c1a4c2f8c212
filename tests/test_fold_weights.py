"""load(fold_weights=True): weights multiplied into the rows once, same vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from model_factory import make_model_folder, make_tokenizer, write_safetensors

import fastpool

TEXTS = ["hello world", "", "a longer sentence with more words in it", "unknown zzqx tokens"]


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16", "int8", "float64"])
def test_folded_model_encodes_like_the_weighted_one(tmp_path: Path, dtype: str) -> None:
    folder = make_model_folder(tmp_path, dtype=dtype, weights=True)
    weighted = fastpool.load(folder)
    folded = fastpool.load(folder, fold_weights=True)
    assert weighted.weights is not None
    assert folded.weights is None
    assert folded.table.dtype == (np.float64 if dtype == "float64" else np.float32)
    assert folded.table.ctypes.data % 64 == 0  # rows on cache lines
    expected = np.asarray(weighted.table, dtype=np.float64) * weighted.weights[:, None]
    np.testing.assert_allclose(folded.table, expected, rtol=1e-6, atol=1e-7)
    for normalize in (True, False):
        want = weighted.encode(TEXTS, normalize=normalize)
        # Folding rounds each row once more: a float32 sum's error scales with the size of
        # its terms, so an element that cancels to near 0 gets the row's absolute tolerance.
        np.testing.assert_allclose(
            folded.encode(TEXTS, normalize=normalize),
            want,
            rtol=1e-5,
            atol=1e-6 * max(1.0, float(np.abs(want).max())),
        )


def test_without_weights_fold_changes_nothing(tmp_path: Path) -> None:
    folder = make_model_folder(tmp_path, weights=False)
    plain = fastpool.load(folder)
    folded = fastpool.load(folder, fold_weights=True)
    assert folded.weights is None
    np.testing.assert_array_equal(folded.encode(TEXTS), plain.encode(TEXTS))


def test_a_mapping_cannot_be_folded(tmp_path: Path) -> None:
    folder = make_model_folder(tmp_path, vocab_quantized=True)
    with pytest.raises(ValueError, match="model.safetensors: fold_weights needs a model without"):
        fastpool.load(folder, fold_weights=True)


def test_wrong_weights_shape_names_the_file(tmp_path: Path) -> None:
    folder = make_model_folder(tmp_path)
    n = make_tokenizer("wordpiece").get_vocab_size()
    table = np.ones((n, 4), np.float32)
    write_safetensors(
        folder / "model.safetensors", {"embeddings": table, "weights": np.ones(n - 1)}
    )
    with pytest.raises(ValueError, match="model.safetensors: fold_weights needs one weight per"):
        fastpool.load(folder, fold_weights=True)


def test_folded_model_saves_and_pickles(tmp_path: Path) -> None:
    import pickle

    folder = make_model_folder(tmp_path, weights=True)
    folded = fastpool.load(folder, fold_weights=True)
    folded.save_pretrained(tmp_path / "saved")
    again = fastpool.load(tmp_path / "saved")
    assert again.weights is None
    np.testing.assert_array_equal(again.encode(TEXTS), folded.encode(TEXTS))
    clone = pickle.loads(pickle.dumps(folded))
    assert clone.weights is None
    np.testing.assert_array_equal(clone.encode(TEXTS), folded.encode(TEXTS))
