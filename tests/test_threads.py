"""n_threads follows scikit-learn's rules, and threadpoolctl really caps it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import fastpool
from fastpool._threads import effective_n_threads, usable_cpu_count


def test_none_and_negative_counts():
    n = effective_n_threads(None)
    assert 1 <= n <= max(usable_cpu_count(), int(os.environ.get("OMP_NUM_THREADS", "1") or 1))
    assert effective_n_threads(-1) == n
    assert effective_n_threads(-2) == max(1, n - 1)
    assert effective_n_threads(-1000) == 1
    assert effective_n_threads(3) == 3


def test_threadpoolctl_caps_the_default():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    with threadpoolctl.threadpool_limits(1, user_api="openmp"):
        assert effective_n_threads(None) == 1
    if not fastpool.build_info()["openmp"]:
        pytest.skip("serial build")
    libs = [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "openmp"]
    assert libs, "threadpoolctl does not see fastpool's OpenMP runtime"


_COUNT_THREADS = textwrap.dedent(
    """
    import os, sys, numpy as np, fastpool
    from threadpoolctl import threadpool_limits
    table = np.ones((100, 64), np.float32)
    ids = np.zeros(2_000_000, np.int64)
    offsets = np.arange(0, 2_000_001, 20, dtype=np.int64)
    def threads():
        return len(os.listdir("/proc/self/task"))
    before = threads()
    if sys.argv[1] == "limited":
        with threadpool_limits(1, user_api="openmp"):
            fastpool.encode(ids, offsets, table)
    else:
        fastpool.encode(ids, offsets, table)
    print(threads() - before)
    """
)


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs Linux /proc")
def test_threadpoolctl_limit_starts_no_threads():
    pytest.importorskip("threadpoolctl")
    if not fastpool.build_info()["openmp"]:
        pytest.skip("serial build")
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}

    def extra_threads(case: str) -> int:
        result = subprocess.run(
            [sys.executable, "-c", _COUNT_THREADS, case],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        return int(result.stdout.strip())

    assert extra_threads("limited") == 0
    if usable_cpu_count() >= 2:
        assert extra_threads("free") == min(usable_cpu_count(), os.cpu_count() or 1) - 1


def test_omp_num_threads_is_honoured():
    if not fastpool.build_info()["openmp"]:
        pytest.skip("serial build")
    code = "from fastpool._threads import effective_n_threads; print(effective_n_threads(None))"
    env = {**os.environ, "OMP_NUM_THREADS": "3"}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "3"


_TEAM_SIZE = textwrap.dedent(
    """
    import os, sys, numpy as np, fastpool
    from fastpool import _core
    tokens = int(sys.argv[1])
    table = np.ones((100, 64), np.float32)
    ids = np.zeros(tokens, np.int64)
    offsets = np.arange(0, tokens + 1, 16, dtype=np.int64)
    before = len(os.listdir("/proc/self/task"))
    fastpool.encode(ids, offsets, table, n_threads=2)
    print(len(os.listdir("/proc/self/task")) - before, _core.kernel_min_work_per_thread())
    """
)


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs Linux /proc")
def test_small_batches_start_no_thread_team():
    if not fastpool.build_info()["openmp"]:
        pytest.skip("serial build")

    def team(tokens: int) -> tuple[int, int]:
        result = subprocess.run(
            [sys.executable, "-c", _TEAM_SIZE, str(tokens)],
            capture_output=True,
            text=True,
            check=True,
        )
        started, threshold = result.stdout.split()
        return int(started), int(threshold)

    started, threshold = team(16 * 8)  # 128 tokens + 8 rows of overhead: below one thread's work
    assert started == 0
    started, _ = team(16 * (threshold // 8))  # twice the threshold: a team of 2
    assert started == 1


def test_min_work_per_thread_setter_restores_the_default():
    from fastpool import _core

    default = _core.kernel_min_work_per_thread()
    try:
        assert _core.kernel_min_work_per_thread(5) == 5
    finally:
        assert _core.kernel_min_work_per_thread(0) == default
