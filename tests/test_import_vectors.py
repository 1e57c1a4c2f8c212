"""fastpool.import_vectors: word2vec text/binary and GloVe files, written here in each format,
become model folders that load, encode, save and tokenize natively; bad files say why."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import fastpool
from fastpool.persistence import vectors as vectors_module

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
from vectors_import import write_vectors  # noqa: E402

FORMATS = ["word2vec", "word2vec-binary", "glove"]


def _rows(path: Path, fmt: str) -> dict[str, np.ndarray]:
    """The file read back by the plainest code (the spec)."""
    data = path.read_bytes()
    out: dict[str, np.ndarray] = {}
    if fmt == "word2vec-binary":
        header, _, rest = data.partition(b"\n")
        n, dim = map(int, header.split())
        pos = 0
        for _ in range(n):
            end = rest.index(b" ", pos)
            word = rest[pos:end].decode()
            out.setdefault(word, np.frombuffer(rest, "<f4", dim, end + 1).copy())
            pos = end + 1 + 4 * dim
            if rest[pos : pos + 1] == b"\n":
                pos += 1
        return out
    lines = data.decode().splitlines()[(0 if fmt == "glove" else 1) :]
    for line in lines:
        word, *values = line.split(" ")
        out.setdefault(word, np.array(values, dtype=np.float32))
    return out


@pytest.mark.parametrize("fmt", FORMATS)
def test_formats_round_trip(tmp_path: Path, fmt: str) -> None:
    src = tmp_path / "vectors"
    write_vectors(src, 3000, 12, fmt)
    folder = fastpool.import_vectors(src, tmp_path / "model", format=fmt)
    model = fastpool.StaticModel.from_pretrained(folder)
    spec = _rows(src, fmt)
    assert model.tokenizer_backend == "native"
    assert model.tokens[:-1] == tuple(spec) and model.tokens[-1] == "[UNK]"
    np.testing.assert_array_equal(model.table[:-1], np.stack(list(spec.values())))
    assert not model.table[-1].any()
    # "w1" and "w2" are looked up (lowercase vocabulary: the text is lowercased);
    # unknown words are dropped, so the vector is the mean of two rows, normalised.
    got = model.encode(["W1 w2 nosuchword"])[0]
    want = (spec["w1"] + spec["w2"]) / 2
    np.testing.assert_allclose(got, want / np.linalg.norm(want), rtol=1e-5, atol=1e-6)
    model.save_pretrained(tmp_path / "again")
    again = fastpool.StaticModel.from_pretrained(tmp_path / "again")
    np.testing.assert_array_equal(again.encode(["w7 w8"]), model.encode(["w7 w8"]))
    m2v = pytest.importorskip("model2vec").StaticModel.from_pretrained(tmp_path / "again")
    np.testing.assert_allclose(m2v.encode(["w7 w8, w9"]), model.encode(["w7 w8, w9"]), atol=1e-6)


def test_case_and_phrases(tmp_path: Path) -> None:
    src = tmp_path / "cased.txt"
    src.write_text("3 2\nParis 1 0\nparis 0 1\nNew_York 1 1\n", encoding="utf-8")
    model = fastpool.StaticModel.from_pretrained(
        fastpool.import_vectors(src, tmp_path / "m", format="word2vec")
    )
    assert model.tokenize("Paris paris") == [0, 1]  # cased vectors: no lowercasing
    phrases = fastpool.StaticModel.from_pretrained(
        fastpool.import_vectors(src, tmp_path / "p", pre_tokenizer="whitespace")
    )
    assert phrases.tokenize("New_York") == [2]
    assert model.tokenize("New_York") == []  # BertPreTokenizer splits at "_"


def test_glove_words_with_spaces_and_duplicates(tmp_path: Path) -> None:
    src = tmp_path / "g.txt"
    src.write_text(". . . 1 2\nthe 3 4\nthe 5 6\n", encoding="utf-8")
    with pytest.warns(UserWarning, match="1 repeated words; each keeps its first row"):
        words, table = vectors_module.read_vectors(src, "glove")
    assert words == [". . .", "the"]
    np.testing.assert_array_equal(table, [[1, 2], [3, 4]])


@pytest.mark.parametrize(
    ("content", "fmt", "match"),
    [
        (b"not a header\n", "word2vec", "starts with a line 'n_words dim'"),
        (b"2 3\na 1 2 3\n", "word2vec", "1 words, but its header says 2"),
        (b"1 3\na 1 2\n", "word2vec", "word 1 has 2 values, expected 3"),
        (b"1 2\na 1 x\n", "word2vec", "not a number"),
        (b"2 2\na \x00\x00\x80?\x00\x00", "word2vec-binary", "ends after 0 of the 2 words"),
        (b"\n", "glove", "a GloVe line is 'word v1 ... vd'"),
    ],
)
def test_bad_files(tmp_path: Path, content: bytes, fmt: str, match: str) -> None:
    src = tmp_path / "bad"
    src.write_bytes(content)
    with pytest.raises(ValueError, match=match):
        fastpool.import_vectors(src, tmp_path / "m", format=fmt)


def test_argument_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="format must be one of"):
        fastpool.import_vectors(tmp_path, tmp_path / "m", format="fasttext")
    with pytest.raises(FileNotFoundError, match="no such vectors file"):
        fastpool.import_vectors(tmp_path / "none.txt", tmp_path / "m")
    src = tmp_path / "ok.txt"
    src.write_text("1 2\na 1 2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="pre_tokenizer must be one of"):
        fastpool.import_vectors(src, tmp_path / "m", pre_tokenizer="spaces")
    with pytest.raises(TypeError, match="lowercase must be True, False or None"):
        fastpool.import_vectors(src, tmp_path / "m", lowercase="yes")  # type: ignore[arg-type]
