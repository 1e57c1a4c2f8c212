"""``fastpool encode``: every input format, stdin, both output formats, resume and atomicity."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pyarrow.parquet as pq
import pytest
from model_factory import make_model_folder
from test_cli_util import (
    load_npy_parts,
    manifest,
    run_cli,
    run_subprocess,
    texts,
    write_inputs,
)

from fastpool import StaticModel

N_DOCS = 250
PART = 40


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return make_model_folder(tmp_path_factory.mktemp("model"), name="m", normalize=True)


@pytest.fixture(scope="module")
def docs():
    return texts(N_DOCS)


@pytest.fixture(scope="module")
def expected(model_dir, docs):
    return StaticModel.from_pretrained(model_dir).encode(docs)


@pytest.fixture
def inputs(tmp_path, docs):
    return write_inputs(tmp_path / "in", docs)


def encode_args(src, out, model_dir, *extra):
    return ["encode", src, "-o", out, "--model", model_dir, "--part-size", PART, "-q", *extra]


@pytest.mark.parametrize("fmt", ["text", "jsonl", "csv", "parquet"])
def test_every_input_format(fmt, inputs, tmp_path, model_dir, expected, capsys):
    out = tmp_path / "out"
    extra = ["--field", "body"] if fmt == "jsonl" else []
    code, _, err = run_cli(encode_args(inputs[fmt], out, model_dir, *extra), capsys)
    assert code == 0, err
    np.testing.assert_array_equal(load_npy_parts(out), expected)
    m = manifest(out)
    assert m["complete"] and m["rows"] == N_DOCS
    assert [p["rows"] for p in m["parts"]] == [PART] * (N_DOCS // PART) + [N_DOCS % PART]
    assert m["settings"]["input_format"] == fmt


def test_input_format_override(inputs, tmp_path, model_dir, expected, capsys):
    renamed = tmp_path / "docs.data"
    renamed.write_bytes(inputs["csv"].read_bytes())
    out = tmp_path / "out"
    code, _, err = run_cli(encode_args(renamed, out, model_dir, "--input-format", "csv"), capsys)
    assert code == 0, err
    np.testing.assert_array_equal(load_npy_parts(out), expected)


@pytest.mark.parametrize("fmt", ["text", "jsonl", "csv"])
def test_stdin(fmt, inputs, tmp_path, model_dir, expected, capsys, monkeypatch):
    out = tmp_path / "out"
    extra = ["--input-format", fmt] + (["--field", "body"] if fmt == "jsonl" else [])
    data = inputs[fmt].read_bytes()
    code, _, err = run_cli(
        encode_args("-", out, model_dir, *extra), capsys, stdin=data, monkeypatch=monkeypatch
    )
    assert code == 0, err
    np.testing.assert_array_equal(load_npy_parts(out), expected)
    assert manifest(out)["input_fingerprint"] is None


def test_stdin_subprocess_and_no_resume(inputs, tmp_path, model_dir, expected):
    out = tmp_path / "out"
    data = inputs["text"].read_bytes()
    proc = run_subprocess(encode_args("-", out, model_dir), stdin=data)
    assert proc.returncode == 0, proc.stderr
    np.testing.assert_array_equal(load_npy_parts(out), expected)
    again = run_subprocess(encode_args("-", out, model_dir), stdin=data)
    assert again.returncode == 2
    assert b"stdin" in again.stderr and b"--overwrite" in again.stderr
    again = run_subprocess(encode_args("-", out, model_dir, "--overwrite"), stdin=data)
    assert again.returncode == 0, again.stderr


def test_parquet_output(inputs, tmp_path, model_dir, expected, capsys):
    out = tmp_path / "out"
    code, _, err = run_cli(
        encode_args(inputs["jsonl"], out, model_dir, "--field", "body", "--format", "parquet"),
        capsys,
    )
    assert code == 0, err
    assert sorted(os.listdir(out))[:2] == ["_manifest.json", "part-00000.parquet"]
    table = pq.read_table(out)  # the manifest's leading "_" keeps it out of the dataset
    assert table.column_names == ["id", "embedding"]
    assert table.schema.field("embedding").type.list_size == expected.shape[1]
    assert str(table.schema.field("embedding").type.value_type) == "float"
    np.testing.assert_array_equal(table.column("id").to_numpy(), np.arange(N_DOCS))
    vectors = np.stack(table.column("embedding").to_numpy(zero_copy_only=False))
    np.testing.assert_array_equal(vectors, expected)


def test_text_lines(tmp_path, model_dir, capsys):
    """Empty lines are documents, CRLF and a BOM are dropped, a lone CR is text."""
    src = tmp_path / "t.txt"
    src.write_bytes(b"\xef\xbb\xbfhello world\r\n\nthe fox\rthe dog\nlast line without newline")
    out = tmp_path / "out"
    code, _, err = run_cli(encode_args(src, out, model_dir), capsys)
    assert code == 0, err
    model = StaticModel.from_pretrained(model_dir)
    want = model.encode(["hello world", "", "the fox\rthe dog", "last line without newline"])
    np.testing.assert_array_equal(load_npy_parts(out), want)


def test_batch_size_and_threads_do_not_change_output(inputs, tmp_path, model_dir, expected, capsys):
    out = tmp_path / "out"
    args = encode_args(inputs["text"], out, model_dir, "--batch-size", "7", "--threads", "1")
    assert run_cli(args, capsys)[0] == 0
    np.testing.assert_array_equal(load_npy_parts(out), expected)


def test_default_output_and_summary(inputs, model_dir, capsys):
    code, _, err = run_cli(["encode", inputs["text"], "--model", model_dir], capsys)
    assert code == 0, err
    out = inputs["text"].with_suffix(".embeddings")
    assert manifest(out)["complete"]
    assert f"{N_DOCS:,} embeddings of dim 16 in 1 parts" in err


def test_empty_input(tmp_path, model_dir, capsys):
    src = tmp_path / "empty.txt"
    src.write_bytes(b"")
    out = tmp_path / "out"
    assert run_cli(encode_args(src, out, model_dir), capsys)[0] == 0
    m = manifest(out)
    assert m["complete"] and m["rows"] == 0 and m["parts"] == []


def test_rerun_after_completion_does_nothing(inputs, tmp_path, model_dir, capsys):
    out = tmp_path / "out"
    args = encode_args(inputs["text"], out, model_dir)
    assert run_cli(args, capsys)[0] == 0
    before = {p: os.stat(out / p).st_mtime_ns for p in os.listdir(out)}
    code, _, err = run_cli([a for a in args if a != "-q"], capsys)
    assert code == 0 and "already complete" in err
    assert before == {p: os.stat(out / p).st_mtime_ns for p in os.listdir(out)}


def test_settings_mismatch_and_overwrite(inputs, tmp_path, model_dir, expected, capsys):
    out = tmp_path / "out"
    assert run_cli(encode_args(inputs["text"], out, model_dir), capsys)[0] == 0
    code, _, err = run_cli(
        encode_args(inputs["text"], out, model_dir, "--format", "parquet"), capsys
    )
    assert code == 2
    assert err.count("\n") == 1 and "differs in: format" in err and "Traceback" not in err
    code, _, err = run_cli(
        encode_args(inputs["text"], out, model_dir, "--format", "parquet", "--overwrite"), capsys
    )
    assert code == 0, err
    assert not any(p.endswith(".npy") for p in os.listdir(out))


def test_changed_input_is_refused(inputs, tmp_path, model_dir, capsys):
    out = tmp_path / "out"
    assert run_cli(encode_args(inputs["text"], out, model_dir), capsys)[0] == 0
    with open(inputs["text"], "a") as f:
        f.write("one more line\n")
    code, _, err = run_cli(encode_args(inputs["text"], out, model_dir), capsys)
    assert code == 2 and "input changed" in err


def test_refuses_foreign_directory(inputs, tmp_path, model_dir, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    code, _, err = run_cli(encode_args(inputs["text"], out, model_dir), capsys)
    assert code == 2 and "no fastpool manifest" in err
    assert (out / "precious.txt").read_text() == "keep me"


# -- resume and atomicity ------------------------------------------------------------------------


def check_directory(out, fmt="npy"):
    """Every part under a final name is whole; the manifest lists only parts that exist."""
    m = manifest(out)
    for part in m["parts"]:
        assert (out / part["file"]).exists()
    for name in os.listdir(out):
        if name.startswith("part-"):
            if fmt == "npy":
                assert np.load(out / name).shape[0] > 0
            else:
                assert pq.read_table(out / name).num_rows > 0
    return m


CRASHES = [
    (stage, fmt, "text") for stage in ("temp", "renamed", "manifest") for fmt in ("npy", "parquet")
]
CRASHES += [("renamed", "npy", src) for src in ("jsonl", "csv", "parquet")]
CRASHES += [("manifest", "parquet", src) for src in ("jsonl", "csv", "parquet")]


@pytest.mark.parametrize(("stage", "fmt", "src"), CRASHES)
def test_resume_after_sigkill_at_each_stage(stage, fmt, src, inputs, tmp_path, model_dir):
    """FASTPOOL_CLI_CRASH kills the run at a chosen point; the rerun's files equal a clean run's."""
    extra = ["--format", fmt] + (["--field", "body"] if src == "jsonl" else [])
    ref, out = tmp_path / "ref", tmp_path / "out"
    assert run_subprocess(encode_args(inputs[src], ref, model_dir, *extra)).returncode == 0
    crashed = run_subprocess(
        encode_args(inputs[src], out, model_dir, *extra), env={"FASTPOOL_CLI_CRASH": f"{stage}:2"}
    )
    assert crashed.returncode == -signal.SIGKILL
    m = check_directory(out, fmt)
    assert len(m["parts"]) == (3 if stage == "manifest" else 2)
    final = out / f"part-00002.{fmt}"
    if stage == "temp":
        assert not final.exists()
        assert any(n.startswith(f".part-00002.{fmt}.tmp-") for n in os.listdir(out))
    resumed = run_subprocess(encode_args(inputs[src], out, model_dir, *extra))
    assert resumed.returncode == 0, resumed.stderr
    assert sorted(os.listdir(out)) == sorted(os.listdir(ref))
    for name in os.listdir(ref):
        assert (out / name).read_bytes() == (ref / name).read_bytes(), name


@pytest.mark.slow
def test_resume_after_real_sigkill(tmp_path, model_dir):
    """A run killed twice with SIGKILL mid-run, then rerun, equals an uninterrupted run."""
    n, part = 20_000, 500
    src = tmp_path / "big.txt"
    src.write_text("".join(t + "\n" for t in texts(n, seed=1)), encoding="utf-8")
    ref, out = tmp_path / "ref", tmp_path / "out"
    args = ["encode", src, "--model", model_dir, "--part-size", part, "-q"]
    assert run_subprocess([*args, "-o", ref]).returncode == 0
    cmd = [sys.executable, "-m", "fastpool", *map(str, [*args, "-o", out])]
    for kill_after_parts in (3, 17):
        proc = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if len(manifest(out)["parts"]) >= kill_after_parts:
                    break
            except (FileNotFoundError, ValueError):
                pass
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        check_directory(out)
    resumed = run_subprocess([*args, "-o", out])
    assert resumed.returncode == 0, resumed.stderr
    for name in os.listdir(ref):
        assert (out / name).read_bytes() == (ref / name).read_bytes(), name
    assert manifest(out)["rows"] == n


def test_temporaries_never_under_final_names(inputs, tmp_path, model_dir, monkeypatch, capsys):
    """Each part reaches its final name only through os.replace of a fsynced temporary."""
    from fastpool.cli import _writers

    events = []
    real_replace, real_fsync = os.replace, os.fsync
    monkeypatch.setattr(_writers.os, "fsync", lambda fd: (events.append("fsync"), real_fsync(fd)))

    def replace(src, dst):
        events.append(("replace", os.path.basename(src), os.path.basename(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(_writers.os, "replace", replace)
    out = tmp_path / "out"
    assert run_cli(encode_args(inputs["text"], out, model_dir), capsys)[0] == 0
    replaces = [e for e in events if e != "fsync"]
    parts = [e for e in replaces if e[2].startswith("part-")]
    assert [e[2] for e in parts] == [f"part-{i:05d}.npy" for i in range(7)]
    assert all(e[1].startswith(f".{e[2]}.tmp-") for e in replaces)
    for i, e in enumerate(events):  # file fsync, rename, directory fsync
        if e != "fsync":
            assert events[i - 1] == "fsync" and events[i + 1] == "fsync"
    # manifest update follows each part rename
    names = [e[2] for e in replaces]
    for i, name in enumerate(names):
        if name.startswith("part-"):
            assert names[i + 1] == "_manifest.json"


def test_killed_before_the_complete_flag(inputs, tmp_path, model_dir):
    """Killed after the last part's manifest update: the rerun only marks the run complete."""
    ref, out = tmp_path / "ref", tmp_path / "out"
    assert run_subprocess(encode_args(inputs["text"], ref, model_dir)).returncode == 0
    last = N_DOCS // PART
    crashed = run_subprocess(
        encode_args(inputs["text"], out, model_dir), env={"FASTPOOL_CLI_CRASH": f"manifest:{last}"}
    )
    assert crashed.returncode == -signal.SIGKILL
    m = manifest(out)
    assert m["rows"] == N_DOCS and not m["complete"]
    assert run_subprocess(encode_args(inputs["text"], out, model_dir)).returncode == 0
    for name in os.listdir(ref):
        assert (out / name).read_bytes() == (ref / name).read_bytes(), name


def test_second_writer_is_refused(inputs, tmp_path, model_dir, capsys):
    fcntl = pytest.importorskip("fcntl")
    out = tmp_path / "out"
    out.mkdir()
    fd = os.open(out, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        code, _, err = run_cli(encode_args(inputs["text"], out, model_dir), capsys)
    finally:
        os.close(fd)
    assert code == 2 and "another fastpool encode" in err
    assert run_cli(encode_args(inputs["text"], out, model_dir), capsys)[0] == 0


def test_parts_without_manifest_need_overwrite(inputs, tmp_path, model_dir, expected, capsys):
    """A crash inside --overwrite (manifest deleted first) leaves parts without a manifest."""
    out = tmp_path / "out"
    assert run_cli(encode_args(inputs["text"], out, model_dir), capsys)[0] == 0
    (out / "_manifest.json").unlink()
    code, _, err = run_cli(encode_args(inputs["text"], out, model_dir), capsys)
    assert code == 2 and "no fastpool manifest" in err
    code, _, err = run_cli(encode_args(inputs["text"], out, model_dir, "--overwrite"), capsys)
    assert code == 0, err
    np.testing.assert_array_equal(load_npy_parts(out), expected)


def test_missing_listed_part_is_an_error(inputs, tmp_path, model_dir, capsys):
    out = tmp_path / "out"
    assert run_cli(encode_args(inputs["text"], out, model_dir), capsys)[0] == 0
    (out / "part-00003.npy").unlink()
    code, _, err = run_cli(encode_args(inputs["text"], out, model_dir), capsys)
    assert code == 2 and "part-00003.npy" in err and "--overwrite" in err


@pytest.mark.parametrize(
    ("extra", "kwargs"),
    [
        (["--no-normalize"], {"normalize": False}),
        (["--max-length", "2"], {"max_length": 2}),
        (["--max-length", "none"], {"max_length": None}),
    ],
)
def test_model_options(extra, kwargs, inputs, tmp_path, model_dir, docs, capsys):
    out = tmp_path / "out"
    assert run_cli(encode_args(inputs["text"], out, model_dir, *extra), capsys)[0] == 0
    want = StaticModel.from_pretrained(model_dir, **kwargs).encode(docs)
    np.testing.assert_array_equal(load_npy_parts(out), want)
    settings = manifest(out)["settings"]
    for key, value in kwargs.items():
        assert settings[key] == value


def test_progress_without_tqdm(inputs, tmp_path, model_dir, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now fails
    out = tmp_path / "out"
    args = [a for a in encode_args(inputs["text"], out, model_dir) if a != "-q"]
    code, _, err = run_cli(args, capsys)
    assert code == 0
    assert f"{N_DOCS} texts" in err and "texts/s" in err
