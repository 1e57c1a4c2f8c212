"""The pooling kernel against its peers on the same data.

Run:   python -m pytest benchmarks/bench_kernel.py --benchmark-autosave
Compare with an earlier run:
       python -m pytest benchmarks/bench_kernel.py --benchmark-compare --benchmark-compare-fail=mean:10%
Print ratios (fastpool vs embedding_bag) from the last run:
       python benchmarks/ratios.py

Groups are named "kernel-<rows>-<threads>": each holds fastpool, the numpy
reference and torch.nn.functional.embedding_bag ("mean" and "sum"; skipped
when torch is missing) on a 29,525 x 256 float32 table with Zipf-distributed
ids. Tokens per second are recorded in extra_info.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ragged_offsets, zipf_ids

import fastpool
from fastpool._threads import effective_n_threads

N_VOCAB, DIM = 29_525, 256
ROWS = {"short": (20_000, 16), "long": (2_500, 128)}  # ~320k tokens each
THREADS = sorted({1, effective_n_threads(None)})


@pytest.fixture(scope="module")
def table():
    return np.random.default_rng(0).standard_normal((N_VOCAB, DIM)).astype(np.float32)


@pytest.fixture(scope="module", params=list(ROWS))
def batch(request):
    rng = np.random.default_rng(1)
    n_rows, mean_len = ROWS[request.param]
    offsets = ragged_offsets(rng, n_rows, mean_len)
    ids = zipf_ids(rng, int(offsets[-1]), N_VOCAB)
    return request.param, ids, offsets


def _run(benchmark, name, rows, n_threads, n_tokens, fn):
    benchmark.group = f"kernel-{rows}-{n_threads}t"
    benchmark.name = name
    benchmark.extra_info.update(tokens=n_tokens, threads=n_threads)
    benchmark(fn)
    benchmark.extra_info["tokens_per_s"] = n_tokens / benchmark.stats.stats.mean


@pytest.mark.parametrize("n_threads", THREADS)
def test_fastpool(benchmark, table, batch, n_threads):
    rows, ids, offsets = batch
    out = np.empty((len(offsets) - 1, DIM), np.float32)
    _run(benchmark, "fastpool", rows, n_threads, len(ids),
         lambda: fastpool.encode(ids, offsets, table, normalize=False, out=out,
                                 n_threads=n_threads))


@pytest.mark.parametrize("n_threads", THREADS)
def test_numpy_reference(benchmark, table, batch, n_threads):
    rows, ids, offsets = batch
    starts = offsets[:-1]
    counts = np.maximum(np.diff(offsets), 1)[:, None]

    def numpy_mean():
        # np.add.reduceat is numpy's fastest ragged sum; empty rows need masking.
        sums = np.add.reduceat(table[ids], np.minimum(starts, len(ids) - 1), axis=0)
        sums[np.diff(offsets) == 0] = 0
        return sums / counts

    if n_threads > 1:
        pytest.skip("numpy runs on one thread")
    _run(benchmark, "numpy", rows, n_threads, len(ids), numpy_mean)


@pytest.mark.parametrize("mode", ["mean", "sum"])
@pytest.mark.parametrize("n_threads", THREADS)
def test_embedding_bag(benchmark, table, batch, n_threads, mode):
    torch = pytest.importorskip("torch")
    rows, ids, offsets = batch
    weight = torch.from_numpy(table)
    t_ids = torch.from_numpy(ids)
    t_offsets = torch.from_numpy(offsets[:-1])
    previous = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        with torch.inference_mode():
            _run(benchmark, f"embedding_bag-{mode}", rows, n_threads, len(ids),
                 lambda: torch.nn.functional.embedding_bag(t_ids, weight, t_offsets, mode=mode))
    finally:
        torch.set_num_threads(previous)
