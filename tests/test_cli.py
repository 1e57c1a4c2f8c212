"""The ``fastpool`` command line: entry points, --help, search, info, errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from model_factory import make_model_folder
from test_cli_util import run_cli, run_subprocess, texts, write_inputs

from fastpool import StaticModel

COMMANDS = ["encode", "search", "info", "eval", "distill"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return make_model_folder(tmp_path_factory.mktemp("model"), name="m")


@pytest.fixture
def inputs(tmp_path):
    return write_inputs(tmp_path / "in", texts(60))


# -- entry points and help ---------------------------------------------------------------------


def test_python_dash_m_help():
    proc = run_subprocess(["--help"])
    assert proc.returncode == 0
    out = proc.stdout.decode()
    for command in COMMANDS:
        assert command in out
    assert "examples:" in out


def test_console_script():
    exe = shutil.which("fastpool")
    if exe is None:
        pytest.skip("the fastpool script is not installed (pip install -e .)")
    proc = subprocess.run([exe, "--version"], capture_output=True)
    assert proc.returncode == 0 and proc.stdout.startswith(b"fastpool ")


@pytest.mark.parametrize("command", COMMANDS)
def test_subcommand_help(command, capsys):
    code, out, _ = run_cli([command, "--help"], capsys)
    assert code == 0
    assert out.startswith(f"usage: fastpool {command}")
    assert "example" in out


def test_encode_help_states_the_contract(capsys):
    _, out, _ = run_cli(["encode", "--help"], capsys)
    for words in ("part-00000.npy", "_manifest.json", "resume", "fsynced", "stdin", "--overwrite"):
        assert words in out


def test_importing_cli_does_not_import_torch():
    code = (
        "import sys, fastpool.cli, fastpool.cli._eval, fastpool.cli._distill\n"
        "fastpool.cli.build_parser()\n"
        "assert 'torch' not in sys.modules and 'sentence_transformers' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_no_command_is_a_usage_error(capsys):
    code, _, err = run_cli([], capsys)
    assert code == 2 and "usage:" in err


# -- clear errors: exit 2, one line, no traceback ----------------------------------------------


def error_cases(model_dir, inputs, tmp_path):
    bad_json = tmp_path / "bad.jsonl"
    bad_json.write_text('{"text": "ok"}\n{not json\n')
    bad_utf8 = tmp_path / "bad.txt"
    bad_utf8.write_bytes(b"fine\n\xff\xfe broken\n")
    not_parquet = tmp_path / "fake.parquet"
    not_parquet.write_text("hello")
    numbers = tmp_path / "numbers.parquet"
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"text": [1, 2]}), numbers)
    out = tmp_path / "out"
    m = ["--model", model_dir]
    return [
        (["encode", tmp_path / "missing.txt", "-o", out, *m], "no such file"),
        (["encode", inputs["csv"], "--field", "nope", "-o", out, *m], "no column 'nope'"),
        (["encode", inputs["parquet"], "--field", "nope", "-o", out, *m], "no column 'nope'"),
        (["encode", inputs["jsonl"], "-o", out, *m], "no field 'text'"),
        (["encode", inputs["text"], "--field", "x", "-o", out, *m], "--field applies"),
        (["encode", tmp_path / "docs.xlsx", "-o", out, *m], "cannot tell the format"),
        (["encode", bad_json, "-o", out, *m], "line 2: not valid JSON"),
        (["encode", bad_utf8, "-o", out, *m], "line 2: not valid UTF-8"),
        (["encode", not_parquet, "-o", out, *m], "not a readable Parquet file"),
        (["encode", numbers, "-o", out, *m], "expected strings"),
        (["encode", "-", "--input-format", "parquet", "-o", out, *m], "stdin"),
        (["encode", "-", *m], "-o/--output is required"),
        (["encode", inputs["text"], "-o", out, "--model", tmp_path / "nomodel"], "cannot load"),
        (["encode", inputs["text"], "-o", inputs["text"], *m], "not a directory"),
        (["search", tmp_path / "missing.txt", "q", *m], "no such file"),
        (["info", tmp_path / "nomodel"], "no such model folder"),
        (["eval", inputs["text"], "--teacher", tmp_path / "noteacher", *m], "teacher"),
        (["distill", tmp_path / "noteacher", "-o", out], "no such teacher folder"),
    ]


def test_errors_are_one_line_with_status_2(model_dir, inputs, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", open(inputs["text"], encoding="utf-8"))  # noqa: SIM115
    for argv, message in error_cases(model_dir, inputs, tmp_path):
        shutil.rmtree(tmp_path / "out", ignore_errors=True)  # left by errors found mid-stream
        code, out, err = run_cli(argv, capsys)
        assert code == 2, (argv, err)
        assert message in err, (argv, err)
        # A progress bar may precede an error found mid-stream; the error is the last line.
        last = err.rstrip("\n").split("\n")[-1]
        assert last.startswith(f"fastpool {argv[0]}: error: "), err
        assert message in last and "Traceback" not in err, err


def test_errors_in_a_subprocess(model_dir, tmp_path):
    proc = run_subprocess(["encode", tmp_path / "missing.txt", "--model", model_dir])
    assert proc.returncode == 2
    assert proc.stderr.decode().strip().endswith("missing.txt: no such file")
    assert b"Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "argv",
    [
        ["encode", "x.txt", "--format", "hdf5"],
        ["encode", "x.txt", "--input-format", "xml"],
        ["encode", "x.txt", "--batch-size", "0"],
        ["encode", "x.txt", "--threads", "0"],
        ["search", "x.txt", "q", "-k", "zero"],
        ["eval", "x.txt"],  # --teacher is required
    ],
)
def test_bad_arguments_are_usage_errors(argv, capsys):
    code, _, err = run_cli(argv, capsys)
    assert code == 2 and "usage:" in err and "Traceback" not in err


# -- search ---------------------------------------------------------------------------------------


def all_scores(model_dir, docs, query):
    model = StaticModel.from_pretrained(model_dir)
    v = model.encode(docs, normalize=True)
    q = model.encode([query], normalize=True)[0]
    return (v * q).sum(axis=1)


def brute_force(model_dir, docs, query, k):
    scores = all_scores(model_dir, docs, query)
    order = np.lexsort((np.arange(len(docs)), -scores))[:k]
    return [(float(scores[i]), int(i)) for i in order]


@pytest.mark.parametrize("fmt", ["text", "jsonl", "csv", "parquet"])
def test_search_matches_brute_force(fmt, model_dir, inputs, capsys):
    docs = texts(60)
    query = "the quick fox and the tokens"
    extra = ["--field", "body"] if fmt == "jsonl" else []
    code, out, err = run_cli(
        ["search", inputs[fmt], query, "-k", "5", "--model", model_dir, *extra], capsys
    )
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) == 5
    want = brute_force(model_dir, docs, query, 5)
    scores = all_scores(model_dir, docs, query)
    for line, (score, row) in zip(lines, want, strict=True):
        s, r, text = line.split("\t")
        assert float(s) == pytest.approx(score, abs=1e-4)
        # Scores that differ only in float rounding (a dot product's summation order) may
        # come in either order: the row must be one with the expected score, exact ties by row.
        assert int(r) == row or abs(float(scores[int(r)]) - score) < 1e-6
        assert text == docs[int(r)]


def test_search_json_and_ties_break_by_row(tmp_path, model_dir, capsys):
    corpus = tmp_path / "c.txt"
    corpus.write_text("the lazy dog\nsomething else\nthe lazy dog\nthe lazy dog\n")
    code, out, _ = run_cli(
        ["search", corpus, "lazy dog", "-k", "2", "--model", model_dir, "--json"], capsys
    )
    assert code == 0
    hits = json.loads(out)
    assert [h["id"] for h in hits] == [0, 2]
    assert set(hits[0]) == {"rank", "score", "id", "text"}


def test_search_k_larger_than_corpus(tmp_path, model_dir, capsys):
    corpus = tmp_path / "c.txt"
    corpus.write_text("one\ntwo\n")
    code, out, _ = run_cli(["search", corpus, "one", "-k", "10", "--model", model_dir], capsys)
    assert code == 0 and len(out.splitlines()) == 2


def test_search_streams_in_chunks(monkeypatch, model_dir, capsys, tmp_path):
    from fastpool.cli import _search

    monkeypatch.setattr(_search, "_CHUNK", 7)
    docs = texts(60)
    corpus = tmp_path / "c.txt"
    corpus.write_text("".join(d + "\n" for d in docs))
    code, out, _ = run_cli(["search", corpus, "fox 3", "-k", "4", "--model", model_dir], capsys)
    assert code == 0
    rows = [int(line.split("\t")[1]) for line in out.splitlines()]
    assert rows == [r for _, r in brute_force(model_dir, docs, "fox 3", 4)]


def test_search_stdin(model_dir, capsys, monkeypatch):
    code, out, _ = run_cli(
        ["search", "-", "dog", "-k", "1", "--model", model_dir],
        capsys,
        stdin=b"a cat\nthe lazy dog\n",
        monkeypatch=monkeypatch,
    )
    assert code == 0 and out.split("\t")[1] == "1"


# -- info -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("layout", "name"),
    [
        ("model2vec", "model2vec"),
        ("st", "sentence-transformers"),
        ("st_nested", "sentence-transformers (0_StaticEmbedding/)"),
    ],
)
def test_info(layout, name, tmp_path, capsys):
    folder = make_model_folder(
        tmp_path, layout=layout, dtype="float16", normalize=True, max_length=64, dim=12
    )
    code, out, _ = run_cli(["info", folder, "--json"], capsys)
    assert code == 0
    facts = json.loads(out)
    assert facts["layout"] == name
    assert facts["dim"] == 12 and facts["dtype"] == "float16"
    assert facts["vocab_size"] == len(StaticModel.from_pretrained(folder).tokens)
    if layout == "model2vec":  # the factory writes these to config.json only
        assert facts["normalize"] is True and facts["max_length"] == 64
    assert facts["tokenizer_backend"] and facts["tokenizer_model"] == "WordPiece"
    assert facts["size_bytes"] > 0
    code, out, _ = run_cli(["info", folder], capsys)
    assert code == 0
    for key in (
        "layout:",
        "vocab size:",
        "dim:",
        "dtype:",
        "tokenizer:",
        "normalize:",
        "max_length:",
        "size:",
    ):
        assert key in out
    assert name in out and "float16" in out and "on disk" in out


def test_info_vocabulary_quantized(tmp_path, capsys):
    folder = make_model_folder(tmp_path, vocab_quantized=True, dtype="int8")
    code, out, _ = run_cli(["info", folder], capsys)
    assert code == 0 and "vocabulary-quantized" in out and "int8" in out


def test_info_without_model_needs_a_default(capsys, monkeypatch):
    from fastpool.cli import _model

    monkeypatch.setattr(_model, "default_model_path", lambda: None)
    code, _, err = run_cli(["info"], capsys)
    assert code == 2 and "--model is required" in err


def test_bundled_default_model_is_used(model_dir, inputs, capsys, monkeypatch):
    from fastpool.cli import _model

    monkeypatch.setattr(_model, "default_model_path", lambda: str(model_dir))
    code, out, _ = run_cli(["info", "--json"], capsys)
    assert code == 0 and json.loads(out)["path"] == str(model_dir)
    code, out, _ = run_cli(["search", inputs["text"], "fox", "-k", "1"], capsys)
    assert code == 0 and len(out.splitlines()) == 1
