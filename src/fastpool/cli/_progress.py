"""A progress counter on stderr: tqdm when installed, else a plain line at most once a second."""

from __future__ import annotations

import sys
import time
from typing import Any


class Progress:
    """Counts texts; shows texts/s. ``enabled=False`` shows nothing."""

    def __init__(self, *, total: int | None, initial: int = 0, enabled: bool = True) -> None:
        self._bar: Any = None
        self._enabled = enabled
        self._count = initial
        self._initial = initial
        self._start = self._last = time.monotonic()
        if not enabled:
            return
        try:
            from tqdm import tqdm
        except ImportError:
            return
        self._bar = tqdm(
            total=total,
            initial=initial,
            unit=" texts",
            unit_scale=True,
            file=sys.stderr,
            dynamic_ncols=True,
            smoothing=0.1,
        )

    def update(self, n: int) -> None:
        self._count += n
        if self._bar is not None:
            self._bar.update(n)
            return
        now = time.monotonic()
        if self._enabled and now - self._last >= 1.0:
            self._last = now
            sys.stderr.write(f"\r{self._line(now)}")
            sys.stderr.flush()

    def _line(self, now: float) -> str:
        rate = (self._count - self._initial) / max(now - self._start, 1e-9)
        return f"{self._count:,} texts, {rate:,.0f} texts/s"

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
        elif self._enabled:
            sys.stderr.write(f"\r{self._line(time.monotonic())}\n")
            sys.stderr.flush()
