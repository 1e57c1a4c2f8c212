"""Calibrate the kernel's thread-team threshold (``min_work_per_thread``).

    python benchmarks/calibrate_threads.py [--max-threads N] [--table-rows 29525]

A call with W work (tokens + 4 per row) uses at most ``W // min_work_per_thread``
threads, so small batches run on the calling thread. This script times the kernel on
Zipf ids for batch sizes from 256 to 262,144 tokens (rows of mean 16 tokens) with every
thread count 1, 2, 4, ... up to ``--max-threads``, the team forced (threshold 1), then
scores candidate thresholds: for each, the thread count it would pick for each batch,
and that choice's time relative to the fastest thread count measured for the batch.
The recommended threshold is the one with the smallest worst-case slowdown (ties: the
smallest mean).

Two regimes: "warm" calls run back to back, so the team is still spinning (OpenMP threads
spin a while after a region); "cold" calls come 10 ms apart, after the team has gone to
sleep, as in a service answering one request at a time. The recommendation scores both
and takes each batch's worse slowdown.
"""

from __future__ import annotations

import argparse
import functools
import os
import time

import numpy as np
from conftest import ragged_offsets, zipf_ids

import fastpool
from fastpool import _core

DIM = 256
SIZES = [256 << k for k in range(11)]  # 256 .. 262,144 tokens
CANDIDATES = [512 << k for k in range(9)]  # 512 .. 131,072


def _time(fn, min_seconds: float = 0.05, repeats: int = 5) -> float:
    """Median over ``repeats`` of the mean time of a loop lasting at least ``min_seconds``."""
    fn()
    loops, start = 1, time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-7)
    loops = max(1, int(min_seconds / once))
    means = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(loops):
            fn()
        means.append((time.perf_counter() - start) / loops)
    return float(np.median(means))


def _time_cold(fn, calls: int = 25, gap: float = 0.01) -> float:
    """Median time of single calls made ``gap`` seconds apart (the team asleep each time)."""
    fn()
    seconds = []
    for _ in range(calls):
        time.sleep(gap)
        start = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - start)
    return float(np.median(seconds))


def _threads_for(work: int, threshold: int, measured: list[int]) -> int:
    """The thread count the kernel's rule picks, rounded down to a measured count."""
    want = max(1, min(measured[-1], work // threshold))
    return max(t for t in measured if t <= want)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--table-rows", type=int, default=29_525)
    parser.add_argument("--dtype", default="float32", choices=["float32", "float16", "int8"])
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    table = rng.standard_normal((args.table_rows, DIM), dtype=np.float32)
    if args.dtype == "float16":
        table = table.astype(np.float16)
    elif args.dtype == "int8":
        table = np.clip(table * 40, -127, 127).astype(np.int8)
    threads = [1 << k for k in range(16) if 1 << k <= args.max_threads]
    default = _core.kernel_min_work_per_thread()
    print(
        f"ISA {_core.kernel_isa_active()}, {args.dtype} table {args.table_rows} x {DIM}, "
        f"threads {threads}, default threshold {default}"
    )

    regimes = {"warm": _time, "cold": _time_cold}
    times: dict[str, dict[int, dict[int, float]]] = {name: {} for name in regimes}
    works: dict[int, int] = {}
    try:
        _core.kernel_min_work_per_thread(1)  # force the team: measure every count
        for size in SIZES:
            n_rows = max(1, size // 16)
            offsets = ragged_offsets(rng, n_rows, 16)
            ids = zipf_ids(rng, int(offsets[-1]), len(table))
            out = np.empty((n_rows, DIM), np.float32)
            works[size] = int(offsets[-1]) + 4 * n_rows
            for name, timer in regimes.items():
                times[name][size] = {
                    t: timer(
                        functools.partial(
                            fastpool.encode, ids, offsets, table, out=out, n_threads=t
                        )
                    )
                    for t in threads
                }
                row = "  ".join(f"{t}t {times[name][size][t] * 1e6:9.1f}us" for t in threads)
                print(f"{name} {works[size]:>8} work  {row}")
    finally:
        _core.kernel_min_work_per_thread(0)

    print("\nthreshold  worst slowdown  mean slowdown  (vs the fastest count per batch;")
    print("                                          each batch's worse of warm and cold)")
    scores = []
    for threshold in CANDIDATES:
        slow = [
            max(
                by_size[s][_threads_for(works[s], threshold, threads)] / min(by_size[s].values())
                for by_size in times.values()
            )
            for s in SIZES
        ]
        scores.append((max(slow), float(np.mean(slow)), threshold))
        print(f"{threshold:>9}  {max(slow):14.3f}  {np.mean(slow):13.3f}")
    best = min(scores)
    print(f"\nrecommended min_work_per_thread: {best[2]} (default now {default})")


if __name__ == "__main__":
    main()
