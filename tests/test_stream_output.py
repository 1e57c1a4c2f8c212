"""Large outputs: the kernel writes them with non-temporal stores; the values must not change."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import kernel_isa, make_batch, make_table
from reference import assert_pooled_close, pool_reference

import fastpool
from fastpool import _core

STREAM = _core.STREAM_OUTPUT_BYTES


def _rows_over_threshold(dim: int) -> int:
    return STREAM // (4 * dim) + 3


def test_empty_rows_aligns_only_large_outputs():
    large = _core.empty_rows(_rows_over_threshold(256), 256)
    assert large.ctypes.data % 64 == 0
    assert large.dtype == np.float32 and large.flags.c_contiguous and large.flags.writeable
    assert _core.kernel_streams_output(large)
    small = _core.empty_rows(4, 256)
    assert small.shape == (4, 256) and small.dtype == np.float32
    assert not _core.kernel_streams_output(small)
    # Rows whose width is not a whole number of cache lines are never streamed.
    assert not _core.kernel_streams_output(_core.empty_rows(STREAM // (4 * 100) + 3, 100))


@pytest.mark.parametrize("isa", ["baseline", "avx2", "avx512"])
@pytest.mark.parametrize("dim", [128, 256])
@pytest.mark.parametrize("dtype", ["float32", "float16", "int8"])
def test_streamed_output_matches_reference(rng, isa, dim, dtype):
    n_rows = _rows_over_threshold(dim)
    table = make_table(rng, 500, dim, dtype)
    weights = rng.random(500).astype(np.float32) if dtype == "float16" else None
    ids, offsets = make_batch(rng, n_rows, 500, max_len=6)
    with kernel_isa(isa):
        got = fastpool.encode(ids, offsets, table, weights=weights, n_threads=2)
    assert _core.kernel_streams_output(got)
    assert_pooled_close(got, pool_reference(ids, offsets, table, weights=weights), dtype)


def test_misaligned_caller_out_is_written_the_cached_way(rng):
    dim = 256
    n_rows = _rows_over_threshold(dim)
    table = make_table(rng, 500, dim, "float32")
    ids, offsets = make_batch(rng, n_rows, 500, max_len=6)
    buffer = np.empty(n_rows * dim + 16, np.float32)
    skew = 1 if buffer.ctypes.data % 64 == 0 else 0  # start off a 64-byte boundary
    out = buffer[skew : skew + n_rows * dim].reshape(n_rows, dim)
    assert not _core.kernel_streams_output(out)
    got = fastpool.encode(ids, offsets, table, out=out)
    assert got is out
    assert_pooled_close(got, pool_reference(ids, offsets, table), "float32")
    streamed = fastpool.encode(ids, offsets, table)
    assert _core.kernel_streams_output(streamed)
    np.testing.assert_array_equal(streamed, got)  # same arithmetic, only the stores differ
