"""Replace a file in a folder without ever writing through what its name points to.

Every file a save writes goes through :func:`replace_file`: the bytes go to a new
file created with ``O_CREAT | O_EXCL | O_NOFOLLOW`` under an unpredictable name
(``tempfile.mkstemp``) in the same folder, are fsynced, and the new file is
renamed over the final name. ``rename`` replaces the *name*: when the final name
is a symbolic link (a Hugging Face cache snapshot links every file to a blob
shared by other snapshots), the link is replaced and its target is untouched;
a name planted where the temporary file would go cannot redirect the write
(the name is not guessable, and an existing one makes the create fail).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def _umask() -> int:
    """The process umask, read without changing it (os.umask would, for every thread)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def replace_file(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Call ``write`` on a fresh temporary file next to ``path``, then rename it to
    ``path``. The file gets the permissions ``open(path, "w")`` would give a new
    file (0o666 minus the umask), not mkstemp's 0o600."""
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), 0o666 & ~_umask())
            write(f)
            f.flush()
            os.fsync(f.fileno())  # on disk before it takes the final name
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def replace_bytes(path: Path, data: bytes) -> None:
    """:func:`replace_file` with ``data`` as the content."""
    replace_file(path, lambda f: f.write(data))


def sync_folder(folder: Path) -> None:
    """fsync the folder, so the renames into it survive a crash (POSIX only)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
