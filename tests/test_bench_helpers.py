"""The plain loops the benchmarks compare the kernel to: right answers, clear errors.

They live in fastpool._bench, which the wheel leaves out: build it with
``pip install -e . -Ccmake.define.FASTPOOL_BENCH_HELPERS=ON`` (make bench does);
tools/variant_tests.sh builds it, so CI runs these tests there.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import table_at_shift

_bench = pytest.importorskip(
    "fastpool._bench",
    reason="fastpool._bench is built only with -Ccmake.define.FASTPOOL_BENCH_HELPERS=ON",
)


def _reference_sums(table, ids, offsets):
    bounds = zip(offsets[:-1], offsets[1:], strict=True)
    return np.stack([table[ids[a:b]].sum(axis=0, dtype=np.float64) for a, b in bounds]).astype(
        np.float32
    )


def test_stream_read_sums_the_buffer(rng):
    data = rng.standard_normal(10_000).astype(np.float32)
    assert _bench.stream_read(data) == pytest.approx(float(data.sum(dtype=np.float64)), abs=1e-2)
    with pytest.raises(TypeError):
        _bench.stream_read(data.astype(np.float64))


@pytest.mark.parametrize("misaligned", [False, True])
@pytest.mark.parametrize("ahead", [0, 1, 16, 1_000])
def test_gather_floor_sums_rows(rng, misaligned, ahead):
    rows = 300
    table = table_at_shift(rng, rows, 256, 4 if misaligned else 0)
    lengths = rng.integers(0, 40, size=50)
    lengths[[0, 7]] = 0  # empty rows, first included
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    ids = rng.integers(0, rows, size=int(offsets[-1])).astype(np.int64)
    out = np.full((len(lengths), 256), np.nan, dtype=np.float32)
    if not _bench.gather_floor(ids, offsets, table, out, ahead):
        assert np.isnan(out).all()  # no AVX-512: nothing written
        pytest.skip("gather_floor needs AVX-512")
    np.testing.assert_allclose(out, _reference_sums(table, ids, offsets), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "case, error",
    [
        ("id out of range", ValueError),
        ("negative id", ValueError),
        ("offsets decrease", ValueError),
        ("offsets short of ids", ValueError),
        ("int32 ids", TypeError),
        ("wrong width", ValueError),
        ("out rows", ValueError),
        ("negative ahead", ValueError),
        ("big-endian table", ValueError),
        ("read-only out", ValueError),
    ],
)
def test_gather_floor_rejects_bad_input(case, error):
    table = np.zeros((10, 256), dtype=np.float32)
    ids = np.array([1, 2, 3], dtype=np.int64)
    offsets = np.array([0, 1, 3], dtype=np.int64)
    out = np.zeros((2, 256), dtype=np.float32)
    ahead = 4
    if case == "id out of range":
        ids = np.array([1, 10, 3], dtype=np.int64)
    elif case == "negative id":
        ids = np.array([1, -1, 3], dtype=np.int64)
    elif case == "offsets decrease":
        offsets = np.array([0, 2, 1, 3], dtype=np.int64)
        out = np.zeros((3, 256), dtype=np.float32)
    elif case == "offsets short of ids":
        offsets = np.array([0, 1, 2], dtype=np.int64)
    elif case == "int32 ids":
        ids = ids.astype(np.int32)
    elif case == "wrong width":
        table = np.zeros((10, 128), dtype=np.float32)
    elif case == "out rows":
        out = np.zeros((3, 256), dtype=np.float32)
    elif case == "negative ahead":
        ahead = -1
    elif case == "big-endian table":
        table = table.astype(">f4")
    elif case == "read-only out":
        out.flags.writeable = False
    with pytest.raises(error):
        _bench.gather_floor(ids, offsets, table, out, ahead)
