"""Results independent of thread count, batch split, memory layout and ownership."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import TABLE_DTYPES, make_batch, make_table
from reference import assert_pooled_close, pool_reference

import fastpool


@pytest.mark.parametrize("dtype", TABLE_DTYPES)
def test_bitwise_equal_across_thread_counts(rng, dtype):
    table = make_table(rng, 500, 64, dtype)
    # Long and uneven rows, so that several threads really get work.
    ids, offsets = make_batch(rng, 3000, 500, max_len=60)
    weights = rng.random(500).astype(np.float32)
    results = [
        fastpool.encode(ids, offsets, table, weights=weights, n_threads=n) for n in (1, 2, 8)
    ]
    for other in results[1:]:
        np.testing.assert_array_equal(results[0], other)


def test_split_batch_gives_same_rows(rng):
    table = make_table(rng, 200, 32, "float32")
    ids, offsets = make_batch(rng, 100, 200)
    whole = fastpool.encode(ids, offsets, table)
    cut = 37
    first = fastpool.encode(ids[: offsets[cut]], offsets[: cut + 1], table)
    second = fastpool.encode(ids[offsets[cut] :], offsets[cut:] - offsets[cut], table)
    np.testing.assert_array_equal(whole, np.concatenate([first, second]))


def test_read_only_inputs(rng):
    table = make_table(rng, 100, 16, "float16")
    ids, offsets = make_batch(rng, 20, 100)
    weights = rng.random(100).astype(np.float32)
    want = fastpool.encode(ids, offsets, table, weights=weights)
    for arr in (table, ids, offsets, weights):
        arr.flags.writeable = False
    np.testing.assert_array_equal(fastpool.encode(ids, offsets, table, weights=weights), want)


def test_memory_mapped_table(rng, tmp_path):
    table = make_table(rng, 100, 16, "float32")
    path = tmp_path / "table.npy"
    np.save(path, table)
    mapped = np.load(path, mmap_mode="r")
    ids, offsets = make_batch(rng, 20, 100)
    np.testing.assert_array_equal(
        fastpool.encode(ids, offsets, mapped), fastpool.encode(ids, offsets, table)
    )


def test_non_contiguous_inputs(rng):
    big = make_table(rng, 200, 64, "float32")
    table = big[::2, ::2]  # strided rows and columns: copied once
    ids, offsets = make_batch(rng, 30, 100)
    wide_ids = np.repeat(ids, 2)[::2]  # non-contiguous ids
    weights = np.repeat(rng.random(100).astype(np.float32), 2)[::2]
    got = fastpool.encode(wide_ids, offsets, table, weights=weights)
    want = pool_reference(ids, offsets, np.ascontiguousarray(table), weights=weights)
    assert_pooled_close(got, want, "float32")


def test_column_slice_is_read_in_place(rng):
    table = make_table(rng, 100, 64, "float32")
    ids, offsets = make_batch(rng, 30, 100)
    got = fastpool.encode(ids, offsets, table[:, :24])
    np.testing.assert_array_equal(got, fastpool.encode(ids, offsets, table[:, :24].copy()))


def test_fortran_order_table(rng):
    table = make_table(rng, 100, 16, "float32")
    ids, offsets = make_batch(rng, 20, 100)
    np.testing.assert_array_equal(
        fastpool.encode(ids, offsets, np.asfortranarray(table)),
        fastpool.encode(ids, offsets, table),
    )


def test_inputs_are_not_modified(rng):
    table = make_table(rng, 100, 16, "float32")
    ids, offsets = make_batch(rng, 20, 100)
    copies = [a.copy() for a in (table, ids, offsets)]
    fastpool.encode(ids, offsets, table)
    for before, after in zip(copies, (table, ids, offsets), strict=True):
        np.testing.assert_array_equal(before, after)
