"""A full disk during `fastpool encode` gives a one-line error that says so."""

from __future__ import annotations

import errno
import os

import pytest

from fastpool.cli import _writers
from fastpool.cli._errors import CLIError


def test_enospc_is_reported_as_a_full_disk(tmp_path):
    def write(f):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(CLIError, match="no space left on device while writing part-00000.npy"):
        _writers.write_atomic(str(tmp_path), "part-00000.npy", write, index=0)
    assert os.listdir(tmp_path) == []  # the temporary file is gone


def test_other_write_errors_pass_through(tmp_path):
    def write(f):
        raise OSError(errno.EIO, "I/O error")

    with pytest.raises(OSError, match="I/O error"):
        _writers.write_atomic(str(tmp_path), "part-00000.npy", write)
