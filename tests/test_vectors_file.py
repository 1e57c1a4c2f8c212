"""The C++ reader of vectors-file text lines (csrc/fastpool/vectors_file.h) behind
``fastpool.import_vectors``: numbers rounded as Python's float() then float32, every block
boundary (a word or a number cut in two), CRLF, blanks, a last line without a newline, and
the lines it leaves to the Python path (words with spaces, bad lines) with their messages."""

from __future__ import annotations

import numpy as np
import pytest

import fastpool
from fastpool import _core
from fastpool.persistence import vectors as vectors_module

EDGE_NUMBERS = [
    "0", "-0", "+0", "0.0", "1", "-1", "+1.5", ".5", "-.5", "5.", "1e5", "1E-3", "1e+2",
    "-2.5e-07", "0000000000000000000000000001.5", "1111111111111111111111111",
    "0.1234567890123456789012", "9007199254740993", "3.4028235e38", "3.5e38", "1e400",
    "1e-50", "1.4e-45", "1e-46", "nan", "NaN", "-nan", "inf", "-inf", "Infinity", "1e22",
    "1e23", "123456789012345678", "1234567890123456789", "0.000001", "4.9e-324",
]  # fmt: skip


def _expected(tokens: list[str]) -> np.ndarray:
    """The spec: Python's float() (correctly rounded double), then float32."""
    with np.errstate(over="ignore"):
        return np.array([float(t) for t in tokens], dtype=np.float64).astype(np.float32)


def _random_numbers(n: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    values = (rng.standard_normal(n) * 10.0 ** rng.integers(-40, 39, n)).tolist()
    formats = ["{:.6f}", "{:.9g}", "{!r}", "{:e}", "{:.3e}", "{:.12f}", "{:g}"]
    return [formats[i % len(formats)].format(v) for i, v in enumerate(values)]


def _parse(text: bytes, dim: int, rows: int) -> tuple[int, int, np.ndarray, np.ndarray]:
    table = np.zeros((rows, dim), dtype=np.float32)
    spans = np.zeros((rows, 2), dtype=np.int64)
    done, stop = _core.parse_vector_lines(text, 0, table, 0, spans)
    return done, stop, table, spans


@pytest.mark.parametrize("tokens", [EDGE_NUMBERS, _random_numbers(5000)], ids=["edge", "random"])
def test_numbers_round_as_python_float_then_float32(tokens):
    text = "".join(f"w{i} {t}\n" for i, t in enumerate(tokens)).encode()
    done, stop, table, spans = _parse(text, 1, len(tokens))
    assert (done, stop) == (len(tokens), len(text))
    expected = _expected(tokens)
    got = table[:, 0]
    assert np.array_equal(np.isnan(got), np.isnan(expected))
    ok = ~np.isnan(expected)
    assert np.array_equal(got[ok].view(np.int32), expected[ok].view(np.int32))
    words = [text[a:b].decode() for a, b in spans.tolist()]
    assert words == [f"w{i}" for i in range(len(tokens))]


@pytest.mark.parametrize(
    "bad", ["1_0", "0x1p3", "1.5x", "--1", "1e", ".", "e5", "-", "nan(1)", "١", "1,5"]
)
def test_stops_at_a_line_it_cannot_take(bad):
    text = f"a 1 2\nb 3 {bad}\nc 5 6\n".encode()
    done, stop, table, _ = _parse(text, 2, 3)
    assert (done, stop) == (1, len(b"a 1 2\n"))
    np.testing.assert_array_equal(table[0], [1, 2])


@pytest.mark.parametrize(
    ("line", "why"),
    [(b"b 3", "too few"), (b"b 3 4 5", "too many / word with spaces"), (b"b", "no values")],
)
def test_stops_at_another_count(line, why):
    text = b"a 1 2\n" + line + b"\nc 5 6\n"
    assert _parse(text, 2, 3)[:2] == (1, 6), why


def test_blank_lines_crlf_and_room():
    text = b"\n  \r\n\ta\t1  2 \r\n\n b -1e1 .5\x0b\x0c\nc 7 8"
    done, stop, table, spans = _parse(text, 2, 3)
    assert (done, stop) == (3, len(text))  # the last line has no newline
    np.testing.assert_array_equal(table, [[1, 2], [-10, 0.5], [7, 8]])
    assert [text[a:b] for a, b in spans.tolist()] == [b"a", b"b", b"c"]
    # No room for a third row: it stops at that line; blank lines need no room.
    assert _parse(text, 2, 2)[:2] == (2, text.index(b"c 7 8"))
    assert _parse(b"\n \n\r\n", 2, 0)[:2] == (0, 5)


def test_start_offset_and_row():
    text = b"skip me\na 1 2\nb 3 4\n"
    table = np.zeros((4, 2), dtype=np.float32)
    spans = np.zeros((4, 2), dtype=np.int64)
    done, stop = _core.parse_vector_lines(text, 8, table, 1, spans)
    assert (done, stop) == (2, len(text))
    np.testing.assert_array_equal(table, [[0, 0], [1, 2], [3, 4], [0, 0]])
    assert [text[a:b] for a, b in spans[:2].tolist()] == [b"a", b"b"]


# -- through read_vectors, with blocks small enough to cut every word and number --------------

LINES = [
    "the 0.418 0.24968 -0.41242",
    "  café\t-1e-3 2.5E+2 .5  ",  # leading and trailing blanks, tab, non-ASCII word
    "",
    "longerwordthanablock 1 2 3",
    "\r",
    "日本 -0 +7.25 3",
]


def _reference(lines: list[str]) -> tuple[list[str], np.ndarray]:
    rows = [line.split() for line in lines if line.strip()]
    return [r[0] for r in rows], np.array([[float(x) for x in r[1:]] for r in rows], np.float32)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("last_newline", [True, False])
@pytest.mark.parametrize("fmt", ["glove", "word2vec"])
def test_every_block_boundary(tmp_path, monkeypatch, newline, last_newline, fmt):
    body = newline.join(LINES) + (newline if last_newline else "")
    words, table = _reference(LINES)
    header = f"{len(words)} 3{newline}" if fmt == "word2vec" else ""
    src = tmp_path / "v.txt"
    src.write_bytes((header + body).encode())
    size = len(src.read_bytes())
    for block in [*range(1, 40), 64, 1000, size, size + 1]:
        monkeypatch.setattr(vectors_module, "BLOCK", block)
        got_words, got = vectors_module.read_vectors(src, fmt)
        assert got_words == words, block
        np.testing.assert_array_equal(got, table, err_msg=f"BLOCK={block}")


def test_glove_word_with_spaces_among_plain_lines(tmp_path, monkeypatch):
    monkeypatch.setattr(vectors_module, "BLOCK", 97)
    lines = [f"w{i} {i} {-i}" for i in range(60)]
    lines[20] = "at . t 20 -20"  # GloVe 840B: the word is what precedes the last dim numbers
    src = tmp_path / "v.txt"
    src.write_text("\n".join(lines) + "\n")
    words, table = vectors_module.read_vectors(src, "glove")
    assert words[19:22] == ["w19", "at . t", "w21"] and len(words) == 60
    np.testing.assert_array_equal(table[:, 0], np.arange(60))


@pytest.mark.parametrize(
    ("line", "match"),
    [
        ("w29 1 x", "not a number near word 30"),
        ("w29 1", "word 30 has 1 values, expected 2"),
        ("w29 1 2e", "not a number near word 30"),
    ],
)
def test_bad_line_among_plain_lines_is_named(tmp_path, monkeypatch, line, match):
    monkeypatch.setattr(vectors_module, "BLOCK", 64)
    lines = [f"w{i} {i} {i}" for i in range(60)]
    lines[29] = line
    src = tmp_path / "v.txt"
    src.write_text("60 2\n" + "\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=match):
        vectors_module.read_vectors(src, "word2vec")


def test_more_words_than_the_header(tmp_path):
    src = tmp_path / "v.txt"
    src.write_bytes(b"1 2\na 1 2\nb 3 4\n")
    with pytest.raises(ValueError, match="more than the 1 words its header says"):
        vectors_module.read_vectors(src, "word2vec")


# -- word2vec binary --------------------------------------------------------------------------


def _binary(words: list[str], table: np.ndarray, newline: bool) -> bytes:
    out = [f"{len(words)} {table.shape[1]}\n".encode()]
    for word, row in zip(words, table, strict=True):
        out.append(word.encode() + b" " + row.astype("<f4").tobytes() + (b"\n" if newline else b""))
    return b"".join(out)


@pytest.mark.parametrize("newline", [True, False])
def test_binary_every_block_boundary(tmp_path, monkeypatch, newline):
    words = ["the", "café", "日本語", "x", "a_longer_word_than_some_blocks"]
    # Floats whose bytes hold ' ' (0x20) and '\n' (0x0a): only the word ends at a space.
    table = np.array(
        [[1.0, -2.5], [np.frombuffer(b"\x20\x0a\x20\x0a", "<f4")[0], 0.0], [3, 4], [5, 6], [7, 8]],
        dtype=np.float32,
    )
    src = tmp_path / "v.bin"
    src.write_bytes(_binary(words, table, newline))
    size = len(src.read_bytes())
    for block in [*range(1, 50), size, size + 1]:
        monkeypatch.setattr(vectors_module, "BLOCK", block)
        got_words, got = vectors_module.read_vectors(src, "word2vec-binary")
        assert got_words == words, block
        assert got.tobytes() == table.tobytes(), block


@pytest.mark.parametrize("cut", [2, 5, 11, 12])
def test_binary_truncated(tmp_path, monkeypatch, cut):
    monkeypatch.setattr(vectors_module, "BLOCK", 7)
    data = _binary(["a", "b", "c"], np.ones((3, 2), np.float32), True)
    src = tmp_path / "v.bin"
    src.write_bytes(data[:-cut])
    with pytest.raises(ValueError, match="ends after 2 of the 3 words"):
        vectors_module.read_vectors(src, "word2vec-binary")


def test_binary_records_direct():
    data = b"\n a " + np.float32(1.5).tobytes() + b"\nbb " + np.float32(-2).tobytes()
    table = np.zeros((3, 1), dtype=np.float32)
    spans = np.zeros((3, 2), dtype=np.int64)
    assert _core.parse_binary_records(data, 0, table, 0, spans) == (2, len(data))
    np.testing.assert_array_equal(table[:, 0], [1.5, -2, 0])
    assert [data[a:b] for a, b in spans[:2].tolist()] == [b"a", b"bb"]
    # A record cut short: it stops where that record starts (after the skipped newline).
    assert _core.parse_binary_records(data[:-1], 0, table, 0, spans) == (1, 9)


# -- the parallel reader: chunks of whole lines, the serial result ------------------------------


def _big_text(n_lines: int, bad_at: int | None = None) -> bytes:
    rng = np.random.default_rng(1)
    lines = []
    for i, row in enumerate(rng.standard_normal((n_lines, 8)).tolist()):
        line = f"w{i} " + " ".join(f"{x:.6f}" for x in row)
        lines.append(line + ("\r" if i % 7 == 0 else ""))
        if i % 11 == 0:
            lines.append("  ")  # blank lines do not take a row
    if bad_at is not None:
        lines[bad_at] = "bad 1 2"
    return ("\n".join(lines) + "\n").encode()


@pytest.mark.parametrize("bad_at", [None, 0, 5_000, 12_345, 21_000])
@pytest.mark.parametrize("n_threads", [2, 3, 8, 64, 200])
def test_parallel_equals_serial(n_threads, bad_at):
    text = _big_text(20_000, bad_at)  # ~1.5 MB: several 256 KiB chunks
    for max_rows in (20_000, 12_000, 1):
        results = []
        for threads in (1, n_threads):
            table = np.full((max_rows, 8), -7.0, dtype=np.float32)
            spans = np.zeros((max_rows, 2), dtype=np.int64)
            done, stop = _core.parse_vector_lines(text, 0, table, 0, spans, threads)
            results.append((done, stop, table[:done].copy(), spans[:done].copy()))
        (done, stop, table, spans), (p_done, p_stop, p_table, p_spans) = results
        assert (p_done, p_stop) == (done, stop), (max_rows, bad_at)
        np.testing.assert_array_equal(p_table, table)
        np.testing.assert_array_equal(p_spans, spans)


def test_parallel_read_vectors(tmp_path, monkeypatch):
    src = tmp_path / "v.txt"
    text = _big_text(30_000)
    src.write_bytes(text)
    words, table = vectors_module.read_vectors(src, "glove")
    rows = [line.split() for line in text.decode().splitlines() if line.strip()]
    assert words == [r[0] for r in rows]
    np.testing.assert_array_equal(table, np.array([r[1:] for r in rows], dtype=np.float32))
    monkeypatch.setattr(vectors_module, "effective_n_threads", lambda n: 1)
    assert vectors_module.read_vectors(src, "glove")[1].tobytes() == table.tobytes()


def test_bad_n_threads():
    with pytest.raises(ValueError, match="n_threads out of range"):
        _core.parse_vector_lines(b"a 1\n", 0, np.zeros((1, 1), np.float32), 0,
                                 np.zeros((1, 2), np.int64), 0)  # fmt: skip


def test_import_vectors_n_threads(tmp_path):
    src = tmp_path / "v.txt"
    src.write_bytes(_big_text(12_000))
    tables = []
    for n_threads in (1, 2, -1, None):
        out = fastpool.import_vectors(src, tmp_path / f"m{n_threads}", format="glove",
                                      n_threads=n_threads)  # fmt: skip
        tables.append(fastpool.StaticModel.from_pretrained(out).embedding.tobytes())
    assert len(set(tables)) == 1
    with pytest.raises(ValueError, match="n_threads must be a positive count"):
        fastpool.import_vectors(src, tmp_path / "bad", format="glove", n_threads=0)
    with pytest.raises(TypeError, match="n_threads must be an int or None"):
        fastpool.import_vectors(src, tmp_path / "bad", format="glove", n_threads=1.5)


def test_more_lines_than_spans_per_call(tmp_path, monkeypatch):
    monkeypatch.setattr(vectors_module, "SPAN_ROWS", 3)
    calls = []
    real = vectors_module._parse_slowly
    monkeypatch.setattr(vectors_module, "_parse_slowly", lambda *a: calls.append(a) or real(*a))
    src = tmp_path / "v.txt"
    src.write_text("".join(f"  w{i} {i}\n" for i in range(20)) + " spaced word 7\n")
    words, table = vectors_module.read_vectors(src, "glove")
    assert words == [f"w{i}" for i in range(20)] + ["spaced word"]
    np.testing.assert_array_equal(table[:, 0], [*range(20), 7])
    assert len(calls) == 1  # only the word with a space took the Python path
