"""What this installation of fastpool was built with, and which kernel it runs."""

from __future__ import annotations

import os
from typing import Any

from . import _core
from ._threads import effective_n_threads
from ._version import __version__

ISA_ENV = "FASTPOOL_ISA"


def set_isa(name: str) -> str:
    """Force the kernel down to instruction set ``name`` (for tests and comparisons).

    ``name`` is "baseline", "avx2" or "avx512". A level the CPU (or this build)
    lacks falls back to the best one below it; the level actually in use is
    returned. ``set_isa("avx512")`` restores the default on an AVX-512 CPU.
    Process-wide; the environment variable ``FASTPOOL_ISA`` sets it at import.
    """
    if name not in _core.ISA_LEVELS:
        raise ValueError(f"isa must be one of {', '.join(_core.ISA_LEVELS)}, got {name!r}")
    return _core.kernel_set_isa(_core.ISA_LEVELS.index(name))


def apply_isa_env() -> None:
    """Honour ``FASTPOOL_ISA`` (run once, when the package is imported)."""
    requested = os.environ.get(ISA_ENV)
    if requested:
        try:
            set_isa(requested)
        except ValueError as exc:
            raise ImportError(f"{ISA_ENV}: {exc}") from None


def build_info() -> dict[str, Any]:
    """Describe the compiled kernel.

    Returns a dict with ``version``, ``openmp`` (whether the kernel runs in
    parallel), ``isa`` (the instruction set in use: "baseline", "avx2" or
    "avx512"), ``isa_best`` (the widest this CPU supports among those compiled
    in), ``isa_compiled`` (extensions the baseline was compiled with),
    ``prefetch_distance`` (tokens ahead whose table rows the kernel prefetches, by
    table element size in bytes, chosen for this CPU) and ``n_threads`` (what
    ``n_threads=None`` resolves to now).
    """
    return {
        "version": __version__,
        "openmp": bool(_core.openmp_enabled()),
        "isa": _core.kernel_isa_active(),
        "isa_best": _core.kernel_isa_best(),
        "isa_compiled": list(_core.kernel_isa()),
        "prefetch_distance": _core.kernel_prefetch_distances(),
        "n_threads": effective_n_threads(None),
    }


# The environment's choice takes effect before any kernel call can run.
apply_isa_env()
