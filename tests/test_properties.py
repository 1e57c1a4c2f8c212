"""Property tests: random ragged batches against the numpy reference."""

from __future__ import annotations

import numpy as np
from conftest import TABLE_DTYPES, make_table
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import assert_pooled_close, pool_reference

import fastpool


@st.composite
def batches(draw):
    n_vocab = draw(st.integers(1, 60))
    dim = draw(st.integers(0, 80))
    lengths = draw(st.lists(st.integers(0, 25), max_size=30))
    offsets = np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)]).astype(np.int64)
    ids = np.array(
        draw(
            st.lists(
                st.integers(0, n_vocab - 1), min_size=int(offsets[-1]), max_size=int(offsets[-1])
            )
        ),
        dtype=np.int64,
    )
    dtype = draw(st.sampled_from(TABLE_DTYPES))
    ids_dtype = draw(st.sampled_from([np.int32, np.int64]))
    use_mapping = draw(st.booleans())
    use_weights = draw(st.booleans())
    mode = draw(st.sampled_from(["mean", "sum"]))
    normalize = draw(st.booleans())
    n_threads = draw(st.sampled_from([1, 2, 3, 8]))
    seed = draw(st.integers(0, 2**32 - 1))
    return (
        n_vocab,
        dim,
        ids.astype(ids_dtype),
        offsets,
        dtype,
        use_mapping,
        use_weights,
        mode,
        normalize,
        n_threads,
        seed,
    )


@settings(max_examples=300, deadline=None)
@given(batches())
def test_random_batches_match_reference(batch):
    (
        n_vocab,
        dim,
        ids,
        offsets,
        dtype,
        use_mapping,
        use_weights,
        mode,
        normalize,
        n_threads,
        seed,
    ) = batch
    rng = np.random.default_rng(seed)
    n_table = max(1, n_vocab // 2) if use_mapping else n_vocab
    table = make_table(rng, n_table, dim, dtype)
    mapping = rng.integers(0, n_table, size=n_vocab) if use_mapping else None
    weights = rng.random(n_vocab).astype(np.float32) if use_weights else None
    got = fastpool.encode(
        ids,
        offsets,
        table,
        weights=weights,
        mapping=mapping,
        mode=mode,
        normalize=normalize,
        n_threads=n_threads,
    )
    want = pool_reference(
        ids, offsets, table, weights=weights, mapping=mapping, mode=mode, normalize=normalize
    )
    assert got.shape == (len(offsets) - 1, dim)
    assert not np.isnan(got).any()
    assert_pooled_close(got, want, dtype)
