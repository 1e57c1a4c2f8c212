"""An optional tqdm bar over an iterable (tqdm is not a dependency)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

_T = TypeVar("_T")


def progress(items: Iterable[_T], show: bool, total: int) -> Iterable[_T]:
    """``items`` wrapped in a tqdm bar of ``total`` steps when ``show`` and tqdm is installed."""
    if not show:
        return items
    try:
        from tqdm import tqdm
    except ImportError:
        return items
    return tqdm(items, total=total)
