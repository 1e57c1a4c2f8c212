"""Input readers: each format gives the same texts, and resuming at any row gives the same tail."""

from __future__ import annotations

import csv
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastpool.cli._errors import CLIError
from fastpool.cli._readers import detect_format, open_source

# Text a line can hold: anything but "\n", and not ending in "\r" (a CRLF line ending).
line_text = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\n"), max_size=20
).filter(lambda s: not s.endswith("\r"))
documents = st.lists(line_text, max_size=25)
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def write(tmp_path, fmt, docs):
    path = tmp_path / {"text": "d.txt", "jsonl": "d.jsonl", "csv": "d.csv", "parquet": "d.pq"}[fmt]
    if fmt == "text":
        path.write_bytes("".join(d + "\n" for d in docs).encode())
    elif fmt == "jsonl":
        path.write_bytes("".join(json.dumps({"text": d}) + "\n\n" for d in docs).encode())
    elif fmt == "csv":
        with open(path, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["text", "other"])
            for d in docs:
                w.writerow([d, "x"])
    else:
        table = pa.table({"text": pa.array(docs, pa.string())})
        pq.write_table(table, path, row_group_size=4)
    return path


@pytest.mark.parametrize("fmt", ["text", "jsonl", "csv", "parquet"])
@SETTINGS
@given(docs=documents, data=st.data())
def test_rows_and_resume(fmt, docs, data, tmp_path_factory):
    path = write(tmp_path_factory.mktemp(fmt), fmt, docs)
    source = open_source(str(path), None, None)
    rows = source.rows()
    got, offsets = [], []
    for text in rows:
        got.append(text)
        offsets.append(source.offset)
    assert got == docs
    # Resume after any row: by skipping rows, and (text, JSONL) by seeking to its offset.
    k = data.draw(st.integers(0, len(docs)))
    again = open_source(str(path), None, None)
    assert list(again.rows(k)) == docs[k:]
    if fmt in ("text", "jsonl") and k:
        again = open_source(str(path), None, None)
        assert list(again.rows(k, offsets[k - 1])) == docs[k:]


def test_detect_format():
    assert detect_format("a.TXT", None) == "text"
    assert detect_format("a.ndjson", None) == "jsonl"
    assert detect_format("a.pq", None) == "parquet"
    assert detect_format("-", None) == "text"
    assert detect_format("a.weird", "csv") == "csv"
    with pytest.raises(CLIError, match="pass --input-format"):
        detect_format("a.weird", None)


def test_field_defaults(tmp_path):
    path = tmp_path / "one.parquet"
    pq.write_table(pa.table({"body": ["a", "b"]}), path)
    assert open_source(str(path), None, None).field == "body"  # the only column
    path = tmp_path / "two.parquet"
    pq.write_table(pa.table({"a": ["x"], "b": ["y"]}), path)
    with pytest.raises(CLIError, match="pick one with --field"):
        open_source(str(path), None, None)


def test_parquet_nulls_are_errors(tmp_path):
    path = tmp_path / "n.parquet"
    pq.write_table(pa.table({"text": ["a", None, "c"]}), path)
    with pytest.raises(CLIError, match="row 1: column 'text' is null"):
        list(open_source(str(path), None, None).rows())


def test_jsonl_error_after_seek_names_the_byte(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_bytes(b'{"text": "a"}\n{"text": 5}\n')
    with pytest.raises(CLIError, match="line 2: field 'text' is 5"):
        list(open_source(str(path), None, None).rows())
    with pytest.raises(CLIError, match="the line at byte 14: field 'text' is 5"):
        list(open_source(str(path), None, None).rows(1, 14))
