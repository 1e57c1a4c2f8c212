"""fastpool.encode against the numpy reference, over dtypes and options."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import TABLE_DTYPES, kernel_isa, make_batch, make_table
from reference import TOLERANCES, assert_pooled_close, pool_reference

import fastpool


@pytest.mark.parametrize("dtype", TABLE_DTYPES)
@pytest.mark.parametrize("use_weights", [False, True])
@pytest.mark.parametrize("use_mapping", [False, True])
@pytest.mark.parametrize("mode", ["mean", "sum"])
@pytest.mark.parametrize("normalize", [True, False])
def test_matches_reference(rng, dtype, use_weights, use_mapping, mode, normalize):
    n_vocab, n_table = 300, 120 if use_mapping else 300
    table = make_table(rng, n_table, 37, dtype)
    mapping = rng.integers(0, n_table, size=n_vocab) if use_mapping else None
    weights = rng.random(n_vocab).astype(np.float32) if use_weights else None
    ids, offsets = make_batch(rng, 50, n_vocab)
    got = fastpool.encode(
        ids, offsets, table, weights=weights, mapping=mapping, mode=mode, normalize=normalize
    )
    want = pool_reference(
        ids, offsets, table, weights=weights, mapping=mapping, mode=mode, normalize=normalize
    )
    assert got.dtype == np.float32 and got.shape == (50, 37)
    assert_pooled_close(got, want, dtype)


@pytest.mark.parametrize("scale_shape", ["table", "row"])
@pytest.mark.parametrize("use_mapping", [False, True])
def test_int8_scale(rng, scale_shape, use_mapping):
    table = make_table(rng, 64, 16, "int8")
    scale = np.float32(0.01) if scale_shape == "table" else rng.random(64).astype(np.float32)
    mapping = rng.integers(0, 64, size=100) if use_mapping else None
    ids, offsets = make_batch(rng, 20, 100 if use_mapping else 64)
    weights = rng.random(100 if use_mapping else 64)
    got = fastpool.encode(ids, offsets, table, scale=scale, mapping=mapping, weights=weights)
    want = pool_reference(ids, offsets, table, scale=scale, mapping=mapping, weights=weights)
    assert_pooled_close(got, want, "int8")


def test_int8_without_scale_pools_raw_integers():
    table = np.array([[1, -2], [100, 50]], dtype=np.int8)
    got = fastpool.encode([0, 1, 1], [0, 3], table, mode="sum", normalize=False)
    np.testing.assert_array_equal(got, [[201.0, 98.0]])


def test_mean_divides_by_token_count_not_weight_sum():
    table = np.array([[2.0, 0.0], [0.0, 4.0]], dtype=np.float32)
    weights = np.array([0.5, 0.25], dtype=np.float32)
    got = fastpool.encode([0, 1], [0, 2], table, weights=weights, normalize=False)
    np.testing.assert_array_equal(got, [[0.5, 0.5]])


def test_weights_indexed_by_original_id():
    table = np.array([[1.0], [10.0]], dtype=np.float32)
    mapping = np.array([1, 1, 0])
    weights = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    got = fastpool.encode(
        [1, 2], [0, 1, 2], table, weights=weights, mapping=mapping, normalize=False
    )
    np.testing.assert_array_equal(got, [[20.0], [3.0]])


def test_empty_row_is_zeros_not_nan(rng):
    table = make_table(rng, 10, 8, "float32")
    got = fastpool.encode([3], [0, 0, 1, 1], table)
    assert not np.isnan(got).any()
    np.testing.assert_array_equal(got[0], 0)
    np.testing.assert_array_equal(got[2], 0)
    np.testing.assert_allclose(np.linalg.norm(got[1]), 1.0, rtol=1e-6)


def test_empty_batch(rng):
    table = make_table(rng, 10, 8, "float32")
    got = fastpool.encode(np.array([], dtype=np.int64), [0], table)
    assert got.shape == (0, 8) and got.dtype == np.float32
    got = fastpool.encode([], [0], table)
    assert got.shape == (0, 8)


def test_single_id_repeated_ids_and_last_valid_id(rng):
    table = make_table(rng, 10, 4, "float32")
    got = fastpool.encode([9, 9, 9, 9], [0, 1, 4], table, normalize=False)
    np.testing.assert_array_equal(got[0], table[9])
    np.testing.assert_allclose(got[1], table[9], rtol=1e-6)


def test_zero_width_table():
    got = fastpool.encode([0, 1], [0, 2], np.zeros((3, 0), np.float32))
    assert got.shape == (1, 0)


def test_normalize_epsilon_keeps_tiny_vectors_finite():
    table = np.full((1, 4), 1e-30, dtype=np.float32)
    got = fastpool.encode([0], [0, 1], table)
    assert np.isfinite(got).all()


@pytest.mark.parametrize("ids_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("offsets_dtype", [np.int32, np.int64])
def test_index_dtypes(rng, ids_dtype, offsets_dtype):
    table = make_table(rng, 50, 8, "float32")
    ids, offsets = make_batch(rng, 10, 50)
    got = fastpool.encode(ids.astype(ids_dtype), offsets.astype(offsets_dtype), table)
    np.testing.assert_allclose(got, pool_reference(ids, offsets, table), **TOLERANCES["float32"])


def test_other_integer_and_list_inputs_are_converted(rng):
    table = make_table(rng, 50, 8, "float32")
    want = pool_reference([1, 2, 3], [0, 1, 3], table)
    np.testing.assert_allclose(fastpool.encode([1, 2, 3], [0, 1, 3], table), want, rtol=1e-6)
    got = fastpool.encode(np.array([1, 2, 3], np.uint16), np.array([0, 1, 3], np.uint8), table)
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_weights_of_other_dtypes_are_converted(rng):
    table = make_table(rng, 20, 8, "float32")
    ids, offsets = make_batch(rng, 5, 20)
    w64 = rng.random(20)
    got = fastpool.encode(ids, offsets, table, weights=w64)
    want = pool_reference(ids, offsets, table, weights=w64.astype(np.float32))
    np.testing.assert_allclose(got, want, **TOLERANCES["float32"])


def test_out_is_filled_and_returned(rng):
    table = make_table(rng, 20, 8, "float32")
    ids, offsets = make_batch(rng, 5, 20)
    out = np.full((5, 8), np.nan, dtype=np.float32)
    got = fastpool.encode(ids, offsets, table, out=out)
    assert got is out
    np.testing.assert_allclose(out, pool_reference(ids, offsets, table), **TOLERANCES["float32"])


def test_big_endian_table_is_read_correctly(rng):
    table = make_table(rng, 20, 8, "float32")
    ids, offsets = make_batch(rng, 5, 20)
    got = fastpool.encode(ids, offsets, table.astype(">f4"))
    np.testing.assert_allclose(got, pool_reference(ids, offsets, table), **TOLERANCES["float32"])


def test_build_info():
    info = fastpool.build_info()
    assert isinstance(info["openmp"], bool)
    assert info["isa"] in ("baseline", "avx2", "avx512")
    assert info["isa_compiled"] and all(isinstance(s, str) for s in info["isa_compiled"])
    assert info["n_threads"] >= 1
    assert info["version"] == fastpool.__version__
    distances = info["prefetch_distance"]
    assert set(distances) == {1, 2, 4, 8} and all(d >= 0 for d in distances.values())


def test_prefetch_distances_follow_the_cpu_vendor():
    """Distances by vendor, as measured on one machine of each (see dispatch.cpp)."""
    vendor = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            vendor = next((line.split(":")[1].strip() for line in f if "vendor_id" in line), "")
    except OSError:
        pytest.skip("needs /proc/cpuinfo")
    distances = fastpool.build_info()["prefetch_distance"]
    if vendor == "AuthenticAMD":
        assert distances == {1: 56, 2: 40, 4: 24, 8: 24}
    elif vendor == "GenuineIntel":
        assert distances == {1: 16, 2: 16, 4: 8, 8: 8}
    else:
        pytest.skip(f"no expectation for vendor {vendor!r}")


def test_big_endian_ids_offsets_and_out(rng):
    table = make_table(rng, 20, 8, "float32")
    ids, offsets = make_batch(rng, 5, 20)
    want = pool_reference(ids, offsets, table)
    got = fastpool.encode(ids.astype(">i8"), offsets.astype(">i8"), table)
    assert_pooled_close(got, want, "float32")
    with pytest.raises(TypeError, match="out must have dtype float32, got >f4"):
        fastpool.encode(ids, offsets, table, out=np.zeros((5, 8), ">f4"))


@pytest.mark.parametrize("isa", ["baseline", "avx2", "avx512"])
def test_every_instruction_set_matches_reference(rng, isa):
    table = make_table(rng, 300, 256, "float16")
    weights = rng.random(300).astype(np.float32)
    ids, offsets = make_batch(rng, 40, 300)
    with kernel_isa(isa) as used:
        got = fastpool.encode(ids, offsets, table, weights=weights)
    assert used in ("baseline", "avx2", "avx512")
    assert_pooled_close(got, pool_reference(ids, offsets, table, weights=weights), "float16")


# Widths that take each block layout of the SIMD kernels (a register holds 16
# floats with AVX-512, 8 with AVX2): whole rows of 1-16 registers in one pass,
# passes of 16 registers with the rest in halving blocks (AVX-512: 192 = 8 + 4
# registers, 272 = 16 + 1, 384 = 16 + 8), and widths with scalar tail columns
# (100, 520).
@pytest.mark.parametrize("isa", ["baseline", "avx2", "avx512"])
@pytest.mark.parametrize("dim", [8, 16, 24, 32, 64, 100, 128, 192, 256, 272, 384, 520])
@pytest.mark.parametrize("dtype", ["float32", "float16", "int8"])
@pytest.mark.parametrize("weighted", [False, True])
def test_every_row_width_matches_reference(rng, isa, dim, dtype, weighted):
    table = make_table(rng, 120, dim, dtype)
    weights = rng.random(120).astype(np.float32) if weighted else None
    ids, offsets = make_batch(rng, 30, 120)
    with kernel_isa(isa):
        got = fastpool.encode(ids, offsets, table, weights=weights, n_threads=2)
    assert_pooled_close(got, pool_reference(ids, offsets, table, weights=weights), dtype)


def test_set_isa_rejects_unknown_names():
    with pytest.raises(ValueError, match="isa must be one of baseline, avx2, avx512, got 'sse9'"):
        fastpool.set_isa("sse9")
