"""atheris harness: ``fastpool.encode`` with arbitrary ids, offsets, weights, mapping and dtypes.

    python fuzz/atheris_encode.py -runs=1000000

Only the documented exceptions may escape: ValueError and TypeError (bad
arguments). A valid call must return a float32 (n_rows, dim) array equal to
the numpy reference (tests/reference.py) within the dtype's tolerance.
"""

from __future__ import annotations

import sys
from pathlib import Path

import atheris

with atheris.instrument_imports():
    import numpy as np

    import fastpool

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from reference import pool_reference  # noqa: E402

INT_DTYPES = [
    np.int8,
    np.int16,
    np.int32,
    np.int64,
    np.uint8,
    np.uint32,
    np.uint64,
    np.float64,
    np.bool_,
]
TABLE_DTYPES = ["float32", "float16", "float64", "int8", "int32", "complex64", ">f4", "bfloat16"]
ALLOWED = (ValueError, TypeError)


def _ints(fdp: atheris.FuzzedDataProvider, n: int, lo: int, hi: int) -> list[int]:
    return [fdp.ConsumeIntInRange(lo, hi) for _ in range(n)]


def TestOneInput(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    n_table = fdp.ConsumeIntInRange(0, 40)
    dim = fdp.ConsumeIntInRange(0, 40)
    dtype = TABLE_DTYPES[fdp.ConsumeIntInRange(0, len(TABLE_DTYPES) - 1)]
    if dtype == "bfloat16":
        import ml_dtypes

        dtype = ml_dtypes.bfloat16
    table = (np.arange(n_table * dim, dtype=np.float64).reshape(n_table, dim) % 7 - 3).astype(dtype)
    if fdp.ConsumeBool() and table.ndim == 2 and dim > 1:
        table = table[:, ::2] if fdp.ConsumeBool() else table[::-1]
    n_ids = fdp.ConsumeIntInRange(0, 60)
    ids = np.array(_ints(fdp, n_ids, -3, 50), dtype=np.int64)
    ids_dtype = INT_DTYPES[fdp.ConsumeIntInRange(0, len(INT_DTYPES) - 1)]
    try:
        ids = ids.astype(ids_dtype)
    except (OverflowError, ValueError):
        return
    if fdp.ConsumeBool():  # valid offsets
        cuts = sorted(_ints(fdp, fdp.ConsumeIntInRange(0, 10), 0, n_ids))
        offsets = np.array([0, *cuts, n_ids], dtype=np.int64)
    else:
        offsets = np.array(_ints(fdp, fdp.ConsumeIntInRange(0, 6), -2, 70), dtype=np.int64)
    if fdp.ConsumeBool():
        offsets = offsets.astype(INT_DTYPES[fdp.ConsumeIntInRange(0, len(INT_DTYPES) - 1)])
    kwargs: dict = {}
    if fdp.ConsumeBool():
        kwargs["mapping"] = np.array(
            _ints(fdp, fdp.ConsumeIntInRange(0, 50), -1, 45),
            dtype=INT_DTYPES[fdp.ConsumeIntInRange(0, 3)],
        )
    if fdp.ConsumeBool():
        kwargs["weights"] = np.array(
            _ints(fdp, fdp.ConsumeIntInRange(0, 50), -5, 5),
            dtype=[np.float32, np.float64, np.int64][fdp.ConsumeIntInRange(0, 2)],
        )
    if fdp.ConsumeBool():
        kwargs["scale"] = fdp.ConsumeFloat() if fdp.ConsumeBool() else np.ones(n_table)
    kwargs["mode"] = ["mean", "sum", "max"][fdp.ConsumeIntInRange(0, 2)]
    kwargs["normalize"] = fdp.ConsumeBool()
    kwargs["n_threads"] = [None, 1, 2, 4, -1, -2, 0, 1.5][fdp.ConsumeIntInRange(0, 7)]
    if fdp.ConsumeBool():
        kwargs["out"] = np.empty((max(offsets.size - 1, 0), dim), np.float32)
    try:
        got = fastpool.encode(ids, offsets, table, **kwargs)
    except ALLOWED:
        return
    n_rows = offsets.size - 1
    assert got.dtype == np.float32 and got.shape == (n_rows, table.shape[1]), got.shape
    scale = np.asarray(kwargs.get("scale", 1.0), np.float64)
    if not np.all(np.isfinite(scale)) or np.abs(scale).max(initial=0) > 1e6:
        return  # float32 accumulators overflow where the float64 reference does not
    want = pool_reference(
        ids,
        offsets,
        np.asarray(table, np.float64),
        weights=kwargs.get("weights"),
        mapping=kwargs.get("mapping"),
        scale=kwargs.get("scale"),
        mode=kwargs["mode"],
        normalize=kwargs["normalize"],
    )
    peak = max(1.0, float(np.abs(want).max())) if want.size else 1.0
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5 * peak)


if __name__ == "__main__":
    atheris.Setup(sys.argv, TestOneInput)
    atheris.Fuzz()
