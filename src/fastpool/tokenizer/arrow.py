"""Text columns from Apache Arrow: checked, and read in place from their buffers.

``StaticModel.encode_arrow`` calls this module. With the native tokenizer the rows
are handed to C++ as pointers into the arrays' UTF-8 data buffers
(``tokenizer._bridge.ArrowTexts``): no Python ``str`` per row. pyarrow stays optional:
it is imported here only when a caller passes an Arrow array, which means it is
installed.

Nulls are an error on every path (``ValueError`` naming the first null row): a
null is not an empty text, and encoding it as one would hide missing data in a
long job. Fill or drop them first (``pyarrow.compute.fill_null(texts, "")``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._bridge import ArrowTexts

__all__ = ["arrow_texts", "check_arrow_texts", "first_null", "with_prompt"]


def check_arrow_texts(texts: Any) -> Any:
    """``texts`` as a pyarrow ``Array`` or ``ChunkedArray`` of string or large_string.

    string_view columns are cast to large_string (Arrow copies the bytes once,
    in C++). Anything else raises TypeError.
    """
    try:
        import pyarrow as pa
    except ImportError:  # then texts cannot be an Arrow array
        pa = None
    if pa is None or not isinstance(texts, (pa.Array, pa.ChunkedArray)):
        raise TypeError(
            "texts must be a pyarrow Array or ChunkedArray of strings, got "
            f"{type(texts).__name__} (use encode() for a list of str)"
        )
    kind = texts.type
    if getattr(pa.types, "is_string_view", lambda _: False)(kind):
        return texts.cast(pa.large_string())
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        raise TypeError(f"texts must be Arrow string or large_string, got {kind}")
    return texts


def first_null(texts: Any) -> int | None:
    """Index of the first null row of a checked array, or None (cheap when there is none)."""
    if not texts.null_count:
        return None
    import pyarrow.compute as pc

    return int(pc.index(texts.is_null(), True).as_py())


def null_error(texts: Any, row: int) -> ValueError:
    return ValueError(
        f"texts has a null at row {row} ({texts.null_count} nulls in all); fill or drop "
        "them first, e.g. pyarrow.compute.fill_null(texts, '')"
    )


def with_prompt(texts: Any, prompt: str) -> Any:
    """``prompt + text`` for every row, computed by Arrow (nulls stay null)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.binary_join_element_wise(pa.scalar(prompt, type=texts.type), texts, "")


def _view(buffer: Any, what: str) -> memoryview:
    if not getattr(buffer, "is_cpu", True):
        raise ValueError(f"texts' {what} buffer is not in CPU memory")
    return memoryview(buffer).cast("B")


def arrow_texts(texts: Any) -> ArrowTexts:
    """The rows of a checked array as native text pointers into its buffers.

    Buffer sizes are checked here; the offsets themselves (non-negative,
    non-decreasing, within the data buffer) and the validity bits are checked
    by ``ArrowTexts.add_chunk`` as it reads them, once each. A null row raises
    ValueError, as do corrupt offsets, naming the row.
    """
    import pyarrow as pa

    chunks = texts.chunks if isinstance(texts, pa.ChunkedArray) else [texts]
    batch = ArrowTexts()
    for chunk in chunks:
        offset, length = chunk.offset, len(chunk)
        if length == 0:
            continue
        large = pa.types.is_large_string(chunk.type)
        width = 8 if large else 4
        validity_buf, offsets_buf, data_buf = chunk.buffers()[:3]
        if offsets_buf is None or offsets_buf.size < (offset + length + 1) * width:
            size = None if offsets_buf is None else offsets_buf.size
            raise ValueError(
                f"texts' offsets buffer must hold {offset + length + 1} int{width * 8} values "
                f"(offset {offset} + {length} rows + 1), got {size} bytes"
            )
        if validity_buf is not None and validity_buf.size * 8 < offset + length:
            raise ValueError(
                f"texts' validity bitmap must hold {offset + length} bits, "
                f"got {validity_buf.size} bytes"
            )
        # Whenever there is a bitmap, every row's bit is read in the offsets pass
        # (one bit per row costs nothing), rather than trusting null_count.
        validity = None if validity_buf is None else _view(validity_buf, "validity")
        data = _view(data_buf, "data") if data_buf is not None else memoryview(b"")
        offsets = _view(offsets_buf, "offsets")
        bad = batch.add_chunk(data, offsets, validity, offset, length, large)
        if bad >= 0:
            row = len(batch) + bad
            at = offset + bad
            if validity is not None and not (validity[at >> 3] >> (at & 7)) & 1:
                raise null_error(texts, row)
            values = np.frombuffer(offsets, dtype=np.int64 if large else np.int32,
                                   count=offset + length + 1)  # fmt: skip
            raise ValueError(
                f"texts has corrupt offsets at row {row}: [{int(values[at])}, "
                f"{int(values[at + 1])}) is not a byte range within its {len(data)}-byte "
                "data buffer"
            )
    return batch
