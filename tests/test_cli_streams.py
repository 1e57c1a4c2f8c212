"""Inputs that are streams given as a path: a FIFO, /dev/stdin, bash's ``<(...)``.

The red team's fault: ``fastpool encode <(cat n.txt)`` fingerprinted the input by
reading its first 64 KiB, which a pipe cannot give back, so 12,773 of 100,000
rows were lost and the run was recorded complete (exit 0); with JSONL the
pre-check ate the first line. A stream must be read exactly once, every row
encoded, and a rerun into its OUT refused (nothing to check or resume from).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading

import numpy as np
import pytest
from model_factory import make_model_folder
from test_cli_util import load_npy_parts, manifest, run_subprocess

from fastpool import StaticModel

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")

N = 100_000  # more than the 64 KiB the old fingerprint read from the head


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return make_model_folder(tmp_path_factory.mktemp("model"), name="m")


@pytest.fixture(scope="module")
def numbers():
    """``seq 1 100000``, as in the report."""
    return "".join(f"{i}\n" for i in range(1, N + 1)).encode()


def _fifo_with_writer(tmp_path, data: bytes, name="in.fifo"):
    """A FIFO and a child process that writes ``data`` into it, then closes it."""
    fifo = tmp_path / name
    os.mkfifo(fifo)
    code = "import sys; open(sys.argv[1], 'wb').write(sys.stdin.buffer.read())"
    writer = subprocess.Popen([sys.executable, "-c", code, str(fifo)], stdin=subprocess.PIPE)
    # Feed the writer from a thread: it blocks on open() until the reader opens the FIFO.
    threading.Thread(target=writer.communicate, args=(data,), daemon=True).start()
    return fifo, writer


def _encode(src, out, model_dir, *extra, stdin=None):
    args = ["encode", src, "-o", out, "--model", model_dir, "-q", "--part-size", "30000"]
    return run_subprocess([*args, *extra], stdin=stdin, timeout=120)


@pytest.mark.parametrize("fmt", ["text", "jsonl", "csv"])
def test_fifo_every_row_encoded(fmt, tmp_path, model_dir, numbers):
    lines = numbers.decode().splitlines()
    if fmt == "text":
        data = numbers
    elif fmt == "jsonl":
        data = "".join(json.dumps({"text": t}) + "\n" for t in lines).encode()
    else:
        data = ("text\n" + "".join(f"{t}\n" for t in lines)).encode()
    fifo, writer = _fifo_with_writer(tmp_path, data)
    out = tmp_path / "out"
    proc = _encode(fifo, out, model_dir, "--input-format", fmt)
    assert writer.wait(timeout=60) == 0
    assert proc.returncode == 0, proc.stderr
    m = manifest(out)
    assert m["complete"] and m["rows"] == N
    assert m["input_fingerprint"] is None
    want = StaticModel.from_pretrained(model_dir).encode(lines)
    np.testing.assert_array_equal(load_npy_parts(out), want)


def test_fifo_rerun_is_refused_and_overwrite_reads_it_again(tmp_path, model_dir, numbers):
    fifo, writer = _fifo_with_writer(tmp_path, numbers)
    out = tmp_path / "out"
    assert _encode(fifo, out, model_dir, "--input-format", "text").returncode == 0
    writer.wait(timeout=60)
    # Nothing is read: with no writer, opening the FIFO would block, and the test would hang.
    again = _encode(fifo, out, model_dir, "--input-format", "text")
    assert again.returncode == 2
    err = again.stderr.decode()
    assert err.strip().splitlines()[-1].startswith("fastpool encode: error: ")
    assert "a stream (not a regular file), which cannot be checked or resumed" in err
    assert "--overwrite" in err and "Traceback" not in err
    os.unlink(fifo)
    fifo, writer = _fifo_with_writer(tmp_path, numbers)
    proc = _encode(fifo, out, model_dir, "--input-format", "text", "--overwrite")
    assert proc.returncode == 0, proc.stderr
    assert manifest(out)["rows"] == N


def test_dev_stdin_pipe(tmp_path, model_dir, numbers):
    if not os.path.exists("/dev/stdin"):
        pytest.skip("no /dev/stdin")
    out = tmp_path / "out"
    proc = _encode("/dev/stdin", out, model_dir, "--input-format", "text", stdin=numbers)
    assert proc.returncode == 0, proc.stderr
    assert manifest(out)["rows"] == N
    want = StaticModel.from_pretrained(model_dir).encode(numbers.decode().splitlines())
    np.testing.assert_array_equal(load_npy_parts(out), want)


def test_dev_stdin_jsonl_keeps_the_first_line(tmp_path, model_dir):
    if not os.path.exists("/dev/stdin"):
        pytest.skip("no /dev/stdin")
    data = b'{"text": "first"}\n{"text": "second"}\n'
    out = tmp_path / "out"
    proc = _encode("/dev/stdin", out, model_dir, "--input-format", "jsonl", stdin=data)
    assert proc.returncode == 0, proc.stderr
    want = StaticModel.from_pretrained(model_dir).encode(["first", "second"])
    np.testing.assert_array_equal(load_npy_parts(out), want)


def test_process_substitution(tmp_path, model_dir, numbers):
    """The report's own command line, through bash."""
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash")
    src = tmp_path / "n.txt"
    src.write_bytes(numbers)
    out = tmp_path / "n.out"
    cmd = (
        f'"{sys.executable}" -m fastpool encode <(cat "{src}") --input-format text '
        f'-o "{out}" --model "{model_dir}" -q'
    )
    proc = subprocess.run([bash, "-c", cmd], capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert manifest(out)["rows"] == N


def test_stream_needs_an_output(tmp_path, model_dir):
    fifo = tmp_path / "in.fifo"
    os.mkfifo(fifo)  # never opened: the error comes first
    proc = run_subprocess(["encode", fifo, "--input-format", "text", "--model", model_dir])
    assert proc.returncode == 2
    assert b"-o/--output is required when reading a stream" in proc.stderr


def test_parquet_from_a_fifo_is_refused(tmp_path, model_dir):
    fifo = tmp_path / "in.fifo"
    os.mkfifo(fifo)
    proc = run_subprocess(
        ["encode", fifo, "--input-format", "parquet", "-o", tmp_path / "o", "--model", model_dir]
    )
    assert proc.returncode == 2
    assert b"Parquet cannot be read from" in proc.stderr and b"not a regular file" in proc.stderr


def test_search_from_a_fifo_sees_the_first_line(tmp_path, model_dir):
    data = b'{"text": "the lazy dog"}\n{"text": "a cat"}\n'
    fifo, writer = _fifo_with_writer(tmp_path, data)
    proc = run_subprocess(
        ["search", fifo, "lazy dog", "-k", "5", "--input-format", "jsonl", "--model", model_dir]
    )
    writer.wait(timeout=60)
    assert proc.returncode == 0, proc.stderr
    ids = [line.split("\t")[1] for line in proc.stdout.decode().splitlines()]
    assert sorted(ids) == ["0", "1"]
