"""Hostile and unusual JSONL: a BOM before a blank line, deep nesting, lone surrogates."""

from __future__ import annotations

import hashlib
import json
import sys
import time

import numpy as np
import pytest
from model_factory import make_model_folder
from test_cli_util import load_npy_parts, manifest, run_cli, run_subprocess

from fastpool import StaticModel
from fastpool.cli._errors import CLIError
from fastpool.cli._readers import open_source


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return make_model_folder(tmp_path_factory.mktemp("model"), name="m")


def encode_args(src, out, model_dir, *extra):
    return ["encode", src, "-o", out, "--model", model_dir, "-q", *extra]


# -- a BOM, then a blank line (red team item 14) ---------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        b'\xef\xbb\xbf\n{"text": "a"}\n{"text": "b"}\n',
        b'\xef\xbb\xbf\r\n\n{"text": "a"}\n\n{"text": "b"}',
        b'\xef\xbb\xbf   \t\n{"text": "a"}\n{"text": "b"}\n',
    ],
    ids=["bom-blank", "bom-crlf-blanks", "bom-spaces"],
)
def test_bom_then_blank_line_is_valid(data, tmp_path, model_dir, capsys):
    src = tmp_path / "b.jsonl"
    src.write_bytes(data)
    out = tmp_path / "out"
    code, _, err = run_cli(encode_args(src, out, model_dir), capsys)
    assert code == 0, err
    want = StaticModel.from_pretrained(model_dir).encode(["a", "b"])
    np.testing.assert_array_equal(load_npy_parts(out), want)
    assert manifest(out)["rows"] == 2  # blank lines are skipped, not rows


def test_bom_then_only_blank_lines_is_empty(tmp_path, model_dir, capsys):
    src = tmp_path / "b.jsonl"
    src.write_bytes(b"\xef\xbb\xbf\n\n")
    code, _, err = run_cli(encode_args(src, tmp_path / "out", model_dir), capsys)
    assert code == 0, err
    assert manifest(tmp_path / "out")["rows"] == 0


def test_bom_then_bad_json_still_names_the_line(tmp_path):
    src = tmp_path / "b.jsonl"
    src.write_bytes(b'\xef\xbb\xbf\n{"text": "a"}\n{oops\n')
    with pytest.raises(CLIError, match=r"b\.jsonl line 3: not valid JSON"):
        list(open_source(str(src), None, None).rows())


# -- deep nesting (red team item 6) --------------------------------------------------------------


def test_deep_nesting_is_a_bad_row(tmp_path):
    src = tmp_path / "d.jsonl"
    src.write_text('{"text": "fine"}\n' + "[" * 100_000 + "\n")
    with pytest.raises(CLIError, match=r"d\.jsonl line 2: JSON nested too deeply to parse\Z"):
        list(open_source(str(src), None, None).rows())


def test_deep_nesting_on_the_first_line_is_caught_before_encoding(tmp_path):
    src = tmp_path / "d.jsonl"
    src.write_text('{"text": ' + '{"a": ' * 100_000 + "1" + "}" * 100_001 + "\n")
    with pytest.raises(CLIError, match=r"d\.jsonl line 1: JSON nested too deeply to parse\Z"):
        open_source(str(src), None, None)


def test_nesting_inside_another_field_is_a_bad_row_too(tmp_path):
    src = tmp_path / "d.jsonl"
    src.write_text('{"text": "x"}\n{"text": "y", "meta": ' + "[" * 50_000 + "\n")
    with pytest.raises(CLIError, match=r"line 2: JSON nested too deeply"):
        list(open_source(str(src), None, None).rows())


def test_nested_non_string_field_is_named_by_kind(tmp_path):
    src = tmp_path / "d.jsonl"
    src.write_text('{"text": ' + "[" * 500 + "]" * 500 + "}\n")
    with pytest.raises(CLIError, match=r"field 'text' is a JSON array, expected a string\Z"):
        open_source(str(src), None, None)


# Runs the command as its own child and reports that child's peak RSS. The extra level
# matters: Linux carries ru_maxrss across fork + exec, so a child forked straight from a
# large pytest process reports pytest's size; forked from this small one, it reports its own.
_PEAK_RSS = (
    "import resource, subprocess, sys\n"
    "p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)\n"
    "sys.stderr.buffer.write(p.stderr)\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "sys.exit(p.returncode)\n"
)


@pytest.mark.parametrize("depth", [100_000, 20_000_000])
def test_deep_nesting_cli_is_bounded(depth, tmp_path, model_dir):
    """In a child, under a timeout: exit 2, one line, fast, and little memory above the line."""
    import subprocess

    src = tmp_path / "d.jsonl"
    src.write_text('{"text": "ok"}\n' + "[" * depth + "\n")
    argv = [
        sys.executable,
        "-m",
        "fastpool",
        *map(str, encode_args(src, tmp_path / "o", model_dir)),
    ]
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", _PEAK_RSS, *argv], capture_output=True, timeout=60)
    elapsed = time.monotonic() - start
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert err.strip() == f"fastpool encode: error: {src} line 2: JSON nested too deeply to parse"
    assert elapsed < 60  # linear: the parser stops about 1000 levels down
    if sys.platform.startswith("linux"):  # KiB: the ~20 MB line, read whole, and the runtime
        peak = int(proc.stdout.decode().split()[-1])
        assert peak < 400_000, peak


# -- lone surrogates (red team item 2) ------------------------------------------------------------


def _surrogate_file(tmp_path):
    src = tmp_path / "s.jsonl"
    src.write_bytes(b'{"text":"ok"}\n{"text":"a \\ud800 b"}\n{"text":"\\udfff"}\n')
    return src


def test_lone_surrogate_never_a_traceback(tmp_path, model_dir):
    """Whatever the library does with it: exit 0, or a one-line error naming the row."""
    src = _surrogate_file(tmp_path)
    for argv in (
        encode_args(src, tmp_path / "out", model_dir),
        ["search", src, "ok", "--model", model_dir],
        ["search", src, "ok", "--model", model_dir, "--json"],
    ):
        proc = run_subprocess(argv)
        err = proc.stderr.decode()
        assert "Traceback" not in err
        assert proc.returncode == 0, err


def test_lone_surrogate_encode_completes(tmp_path, model_dir, capsys):
    src = _surrogate_file(tmp_path)
    out = tmp_path / "out"
    code, _, err = run_cli(encode_args(src, out, model_dir), capsys)
    assert code == 0, err
    want = StaticModel.from_pretrained(model_dir).encode(["ok", "a \ufffd b", "\ufffd"])
    np.testing.assert_array_equal(load_npy_parts(out), want)
    # and the rerun (a verified complete run) does not get stuck on it either
    code, _, err = run_cli(encode_args(src, out, model_dir), capsys)
    assert code == 0, err


def test_lone_surrogate_search_completes(tmp_path, model_dir, capsys):
    src = _surrogate_file(tmp_path)
    # In-process: a lone surrogate in the query cannot travel through a child's argv.
    argv = ["search", src, "a \ud800 b", "-k", "3", "--model", model_dir, "--json"]
    code, out, err = run_cli(argv, capsys)
    assert code == 0, err
    hits = json.loads(out)
    assert {h["id"]: h["text"] for h in hits} == {0: "ok", 1: "a \ufffd b", 2: "\ufffd"}
    model = StaticModel.from_pretrained(model_dir)
    v = model.encode(["ok", "a \ufffd b", "\ufffd"], normalize=True)
    q = model.encode(["a \ufffd b"], normalize=True)[0]
    for h in hits:
        assert h["score"] == pytest.approx(float((v[h["id"]] * q).sum()), abs=1e-6)


def test_search_prints_lone_surrogates_as_replacement(tmp_path, monkeypatch, capsys):
    """The CLI's own output of such a text is U+FFFD (stdout's UTF-8 cannot hold a surrogate)."""
    from fastpool.cli import _search

    src = _surrogate_file(tmp_path)

    def fake_top_k(model, query, rows, k, threads, where="corpus"):
        return [(1.0, i, t) for i, t in enumerate(rows)]

    monkeypatch.setattr(_search, "top_k", fake_top_k)
    monkeypatch.setattr(_search, "load_model", lambda path, **kw: None)
    for extra in ([], ["--json"]):
        code, out, err = run_cli(["search", src, "q", "--model", "m", *extra], capsys)
        assert code == 0, err
        out.encode("utf-8")  # strict: no surrogate left
        assert "a \ufffd b" in out


def test_part_hash_accepts_lone_surrogates(tmp_path):
    """The CLI's own use of the text (the per-part hash) is safe: surrogatepass."""
    from fastpool.cli._hashing import update_text

    h = hashlib.sha256()
    update_text(h, "a \ud800 b")
    assert h.hexdigest() != hashlib.sha256().hexdigest()
