"""The pooling kernel against its peers on the same data.

Run:   python -m pytest benchmarks/bench_kernel.py --benchmark-autosave
Ratios (against embedding_bag "mean" in each group) from the newest saved run:
       python benchmarks/ratios.py
Compare with an earlier run:
       python -m pytest benchmarks/bench_kernel.py --benchmark-compare \
           --benchmark-compare-fail=mean:10%

Groups are "kernel-<table>-<rows>-<threads>t": fastpool on float32, float16 and
int8 tables, torch.nn.functional.embedding_bag ("mean" and "sum", float32 table;
skipped without torch), the numpy reference (small table, 1 thread), a gather
floor (the float32 rows summed and stored by a bare loop, 1 thread) and a
roofline row: a plain C++ loop reading a buffer of the float32 table's size once.
Those two rows need fastpool._bench, which the wheel leaves out: `make bench` builds
it (-Ccmake.define.FASTPOOL_BENCH_HELPERS=ON); without it they are skipped.
Tables: 29,525 x 256 ("small", like potion-base-8M; it fits this CPU's L3, not
L2) and 500,000 x 256 ("large", like potion-multilingual-128M; larger than any
cache). Ids are Zipf-distributed; rows average 16 ("short") or 128 ("long")
tokens. extra_info records tokens/s, and for fastpool the effective bytes/s of
table rows read.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from conftest import ragged_offsets, zipf_ids

import fastpool
from fastpool import _core
from fastpool._threads import effective_n_threads

try:  # the gather floor and the roofline loop: built only for benchmarks (make bench)
    from fastpool import _bench as bench_helpers
except ImportError:
    bench_helpers = None  # type: ignore[assignment]
NO_BENCH_HELPERS = (
    "fastpool._bench is not built, so no gather-floor or roofline-read rows: reinstall with "
    "-Ccmake.define.FASTPOOL_BENCH_HELPERS=ON (make bench does)"
)

DIM = 256
TABLES = {"small": 29_525, "large": 500_000}
ROWS = {"short": (20_000, 16), "long": (2_500, 128)}  # ~320k tokens each
# 1 thread and all threads; FASTPOOL_BENCH_THREADS="1,4,8,16" gives a scaling curve.
THREADS = sorted(
    {int(t) for t in os.environ["FASTPOOL_BENCH_THREADS"].split(",")}
    if os.environ.get("FASTPOOL_BENCH_THREADS")
    else {1, effective_n_threads(None)}
)
DTYPES = ["float32", "float16", "int8"]


@pytest.fixture(scope="module", params=list(TABLES))
def tables(request):
    rows = TABLES[request.param]
    f32 = np.random.default_rng(0).standard_normal((rows, DIM), dtype=np.float32)
    return request.param, {
        "float32": f32,
        "float16": f32.astype(np.float16),
        "int8": np.clip(f32 * 40, -127, 127).astype(np.int8),
    }


@pytest.fixture(scope="module", params=list(ROWS))
def batch(request, tables):
    table_name, by_dtype = tables
    rng = np.random.default_rng(1)
    n_rows, mean_len = ROWS[request.param]
    offsets = ragged_offsets(rng, n_rows, mean_len)
    ids = zipf_ids(rng, int(offsets[-1]), len(by_dtype["float32"]))
    return f"{table_name}-{request.param}", ids, offsets, by_dtype


def _run(benchmark, name, group, n_threads, n_tokens, fn, bytes_per_token=0):
    benchmark.group = f"kernel-{group}-{n_threads}t"
    benchmark.name = name
    benchmark.extra_info.update(tokens=n_tokens, threads=n_threads)
    benchmark(fn)
    if benchmark.disabled:  # --benchmark-disable: ran once as a smoke test
        return
    seconds = benchmark.stats.stats.mean
    benchmark.extra_info["tokens_per_s"] = n_tokens / seconds
    if bytes_per_token:
        benchmark.extra_info["bytes_per_s"] = n_tokens * bytes_per_token / seconds


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n_threads", THREADS)
def test_fastpool(benchmark, batch, n_threads, dtype):
    group, ids, offsets, tables = batch
    table = tables[dtype]
    # fastpool's own allocation: 64-byte aligned, so large outputs are streamed (dispatch.cpp)
    out = _core.empty_rows(len(offsets) - 1, DIM)
    _run(
        benchmark,
        f"fastpool-{dtype}",
        group,
        n_threads,
        len(ids),
        lambda: fastpool.encode(ids, offsets, table, out=out, n_threads=n_threads),
        bytes_per_token=DIM * table.itemsize,
    )


@pytest.mark.parametrize("n_threads", THREADS)
def test_numpy_reference(benchmark, batch, n_threads):
    group, ids, offsets, tables = batch
    if n_threads > 1 or not group.startswith("small"):
        pytest.skip("numpy: one thread, small table only (it is ~50x slower)")
    table = tables["float32"]
    starts = np.minimum(offsets[:-1], len(ids) - 1)
    lengths = np.diff(offsets)

    def numpy_mean():
        # np.add.reduceat is numpy's fastest ragged sum; empty rows need masking.
        sums = np.add.reduceat(table[ids], starts, axis=0)
        sums[lengths == 0] = 0
        means = sums / np.maximum(lengths, 1)[:, None]
        return means / (np.linalg.norm(means, axis=1, keepdims=True) + 1e-32)

    _run(benchmark, "numpy", group, n_threads, len(ids), numpy_mean)


@pytest.mark.parametrize("mode", ["mean", "sum"])
@pytest.mark.parametrize("n_threads", THREADS)
def test_embedding_bag(benchmark, batch, n_threads, mode):
    torch = pytest.importorskip("torch")
    group, ids, offsets, tables = batch
    weight = torch.from_numpy(tables["float32"])
    t_ids, t_offsets = torch.from_numpy(ids), torch.from_numpy(offsets[:-1])
    previous = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        with torch.inference_mode():
            _run(
                benchmark,
                f"embedding_bag-{mode}",
                group,
                n_threads,
                len(ids),
                lambda: torch.nn.functional.embedding_bag(t_ids, weight, t_offsets, mode=mode),
            )
    finally:
        torch.set_num_threads(previous)


def test_gather_floor(benchmark, batch):
    """The float32 table's rows summed and stored, nothing else: what no pooling kernel can beat.

    No id checks, no mean, no normalisation; rows prefetched as far ahead as the
    kernel prefetches float32 rows, one hint per line. A bar set above this row's
    ratio to embedding_bag-mean cannot be met by any kernel on this machine."""
    if bench_helpers is None:
        pytest.skip(NO_BENCH_HELPERS)
    group, ids, offsets, tables = batch
    table = tables["float32"]
    out = np.empty((len(offsets) - 1, DIM), dtype=np.float32)
    ahead = fastpool.build_info()["prefetch_distance"][4]
    if not bench_helpers.gather_floor(ids, offsets, table, out, ahead):
        pytest.skip("gather_floor needs AVX-512")
    _run(
        benchmark,
        "gather-floor",
        group,
        1,
        len(ids),
        lambda: bench_helpers.gather_floor(ids, offsets, table, out, ahead),
        bytes_per_token=DIM * table.itemsize,
    )


def test_roofline(benchmark, batch):
    if bench_helpers is None:
        pytest.skip(NO_BENCH_HELPERS)
    group, ids, offsets, tables = batch
    buffer = np.ascontiguousarray(tables["float32"])
    _run(benchmark, "roofline-read", group, 1, len(ids), lambda: bench_helpers.stream_read(buffer))
    if not benchmark.disabled:
        benchmark.extra_info["bytes_per_s"] = buffer.nbytes / benchmark.stats.stats.mean
