"""persistence.quantize_vocabulary: fastpool's k-means vocabulary quantization gives
model2vec 0.10's table, mapping and weights (same scikit-learn KMeans settings, same seed)."""

from __future__ import annotations

import numpy as np
import pytest

from fastpool import _api
from fastpool.persistence import load_parts, quantize_vocabulary

pytest.importorskip("sklearn")


@pytest.fixture(scope="module")
def rows() -> np.ndarray:
    """2,000 rows of the bundled model's real table (float16, as shipped)."""
    table = load_parts(_api.default_model_path()).table
    return np.asarray(table[:2000])


@pytest.mark.parametrize("with_weights", [False, True])
def test_matches_model2vec(rows: np.ndarray, with_weights: bool) -> None:
    m2v = pytest.importorskip("model2vec.vocabulary_quantization")
    weights = np.linspace(0.5, 1.0, len(rows)) if with_weights else None
    table, mapping, token_weights = quantize_vocabulary(32, rows, weights, None, None)
    want_table, want_mapping, want_weights = m2v.quantize_vocabulary(
        n_clusters=32, weights=weights, embeddings=rows
    )
    assert table.dtype == want_table.dtype == rows.dtype
    np.testing.assert_array_equal(table, want_table)
    np.testing.assert_array_equal(mapping, want_mapping)
    np.testing.assert_array_equal(token_weights, want_weights)
    assert mapping.dtype == np.int32 and table.shape == (32, rows.shape[1])


def test_errors(rows: np.ndarray) -> None:
    with pytest.raises(ValueError, match="vocabulary_quantization must be a positive int, got 0"):
        quantize_vocabulary(0, rows, None, None, None)
    with pytest.raises(ValueError, match=r"at most the number of rows \(2000\), got 3000"):
        quantize_vocabulary(3000, rows, None, None, None)
    with pytest.raises(ValueError, match="already quantized"):
        quantize_vocabulary(4, rows, None, np.zeros(len(rows), np.int32), None)
    with pytest.raises(ValueError, match=r"one entry per row, shape \(2000,\), got shape \(3,\)"):
        quantize_vocabulary(4, rows, np.ones(3), None, None)
