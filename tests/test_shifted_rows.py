"""float32 tables whose rows start inside a cache line (numpy's large arrays, most
memory-mapped model files): the AVX-512 kernel reads them as whole lines with the
lanes outside each row masked off, and shifts the sums into place once per row."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import kernel_isa, make_batch, table_at_shift
from reference import assert_pooled_close, pool_reference

import fastpool
from fastpool import _core

DIM = 256  # a whole AVX-512 row: the width the shifted reads serve


@pytest.mark.parametrize("isa", ["baseline", "avx2", "avx512"])
@pytest.mark.parametrize("shift", range(16))
def test_rows_inside_cache_lines_match_reference(rng, isa, shift):
    table = table_at_shift(rng, 40, DIM, shift)
    assert _core.kernel_row_shift(table) == shift
    ids, offsets = make_batch(rng, 25, 40)
    # The first and the last table row read memory around the table, masked.
    ids = np.concatenate([[0, 39], ids, [39, 0]]).astype(ids.dtype)
    offsets = np.concatenate([[0], offsets + 2, [offsets[-1] + 4]])
    with kernel_isa(isa):
        got = fastpool.encode(ids, offsets, table, n_threads=2)
        summed = fastpool.encode(ids, offsets, table, mode="sum", normalize=False)
    assert np.isfinite(got).all() and np.isfinite(summed).all()
    assert_pooled_close(got, pool_reference(ids, offsets, table), "float32")
    want_sum = pool_reference(ids, offsets, table, mode="sum", normalize=False)
    assert_pooled_close(summed, want_sum, "float32")


@pytest.mark.parametrize("shift", [1, 4, 15])
def test_shifted_rows_with_mapping_and_weights(rng, shift):
    table = table_at_shift(rng, 30, DIM, shift)
    mapping = rng.integers(0, 30, size=50).astype(np.int32)
    mapping[:2] = [0, 29]
    weights = rng.random(50).astype(np.float32)
    ids, offsets = make_batch(rng, 20, 50)
    ids[:2] = [0, 1]
    for kwargs in ({"mapping": mapping}, {"mapping": mapping, "weights": weights}):
        got = fastpool.encode(ids, offsets, table, **kwargs)
        assert_pooled_close(got, pool_reference(ids, offsets, table, **kwargs), "float32")


def test_row_shift_needs_rows_a_whole_number_of_lines_apart(rng):
    aligned = table_at_shift(rng, 8, DIM, 0)
    assert _core.kernel_row_shift(aligned) == 0
    # Rows 100 floats apart start at a different place in their line each: no one shift.
    uneven = table_at_shift(rng, 8, 100, 3)
    assert _core.kernel_row_shift(uneven) == 0
    assert _core.kernel_row_shift(table_at_shift(rng, 8, DIM, 5)[:, :128]) == 5
    with pytest.raises(TypeError, match="float32"):
        _core.kernel_row_shift(aligned.astype(np.float16))
