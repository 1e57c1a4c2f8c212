"""SHA-256 helpers for resume checks: texts, file byte ranges, whole files.

A resumed ``encode`` must not mix vectors of an old input or model with a new
one, and size + mtime cannot show that (``touch -r`` restores an mtime; an edit
may keep the size). So the manifest records a SHA-256 of each part's input and
of every model file, and a resume compares them with what is on disk now.
"""

from __future__ import annotations

import hashlib
from typing import Any

_CHUNK = 1 << 20


def update_text(h: Any, text: str) -> None:
    """Feed one text to ``h``, length-prefixed so ``["ab", "c"]`` and ``["a", "bc"]`` differ.

    ``surrogatepass``: a JSON ``"\\ud800"`` is a str with a lone surrogate, which the
    strict UTF-8 codec refuses; hashing must never be what stops a run.
    """
    data = text.encode("utf-8", "surrogatepass")
    h.update(len(data).to_bytes(8, "little"))
    h.update(data)


def range_sha256(path: str, start: int, stop: int) -> tuple[str, int]:
    """(SHA-256 hex of bytes ``[start, stop)`` of ``path``, how many bytes there were)."""
    h = hashlib.sha256()
    seen = 0
    with open(path, "rb") as f:
        f.seek(start)
        while seen < stop - start:
            block = f.read(min(_CHUNK, stop - start - seen))
            if not block:
                break
            h.update(block)
            seen += len(block)
    return h.hexdigest(), seen


def file_sha256(path: str) -> str:
    """SHA-256 hex of a whole file, read in 1 MiB blocks (constant memory)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(_CHUNK):
            h.update(block)
    return h.hexdigest()
