"""Resume checks: the input of every finished part, and the model, are what was encoded.

A manifest (version 2) records for each part a SHA-256 of its input (text and
JSONL: the part's input bytes, ``[previous input_offset, input_offset)``; CSV and
Parquet: its texts) and, in its settings, a SHA-256 of every model file. Before a
resume, or a rerun of a complete run, reports "nothing to do", each finished part
is checked: text and JSONL by hashing that byte range of the file (no parsing;
then the reader seeks past it), CSV and Parquet by reading the part's rows through
the reader, which hashes them as it skips them. A mismatch stops with exit 2,
naming the part; so does any difference in the model files.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import Any

from ._errors import CLIError
from ._hashing import range_sha256

_HINT = "pass --overwrite to start again"


def _part_changed(out: str, part: dict[str, Any], how: str) -> CLIError:
    first, rows = part["first_id"], part["rows"]
    return CLIError(
        f"{out}: the input changed since the run there: {how} rows {first}..{first + rows - 1} "
        f"(encoded in {part['file']}); {_HINT}"
    )


def check_model(out: str, recorded: Any, current: list[list[Any]]) -> None:
    """CLIError naming the model files that differ from those of the run in ``out``."""
    if recorded == current:
        return
    old = {f[0]: f[1:] for f in recorded or [] if isinstance(f, list) and f}
    new = {f[0]: f[1:] for f in current}
    changed = sorted(name for name in old.keys() | new.keys() if old.get(name) != new.get(name))
    detail = ", ".join(
        f"{name} ({'new' if name not in old else 'gone' if name not in new else 'content'})"
        for name in changed[:3]
    )
    raise CLIError(f"{out}: the model files changed since the run there: {detail}; {_HINT}")


def checked_rows(source: Any, manifest: dict[str, Any], out: str) -> Iterator[str]:
    """Check every finished part's input; return the rows after the last finished part."""
    parts = manifest["parts"]
    if source.format in ("text", "jsonl"):
        start = 0
        for part in parts:
            stop = part["input_offset"]
            digest, got = range_sha256(source.path, start, stop)
            if got != stop - start or digest != part["sha256"]:
                raise _part_changed(out, part, "the input bytes of")
            start = stop
        return source.rows(manifest["rows"], start if parts else None)
    rows = source.rows()
    for part in parts:
        got = sum(1 for _ in islice(rows, part["rows"]))
        digest = source.take_digest()
        if got != part["rows"]:
            raise _part_changed(out, part, f"only {got} of the")
        if digest != part["sha256"]:
            raise _part_changed(out, part, "the texts of")
    return rows
