"""Older static word vectors (word2vec text and binary, GloVe text) read into a model folder.

The file is read in blocks (``BLOCK`` bytes) into a preallocated table, so memory beyond the
table is one block and the vocabulary. word2vec files say their size in the header; a GloVe
file is counted in a first pass (lines and the dimension of the first one). Each block's
lines (or binary records) are parsed in C++ (``_core.parse_vector_lines`` and
``parse_binary_records``, csrc/fastpool/vectors_file.h) straight into the table's rows; a
line the C++ reader does not take (a GloVe 840B word with spaces, or a bad line) goes through
``_parse_slowly``, which reads it or says what is wrong with it.

The tokenizer is a word lookup written as a WordPiece model without continuation pieces
(every word in the file, plus ``[UNK]`` as a last, zero row): WordPiece then maps a word
to its id or to ``[UNK]``, exactly a word lookup, and fastpool's native tokenizer runs it.
Its normaliser is ``BertNormalizer`` (lowercasing when the vectors are lowercase, accents
kept) and its pre-tokenizer ``BertPreTokenizer`` (whitespace and punctuation), or
``WhitespaceSplit`` with ``pre_tokenizer="whitespace"`` for phrase vectors ("New_York").
"""

from __future__ import annotations

import io
import json
import os
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

from .. import _core
from .._threads import effective_n_threads
from .save import save_model_folder

FORMATS = ("word2vec", "word2vec-binary", "glove")
PRE_TOKENIZERS = ("bert", "whitespace")
UNK = "[UNK]"
BLOCK = 1 << 22  # bytes read at a time: 4 MiB keeps the transient objects per block small
SPAN_ROWS = 1 << 16  # words' byte spans taken per C++ call (1 MiB)


def read_vectors(
    path: str | os.PathLike[str], fmt: str, *, spare_rows: int = 0, n_threads: int | None = None
) -> tuple[list[str], np.ndarray]:
    """(words, float32 table) of a vectors file; duplicate words keep their first row.

    The table has ``spare_rows`` zero rows after the file's (room for ``[UNK]`` without
    copying the table)."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
    threads = effective_n_threads(n_threads)  # before the file is read: a bad count fails fast
    source = Path(path)
    if not source.is_file():
        raise FileNotFoundError(f"{source}: no such vectors file")
    with open(source, "rb") as f:
        if fmt == "glove":
            n_rows, dim = _count_glove(f, source)
            f.seek(0)
        else:
            n_rows, dim = _header(f.readline(), source)
        full = np.zeros((n_rows + spare_rows, dim), dtype=np.float32)
        table = full[:n_rows]
        if fmt == "word2vec-binary":
            words = _read_binary(f, table, source)
        else:
            words = _read_text(f, table, source, exact=fmt != "glove", n_threads=threads)
    # GloVe's count included blank lines: the rows after the last word are still zeros.
    return _dedupe(words, full[: len(words) + spare_rows], source)


def _header(line: bytes, source: Path) -> tuple[int, int]:
    parts = line.split()
    try:
        n_rows, dim = int(parts[0]), int(parts[1])
        if len(parts) != 2 or n_rows < 1 or dim < 1:
            raise ValueError
    except (ValueError, IndexError):
        raise ValueError(
            f"{source}: a word2vec file starts with a line 'n_words dim', got {line[:80]!r}"
        ) from None
    return n_rows, dim


def _count_glove(f: io.BufferedReader, source: Path) -> tuple[int, int]:
    # The dimension: the fewest fields among the first lines, less the word (a word with
    # spaces, as GloVe 840B has, only adds fields).
    head = [line for line in (f.readline() for _ in range(100)) if line.strip()]
    dim = min((len(line.split()) - 1 for line in head), default=0)
    if dim < 1:
        first = head[0] if head else b""
        raise ValueError(f"{source}: a GloVe line is 'word v1 ... vd', got {first[:80]!r}")
    if dim == 1 and head[0].split()[0].isdigit():
        raise ValueError(f"{source}: this looks like a word2vec header; use format='word2vec'")
    f.seek(0)
    n_rows, last = 0, b"\n"
    while block := f.read(BLOCK):
        n_rows += block.count(b"\n")
        last = block[-1:]
    if last != b"\n":  # a last line without a newline
        n_rows += 1
    return n_rows, dim


def _read_text(
    f: io.BufferedReader, table: np.ndarray, source: Path, *, exact: bool = True, n_threads: int = 1
) -> list[str]:
    n_rows, dim = table.shape
    words: list[str] = []
    carry = b""
    row = 0
    while True:
        block = f.read(BLOCK)
        data = carry + block
        if block:  # whole lines only; the rest waits for the next block
            cut = data.rfind(b"\n") + 1
            data, carry = data[:cut], data[cut:]
        row = _parse_block(data, table, row, words, source, n_threads)
        if not block:
            break
    if exact and row != n_rows:
        raise ValueError(f"{source}: {row} words, but its header says {n_rows}")
    return words


def _parse_block(
    data: bytes, table: np.ndarray, row: int, words: list[str], source: Path, n_threads: int = 1
) -> int:
    """Rows of ``data`` (whole lines) into ``table`` from ``row`` on; returns the next row.

    The C++ parser takes the plain lines; a line it stops at (a word with spaces, as GloVe
    840B has, or a bad line) goes through ``_parse_slowly``, which either reads it or says
    what is wrong with it, and the C++ parser goes on after it."""
    n_rows, dim = table.shape
    # A line is at least a 1-byte word and dim (blank, digit) pairs: a bound on the rows,
    # capped so that short rows (dim 1) cannot make the spans larger than 1 MiB.
    cap = min(n_rows - row, len(data) // (2 * dim + 1) + 1, SPAN_ROWS)
    spans = np.empty((cap, 2), dtype=np.int64)
    pos = 0
    while pos < len(data):
        done, pos = _core.parse_vector_lines(data, pos, table, row, spans, n_threads)
        words.extend(data[a:b].decode("utf-8", errors="replace") for a, b in spans[:done].tolist())
        row += done
        if pos == len(data):
            break
        if done and done == cap and row < n_rows:  # the spans were full: go on
            continue
        eol = data.find(b"\n", pos)
        eol = len(data) if eol == -1 else eol
        if row == n_rows:
            raise ValueError(f"{source}: more than the {n_rows} words its header says")
        heads, values = _parse_slowly([data[pos:eol]], dim, row, source)
        table[row] = values
        words.append(heads[0].decode("utf-8", errors="replace"))
        row, pos = row + 1, eol + 1
    return row


def _parse_slowly(
    lines: list[bytes], dim: int, row: int, source: Path
) -> tuple[list[bytes], np.ndarray]:
    heads, numbers = [], []
    for i, line in enumerate(lines):
        # The word is what precedes the last dim fields (leading blanks dropped, as the C++
        # reader drops them).
        parts = line.strip().rsplit(maxsplit=dim)
        if len(parts) != dim + 1:
            raise ValueError(
                f"{source}: word {row + i + 1} has {len(parts) - 1} values, expected {dim}"
            )
        heads.append(parts[0])
        numbers.extend(parts[1:])
    try:
        return heads, np.array(numbers, dtype=np.float32)
    except ValueError as err:
        raise ValueError(f"{source}: not a number near word {row + 1}: {err}") from None


def _read_binary(f: io.BufferedReader, table: np.ndarray, source: Path) -> list[str]:
    n_rows, dim = table.shape
    words: list[str] = []
    buf, pos, row = f.read(BLOCK), 0, 0
    while row < n_rows:
        # A record is at least a 1-byte word, a space and the floats: a bound on the rows.
        spans = np.empty((min(n_rows - row, (len(buf) - pos) // (4 * dim + 2) + 1), 2), np.int64)
        first = row
        done, pos = _core.parse_binary_records(buf, pos, table, row, spans)
        words.extend(buf[a:b].decode("utf-8", errors="replace") for a, b in spans[:done].tolist())
        row += done
        if sys.byteorder == "big":  # the file's floats are little-endian
            table[first:row].byteswap(inplace=True)
        if row < n_rows:  # the next record is not whole in buf
            more = f.read(BLOCK)
            if not more:
                raise ValueError(f"{source}: ends after {row} of the {n_rows} words")
            buf, pos = buf[pos:] + more, 0
    return words


def _dedupe(words: list[str], table: np.ndarray, source: Path) -> tuple[list[str], np.ndarray]:
    if len(set(words)) == len(words):  # the usual case, checked at C speed
        return words, table
    seen: dict[str, int] = {}
    for i, w in enumerate(words):
        seen.setdefault(w, i)
    if len(seen) == len(words):
        return words, table
    warnings.warn(
        f"{source}: {len(words) - len(seen)} repeated words; each keeps its first row",
        stacklevel=3,
    )
    keep = np.fromiter(seen.values(), dtype=np.int64)
    spare = np.arange(len(words), table.shape[0])  # the zero rows after the file's
    return list(seen), table[np.concatenate([keep, spare])]


def word_tokenizer(words: list[str], *, lowercase: bool, pre_tokenizer: str = "bert") -> Tokenizer:
    """A word lookup over ``words`` (+ ``[UNK]`` last); see the module docstring."""
    if pre_tokenizer not in PRE_TOKENIZERS:
        raise ValueError(f"pre_tokenizer must be one of {PRE_TOKENIZERS}, got {pre_tokenizer!r}")
    vocab = dict(zip(words, range(len(words)), strict=True))
    vocab.setdefault(UNK, len(vocab))
    longest = max(map(len, words), default=1)
    tok = Tokenizer(
        models.WordPiece(vocab, unk_token=UNK, max_input_chars_per_word=max(longest, 100))
    )
    tok.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=False, lowercase=lowercase
    )
    tok.pre_tokenizer = (
        pre_tokenizers.BertPreTokenizer()
        if pre_tokenizer == "bert"
        else pre_tokenizers.WhitespaceSplit()
    )
    return tok


def import_vectors(
    path: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    format: str = "word2vec",
    lowercase: bool | None = None,
    pre_tokenizer: str = "bert",
    normalize: bool = True,
    n_threads: int | None = None,
) -> Path:
    """Write the vectors file ``path`` as a model folder ``output``; returns the folder.

    ``format``: "word2vec" (text with an 'n dim' header), "word2vec-binary" (the C tool's
    ``-binary 1``) or "glove" (text, no header). ``lowercase``: lowercase the text before
    lookup; None decides from the vectors (lowercase when no word has an uppercase letter,
    as in GloVe). The table is float32, with a zero row for ``[UNK]`` unless the file has
    that word; unknown words are dropped when encoding (model2vec's rule). ``n_threads``:
    threads parsing a text file's blocks (None: every usable core; negative counts back, as
    for ``encode``); the result does not depend on it.
    """
    if lowercase is not None and not isinstance(lowercase, bool):
        raise TypeError(f"lowercase must be True, False or None, got {type(lowercase).__name__}")
    words, table = read_vectors(path, format, spare_rows=1, n_threads=n_threads)
    if UNK in words:
        table = table[:-1]
    if lowercase is None:
        joined = "\n".join(words)  # one lower() over all words: same answer, C speed
        lowercase = joined == joined.lower()
    tokenizer = word_tokenizer(words, lowercase=lowercase, pre_tokenizer=pre_tokenizer)
    config: dict[str, Any] = {
        "model_type": "model2vec", "architectures": ["StaticModel"],
        "hidden_dim": int(table.shape[1]), "normalize": bool(normalize),
        "source_format": format, "lowercase": lowercase,
    }  # fmt: skip
    name = Path(path).name
    json.dumps(config)  # config must stay JSON
    return save_model_folder(
        output, table=table, weights=None, mapping=None, tokenizer=tokenizer, config=config,
        model_name=None, base_model=name, language=None,
    )  # fmt: skip
