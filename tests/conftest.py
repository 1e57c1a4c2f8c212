"""Shared fixtures. Never imports torch (distillation tests import it themselves)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import pytest

import fastpool

TABLE_DTYPES = ["float32", "float16", "bfloat16", "float64", "int8"]


@contextlib.contextmanager
def kernel_isa(name: str) -> Iterator[str]:
    """The kernel on instruction set `name` (or the widest below it this CPU has)
    inside the block, which receives the set in use; the previous one after it."""
    before = fastpool.build_info()["isa"]
    try:
        yield fastpool.set_isa(name)
    finally:
        fastpool.set_isa(before)


def make_table(rng: np.random.Generator, rows: int, dim: int, dtype: str) -> np.ndarray:
    """A random table of the given dtype (bfloat16 through ml_dtypes)."""
    if dtype == "int8":
        return rng.integers(-128, 128, size=(rows, dim), dtype=np.int8)
    values = rng.standard_normal((rows, dim)).astype(np.float32)
    if dtype == "bfloat16":
        ml_dtypes = pytest.importorskip("ml_dtypes")
        return values.astype(ml_dtypes.bfloat16)
    return values.astype(dtype)


def make_batch(
    rng: np.random.Generator, n_rows: int, n_ids: int, max_len: int = 40, empty_share: float = 0.1
) -> tuple[np.ndarray, np.ndarray]:
    """Random ragged CSR batch with some empty rows."""
    lengths = rng.integers(0, max_len + 1, size=n_rows)
    lengths[rng.random(n_rows) < empty_share] = 0
    offsets = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    ids = rng.integers(0, n_ids, size=int(offsets[-1]), dtype=np.int64)
    return ids, offsets


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261126)


def table_at_shift(rng, n_rows: int, dim: int, shift: int) -> np.ndarray:
    """A float32 table starting `shift` floats past a 64-byte boundary, with NaN
    just before and after it: any lane from outside a row that reached an output
    (a wrong shift of the sums) would show as NaN."""
    buffer = np.full(n_rows * dim + 64, np.nan, dtype=np.float32)
    start = (-buffer.ctypes.data) % 64 // 4 + shift
    table = buffer[start : start + n_rows * dim].reshape(n_rows, dim)
    table[...] = rng.standard_normal((n_rows, dim), dtype=np.float32)
    return table
