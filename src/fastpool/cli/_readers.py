"""Input formats for the command line, read as a stream of texts in constant memory.

Formats: ``text`` (one document per line), ``jsonl`` (one JSON object per line,
``--field`` names the key), ``csv`` and ``parquet`` (``--field`` names the column).
The format comes from the file extension unless given; ``-`` is standard input
(text, JSONL or CSV). Text and JSONL are read line by line in binary mode, so the
byte offset after each row is known and a resumed run seeks straight to it; CSV
and Parquet are read in pyarrow batches (Parquet skips whole row groups on resume).

Lines end at ``\\n`` (a ``\\r`` before it is dropped; a lone ``\\r`` is text). A
UTF-8 byte order mark at the start of a file is dropped. Every line of a text
file is a document, empty lines included; blank JSONL lines are skipped. Row ``i``
(counted from 0, in that sense) is the ``id`` of its embedding.

A path that is not a regular file (a FIFO, ``/dev/stdin``, bash's ``<(...)``, a
character device) is read exactly once, like ``-``: it is never opened a second
time to fingerprint or pre-check it, since whatever that read would be lost.

While rows are handed out, a SHA-256 of what they came from is kept (see
:meth:`Source.take_digest`) so ``encode`` can record one per part and a resume can
check the finished parts' input is unchanged: for text and JSONL the exact input
bytes of the part, for CSV and Parquet its texts (see ``_hashing``).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import stat
import sys
from collections.abc import Iterator
from typing import Any, BinaryIO

from ._errors import CLIError
from ._hashing import update_text

FORMATS = ("text", "jsonl", "csv", "parquet")
EXTENSIONS = {
    ".txt": "text",
    ".text": "text",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}
STDIN = "-"
_BOM = b"\xef\xbb\xbf"
_BATCH_ROWS = 8192
_FINGERPRINT_BYTES = 1 << 16


def detect_format(path: str, override: str | None) -> str:
    """The input format: ``override`` if given, else by extension (stdin: text)."""
    if override is not None:
        if override not in FORMATS:
            raise CLIError(f"unknown input format {override!r} (choose from {', '.join(FORMATS)})")
        return override
    if path == STDIN:
        return "text"
    ext = os.path.splitext(path)[1].lower()
    if ext not in EXTENSIONS:
        known = ", ".join(sorted(EXTENSIONS))
        raise CLIError(
            f"{path}: cannot tell the format from the extension {ext or '(none)'!r} "
            f"(known: {known}); pass --input-format"
        )
    return EXTENSIONS[ext]


def is_regular_file(path: str) -> bool:
    """True for a regular file (after symlinks); False for stdin, FIFOs and devices."""
    if path == STDIN:
        return False
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def fingerprint(source: Source) -> dict[str, Any] | None:
    """Size, mtime and a hash of the first 64 KiB: a cheap first check for a changed input.

    None for stdin and any other stream: reading its head here would consume it.
    """
    if not source.regular:
        return None
    st = os.stat(source.path)
    with open(source.path, "rb") as f:
        head = hashlib.sha256(f.read(_FINGERPRINT_BYTES)).hexdigest()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256_head": head}


def _preview(value: Any) -> str:
    """A non-string field value for an error message: scalars as JSON, containers by kind
    (dumping a huge or deeply nested value just to show 40 characters costs too much)."""
    if isinstance(value, dict):
        return "a JSON object"
    if isinstance(value, list):
        return "a JSON array"
    return json.dumps(value)[:40]


def _pick_field(names: list[str], field: str | None, where: str) -> str:
    if field is not None:
        if field not in names:
            raise CLIError(f"{where}: no column {field!r} (columns: {', '.join(names) or 'none'})")
        return field
    if "text" in names:
        return "text"
    if len(names) == 1:
        return names[0]
    raise CLIError(
        f"{where}: several columns ({', '.join(names)}) and none is called 'text'; "
        "pick one with --field"
    )


def _position(number: int, start: int) -> str:
    """``line N``, or ``byte N`` after a resume's seek (line numbers are unknown there)."""
    return f"line {number}" if number >= 0 else f"the line at byte {start}"


class Source:
    """One input, validated on open; :meth:`rows` streams its texts once.

    ``offset`` is the byte offset just after the last row handed out (text and
    JSONL files; None otherwise), so a resumed run can seek there.
    """

    def __init__(self, path: str, fmt: str, field: str | None) -> None:
        self.path = path
        self.name = "<stdin>" if path == STDIN else path
        self.format = fmt
        self.offset: int | None = None
        self.total_rows: int | None = None
        self._stream: BinaryIO | None = None
        self._csv_names: list[str] = []
        self._hash = hashlib.sha256()
        if path != STDIN:
            if not os.path.exists(path):
                raise CLIError(f"{path}: no such file")
            if os.path.isdir(path):
                raise CLIError(f"{path}: is a directory, expected a file")
        # Streams (stdin, FIFOs, devices) can be read only once, and cannot seek.
        self.regular = is_regular_file(path)
        if fmt == "text":
            if field is not None:
                raise CLIError("--field applies to JSONL, CSV and Parquet input, not text")
            self.field = None
        elif fmt == "jsonl":
            self.field = field or "text"
        elif fmt == "csv":
            self.field = self._open_csv(field)
        elif fmt == "parquet":
            if not self.regular:
                what = "stdin" if path == STDIN else f"{path} (not a regular file)"
                raise CLIError(f"Parquet cannot be read from {what}: it needs seeking; pass a file")
            self.field = self._open_parquet(field)
        else:
            raise CLIError(f"unknown input format {fmt!r} (choose from {', '.join(FORMATS)})")
        if fmt == "jsonl" and self.regular:  # fail before the model loads; a stream can't
            self._check_first_jsonl()

    # -- opening -------------------------------------------------------------------------------

    def _binary(self) -> BinaryIO:
        if self.path == STDIN:
            return sys.stdin.buffer
        return open(self.path, "rb")  # noqa: SIM115 (closed by the reader)

    def _open_csv(self, field: str | None) -> str:
        stream = self._binary()
        header = stream.readline()
        if header.startswith(_BOM):
            header = header[len(_BOM) :]
        try:
            names = next(csv.reader([header.decode("utf-8")]), [])
        except UnicodeDecodeError:
            raise CLIError(f"{self.name}: the CSV header is not valid UTF-8") from None
        if not names:
            raise CLIError(f"{self.name}: empty CSV (no header line)")
        self._stream, self._csv_names = stream, names
        return _pick_field(names, field, self.name)

    def _open_parquet(self, field: str | None) -> str:
        import pyarrow.parquet as pq

        try:
            self._parquet = pq.ParquetFile(self.path)
        except Exception as err:  # pyarrow raises ArrowInvalid / OSError variants
            raise CLIError(f"{self.path}: not a readable Parquet file ({err})") from None
        schema = self._parquet.schema_arrow
        name = _pick_field(list(schema.names), field, self.path)
        kind = schema.field(name).type
        import pyarrow as pa

        if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            raise CLIError(f"{self.path}: column {name!r} holds {kind}, expected strings")
        self.total_rows = self._parquet.metadata.num_rows
        return name

    def _check_first_jsonl(self) -> None:
        with open(self.path, "rb") as f:
            for number, raw in enumerate(f, 1):
                if number == 1 and raw.startswith(_BOM):  # before the blank test: BOM + "\n"
                    raw = raw[len(_BOM) :]
                if raw.strip():
                    self._jsonl_text(raw, f"line {number}")
                    return

    # -- hashing ---------------------------------------------------------------------------------

    def take_digest(self) -> str:
        """SHA-256 (hex) of the input of the rows handed out since the last call; resets.

        Text and JSONL: the input bytes from the end of the previous row handed out to
        the end of the last one (so blank lines before a row count with it). CSV and
        Parquet: the texts, each length-prefixed (``_hashing.update_text``).
        """
        digest = self._hash.hexdigest()
        self._hash = hashlib.sha256()
        return digest

    # -- reading -------------------------------------------------------------------------------

    def rows(self, start_row: int = 0, start_offset: int | None = None) -> Iterator[str]:
        """The texts from row ``start_row`` on (seeking to ``start_offset`` when given)."""
        if self.format in ("text", "jsonl"):
            return self._lines(start_row, start_offset)
        if self.format == "csv":
            return self._csv_rows(start_row)
        return self._parquet_rows(start_row)

    def _jsonl_text(self, raw: bytes, position: str) -> str:
        where = f"{self.name} {position}"
        try:
            record = json.loads(raw)
        except ValueError as err:
            raise CLIError(f"{where}: not valid JSON ({err})") from None
        except RecursionError:
            # json's C scanner stops at the recursion limit (~1000 levels) after a linear
            # scan; a bad row, not a traceback.
            raise CLIError(f"{where}: JSON nested too deeply to parse") from None
        if not isinstance(record, dict):
            raise CLIError(f"{where}: expected a JSON object, got {type(record).__name__}")
        if self.field not in record:
            keys = ", ".join(map(str, record)) or "none"
            raise CLIError(f"{where}: no field {self.field!r} (fields: {keys}); use --field")
        text = record[self.field]
        if not isinstance(text, str):
            raise CLIError(f"{where}: field {self.field!r} is {_preview(text)}, expected a string")
        return text

    def _lines(self, start_row: int, start_offset: int | None) -> Iterator[str]:
        stream = self._binary()
        offset, number = 0, 0
        if start_offset:
            stream.seek(start_offset)
            offset, number = start_offset, -1  # line numbers unknown after a seek
        row = 0 if start_offset is not None else -start_row
        jsonl = self.format == "jsonl"
        pending: list[bytes] = []  # skipped blank JSONL lines, hashed with the next row
        try:
            for line in stream:
                start = offset
                offset += len(line)
                if number >= 0:
                    number += 1
                raw = line
                if start == 0 and raw.startswith(_BOM):
                    raw = raw[len(_BOM) :]
                if raw.endswith(b"\n"):
                    raw = raw[:-1]
                    if raw.endswith(b"\r"):
                        raw = raw[:-1]
                if jsonl:
                    if not raw.strip():
                        pending.append(line)
                        continue
                    text = self._jsonl_text(raw, _position(number, start))
                else:
                    try:
                        text = raw.decode("utf-8")
                    except UnicodeDecodeError as err:
                        where = _position(number, start)
                        raise CLIError(
                            f"{self.name} {where}: not valid UTF-8 ({err.reason})"
                        ) from None
                if row < 0:
                    row += 1
                    pending.clear()
                    continue
                for skipped in pending:
                    self._hash.update(skipped)
                pending.clear()
                self._hash.update(line)
                self.offset = offset
                yield text
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()

    def _csv_rows(self, start_row: int) -> Iterator[str]:
        import pyarrow as pa
        import pyarrow.csv as pacsv

        assert self._stream is not None
        stream = self._stream
        try:
            try:
                reader = pacsv.open_csv(
                    stream,
                    read_options=pacsv.ReadOptions(
                        column_names=self._csv_names, block_size=1 << 20
                    ),
                    parse_options=pacsv.ParseOptions(newlines_in_values=True),
                    convert_options=pacsv.ConvertOptions(
                        include_columns=[self.field], column_types={self.field: pa.string()}
                    ),
                )
            except pa.ArrowInvalid as err:
                if "Empty CSV" in str(err):  # a header and no rows
                    return
                raise CLIError(f"{self.name}: bad CSV ({err})") from None
            skip = start_row
            while True:
                try:
                    batch = reader.read_next_batch()
                except StopIteration:
                    return
                except pa.ArrowInvalid as err:
                    raise CLIError(f"{self.name}: bad CSV ({err})") from None
                column = batch.column(0)
                if skip >= len(column):
                    skip -= len(column)
                    continue
                for text in column.slice(skip).to_pylist():
                    update_text(self._hash, text)
                    yield text
                skip = 0
        finally:
            if stream is not sys.stdin.buffer:
                stream.close()

    def _parquet_rows(self, start_row: int) -> Iterator[str]:
        meta = self._parquet.metadata
        first, skip = 0, start_row
        while first < meta.num_row_groups and skip >= meta.row_group(first).num_rows:
            skip -= meta.row_group(first).num_rows
            first += 1
        row = start_row - skip
        groups = list(range(first, meta.num_row_groups))
        if not groups:
            return
        batches = self._parquet.iter_batches(
            batch_size=_BATCH_ROWS, columns=[self.field], row_groups=groups
        )
        for batch in batches:
            column = batch.column(0)
            if skip >= len(column):
                skip -= len(column)
                row += len(column)
                continue
            column = column.slice(skip)
            row += skip
            skip = 0
            if column.null_count:
                bad = row + column.is_null().index(True).as_py()
                raise CLIError(f"{self.path}: row {bad}: column {self.field!r} is null")
            for text in column.to_pylist():
                update_text(self._hash, text)
                yield text
            row += len(column)


def open_source(path: str, fmt: str | None, field: str | None) -> Source:
    """Check and open an input (format from the extension unless ``fmt``)."""
    return Source(path, detect_format(path, fmt), field)


def read_all(source: Source, limit: int | None = None) -> list[str]:
    """Every text of ``source`` (or the first ``limit``): for search and eval corpora."""
    out: list[str] = []
    for text in source.rows():
        if limit is not None and len(out) >= limit:
            break
        out.append(text)
    return out


__all__ = [
    "FORMATS",
    "STDIN",
    "Source",
    "detect_format",
    "fingerprint",
    "is_regular_file",
    "open_source",
    "read_all",
]
