"""Issue 19 (reliability round 2): the bounded JSON reader, integer fields, panics,
the README reader, WordPiece's word limit on the tokenizers backend.

The malformed folders themselves (time and peak-RSS limits in forked children)
are in tests/malformed_corpus.py; these are the unit-level checks behind them.
"""

from __future__ import annotations

import json
import logging
import shutil

import numpy as np
import pytest
from model_factory import make_model_folder
from test_cli_util import run_subprocess

from fastpool import StaticModel, _core
from fastpool._checks import TokenizerFailure, file_int
from fastpool.persistence import json_reader
from fastpool.persistence.folder import read_card_metadata
from fastpool.tokenizer.pipeline import WORDPIECE_WORD_LIMIT

# -- json_extent / the reader -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "depth", "structurals"),
    [
        (b"", 0, 0),
        (b"1", 0, 0),
        (b"[]", 1, 1),
        (b'{"a": [1, 2, {}]}', 3, 6),
        (b'["[[[", "{,:"]', 1, 2),  # brackets, commas and colons in strings do not count
        (b'["a\\"[[", "\\\\", "]"]', 1, 3),  # an escaped quote does not end the string
        (b"]]]][", 1, 1),  # unbalanced closes do not go below zero
    ],
)
def test_json_extent(text, depth, structurals):
    assert _core.json_extent(text, 128) == (depth, structurals)


def test_json_extent_stops_past_the_depth_limit():
    assert _core.json_extent(b"[" * 10_000, 128)[0] == 129


def test_json_extent_agrees_with_json_on_real_files(tmp_path):
    folder = make_model_folder(tmp_path)
    raw = (folder / "tokenizer.json").read_bytes()
    depth, structurals = _core.json_extent(raw, 128)

    def walk(x, d=0):
        if isinstance(x, dict):
            return max([d + 1] + [walk(v, d + 1) for v in x.values()])
        if isinstance(x, list):
            return max([d + 1] + [walk(v, d + 1) for v in x])
        return d

    assert depth == walk(json.loads(raw))
    assert structurals > 0


def test_reader_limits(tmp_path):
    f = tmp_path / "config.json"
    f.write_bytes(b" " * (json_reader.SMALL_FILE.max_bytes + 1))
    with pytest.raises(ValueError, match=r"config\.json: \d+ bytes, more than"):
        json_reader.read_object(f)
    f.write_bytes(b"[" + b"[]," * 1_000_000 + b"[]]")
    with pytest.raises(ValueError, match=r"config\.json: too many JSON elements"):
        json_reader.read_json(f)
    f.write_bytes(b"[" * 129 + b"]" * 129)
    with pytest.raises(ValueError, match=r"nested deeper than 128 levels"):
        json_reader.read_json(f)
    f.write_bytes(b"[" * 128 + b"]" * 128)
    assert json_reader.read_json(f) is not None
    f.write_bytes(b"[1, 2]")
    with pytest.raises(ValueError, match="must hold a JSON object, got list"):
        json_reader.read_object(f)


def test_reader_refuses_special_files(tmp_path):
    link = tmp_path / "config.json"
    link.symlink_to("/proc/self/mem")
    with pytest.raises(ValueError, match=r"config\.json: cannot be read"):
        json_reader.read_object(link)


# -- integer fields -----------------------------------------------------------------------


def test_file_int():
    assert file_int(None, "max_length") is None
    assert file_int(2**63 - 1, "max_length") == 2**63 - 1
    for bad in (2**63, -1, True, 1.0, "5", [5]):
        with pytest.raises(
            ValueError, match=r"max_length must be an integer in \[0, 2\*\*63 - 1\]"
        ):
            file_int(bad, "max_length")


def test_max_length_2_62_loads_and_encodes(tmp_path):
    """model2vec cuts texts to max_length * median_token_length code points: a
    product past int64 is no cut, not an OverflowError at every encode."""
    folder = make_model_folder(tmp_path, max_length=2**62)
    model = StaticModel.from_pretrained(folder)
    reference = StaticModel.from_pretrained(folder, max_length=None)
    assert model.max_length == 2**62
    texts = ["The quick brown fox jumps over the lazy dog."]
    assert model.encode(texts).tobytes() == reference.encode(texts).tobytes()
    assert model.encode(texts, max_length=2**63 - 1).shape == (1, 16)
    with pytest.raises(ValueError, match=r"max_length must be below 2\*\*63"):
        model.encode(texts, max_length=2**63)


# -- README ---------------------------------------------------------------------------------


def test_card_reader_is_linear_and_bounded(tmp_path):
    (tmp_path / "README.md").write_text("---\nlanguage:\n- a" + " " * 120_000 + "b\n---\n")
    assert read_card_metadata(tmp_path) == {"language": ["a" + " " * 120_000 + "b"]}
    # Front matter that does not close within the first MiB gives nothing.
    with open(tmp_path / "README.md", "wb") as f:
        f.write(b"---\nbase_model: x\n")
        f.truncate(2**30)
    assert read_card_metadata(tmp_path) == {}


def test_card_reader_keeps_its_fields(tmp_path):
    (tmp_path / "README.md").write_text(
        "---\r\nbase_model: 'org/m'\r\nlanguage:\r\n  - en\r\n  - \"de\"\r\nother: 1\r\n---\r\n"
    )
    assert read_card_metadata(tmp_path) == {"base_model": "org/m", "language": ["en", "de"]}


# -- tokenizers: panics and WordPiece's word limit ---------------------------------------


def _edit_tokenizer(folder, edit):
    path = folder / "tokenizer.json"
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))


def test_a_tokenizers_panic_is_a_value_error_naming_the_model(tmp_path):
    folder = make_model_folder(tmp_path)
    split = {"type": "Split", "pattern": {"Regex": "(a+)+b"}, "behavior": "Isolated"}
    _edit_tokenizer(folder, lambda t: t.__setitem__("pre_tokenizer", {**split, "invert": False}))
    model = StaticModel.from_pretrained(folder)
    with pytest.raises(TokenizerFailure, match=r"model\.safetensors: the tokenizer failed"):
        model.encode(["a" * 28 + "c"])
    with pytest.raises(ValueError, match="retry-limit"):
        model.tokenize(["a" * 28 + "c"])
    with pytest.raises(ValueError, match="retry-limit"):  # the batched, pipelined path
        model.encode(["fine"] * 600 + ["a" * 28 + "c"], batch_size=256)
    assert model.encode(["fine text"]).shape == (1, 16)  # the model keeps working


def test_cli_reports_a_tokenizers_panic_in_one_line(tmp_path):
    folder = make_model_folder(tmp_path)
    split = {"type": "Split", "pattern": {"Regex": "(a+)+b"}, "behavior": "Isolated"}
    _edit_tokenizer(folder, lambda t: t.__setitem__("pre_tokenizer", {**split, "invert": False}))
    (tmp_path / "in.txt").write_text("a" * 28 + "c\n")
    proc = run_subprocess(
        ["encode", tmp_path / "in.txt", "--model", folder, "-o", tmp_path / "out", "-q"],
        env={"RUST_BACKTRACE": "0"},
    )
    assert proc.returncode == 2
    python_lines = [
        line for line in proc.stderr.decode().splitlines() if line.startswith("fastpool")
    ]
    assert python_lines == [
        f"fastpool encode: error: {folder}/model.safetensors: the tokenizer failed on this "
        "input (Onig: Regex search error: retry-limit-in-match over)"
    ]
    assert b"Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("name", "edit", "layout", "match"),
    [
        ("mic", lambda t: t["model"].__setitem__("max_input_chars_per_word", 2**63), "model2vec",
         "max_input_chars_per_word must be"),
        ("trunc", lambda t: t["truncation"].__setitem__("max_length", 2**63), "st",
         r"truncation\.max_length must be"),
    ],
)  # fmt: skip
def test_cli_info_on_bad_integer_fields_is_one_line(tmp_path, name, edit, layout, match):
    folder = make_model_folder(tmp_path, layout=layout, name=name)
    _edit_tokenizer(folder, edit)
    proc = run_subprocess(["info", folder])
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fastpool info: error:"), lines
    assert pytest.importorskip("re").search(match, lines[0])


def test_cli_info_on_deep_modules_json_is_one_line(tmp_path):
    folder = make_model_folder(tmp_path, layout="st")
    (folder / "modules.json").write_text("[" * 100_000 + "]" * 100_000)
    proc = run_subprocess(["info", folder])
    assert proc.returncode == 2
    assert proc.stderr.decode().strip().splitlines() == [
        f"fastpool info: error: cannot load model {folder}: {folder}/modules.json: not valid "
        "JSON (nested deeper than 128 levels)"
    ]


def _long_word_model(tmp_path, caplog, limit):
    folder = make_model_folder(tmp_path, max_length=None, name=f"limit-{limit}")
    _edit_tokenizer(folder, lambda t: t["model"].__setitem__("max_input_chars_per_word", limit))
    shutil.copy(folder / "tokenizer.json", tmp_path / f"tokenizer-{limit}.json")
    with caplog.at_level(logging.WARNING, logger="fastpool.tokenizer.pipeline"):
        native = StaticModel.from_pretrained(folder)
        slow = StaticModel.from_pretrained(folder, tokenizer_backend="tokenizers")
    return native, slow


def test_wordpiece_word_limit_on_the_tokenizers_backend(tmp_path, caplog):
    native, slow = _long_word_model(tmp_path, caplog, 10**12)
    assert native.tokenizer_backend == "native"
    assert "lowered to 200" in caplog.text
    short, long = "e" * WORDPIECE_WORD_LIMIT, "e" * (WORDPIECE_WORD_LIMIT + 1)
    # Up to the limit both backends give WordPiece's pieces ...
    assert native.tokenize([short]) == slow.tokenize([short])
    assert len(slow.tokenize([short])[0]) == WORDPIECE_WORD_LIMIT
    # ... past it the tokenizers backend gives the unknown token (dropped), the
    # native one keeps the file's limit (it is linear in the word).
    assert slow.tokenize([long]) == [[]]
    assert len(native.tokenize([long])[0]) == WORDPIECE_WORD_LIMIT + 1
    assert slow.encode(["e" * 15_000]).shape == (1, 16)
    # The model's own tokenizer (saved, handed out) keeps the file's value.
    assert slow.tokenizer.model.max_input_chars_per_word == 10**12
    saved = slow.save_pretrained(tmp_path / "saved")
    assert (
        json.loads((saved / "tokenizer.json").read_text())["model"]["max_input_chars_per_word"]
        == 10**12
    )


def test_wordpiece_word_limit_within_bounds_is_kept(tmp_path, caplog):
    native, slow = _long_word_model(tmp_path, caplog, 150)
    assert "lowered" not in caplog.text
    word = "e" * 150
    assert native.tokenize([word]) == slow.tokenize([word])
    assert np.array_equal(native.encode([word]), slow.encode([word]))
