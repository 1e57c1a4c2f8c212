"""The output directory of ``fastpool encode``: atomic part files and a manifest.

Layout of ``OUT/``::

    _manifest.json        settings, input fingerprint, finished parts (each with a SHA-256
                          of its input), complete flag
    part-00000.npy        rows [0, part_size)            (or part-00000.parquet)
    part-00001.npy        rows [part_size, 2 * part_size)
    ...

Every file is written to a hidden temporary name in ``OUT`` (``.NAME.tmp-PID``),
flushed and fsynced, renamed over its final name with ``os.replace`` and the
directory fsynced. A part is renamed *before* the manifest lists it, so the
manifest never lists a part that is missing, and no file under a final name is
ever partial. After a crash, temporaries and parts the manifest does not list are
deleted and the run goes on from the manifest's last part. The names starting
with ``_`` and ``.`` are ones pyarrow's dataset reader skips, so
``pyarrow.parquet.read_table(OUT)`` reads the parts of a Parquet run.

Test hook (tests only): ``FASTPOOL_CLI_CRASH=STAGE:INDEX`` sends SIGKILL to the
process at ``STAGE`` of part ``INDEX``, where STAGE is ``temp`` (temporary
written, not renamed), ``renamed`` (part renamed, manifest not updated) or
``manifest`` (manifest updated).
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import signal
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np

from ..persistence.replace import sync_folder
from ._errors import CLIError

MANIFEST = "_manifest.json"
# 2: each part records the SHA-256 of its input, model files a SHA-256 instead of an mtime.
MANIFEST_VERSION = 2
OLD_MANIFEST_VERSIONS = (1,)  # recognised (so --overwrite may replace them), never resumed
OUTPUT_FORMATS = ("npy", "parquet")
_PART = re.compile(r"part-(\d+)\.(npy|parquet)\Z")
_TEMP = re.compile(r"\..+\.tmp-\d+\Z")


def part_name(index: int, fmt: str) -> str:
    """``part-00003.npy``: zero-padded so names sort in row order."""
    return f"part-{index:05d}.{fmt}"


def _crash_point(stage: str, index: int) -> None:
    if os.environ.get("FASTPOOL_CLI_CRASH") == f"{stage}:{index}":
        os.kill(os.getpid(), signal.SIGKILL)


def write_atomic(
    directory: str, name: str, write: Callable[[IO[bytes]], object], *, index: int = -1
) -> None:
    """Write ``directory/name`` through a fsynced temporary and ``os.replace``."""
    temp = os.path.join(directory, f".{name}.tmp-{os.getpid()}")
    try:
        with open(temp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        if index >= 0:
            _crash_point("temp", index)
        os.replace(temp, os.path.join(directory, name))
    except BaseException as err:
        if os.path.exists(temp):
            os.unlink(temp)
        if isinstance(err, OSError) and _disk_full(err, directory):
            raise CLIError(
                f"{directory}: no space left on device while writing {name}; free some "
                "space and run the same command again to resume"
            ) from None
        raise
    sync_folder(Path(directory))


def _disk_full(err: OSError, directory: str) -> bool:
    """ENOSPC, or a short write (numpy reports "N requested and M written") on a full disk."""
    if err.errno == errno.ENOSPC:
        return True
    try:
        return shutil.disk_usage(directory).free < (1 << 20)
    except OSError:
        return False


def write_part(directory: str, index: int, fmt: str, vectors: np.ndarray, first_id: int) -> str:
    """Write rows ``first_id ...`` as part ``index``; returns the file name."""
    name = part_name(index, fmt)
    if fmt == "npy":

        def write(f: IO[bytes]) -> None:
            np.lib.format.write_array(f, np.ascontiguousarray(vectors), allow_pickle=False)

    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        n, dim = vectors.shape
        ids = pa.array(np.arange(first_id, first_id + n, dtype=np.int64))
        flat = pa.array(np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1))
        table = pa.table({"id": ids, "embedding": pa.FixedSizeListArray.from_arrays(flat, dim)})

        def write(f: IO[bytes]) -> None:
            pq.write_table(table, f)

    write_atomic(directory, name, write, index=index)
    _crash_point("renamed", index)
    return name


def lock_directory(directory: str) -> int | None:
    """Hold an exclusive ``flock`` on ``directory`` (released when the process ends, even by
    SIGKILL); CLIError if another process holds it. None where flock does not exist."""
    try:
        import fcntl
    except ImportError:  # Windows: no guard against two writers
        return None
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise CLIError(f"{directory}: another fastpool encode is writing there") from None
    return fd


def read_manifest(directory: str) -> dict[str, Any] | None:
    """The manifest in ``directory``, or None if there is none."""
    path = os.path.join(directory, MANIFEST)
    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            manifest = json.load(f)
    except (OSError, ValueError) as err:
        raise CLIError(f"{path}: unreadable manifest ({err}); delete the directory") from None
    known = (MANIFEST_VERSION, *OLD_MANIFEST_VERSIONS)
    if not isinstance(manifest, dict) or manifest.get("version") not in known:
        raise CLIError(f"{path}: not a fastpool encode manifest (version {MANIFEST_VERSION})")
    return manifest


def write_manifest(directory: str, manifest: dict[str, Any]) -> None:
    """Replace the manifest atomically."""
    data = (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode()
    write_atomic(directory, MANIFEST, lambda f: f.write(data))
    parts = manifest.get("parts", [])
    if parts:
        _crash_point("manifest", len(parts) - 1)


def our_files(directory: str) -> tuple[list[str], list[str], list[str]]:
    """(part files, temporaries, other files) in ``directory``; the manifest is in none."""
    parts, temps, other = [], [], []
    for name in sorted(os.listdir(directory)):
        if _PART.match(name):
            parts.append(name)
        elif _TEMP.match(name):
            temps.append(name)
        elif name != MANIFEST:
            other.append(name)
    return parts, temps, other


def clean(directory: str, keep: set[str]) -> None:
    """Delete temporaries and the part files not in ``keep`` (left by a crash)."""
    parts, temps, _ = our_files(directory)
    removed = False
    for name in temps + [p for p in parts if p not in keep]:
        os.unlink(os.path.join(directory, name))
        removed = True
    if removed:
        sync_folder(Path(directory))


def remove_run(directory: str) -> None:
    """Delete a previous run's files (``--overwrite``): the manifest first, so that a crash
    half-way never leaves a manifest listing deleted parts; then parts and temporaries."""
    path = os.path.join(directory, MANIFEST)
    if os.path.exists(path):
        os.unlink(path)
        sync_folder(Path(directory))
    clean(directory, keep=set())
