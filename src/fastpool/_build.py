"""What this installation of fastpool was built with."""

from __future__ import annotations

from typing import Any

from . import _core
from ._threads import effective_n_threads


def build_info() -> dict[str, Any]:
    """Describe the compiled kernel.

    Returns a dict with ``openmp`` (bool: whether the kernel runs in parallel),
    ``isa`` (instruction-set extensions compiled in), ``n_threads`` (what
    ``n_threads=None`` resolves to now) and ``version``.
    """
    from . import __version__

    return {
        "version": __version__,
        "openmp": bool(_core.openmp_enabled()),
        "isa": list(_core.kernel_isa()),
        "n_threads": effective_n_threads(None),
    }
