"""argparse ``type=`` parsers for numeric options, each with a range.

Every value is checked here, at parse time, so an out-of-range number (``10**30``,
a negative count, ``nan``) is an argparse usage error (exit 2, one error line)
rather than an OverflowError or ValueError from deep inside numpy, itertools or
the C kernel. The upper bounds are far above any useful value; they exist because
the values end up in C ints (token limits, thread counts) or ``itertools.islice``.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

# Counts that reach a C int (token limits, batch sizes) or a Python index: 2**31 - 1
# is more rows, tokens or texts than one call could hold.
MAX_COUNT = 2**31 - 1
# More threads than any machine has cores; OpenMP would try to start every one.
MAX_THREADS = 4096
MAX_SEED = 2**64 - 1  # numpy's default_rng takes non-negative seeds


def _shown(value: str) -> str:
    """The value as the message quotes it (a 5,000-digit argument stays one short line)."""
    return repr(value if len(value) <= 40 else value[:37] + "...")


def _int(value: str, expected: str) -> int:
    try:
        return int(value)
    except ValueError:  # also int()'s "exceeds the limit for integer string conversion"
        raise argparse.ArgumentTypeError(f"expected {expected}, got {_shown(value)}") from None


def count(low: int = 1, high: int = MAX_COUNT) -> Callable[[str], int]:
    """An integer in ``[low, high]``."""
    expected = f"an integer from {low} to {high}"

    def parse(value: str) -> int:
        n = _int(value, expected)
        if not low <= n <= high:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {_shown(value)}")
        return n

    parse.__name__ = "count"  # argparse names the type in some messages
    return parse


positive_int = count(1)
non_negative_int = count(0)
seed = count(0, MAX_SEED)


def threads(value: str) -> int:
    """A thread count: 1..MAX_THREADS, or -1..-MAX_THREADS counting back from all cores."""
    n = _int(value, "an integer")
    if n == 0:
        raise argparse.ArgumentTypeError("0 threads: use a positive count, or -1 for all cores")
    if abs(n) > MAX_THREADS:
        raise argparse.ArgumentTypeError(
            f"expected a thread count from 1 to {MAX_THREADS} (or -1 to -{MAX_THREADS}), "
            f"got {_shown(value)}"
        )
    return n


def max_length(value: str) -> int:
    """A token limit from 0 to MAX_COUNT; ``none`` (no limit) is carried as -1."""
    if value.strip().lower() == "none":
        return -1
    expected = f"an integer from 0 to {MAX_COUNT} or 'none'"
    n = _int(value, expected)
    if not 0 <= n <= MAX_COUNT:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {_shown(value)}")
    return n


def open_unit_float(value: str, what: str) -> float:
    """A float strictly between 0 and 1 (``nan`` and ``inf`` are not)."""
    try:
        x = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {_shown(value)}") from None
    if not (math.isfinite(x) and 0.0 < x < 1.0):
        raise argparse.ArgumentTypeError(f"expected {what}, got {_shown(value)}")
    return x
