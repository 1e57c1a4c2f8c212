"""The fused native encode (tokenize + pool in one pass) vs its two-step spelling and model2vec."""

from __future__ import annotations

import numpy as np
import pytest
from native_tokenizer_util import pair, variant_json

import fastpool

TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "",
    "[UNK] [UNK]",
    "naïve café, 中文!",
    "unaffable supercalifragilistic " * 20,
    "a",
    "🙂 \u0301 \x00",
    "x" * 150,
] * 13


@pytest.fixture(scope="module")
def nt():
    return pair(variant_json("bert"))[1]


@pytest.fixture(scope="module")
def table():
    rng = np.random.default_rng(0)
    return rng.standard_normal((30522, 48)).astype(np.float32)


def _two_step(nt, texts, table, **kw):
    limits = {k: kw.pop(k) for k in ("max_chars", "max_tokens") if k in kw}
    ids, offsets = nt.tokenize_csr(texts, drop_unk=True, **limits)
    return fastpool.encode(ids, offsets, table, **kw)


@pytest.mark.parametrize("dtype", ["float32", "float16", "float64", "int8", "bfloat16"])
@pytest.mark.parametrize("normalize", [True, False])
def test_fused_equals_two_step(nt, table, dtype, normalize):
    if dtype == "bfloat16":
        ml_dtypes = pytest.importorskip("ml_dtypes")
        tab = table.astype(ml_dtypes.bfloat16)
    elif dtype == "int8":
        tab = np.clip(table * 40, -127, 127).astype(np.int8)
    else:
        tab = table.astype(dtype)
    got = nt.encode(TEXTS, tab, normalize=normalize, max_chars=200, max_tokens=30)
    want = _two_step(nt, TEXTS, tab, normalize=normalize, max_chars=200, max_tokens=30)
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("per_row", [False, True])
def test_fused_int8_scale(nt, table, per_row):
    tab = np.clip(table * 40, -127, 127).astype(np.int8)
    rng = np.random.default_rng(2)
    scale = rng.random(tab.shape[0]).astype(np.float32) if per_row else np.float32(0.025)
    got = nt.encode(TEXTS, tab, scale=scale, max_tokens=30)
    want = _two_step(nt, TEXTS, tab, scale=scale, max_tokens=30)
    np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="scale applies to int8 tables only"):
        nt.encode(TEXTS, table, scale=scale)


def test_fused_weights_mapping_and_threads(nt, table):
    rng = np.random.default_rng(1)
    weights = rng.random(30522).astype(np.float32)
    mapping = rng.integers(0, 500, size=30522).astype(np.int32)
    small = table[:500]
    texts = TEXTS * 20
    want = _two_step(nt, texts, small, weights=weights, mapping=mapping)
    for n_threads in (1, 2, 3):
        got = nt.encode(texts, small, weights=weights, mapping=mapping, n_threads=n_threads)
        np.testing.assert_array_equal(got, want)
    out = np.full((len(texts), small.shape[1]), np.nan, dtype=np.float32)
    assert nt.encode(texts, small, weights=weights, mapping=mapping, out=out) is out
    np.testing.assert_array_equal(out, want)


def test_matches_model2vec(nt, table):
    m2v = pytest.importorskip("model2vec")
    hf, _ = pair(variant_json("bert"))
    model = m2v.StaticModel(table, hf, normalize=True, max_length=16)
    texts = TEXTS[:16]
    want = model.encode(texts, use_multiprocessing=False)
    got = nt.encode(texts, table, max_tokens=16, max_chars=16 * model.median_token_length)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_empty_batch_and_errors(nt, table):
    assert nt.encode([], table).shape == (0, 48)
    with pytest.raises(
        ValueError,
        match=r"the tokenizer has 30522 token ids but the model has only 100 \(table rows\)",
    ):
        nt.encode(["a"], table[:100])
    with pytest.raises(ValueError, match="mapping must be in \\[0, 100\\)"):
        nt.encode(["a"], table[:100], mapping=np.arange(30522))
    with pytest.raises(ValueError, match="weights must be 1-D with one entry per token id"):
        nt.encode(["a"], table, weights=np.ones(10))
    with pytest.raises(ValueError, match=r"out must have shape \(1, 48\), got \(2, 48\)"):
        nt.encode(["a"], table, out=np.empty((2, 48), dtype=np.float32))
    # The same inputs as fastpool.encode: one weight per token id, exactly, and no
    # out that overlaps the table.
    with pytest.raises(ValueError, match=r"one entry per token id \(table rows = 30522\)"):
        nt.encode(["a"], table, weights=np.ones(30523))
    with pytest.raises(ValueError, match="out must not share memory"):
        own = table.copy()
        nt.encode(["a"], own, out=own[:1])
    with pytest.raises(TypeError, match="table dtype must be"):
        nt.encode(["a"], table.astype(np.complex64))
