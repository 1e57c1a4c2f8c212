"""Resume checks content, not only size + mtime.

The red team's fault: a row already encoded, edited at the same size with its
mtime restored (``touch -r``), or a model table rewritten likewise, resumed with
exit 0 and mixed old and new vectors. Each part now records a SHA-256 of its
input and the settings a SHA-256 of every model file; a resume (or the rerun of a
complete run) checks them and stops with exit 2 naming the part or file.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from model_factory import make_model_folder
from test_cli_util import manifest, run_cli, run_subprocess

N_ROWS = 3000  # ~120 KB: edits past the 64 KiB that the cheap head fingerprint covers
PART = 500


@pytest.fixture
def model_dir(tmp_path):
    return make_model_folder(tmp_path / "model", name="m")


def _docs():
    return [f"document number {i:05d} about the quick brown fox" for i in range(N_ROWS)]


def _write(path, fmt, docs):
    if fmt == "text":
        path.write_text("".join(d + "\n" for d in docs))
    elif fmt == "jsonl":
        path.write_text("".join(json.dumps({"text": d}) + "\n" for d in docs))
    elif fmt == "csv":
        path.write_text("text\n" + "".join(d + "\n" for d in docs))
    else:  # no compression, dictionary or statistics: a same-length edit keeps every size
        table = pa.table({"text": docs})
        pq.write_table(
            table,
            path,
            row_group_size=PART,
            compression="none",
            use_dictionary=False,
            write_statistics=False,
        )


def _rewrite_keeping_stat(path, write):
    """Rewrite ``path`` with ``write()``; restore its mtime (``touch -r``); size must hold."""
    st = os.stat(path)
    write()
    assert os.path.getsize(path) == st.st_size
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def _args(src, out, model_dir):
    return ["encode", src, "-o", out, "--model", model_dir, "--part-size", PART, "-q"]


EXT = {"text": "txt", "jsonl": "jsonl", "csv": "csv", "parquet": "parquet"}


@pytest.mark.parametrize("fmt", ["text", "jsonl", "csv", "parquet"])
def test_same_size_edit_of_an_encoded_row_is_refused(fmt, tmp_path, model_dir):
    src = tmp_path / f"d.{EXT[fmt]}"
    docs = _docs()
    _write(src, fmt, docs)
    out = tmp_path / "out"
    crashed = run_subprocess(_args(src, out, model_dir), env={"FASTPOOL_CLI_CRASH": "manifest:4"})
    assert crashed.returncode == -signal.SIGKILL
    assert manifest(out)["rows"] == 5 * PART
    edited = list(docs)
    edited[2222] = edited[2222].replace("quick", "QUICK")  # row 2222: part 4, past 64 KiB
    head = src.read_bytes()[: 1 << 16]
    _rewrite_keeping_stat(src, lambda: _write(src, fmt, edited))
    assert src.read_bytes()[: 1 << 16] == head  # the old fingerprint sees no change
    resumed = run_subprocess(_args(src, out, model_dir))
    err = resumed.stderr.decode()
    assert resumed.returncode == 2, err
    assert "Traceback" not in err
    how = "the input bytes of" if fmt in ("text", "jsonl") else "the texts of"
    assert err.strip() == (
        f"fastpool encode: error: {out}: the input changed since the run there: {how} rows "
        f"2000..2499 (encoded in part-00004.npy); pass --overwrite to start again"
    )
    # --overwrite starts again and finishes
    again = run_subprocess([*_args(src, out, model_dir), "--overwrite"])
    assert again.returncode == 0, again.stderr
    assert manifest(out)["complete"]


def test_rerun_of_a_complete_run_checks_the_input(tmp_path, model_dir, capsys):
    src = tmp_path / "d.txt"
    docs = _docs()
    _write(src, "text", docs)
    out = tmp_path / "out"
    assert run_cli(_args(src, out, model_dir), capsys)[0] == 0
    edited = list(docs)
    edited[-1] = edited[-1].upper()
    _rewrite_keeping_stat(src, lambda: _write(src, "text", edited))
    code, _, err = run_cli(_args(src, out, model_dir), capsys)
    assert code == 2
    assert "rows 2500..2999 (encoded in part-00005.npy)" in err


def test_same_size_model_rewrite_is_refused(tmp_path, model_dir):
    src = tmp_path / "d.txt"
    _write(src, "text", _docs())
    out = tmp_path / "out"
    crashed = run_subprocess(_args(src, out, model_dir), env={"FASTPOOL_CLI_CRASH": "manifest:1"})
    assert crashed.returncode == -signal.SIGKILL
    table = model_dir / "model.safetensors"
    data = bytearray(table.read_bytes())
    data[-1] ^= 0x01  # the last byte of the last float: a same-size rewrite

    _rewrite_keeping_stat(table, lambda: table.write_bytes(bytes(data)))
    resumed = run_subprocess(_args(src, out, model_dir))
    err = resumed.stderr.decode()
    assert resumed.returncode == 2, err
    assert err.strip() == (
        f"fastpool encode: error: {out}: the model files changed since the run there: "
        "model.safetensors (content); pass --overwrite to start again"
    )


def test_model_files_recorded_by_content(tmp_path, model_dir, capsys):
    src = tmp_path / "d.txt"
    _write(src, "text", _docs()[:10])
    out = tmp_path / "out"
    assert run_cli(_args(src, out, model_dir), capsys)[0] == 0
    files = manifest(out)["settings"]["model_files"]
    for name, size, digest in files:
        content = (model_dir / name).read_bytes()
        assert size == len(content) and digest == hashlib.sha256(content).hexdigest()


def test_a_touched_but_unchanged_model_resumes(tmp_path, model_dir):
    """Only content counts for the model: a new mtime alone does not block a resume."""
    src = tmp_path / "d.txt"
    _write(src, "text", _docs())
    ref, out = tmp_path / "ref", tmp_path / "out"
    assert run_subprocess(_args(src, ref, model_dir)).returncode == 0
    crashed = run_subprocess(_args(src, out, model_dir), env={"FASTPOOL_CLI_CRASH": "manifest:1"})
    assert crashed.returncode == -signal.SIGKILL
    os.utime(model_dir / "model.safetensors", ns=(1, 1))
    assert run_subprocess(_args(src, out, model_dir)).returncode == 0
    for name in os.listdir(ref):
        assert (out / name).read_bytes() == (ref / name).read_bytes(), name


@pytest.mark.parametrize("complete", [False, True])
def test_old_manifest_without_hashes_is_refused(complete, tmp_path, model_dir, capsys):
    src = tmp_path / "d.txt"
    _write(src, "text", _docs())
    out = tmp_path / "out"
    assert run_cli(_args(src, out, model_dir), capsys)[0] == 0
    old = manifest(out)  # what version 1 wrote: no part hashes, model files by mtime
    old["version"] = 1
    old["complete"] = complete
    for part in old["parts"]:
        del part["sha256"]
    (out / "_manifest.json").write_text(json.dumps(old))
    code, _, err = run_cli(_args(src, out, model_dir), capsys)
    assert code == 2
    assert err.strip() == (
        f"fastpool encode: error: {out}: holds a run written by an older fastpool (manifest "
        "version 1, without content hashes), so its parts cannot be checked against the input "
        "and model; pass --overwrite to start again"
    )
    code, _, err = run_cli([*_args(src, out, model_dir), "--overwrite"], capsys)
    assert code == 0, err
    assert manifest(out)["version"] == 2


@pytest.mark.parametrize(
    "data",
    [
        b'\xef\xbb\xbf\n\n{"text": "a"}\r\n\n\n{"text": "b"}\n\n{"text": "c"}\n\n\n',
        b'{"text": "a"}\n{"text": "b"}\n \n{"text": "c"}',
    ],
)
@pytest.mark.parametrize("part_size", [1, 2, 3])
def test_part_hashes_cover_the_part_bytes(data, part_size, tmp_path, model_dir, capsys):
    """Text and JSONL: part i's hash is SHA-256 of bytes [offset(i-1), offset(i)) of the file
    (so a resume checks it without parsing), blank lines counting with the row after them."""
    src = tmp_path / "d.jsonl"
    src.write_bytes(data)
    out = tmp_path / "out"
    code, _, err = run_cli(
        ["encode", src, "-o", out, "--model", model_dir, "--part-size", part_size, "-q"], capsys
    )
    assert code == 0, err
    start = 0
    for part in manifest(out)["parts"]:
        stop = part["input_offset"]
        assert part["sha256"] == hashlib.sha256(data[start:stop]).hexdigest()
        start = stop
    # and the rerun of the complete run checks them all and passes
    code, _, err = run_cli(
        ["encode", src, "-o", out, "--model", model_dir, "--part-size", part_size], capsys
    )
    assert code == 0 and "already complete" in err
