"""Read and write safetensors files without the ``safetensors`` package.

A safetensors file is an 8-byte little-endian header length ``N``, ``N`` bytes of
JSON (``{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}``)
and a data buffer; offsets are relative to the buffer. Everything in the header
is checked against the file size *before* any tensor is mapped, so a truncated
or corrupt file raises ``ValueError`` naming the file and the problem instead
of crashing (SIGBUS on a short mapping) or allocating a huge array.

Tensors are returned as read-only views of one ``mmap`` of the file: loading
costs no copy and no private memory, and processes that load the same file
share its pages in the page cache.
"""

from __future__ import annotations

import io
import json
import math
import mmap as _mmap
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .._aligned import empty_bytes
from . import json_reader
from .replace import replace_file

# The safetensors reference implementation refuses headers above 100 MB.
_MAX_HEADER_BYTES = json_reader.SAFETENSORS_HEADER.max_bytes
# numpy 2 holds up to 64 dimensions, numpy 1 up to 32; dimensions are npy_intp.
_MAX_DIMS = 32
_INT64_MAX = 2**63 - 1

_DTYPES: dict[str, np.dtype] = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "BF16": np.dtype("<u2"),  # viewed as bfloat16 after mapping
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"),
    "U64": np.dtype("<u8"),
    "U32": np.dtype("<u4"),
    "U16": np.dtype("<u2"),
    "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}
_NAMES = {np.dtype(v).newbyteorder("="): k for k, v in _DTYPES.items() if k != "BF16"}


@dataclass(frozen=True)
class TensorInfo:
    """One header entry: dtype code, shape and byte range within the data buffer."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    begin: int
    end: int


def _bfloat16_dtype() -> np.dtype | None:
    try:
        import ml_dtypes
    except ImportError:
        return None
    return np.dtype(ml_dtypes.bfloat16)


def read_header(path: str | os.PathLike[str]) -> tuple[dict[str, TensorInfo], dict[str, str], int]:
    """Parse and check the header of a safetensors file.

    Returns
    -------
    tensors : dict of name -> TensorInfo
    metadata : dict of str -> str
        The optional ``__metadata__`` entry.
    data_start : int
        File offset of the data buffer (``8 + N``).

    Raises
    ------
    ValueError
        If the file is shorter than its header says, the header is not valid
        JSON, or any entry has an unknown dtype, a bad shape, offsets outside the
        buffer or a byte count that does not match its shape, or the tensors
        overlap, leave gaps or leave trailing bytes (as the safetensors package,
        fastpool rejects all of these; docs/security.md lists where it is stricter).
    """
    path = Path(path)
    with open(path, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"{path}: not a regular file")
        size = info.st_size
        try:
            prefix = f.read(8)
            if len(prefix) < 8:
                raise ValueError(
                    f"{path}: not a safetensors file (only {size} bytes, need 8 or more)"
                )
            n = int.from_bytes(prefix, "little")
            if n > _MAX_HEADER_BYTES or n > size - 8:
                raise ValueError(
                    f"{path}: header length {n} does not fit the file ({size} bytes); "
                    "the file is truncated or not safetensors"
                )
            raw = f.read(n)
        except OSError as err:  # e.g. EIO from a special file that stat calls regular
            raise ValueError(f"{path}: cannot be read ({err.strerror or err})") from None
    if raw.startswith(b"version https://git-lfs"):
        raise ValueError(f"{path}: a Git LFS pointer, not the file (run `git lfs pull`)")
    if len(raw) < n:
        raise ValueError(f"{path}: file shrank while its header was read")
    # Bounded in depth and element count before any object is built.
    header = json_reader.parse(raw, f"{path}: header", json_reader.SAFETENSORS_HEADER)
    if not isinstance(header, dict):
        raise ValueError(f"{path}: header must be a JSON object, got {type(header).__name__}")

    data_start = 8 + n
    buffer_size = size - data_start
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise ValueError(f"{path}: __metadata__ must be an object of strings")
    tensors: dict[str, TensorInfo] = {}
    for name, entry in header.items():
        tensors[name] = _check_entry(path, name, entry, buffer_size)

    # As the safetensors package requires: the tensors, in order of their
    # offsets (empty ones included), tile the data buffer without overlaps,
    # gaps or trailing bytes.
    spans = sorted((t.begin, t.end, t.name) for t in tensors.values())
    position = 0
    for begin, end, name in spans:
        if begin < position:
            raise ValueError(f"{path}: tensors overlap at tensor {name!r} (bytes {begin}..{end})")
        if begin > position:
            raise ValueError(
                f"{path}: tensor {name!r} leaves a gap: bytes {position}..{begin} of the data "
                "buffer belong to no tensor"
            )
        position = end
    if position != buffer_size:
        raise ValueError(
            f"{path}: {buffer_size - position} trailing bytes after the last tensor "
            f"(the data buffer holds {buffer_size} bytes, the tensors {position})"
        )
    return tensors, metadata, data_start


def _check_entry(path: Path, name: str, entry: object, buffer_size: int) -> TensorInfo:
    where = f"{path}: tensor {_brief(name)}"
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: header entry must be an object")
    dtype = entry.get("dtype")
    if not isinstance(dtype, str) or dtype not in _DTYPES:
        raise ValueError(f"{where}: unsupported dtype {dtype!r} (known: {', '.join(_DTYPES)})")
    shape = entry.get("shape")
    if not isinstance(shape, list) or not all(
        isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape
    ):
        raise ValueError(
            f"{where}: shape must be a list of non-negative integers, got {_brief(shape)}"
        )
    # What numpy can hold, checked here so that even an empty tensor cannot fail later.
    if len(shape) > _MAX_DIMS or any(s > _INT64_MAX for s in shape):
        raise ValueError(
            f"{where}: shape {_brief(shape)} has more than {_MAX_DIMS} dimensions or one of "
            "2**63 or more"
        )
    offsets = entry.get("data_offsets")
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)
    ):
        raise ValueError(f"{where}: data_offsets must be [begin, end], got {_brief(offsets)}")
    begin, end = offsets
    if not 0 <= begin <= end <= buffer_size:
        raise ValueError(
            f"{where}: data_offsets [{begin}, {end}] fall outside the {buffer_size}-byte data "
            "buffer; the file is truncated or corrupt"
        )
    expected = math.prod(shape) * _DTYPES[dtype].itemsize
    if end - begin != expected:
        raise ValueError(
            f"{where}: {end - begin} bytes for shape {shape} of {dtype}, expected {expected}"
        )
    return TensorInfo(name, dtype, tuple(shape), begin, end)


def _brief(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _read_aligned(f: io.BufferedReader, aligned_offset: int) -> memoryview:
    """File f from its position on, in private read-only memory, its byte aligned_offset
    on a cache line (where the largest tensor, a model's table, starts)."""
    size = os.fstat(f.fileno()).st_size
    view = memoryview(empty_bytes(size, aligned_offset).data)
    filled = 0
    while filled < size:  # readinto may return less than asked
        n = f.readinto(view[filled:])
        if not n:
            break  # the file shrank meanwhile: the caller checks the length
        filled += n
    return view[:filled].toreadonly()  # like the mapping: arrays over it stay read-only


class SafetensorsFile:
    """A checked, memory-mapped safetensors file.

    Parameters
    ----------
    path : path-like
        The file. Its header is validated before the file is mapped.
    mmap : bool
        True (default): map the file. False: read it into private memory once,
        for network filesystems, where a mapped file that changes or vanishes on
        the server can raise SIGBUS later, in any read. The largest tensor (a
        model's table) then starts on a 64-byte boundary, whatever the header's
        length: the pooling kernel reads rows that start on a cache line faster.
    """

    def __init__(self, path: str | os.PathLike[str], *, mmap: bool = True) -> None:
        self.path = Path(path)
        self.tensors, self.metadata, self._data_start = read_header(self.path)
        self._mmap: _mmap.mmap | memoryview | None = None
        if any(t.end > t.begin for t in self.tensors.values()):
            largest = max(self.tensors.values(), key=lambda t: t.end - t.begin)
            with open(self.path, "rb") as f:
                try:
                    if mmap:
                        self._mmap = _mmap.mmap(f.fileno(), 0, access=_mmap.ACCESS_READ)
                    else:
                        self._mmap = _read_aligned(f, self._data_start + largest.begin)
                except OSError as err:
                    why = err.strerror or err
                    raise ValueError(f"{self.path}: cannot be read ({why})") from None
            if len(self._mmap) < self._data_start + max(t.end for t in self.tensors.values()):
                raise ValueError(f"{self.path}: file shrank while it was being opened")

    def __contains__(self, name: str) -> bool:
        return name in self.tensors

    def get(self, name: str) -> np.ndarray:
        """The tensor ``name`` as a read-only array mapped from the file.

        float/int tensors are native-endian views (copied only on big-endian
        hosts or when misaligned for their dtype). BF16 is viewed as
        ``ml_dtypes.bfloat16`` when ml_dtypes is installed, else widened to
        float32 (a copy).
        """
        info = self.tensors.get(name)
        if info is None:
            raise KeyError(f"{self.path}: no tensor {name!r} (has {sorted(self.tensors)})")
        dtype = _DTYPES[info.dtype]
        count = math.prod(info.shape)
        if count == 0 or self._mmap is None:
            try:
                arr = np.zeros(info.shape, dtype.newbyteorder("="))
            except ValueError as err:  # an empty shape numpy cannot hold, e.g. [2**62, 0]
                raise ValueError(
                    f"{self.path}: tensor {_brief(name)} of shape {list(info.shape)}: {err}"
                ) from None
        else:
            offset = self._data_start + info.begin
            arr = np.frombuffer(self._mmap, dtype=dtype, count=count, offset=offset)
            arr = arr.reshape(info.shape)
            if not arr.dtype.isnative or offset % dtype.itemsize:
                arr = arr.astype(dtype.newbyteorder("="))  # rare: a private copy
        if info.dtype == "BF16":
            bf16 = _bfloat16_dtype()
            if bf16 is not None:
                arr = arr.view(bf16)
            else:
                arr = (arr.astype(np.uint32) << 16).view(np.float32)
        arr.flags.writeable = False
        return arr


def _dtype_code(arr: np.ndarray) -> str:
    if arr.dtype.name == "bfloat16" and arr.dtype.itemsize == 2:
        return "BF16"
    code = _NAMES.get(arr.dtype.newbyteorder("="))
    if code is None:
        raise TypeError(f"cannot store dtype {arr.dtype} in safetensors")
    return code


# Where write_file starts the data buffer in the file: a cache line.
_DATA_ALIGNMENT = 64


def _layout_order(tensors: Mapping[str, np.ndarray]) -> list[str]:
    """The order write_file lays tensors out in.

    Larger element sizes first, then by name, as the safetensors package orders
    them, so that each tensor is aligned to its element size; but the largest
    tensor (a model's table) goes first, onto the 64-byte boundary where the data
    starts, when its size keeps the rest 8-byte aligned. The kernel reads a row
    that starts inside a cache line with split loads and one line more: float32
    rows held in L1/L2 pool 20-40% slower so (AMD EPYC, 1 thread).
    """
    arrays = {name: np.asarray(arr) for name, arr in tensors.items()}
    order = sorted(arrays, key=lambda k: (-arrays[k].dtype.itemsize, k))
    if order:
        largest = max(order, key=lambda k: arrays[k].nbytes)
        if arrays[largest].nbytes % 8 == 0:
            order.remove(largest)
            order.insert(0, largest)
    return order


def write_file(
    path: str | os.PathLike[str],
    tensors: Mapping[str, np.ndarray],
    metadata: Mapping[str, str] | None = None,
) -> None:
    """Write ``tensors`` to ``path`` in safetensors format (little-endian, C order).

    The file is written next to ``path`` under an unpredictable, exclusively
    created name and renamed over it (:func:`replace.replace_file`), so saving
    over a model that is currently memory-mapped (even by this process) never
    changes the bytes under the existing mapping, and a symbolic link at
    ``path`` is replaced, its target untouched.
    """
    path = Path(path)
    order = _layout_order(tensors)
    header: dict[str, object] = {}
    if metadata:
        header["__metadata__"] = dict(metadata)
    arrays = []
    offset = 0
    for name in order:
        arr = np.asarray(tensors[name])
        code = _dtype_code(arr)
        nbytes = arr.size * arr.dtype.itemsize
        header[name] = {
            "dtype": code,
            "shape": list(arr.shape),
            "data_offsets": [offset, offset + nbytes],
        }
        arrays.append(arr)
        offset += nbytes
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    # Spaces (which the format allows after the header) start the data buffer on a
    # 64-byte boundary: with the table first, a memory-mapped table's rows then
    # start on cache lines (see _layout_order).
    raw += b" " * (-(8 + len(raw)) % _DATA_ALIGNMENT)

    def write(f: BinaryIO) -> None:
        f.write(len(raw).to_bytes(8, "little"))
        f.write(raw)
        for arr in arrays:
            if arr.size == 0:
                continue
            little = arr if arr.dtype.byteorder != ">" else arr.astype(arr.dtype.newbyteorder("<"))
            f.write(np.ascontiguousarray(little).reshape(-1).view(np.uint8).data)

    replace_file(path, write)
