# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""fastpool._bench: the plain loops the kernel benchmarks compare fastpool to.

Not in the wheel: built only with -Ccmake.define.FASTPOOL_BENCH_HELPERS=ON (make bench;
tools/variant_tests.sh builds it for tests/test_bench_helpers.py)."""

from libc.stdint cimport int64_t

cimport numpy as cnp

from fastpool._core import OFFSETS_OK, check_offsets, out_of_range

cnp.import_array()


cdef extern from "membench.h" namespace "fastpool" nogil:
    float read_sum(const float* data, int64_t n) noexcept
    bint c_gather_floor "fastpool::gather_floor"(
        const int64_t* ids, const int64_t* offsets, int64_t n_rows, const float* table,
        int64_t ahead, float* out) noexcept


cdef inline bint is_int64_vector(object x):
    return (type(x) is cnp.ndarray and cnp.PyArray_TYPE(<cnp.ndarray>x) == cnp.NPY_INT64
            and cnp.PyArray_NDIM(<cnp.ndarray>x) == 1
            and cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray>x)
            and cnp.PyArray_ISNOTSWAPPED(<cnp.ndarray>x))


def stream_read(cnp.ndarray data):
    """Sum a C-contiguous float32 array with a plain loop (benchmarks' roofline)."""
    if cnp.PyArray_TYPE(data) != cnp.NPY_FLOAT32 or not cnp.PyArray_IS_C_CONTIGUOUS(data):
        raise TypeError("stream_read needs a C-contiguous float32 array")
    cdef const float* p = <const float*>cnp.PyArray_DATA(data)
    cdef int64_t n = cnp.PyArray_SIZE(data)
    cdef float total
    with nogil:
        total = read_sum(p, n)
    return total


def gather_floor(object ids, object offsets, cnp.ndarray table, cnp.ndarray out,
                 int64_t ahead):
    """Sum the table rows of each CSR row into out with nothing else (benchmarks' floor).

    ids and offsets: int64 vectors as encode takes them; table: C-contiguous
    float32 (rows, 256); out: C-contiguous float32 (len(offsets) - 1, 256).
    Rows of tokens ``ahead`` places later are prefetched (0: none). Returns
    False, writing nothing, where the CPU or the build has no AVX-512."""
    if not (is_int64_vector(ids) and is_int64_vector(offsets)):
        raise TypeError("gather_floor needs contiguous int64 ids and offsets")
    for name, a in (("table", table), ("out", out)):
        if (cnp.PyArray_TYPE(a) != cnp.NPY_FLOAT32 or cnp.PyArray_NDIM(a) != 2
                or not cnp.PyArray_IS_C_CONTIGUOUS(a) or not cnp.PyArray_ISNOTSWAPPED(a)
                or a.shape[1] != 256):
            raise ValueError(
                f"gather_floor needs {name} as a C-contiguous native float32 (n, 256) array")
    if not cnp.PyArray_ISWRITEABLE(out):
        raise ValueError("gather_floor needs a writable out")
    cdef int64_t n_ids = cnp.PyArray_SIZE(<cnp.ndarray>ids)
    cdef int64_t n_rows = cnp.PyArray_SIZE(<cnp.ndarray>offsets) - 1
    if n_rows < 0 or out.shape[0] != n_rows:
        raise ValueError("gather_floor needs len(out) == len(offsets) - 1")
    if check_offsets(offsets, n_ids) != OFFSETS_OK:
        raise ValueError(f"gather_floor: offsets are not valid CSR offsets for {n_ids} ids")
    if out_of_range(ids, table.shape[0]) != -1:
        raise ValueError("gather_floor: an id is outside the table")
    if ahead < 0:
        raise ValueError("gather_floor: ahead must be >= 0")
    cdef const int64_t* ip = <const int64_t*>cnp.PyArray_DATA(<cnp.ndarray>ids)
    cdef const int64_t* op = <const int64_t*>cnp.PyArray_DATA(<cnp.ndarray>offsets)
    cdef const float* tp = <const float*>cnp.PyArray_DATA(table)
    cdef float* outp = <float*>cnp.PyArray_DATA(out)
    cdef bint done
    with nogil:
        done = c_gather_floor(ip, op, n_rows, tp, ahead, outp)
    return done
