"""Every input check of the package, with one wording per fault.

``TypeError`` for a wrong type or dtype, ``ValueError`` for a wrong value; each
message names the argument, what was expected and what was given. The kernel
entry (``_encode``), the native tokenizer, the model and the CLI all check
through these functions, so the plain and the native path accept exactly the
same inputs. Checks that are linear in the data (ids in range, offsets
non-decreasing) run as single C++ passes (``_core.out_of_range``,
``_core.check_offsets``); numpy reductions only run on the error path, to word
the message.
"""

from __future__ import annotations

import contextlib
import numbers
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from . import _core


class _Unset:
    """The type of :data:`UNSET`."""

    def __repr__(self) -> str:
        return "<unset>"


#: "Argument not passed", where None has a meaning of its own (no token limit).
UNSET: Any = _Unset()

TABLE_DTYPES = "float32, float16, bfloat16, float64 or int8"
_NATIVE_TABLE_DTYPES = frozenset(
    [np.dtype(np.float32), np.dtype(np.float16), np.dtype(np.float64), np.dtype(np.int8)]
)
_INDEX_DTYPES = frozenset([np.dtype(np.int32), np.dtype(np.int64)])
_INT64_MAX = np.iinfo(np.int64).max


def is_bfloat16(dtype: np.dtype) -> bool:
    """ml_dtypes' bfloat16 (numpy has no bfloat16 of its own)."""
    return dtype.name == "bfloat16" and dtype.itemsize == 2


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


@contextlib.contextmanager
def naming(source: str | None, *, a_file: bool = False) -> Iterator[None]:
    """Prefix the message of a TypeError/ValueError raised inside with ``source: ``.

    ``a_file``: the arrays came from a file the caller named, so a wrong dtype is
    a wrong *value* of that file: every fault is raised as ValueError.
    """
    if not source:
        yield
        return
    try:
        yield
    except (TypeError, ValueError) as err:
        kind = ValueError if a_file else type(err)
        raise kind(f"{source}: {err}") from None


class TokenizerFailure(ValueError):
    """Hugging Face ``tokenizers`` failed (panicked) on a text: a fault of the
    model's tokenizer.json (e.g. a pathological regex), raised naming the model.
    A ValueError; its own class so the CLI can report it in one line."""


def is_panic(err: BaseException) -> bool:
    """A Rust panic surfacing from Hugging Face ``tokenizers`` (pyo3's
    ``PanicException`` derives from BaseException, so ``except Exception`` misses
    it; pyo3 exposes no importable class)."""
    return type(err).__name__ == "PanicException" and not isinstance(err, Exception)


# -- arrays ---------------------------------------------------------------------------------


def table(x: npt.ArrayLike, name: str = "table") -> np.ndarray:
    """A 2-D table in a kernel dtype, native byte order, rows walkable by stride.

    A column slice ``table[:, :k]`` passes through uncopied (the kernel walks rows by
    stride); column gaps, negative or odd strides are copied once.
    """
    arr = np.asarray(x)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (rows, dim), got shape {arr.shape}")
    dtype = arr.dtype
    if not dtype.isnative and dtype.kind in "fi":
        arr = arr.astype(dtype.newbyteorder("="))
    if arr.dtype not in _NATIVE_TABLE_DTYPES and not is_bfloat16(arr.dtype):
        raise TypeError(f"{name} dtype must be {TABLE_DTYPES}, got {dtype}")
    itemsize = arr.dtype.itemsize
    row_ok = arr.strides[0] >= 0 and arr.strides[0] % itemsize == 0
    if (arr.shape[1] > 1 and arr.strides[1] != itemsize) or not row_ok:
        arr = np.ascontiguousarray(arr)
    return arr


def integer_vector(x: npt.ArrayLike, name: str) -> np.ndarray:
    """A 1-D C-contiguous integer array; int32/int64 pass through, other integers become int64."""
    arr = np.asarray(x)
    if arr.dtype in _INDEX_DTYPES and arr.ndim == 1 and arr.flags.c_contiguous:
        return arr  # the common case: no copy, no further look
    if arr.size == 0 and arr.dtype.kind == "f":  # [] and np.array([]) are float64
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must be an integer array (int32 or int64), got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if arr.dtype not in _INDEX_DTYPES:
        if arr.dtype == np.uint64 and arr.size and arr.max() > _INT64_MAX:
            raise ValueError(f"{name} must be below 2**63, got {arr.max()}")
        arr = arr.astype(np.int64)
    return np.ascontiguousarray(arr)


def float_vector(x: npt.ArrayLike, name: str) -> np.ndarray:
    """A C-contiguous float32 array of real numbers."""
    arr = np.asarray(x)
    if arr.dtype.kind not in "fiu" and not is_bfloat16(arr.dtype):
        raise TypeError(f"{name} must be a real-valued array, got dtype {arr.dtype}")
    return np.ascontiguousarray(arr, dtype=np.float32)


def in_range(arr: np.ndarray, name: str, stop: int, what: str) -> None:
    """Every value of the int32/int64 vector ``arr`` in ``[0, stop)``."""
    if _core.out_of_range(arr, stop) < 0:
        return
    lo, hi = int(arr.min()), int(arr.max())
    if lo < 0:
        raise ValueError(f"{name} must be in [0, {stop}) ({what}), got min {lo}")
    raise ValueError(f"{name} must be in [0, {stop}) ({what}), got max {hi}")


def offsets(x: npt.ArrayLike, n_ids: int) -> np.ndarray:
    """CSR offsets as int64: ``n_rows + 1 >= 1`` entries, 0 first, ``n_ids`` last,
    non-decreasing."""
    arr = integer_vector(x, "offsets").astype(np.int64, copy=False)
    problem = _core.check_offsets(arr, n_ids)
    if problem == _core.OFFSETS_OK:
        return arr
    if problem == _core.OFFSETS_EMPTY:
        raise ValueError("offsets must have n_rows + 1 >= 1 entries, got 0")
    if problem == _core.OFFSETS_BAD_FIRST:
        raise ValueError(f"offsets[0] must be 0, got {arr[0]}")
    if problem == _core.OFFSETS_BAD_LAST:
        raise ValueError(f"offsets[-1] must equal len(ids) = {n_ids}, got {arr[-1]}")
    raise ValueError(
        f"offsets must be non-decreasing, got offsets[{problem}] = {arr[problem]} > "
        f"offsets[{problem + 1}] = {arr[problem + 1]}"
    )


def scale(x: npt.ArrayLike, table: np.ndarray) -> np.ndarray:
    """int8 tables only: one scale for the whole table or one per row, as float32."""
    if table.dtype != np.int8:
        raise ValueError(f"scale applies to int8 tables only, got a {table.dtype} table")
    arr = float_vector(x, "scale").reshape(-1)
    if arr.size not in (1, table.shape[0]):
        raise ValueError(
            f"scale must hold 1 value or one per table row ({table.shape[0]}), got {arr.size}"
        )
    return arr


class PoolArrays(NamedTuple):
    """A table and its per-token arrays, checked and in the kernel's dtypes."""

    table: np.ndarray
    weights: np.ndarray | None  # float32, one per token id
    mapping: np.ndarray | None  # int32, table row per token id
    scale: np.ndarray | None  # float32, int8 tables only
    n_ids: int  # token ids must be below this: len(mapping), else table rows
    ids_are: str  # what n_ids counts, for messages


def pool_arrays(
    table_: npt.ArrayLike,
    weights: npt.ArrayLike | None = None,
    mapping: npt.ArrayLike | None = None,
    scale_: npt.ArrayLike | None = None,
) -> PoolArrays:
    """Check a table with its optional weights, mapping and int8 scale together.

    The rules every path shares: mapping values are table rows; there is one
    weight per token id, exactly (``len(mapping)`` entries with a mapping, else
    one per table row).
    """
    tab = table(table_)
    n_ids, what = tab.shape[0], "table rows"
    map_arr = None
    if mapping is not None:
        map_arr = integer_vector(mapping, "mapping")
        in_range(map_arr, "mapping", tab.shape[0], "table rows")
        map_arr = map_arr.astype(np.int32, copy=False)
        n_ids, what = map_arr.size, "len(mapping)"
    w_arr = None
    if weights is not None:
        w_arr = float_vector(weights, "weights")
        if w_arr.ndim != 1 or w_arr.size != n_ids:
            raise ValueError(
                f"weights must be 1-D with one entry per token id ({what} = {n_ids}), "
                f"got shape {w_arr.shape}"
            )
    s_arr = None if scale_ is None else scale(scale_, tab)
    return PoolArrays(tab, w_arr, map_arr, s_arr, int(n_ids), what)


def out(x: object, shape: tuple[int, int], inputs: Iterable[np.ndarray | None] = ()) -> np.ndarray:
    """A caller's output buffer: float32 ``shape``, C-contiguous, writeable, sharing
    no memory with the inputs (the kernel would read rows it has already overwritten)."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"out must be a numpy.ndarray, got {type(x).__name__}")
    if x.dtype != np.float32:
        raise TypeError(f"out must have dtype float32, got {x.dtype}")
    if x.shape != shape:
        raise ValueError(f"out must have shape {shape}, got {x.shape}")
    if not x.flags.c_contiguous or not x.flags.writeable:
        raise ValueError("out must be C-contiguous and writeable")
    for arr in inputs:
        if arr is not None and np.may_share_memory(x, arr) and np.shares_memory(x, arr):
            raise ValueError("out must not share memory with the table, ids or other inputs")
    return x


# -- options --------------------------------------------------------------------------------


def max_length(value: object, name: str = "max_length") -> int | None:
    """A token limit: a non-negative int below 2**63 (the native tokenizer's int64),
    or None for none."""
    if value is None:
        return None
    if not _is_int(value):
        raise TypeError(f"{name} must be a non-negative int or None, got {type(value).__name__}")
    if value < 0:  # type: ignore[operator]
        raise ValueError(f"{name} must be a non-negative int or None, got {value}")
    if value > _INT64_MAX:  # type: ignore[operator]
        raise ValueError(f"{name} must be below 2**63 (or None), got {value}")
    return int(value)  # type: ignore[call-overload]


def short_repr(value: object) -> str:
    """repr cut to 60 characters, for messages about values read from files."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def file_int(
    value: object, name: str, *, low: int = 0, high: int = _INT64_MAX, null: bool = True
) -> int | None:
    """An integer field of a model file (``max_length``, ``truncation.max_length``,
    ``max_input_chars_per_word``): an int (not a bool, not a float) in
    ``[low, high]``, or null when ``null``. Always ValueError: the file is wrong;
    the caller names it."""
    if value is None and null:
        return None
    if not _is_int(value) or not low <= value <= high:  # type: ignore[operator]
        bound = "2**63 - 1" if high == _INT64_MAX else str(high)
        raise ValueError(
            f"{name} must be an integer in [{low}, {bound}]{' or null' if null else ''}, "
            f"got {short_repr(value)}"
        )
    return int(value)  # type: ignore[call-overload]


def native_limit(value: object, name: str) -> int:
    """A limit for the native tokenizer: a non-negative int (or None, read as -1: none)."""
    checked = max_length(value, name)
    return -1 if checked is None else checked


def positive_int(value: object, name: str) -> int:
    """An int >= 1 (batch sizes, counts)."""
    if not _is_int(value):
        raise TypeError(f"{name} must be a positive int, got {type(value).__name__}")
    if value < 1:  # type: ignore[operator]
        raise ValueError(f"{name} must be a positive int, got {value}")
    return int(value)  # type: ignore[call-overload]


def bounded_int(value: object, name: str, high: int) -> int:
    """An int in [0, high] (sizes where 0 means none)."""
    if not _is_int(value):
        raise TypeError(f"{name} must be an int in [0, {high:,}], got {type(value).__name__}")
    if not 0 <= value <= high:  # type: ignore[operator]
        raise ValueError(f"{name} must be an int in [0, {high:,}], got {value:,}")
    return int(value)  # type: ignore[call-overload]


def column_count(value: object, name: str, columns: int) -> int | None:
    """``truncate_dim`` / ``dimensionality``: an int in [1, columns], or None."""
    if value is None:
        return None
    if not _is_int(value):
        raise TypeError(f"{name} must be an int or None, got {type(value).__name__}")
    if not 1 <= value <= columns:  # type: ignore[operator]
        raise ValueError(f"{name} must be in [1, {columns}], got {value}")
    return int(value)  # type: ignore[call-overload]


def one_of(value: object, name: str, choices: Iterable[str]) -> str:
    """One of a fixed set of strings."""
    options = tuple(choices)
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {', '.join(options)}, got {value!r}")
    return value


def texts(sentences: object, name: str = "sentences") -> list[str]:
    """A single text as a one-item list, any other iterable of str as a list (a list
    is not copied). Raises TypeError naming the first item that is not a str."""
    if isinstance(sentences, str):
        return [sentences]
    if isinstance(sentences, bytes | bytearray):
        raise TypeError(f"{name} must be a str or a sequence of str, got bytes")
    if not isinstance(sentences, Iterable):
        raise TypeError(
            f"{name} must be a str or a sequence of str, got {type(sentences).__name__}"
        )
    items = sentences if isinstance(sentences, list) else list(sentences)
    if not all(isinstance(text, str) for text in items):
        for i, text in enumerate(items):
            if not isinstance(text, str):
                raise TypeError(f"{name} must be strings, got {type(text).__name__} at index {i}")
    return items


def instance(value: object, name: str, kind: type | tuple[type, ...], expected: str) -> Any:
    """``value`` if it is a ``kind``; TypeError naming ``expected`` otherwise."""
    if not isinstance(value, kind):
        raise TypeError(f"{name} must be {expected}, got {type(value).__name__}")
    return value


def one_spelling(value: Any, alias: Any, name: str, alias_name: str) -> Any:
    """An argument that has two names: whichever was passed (TypeError for both)."""
    if alias is None:
        return value
    if value is not None:
        raise TypeError(f"pass {name} or {alias_name}, not both (they are one argument)")
    return alias
