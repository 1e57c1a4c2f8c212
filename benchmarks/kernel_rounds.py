"""The kernel table of bench_kernel.py, timed in interleaved rounds: for noisy machines.

pytest-benchmark times one benchmark to the end before the next starts, so a
machine that slows down for a minute (a VM's neighbour, a thermal limit) moves
one row of a group and not its peers. Here every round times each
configuration once (CALLS back-to-back calls, the best kept), rounds interleave
the configurations, and the figure is the best over rounds: the ratio of two
rows then compares both at their best moment of the same run.

    python benchmarks/kernel_rounds.py                      # 1 thread and all threads
    python benchmarks/kernel_rounds.py --threads 1,8,16 --groups small-long,large-long
    python benchmarks/kernel_rounds.py --no-peers --json out.json  # fastpool alone
    python benchmarks/kernel_rounds.py --threads 1,16 --groups l1-long,l2-long --no-peers

Data as in bench_kernel.py (same seeds, same Zipf ids, tables and row lengths).
Peers are torch.nn.functional.embedding_bag "mean" and "sum" on the float32
table; "gather-floor" (1 thread, float32, AVX-512 CPUs) is the least any pooling
kernel does: the same rows summed and stored, prefetched as the kernel does,
nothing else (see bench_kernel.py; it needs fastpool._bench, which `make bench`
builds, and is left out with a note without it). torch and fastpool each have an
OpenMP runtime whose idle threads spin for a while after a parallel region, so
configurations are separated by a short sleep; --no-peers leaves torch out of
the process altogether.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

import numpy as np
from bench_kernel import DIM, DTYPES, NO_BENCH_HELPERS, ROWS, bench_helpers
from bench_kernel import TABLES as BENCH_TABLES
from conftest import ragged_offsets, zipf_ids

import fastpool
from fastpool import _core
from fastpool._threads import effective_n_threads

# Ceilings for thread scaling, where the cores share nothing they read: "l1", a
# 16 KiB float32 table every core holds in L1 (the kernel's arithmetic alone),
# and "l2", 1 MiB, about what one core's L2 holds. What these lose from 1 to N threads is the
# machine's (clock speed with all cores busy, a VM's neighbours, the team's start
# and barrier), not the shared memory system's.
TABLES = {**BENCH_TABLES, "l1": 16, "l2": 1_024}

# Long enough for another OpenMP runtime's idle threads to stop spinning.
SETTLE_SECONDS = 0.05


def best_of(fn: Callable[[], object], calls: int) -> float:
    fn()  # warm: caches, the thread team
    best = float("inf")
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def tables_for(name: str, dtypes: list[str]) -> dict[str, np.ndarray]:
    f32 = np.random.default_rng(0).standard_normal((TABLES[name], DIM), dtype=np.float32)
    made = {
        "float32": lambda: f32,
        "float16": lambda: f32.astype(np.float16),
        "int8": lambda: np.clip(f32 * 40, -127, 127).astype(np.int8),
    }
    return {dtype: made[dtype]() for dtype in dtypes}


def configurations(
    group: str, tables: dict[str, np.ndarray], threads: list[int], peers: bool
) -> dict[str, Callable[[], object]]:
    """name -> call, for one group (table size and row length)."""
    rows = group.split("-")[1]
    rng = np.random.default_rng(1)
    n_rows, mean_len = ROWS[rows]
    offsets = ragged_offsets(rng, n_rows, mean_len)
    ids = zipf_ids(rng, int(offsets[-1]), len(next(iter(tables.values()))))
    out = _core.empty_rows(n_rows, DIM)
    configs: dict[str, Callable[[], object]] = {}
    for n in threads:
        for dtype, table in tables.items():
            configs[f"fastpool-{dtype} {n}t"] = lambda t=table, n=n: fastpool.encode(
                ids, offsets, t, out=out, n_threads=n
            )
    if "float32" in tables and 1 in threads:
        floor_out = np.empty((n_rows, DIM), dtype=np.float32)
        ahead = fastpool.build_info()["prefetch_distance"][4]
        if bench_helpers is None:
            print(f"{group}: {NO_BENCH_HELPERS}")
        elif bench_helpers.gather_floor(ids, offsets, tables["float32"], floor_out, ahead):
            configs["gather-floor 1t"] = lambda: bench_helpers.gather_floor(
                ids, offsets, tables["float32"], floor_out, ahead
            )
    if peers and "float32" in tables:
        import torch

        weight = torch.from_numpy(tables["float32"])
        t_ids, t_offsets = torch.from_numpy(ids), torch.from_numpy(offsets[:-1])

        def embedding_bag(mode: str, n: int) -> object:
            torch.set_num_threads(n)
            with torch.inference_mode():
                return torch.nn.functional.embedding_bag(t_ids, weight, t_offsets, mode=mode)

        for n in threads:
            for mode in ("mean", "sum"):
                configs[f"embedding_bag-{mode} {n}t"] = lambda m=mode, n=n: embedding_bag(m, n)
    return configs


def report(group: str, best: dict[str, list[float]], threads: list[int]) -> None:
    for n in threads:
        rows = {name: times for name, times in best.items() if name.endswith(f" {n}t")}
        base = rows.get(f"embedding_bag-mean {n}t")
        for name, times in sorted(rows.items(), key=lambda kv: min(kv[1])):
            ratio = f"{min(base) / min(times):6.2f}x" if base else "    n/a"
            spread = max(times) / min(times)
            print(
                f"{group:12s} {name:24s} {min(times) * 1e3:8.3f} ms  {ratio}"
                f"   (median {statistics.median(times) * 1e3:.3f}, rounds spread {spread:.2f})"
            )
    if len(threads) > 1:
        one = threads[0]
        for name in sorted({n.rsplit(" ", 1)[0] for n in best}):
            if any(f"{name} {n}t" not in best for n in threads):
                continue  # measured at some thread counts only (gather-floor: 1)
            steps = "  ".join(
                f"{n}t {min(best[f'{name} {one}t']) / min(best[f'{name} {n}t']):5.2f}x"
                for n in threads[1:]
            )
            print(f"{group:12s} {name:24s} scaling from {one}t: {steps}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", default=None, help="comma list; default 1 and all")
    parser.add_argument("--groups", default="small-short,small-long,large-short,large-long")
    parser.add_argument("--dtypes", default=",".join(DTYPES))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=30, help="timed calls per round")
    parser.add_argument("--no-peers", action="store_true", help="leave torch out")
    parser.add_argument("--json", help="write {group: {name: [best per round, s]}} here")
    args = parser.parse_args()
    threads = (
        sorted({int(t) for t in args.threads.split(",")})
        if args.threads
        else sorted({1, effective_n_threads(None)})
    )
    dtypes = args.dtypes.split(",")
    print(f"fastpool {fastpool.__version__}, {fastpool.build_info()}")
    results: dict[str, dict[str, list[float]]] = {}
    groups = args.groups.split(",")
    for table_name in dict.fromkeys(g.split("-")[0] for g in groups):
        tables = tables_for(table_name, dtypes)
        for group in (g for g in groups if g.startswith(table_name + "-")):
            configs = configurations(group, tables, threads, not args.no_peers)
            best: dict[str, list[float]] = {name: [] for name in configs}
            for _ in range(args.rounds):
                for name, fn in configs.items():
                    time.sleep(SETTLE_SECONDS)
                    best[name].append(best_of(fn, args.calls))
            report(group, best, threads)
            results[group] = best
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
