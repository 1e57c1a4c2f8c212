"""Resolve ``n_threads`` the way scikit-learn does (``_openmp_effective_n_threads``).

None means every usable core: OpenMP's own limit (which honours OMP_NUM_THREADS,
CPU affinity and ``threadpoolctl.threadpool_limits``), further capped by the
CPU quota of the process's cgroup unless OMP_NUM_THREADS was set explicitly.
Negative counts back from that (-1 is all, -2 all but one); 0 is an error.
"""

from __future__ import annotations

import functools
import math
import numbers
import os

from . import _core


def _cgroup_cpu_limit() -> int | None:
    """CPUs allowed by a cgroup CPU quota (v2, then v1), or None if unlimited."""
    try:
        with open("/sys/fs/cgroup/cpu.max") as f:
            quota, period = f.read().split()[:2]
        if quota != "max":
            return max(1, math.ceil(int(quota) / int(period)))
        return None
    except (OSError, ValueError):
        pass
    try:
        with open("/sys/fs/cgroup/cpu/cpu.cfs_quota_us") as f:
            quota_us = int(f.read())
        with open("/sys/fs/cgroup/cpu/cpu.cfs_period_us") as f:
            period_us = int(f.read())
        if quota_us > 0 and period_us > 0:
            return max(1, math.ceil(quota_us / period_us))
    except (OSError, ValueError):
        pass
    return None


@functools.lru_cache(maxsize=1)
def usable_cpu_count() -> int:
    """Cores this process may run on: CPU affinity and cgroup quota.

    Cached: read once per process, so a call to ``encode`` costs no syscalls.
    """
    try:
        count = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        count = os.cpu_count() or 1
    limit = _cgroup_cpu_limit()
    return min(count, limit) if limit else count


# The OpenMP runtime reads OMP_NUM_THREADS once, when it loads; so does this.
_OMP_NUM_THREADS_SET = bool(os.environ.get("OMP_NUM_THREADS"))

# GNU libgomp's thread team does not survive fork(): a child that starts a
# parallel region after its parent ran one waits forever for threads that no
# longer exist. A forked child therefore runs every kernel on its calling
# thread (tests/test_concurrency.py checks both sides of a fork).
_in_forked_child = False
# Far above any machine's core count, far below the C int the kernel takes.
MAX_THREADS = 1 << 15


def _after_fork_in_child() -> None:
    global _in_forked_child
    _in_forked_child = True


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def in_forked_child() -> bool:
    """Whether this process was forked from one that imported fastpool."""
    return _in_forked_child


def effective_n_threads(n_threads: int | None) -> int:
    """The thread count a kernel call will use for the ``n_threads`` argument
    (always 1 in a process forked from one that imported fastpool)."""
    if n_threads is not None and (
        isinstance(n_threads, bool) or not isinstance(n_threads, numbers.Integral)
    ):
        raise TypeError(f"n_threads must be an int or None, got {type(n_threads).__name__}")
    if n_threads is not None and abs(n_threads) > MAX_THREADS:
        raise ValueError(f"n_threads must be in [-{MAX_THREADS}, {MAX_THREADS}], got {n_threads}")
    if n_threads == 0:
        raise ValueError(
            "n_threads must be a positive count, a negative count (-1 for every usable "
            "core) or None, got 0"
        )
    if _in_forked_child:
        return 1
    max_n = _core.openmp_max_threads()
    if not _OMP_NUM_THREADS_SET:
        max_n = min(max_n, usable_cpu_count())
    if n_threads is None:
        return max_n
    if n_threads < 0:
        return max(1, max_n + int(n_threads) + 1)
    return int(n_threads)


def default_thread_code() -> int:
    """``n_threads=None`` for ``_core.encode_fast``: 0 when OMP_NUM_THREADS was set
    (OpenMP's limit rules), else minus the usable CPU count (min with OpenMP's)."""
    if _in_forked_child:
        return 1
    return 0 if _OMP_NUM_THREADS_SET else -usable_cpu_count()
