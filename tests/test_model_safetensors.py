"""The safetensors reader: header checks before mapping, zero-copy read-only views."""

from __future__ import annotations

import json
import mmap
from pathlib import Path

import numpy as np
import pytest
from model_factory import make_model_folder, write_safetensors

import fastpool
from fastpool.persistence.safetensors import SafetensorsFile, read_header, write_file

safetensors_numpy = pytest.importorskip("safetensors.numpy")


def _write_raw(path: Path, header: dict, data: bytes, header_len: int | None = None) -> Path:
    raw = json.dumps(header).encode()
    n = len(raw) if header_len is None else header_len
    path.write_bytes(n.to_bytes(8, "little") + raw + data)
    return path


def _base_of(arr: np.ndarray) -> object:
    base: object = arr
    while isinstance(base, np.ndarray) and base.base is not None:
        base = base.base
    return base.obj if isinstance(base, memoryview) else base


@pytest.mark.parametrize("dtype", ["float32", "float16", "float64", "int8", "int32", "int64"])
def test_reads_what_safetensors_writes(tmp_path: Path, dtype: str) -> None:
    rng = np.random.default_rng(0)
    arr = (rng.standard_normal((7, 5)) * 50).astype(dtype)
    vec = np.arange(3, dtype=np.float16)
    safetensors_numpy.save_file({"a": arr, "b": vec}, str(tmp_path / "m.safetensors"))
    f = SafetensorsFile(tmp_path / "m.safetensors")
    got = f.get("a")
    np.testing.assert_array_equal(got, arr)
    assert got.dtype == arr.dtype
    assert not got.flags.writeable
    assert isinstance(_base_of(got), mmap.mmap)  # a view of the file, not a copy
    np.testing.assert_array_equal(f.get("b"), vec)


def test_bfloat16_is_viewed_not_widened(tmp_path: Path) -> None:
    ml_dtypes = pytest.importorskip("ml_dtypes")
    arr = np.linspace(-2, 2, 12, dtype=np.float32).reshape(3, 4).astype(ml_dtypes.bfloat16)
    write_safetensors(tmp_path / "m.safetensors", {"embeddings": arr})
    got = SafetensorsFile(tmp_path / "m.safetensors").get("embeddings")
    assert got.dtype == arr.dtype
    np.testing.assert_array_equal(got.astype(np.float32), arr.astype(np.float32))


def test_write_file_round_trips_through_safetensors(tmp_path: Path) -> None:
    tensors: dict[str, np.ndarray] = {
        "embeddings": np.arange(12, dtype=np.float32).reshape(4, 3),
        "weights": np.ones(5, dtype=np.float64),
        "mapping": np.arange(5, dtype=np.int64),
        "odd": np.arange(3, dtype=np.int8),
    }
    write_file(tmp_path / "m.safetensors", tensors, metadata={"format": "np"})
    loaded = safetensors_numpy.load_file(str(tmp_path / "m.safetensors"))
    assert set(loaded) == set(tensors)
    for k, v in tensors.items():
        np.testing.assert_array_equal(loaded[k], v)
        assert loaded[k].dtype == v.dtype
    assert read_header(tmp_path / "m.safetensors")[1] == {"format": "np"}
    assert (read_header(tmp_path / "m.safetensors")[2] % 8) == 0


@pytest.mark.parametrize("table_dtype", [np.float32, np.float16, np.int8])
def test_write_file_puts_the_table_on_a_cache_line(tmp_path: Path, table_dtype) -> None:
    """The largest tensor starts 64-byte aligned in the file (so in a mapping of it),
    every other tensor stays aligned to its element size, and safetensors still reads it."""
    tensors = {
        "embeddings": np.arange(300 * 64).reshape(300, 64).astype(table_dtype),
        "weights": np.ones(301, dtype=np.float32),  # 1,204 bytes: a bad size to go first
        "mapping": np.arange(7, dtype=np.int64),
        "odd": np.arange(3, dtype=np.int8),
    }
    path = tmp_path / "m.safetensors"
    write_file(path, tensors)
    infos, _, data_start = read_header(path)
    assert data_start % 64 == 0
    assert infos["embeddings"].begin == 0
    for name, info in infos.items():
        assert (data_start + info.begin) % tensors[name].dtype.itemsize == 0, name
    table = SafetensorsFile(path).get("embeddings")
    assert table.ctypes.data % 64 == 0
    loaded = safetensors_numpy.load_file(str(path))
    for name, arr in tensors.items():
        np.testing.assert_array_equal(loaded[name], arr)


def test_write_file_keeps_element_alignment_when_the_largest_tensor_is_odd(
    tmp_path: Path,
) -> None:
    # 1,001 float16 values (2,002 bytes) first would misalign the float32 after it:
    # then the usual order (larger element sizes first) stands.
    tensors: dict[str, np.ndarray] = {
        "big": np.ones(1001, dtype=np.float16),
        "small": np.ones(5, dtype=np.float32),
    }
    path = tmp_path / "m.safetensors"
    write_file(path, tensors)
    infos, _, data_start = read_header(path)
    assert infos["small"].begin == 0 and (data_start + infos["big"].begin) % 2 == 0
    np.testing.assert_array_equal(SafetensorsFile(path).get("big"), tensors["big"])


def test_saved_model_table_is_mapped_on_a_cache_line(tmp_path: Path) -> None:
    model = fastpool.load(make_model_folder(tmp_path, dim=64))
    model.save_pretrained(tmp_path / "saved")
    again = fastpool.load(tmp_path / "saved")
    assert isinstance(_base_of(again.table), mmap.mmap)
    assert again.table.ctypes.data % 64 == 0


def test_write_file_over_a_mapped_file_keeps_the_mapping(tmp_path: Path) -> None:
    path = tmp_path / "m.safetensors"
    write_file(path, {"x": np.arange(1000, dtype=np.float32)})
    mapped = SafetensorsFile(path).get("x")
    write_file(path, {"x": np.zeros(10, dtype=np.float32)})
    np.testing.assert_array_equal(mapped, np.arange(1000, dtype=np.float32))  # no SIGBUS


# -- corrupt files: ValueError naming the file and the problem ----------------------------------

GOOD = {"embeddings": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}


@pytest.mark.parametrize(
    ("header", "data", "header_len", "match"),
    [
        (GOOD, b"\0" * 8, None, "outside the 8-byte data buffer"),  # truncated data
        (GOOD, b"\0" * 16, 10**12, "header length"),  # header length beyond the file
        (
            {"embeddings": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 16]}},
            b"\0" * 16,
            None,
            "16 bytes for shape \\[2, 3\\] of F32, expected 24",
        ),
        (
            {"embeddings": {"dtype": "Q4", "shape": [2, 2], "data_offsets": [0, 16]}},
            b"\0" * 16,
            None,
            "unsupported dtype 'Q4'",
        ),
        (
            {"embeddings": {"dtype": "F32", "shape": [2, -2], "data_offsets": [0, 16]}},
            b"\0" * 16,
            None,
            "shape must be a list of non-negative integers",
        ),
        (
            {"embeddings": {"dtype": "F32", "shape": [2, 2], "data_offsets": [8, 4]}},
            b"\0" * 16,
            None,
            "outside",
        ),
        (
            {"embeddings": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0]}},
            b"\0" * 16,
            None,
            "data_offsets must be \\[begin, end\\]",
        ),
        (
            {
                "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]},
            },
            b"\0" * 16,
            None,
            "overlap",
        ),
        (
            {"embeddings": {"dtype": "F32", "shape": [10**9, 10**9], "data_offsets": [0, 16]}},
            b"\0" * 16,
            None,
            "expected",
        ),  # would be a huge allocation
    ],
)
def test_corrupt_headers_raise_value_error(tmp_path: Path, header, data, header_len, match) -> None:
    path = _write_raw(tmp_path / "model.safetensors", header, data, header_len)
    with pytest.raises(ValueError, match=match) as info:
        SafetensorsFile(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", "not a safetensors file"),
        (b"\x05\0\0\0", "not a safetensors file"),
        ((4).to_bytes(8, "little") + b"{abc", "not valid JSON"),
        ((2).to_bytes(8, "little") + b"[]", "must be a JSON object"),
        ((3).to_bytes(8, "little") + b"\xff\xfe{", "not valid JSON"),
    ],
)
def test_garbage_raises_value_error(tmp_path: Path, content: bytes, match: str) -> None:
    path = tmp_path / "model.safetensors"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=match):
        SafetensorsFile(path)


def test_truncated_model_file_fails_cleanly_at_load(tmp_path: Path) -> None:
    folder = make_model_folder(tmp_path)
    path = folder / "model.safetensors"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(ValueError, match="truncated or corrupt") as info:
        fastpool.load(folder)
    assert "model.safetensors" in str(info.value)


def test_model_table_is_memory_mapped(tmp_path: Path) -> None:
    model = fastpool.load(make_model_folder(tmp_path, dim=64))
    assert isinstance(_base_of(model.table), mmap.mmap)
    assert not model.table.flags.writeable
    sliced = fastpool.load(make_model_folder(tmp_path, dim=64, name="b"), dimensionality=10)
    assert isinstance(_base_of(sliced.table), mmap.mmap)  # table[:, :d] read in place
    assert sliced.dim == 10


def _mapping_stats(path: Path) -> dict[str, int]:
    """Summed smaps fields (kB) of this process's mappings of ``path``."""
    totals: dict[str, int] = {}
    inside = False
    target = str(path.resolve())
    with open("/proc/self/smaps") as f:
        for line in f:
            parts = line.split()
            if "-" in parts[0] and len(parts) >= 5 and not parts[0].endswith(":"):
                inside = len(parts) >= 6 and parts[-1] == target
            elif inside and parts[0].endswith(":") and len(parts) >= 2 and parts[1].isdigit():
                totals[parts[0][:-1]] = totals.get(parts[0][:-1], 0) + int(parts[1])
    return totals


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="Linux /proc only")
def test_table_pages_are_shared_file_pages(tmp_path: Path) -> None:
    folder = make_model_folder(tmp_path, dim=1024)  # ~1.2 MB table
    model = fastpool.load(folder)
    model.encode(["the quick brown fox"] * 50 + [" ".join(make_model_folder.__doc__ or "")])
    np.asarray(model.table).sum()  # touch every page
    stats = _mapping_stats(folder / "model.safetensors")
    assert stats.get("Rss", 0) > 1000  # the table is read through the file mapping
    # No anonymous (private, copy-on-write) page: every page is the page cache's.
    # (Private_Dirty may be non-zero here only because this process just wrote the file.)
    assert stats.get("Anonymous", 0) == 0


@pytest.mark.parametrize("metadata_chars", [0, 5, 13, 40])
def test_read_without_mmap_aligns_the_largest_tensor(tmp_path: Path, metadata_chars: int) -> None:
    """mmap=False places the table on a 64-byte boundary, whatever the header's length."""
    rng = np.random.default_rng(metadata_chars)
    small = np.arange(6, dtype=np.float32)
    table = rng.standard_normal((40, 16)).astype(np.float32)
    path = tmp_path / "m.safetensors"
    metadata = {"note": "x" * metadata_chars}
    safetensors_numpy.save_file({"a_small": small, "b_table": table}, str(path), metadata)
    mapped = SafetensorsFile(path)
    copied = SafetensorsFile(path, mmap=False)
    got = copied.get("b_table")
    assert got.ctypes.data % 64 == 0
    assert not isinstance(_base_of(got), mmap.mmap)
    assert not got.flags.writeable
    with pytest.raises(ValueError):
        got.flags.writeable = True  # private, but as read-only as the mapping
    np.testing.assert_array_equal(got, table)
    np.testing.assert_array_equal(got, mapped.get("b_table"))
    np.testing.assert_array_equal(copied.get("a_small"), small)
