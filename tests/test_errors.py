"""Bad input raises a clear Python exception naming what was expected and given."""

from __future__ import annotations

import numpy as np
import pytest

import fastpool

TABLE = np.zeros((10, 4), dtype=np.float32)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (
            dict(ids=[0, 10], offsets=[0, 2]),
            ValueError,
            r"ids must be in \[0, 10\) \(table rows\), got max 10",
        ),
        (
            dict(ids=[-1, 2], offsets=[0, 2]),
            ValueError,
            r"ids must be in \[0, 10\) \(table rows\), got min -1",
        ),
        (
            dict(ids=[0.0, 1.0], offsets=[0, 2]),
            TypeError,
            r"ids must be an integer array .* got dtype float64",
        ),
        (
            dict(ids=[True, False], offsets=[0, 2]),
            TypeError,
            r"ids must be an integer array .* got dtype bool",
        ),
        (dict(ids=[[0, 1]], offsets=[0, 2]), ValueError, r"ids must be 1-D, got shape \(1, 2\)"),
        (dict(offsets=[1, 2]), ValueError, r"offsets\[0\] must be 0, got 1"),
        (dict(offsets=[0, 1]), ValueError, r"offsets\[-1\] must equal len\(ids\) = 3, got 1"),
        (
            dict(offsets=[0, 2, 1, 3]),
            ValueError,
            r"offsets must be non-decreasing, got offsets\[1\] = 2 > offsets\[2\] = 1",
        ),
        (dict(offsets=np.array([], np.int64)), ValueError, r"offsets must have n_rows \+ 1"),
        (dict(offsets=[0.0, 3.0]), TypeError, r"offsets must be an integer array"),
        (dict(table=np.zeros(4, np.float32)), ValueError, r"table must be 2-D .* got shape \(4,\)"),
        (
            dict(table=np.zeros((10, 4), np.int16)),
            TypeError,
            r"table dtype must be float32, float16, bfloat16, float64 or int8, got int16",
        ),
        (dict(table=np.zeros((10, 4), np.complex64)), TypeError, r"got complex64"),
        (dict(mode="max"), ValueError, r"mode must be one of mean, sum, got 'max'"),
        (dict(n_threads=0), ValueError, r"n_threads must be a positive count.* got 0"),
        (dict(n_threads=1.5), TypeError, r"n_threads must be an int or None, got float"),
        (
            dict(mapping=[0, 1, 10]),
            ValueError,
            r"mapping must be in \[0, 10\) \(table rows\), got max 10",
        ),
        (dict(mapping=[0, -1, 2]), ValueError, r"mapping must be in \[0, 10\).* got min -1"),
        (dict(mapping=[0.5]), TypeError, r"mapping must be an integer array"),
        (
            dict(mapping=[0, 1]),
            ValueError,
            r"ids must be in \[0, 2\) \(len\(mapping\)\), got max 3",
        ),
        (
            dict(weights=np.ones(9)),
            ValueError,
            r"weights must be 1-D with one entry per token id \(table rows = 10\), got shape \(9,\)",
        ),
        (dict(weights=np.ones((10, 1))), ValueError, r"got shape \(10, 1\)"),
        (dict(weights=np.array(["a"] * 10)), TypeError, r"weights must be a real-valued array"),
        (dict(scale=1.0), ValueError, r"scale applies to int8 tables only, got a float32 table"),
        (
            dict(table=np.zeros((10, 4), np.int8), scale=np.ones(3)),
            ValueError,
            r"scale must hold 1 value or one per table row \(10\), got 3",
        ),
        (
            dict(out=np.zeros((2, 4), np.float64)),
            TypeError,
            r"out must have dtype float32, got float64",
        ),
        (
            dict(out=np.zeros((3, 4), np.float32)),
            ValueError,
            r"out must have shape \(2, 4\), got \(3, 4\)",
        ),
        (dict(out=np.zeros((4, 2), np.float32).T), ValueError, r"out must be C-contiguous"),
        (dict(out=[[0.0] * 4] * 2), TypeError, r"out must be a numpy.ndarray, got list"),
    ],
)
def test_error_messages(kwargs, error, match):
    args = {"ids": [0, 1, 3], "offsets": [0, 1, 3], "table": TABLE, **kwargs}
    with pytest.raises(error, match=match):
        fastpool.encode(args.pop("ids"), args.pop("offsets"), args.pop("table"), **args)


def test_read_only_out_is_rejected():
    out = np.zeros((1, 4), np.float32)
    out.flags.writeable = False
    with pytest.raises(ValueError, match="out must be C-contiguous and writeable"):
        fastpool.encode([0], [0, 1], TABLE, out=out)


def test_huge_uint64_ids_are_rejected():
    with pytest.raises(ValueError, match=r"ids must be below 2\*\*63"):
        fastpool.encode(np.array([2**64 - 1], np.uint64), [0, 1], TABLE)


def test_out_sharing_memory_with_an_input_is_refused() -> None:
    # The kernel would read table rows it has already overwritten: wrong numbers, silently.
    table = np.zeros((8, 4), np.float32)
    ids, offsets = np.array([0, 1], np.int64), np.array([0, 2], np.int64)
    with pytest.raises(ValueError, match="out must not share memory with the table"):
        fastpool.encode(ids, offsets, table, out=table[:1])
    with pytest.raises(ValueError, match="out must not share memory"):
        fastpool.encode(ids, offsets, table, weights=np.ones(8), out=table[2:3])


def test_thread_counts_beyond_any_machine_are_a_value_error() -> None:
    ids, offsets = np.array([0], np.int64), np.array([0, 1], np.int64)
    for n in (2**31, -(2**40)):
        with pytest.raises(ValueError, match=r"n_threads must be in \[-32768, 32768\]"):
            fastpool.encode(ids, offsets, np.zeros((2, 4), np.float32), n_threads=n)
