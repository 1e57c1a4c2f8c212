# The C++ pooling kernel's declarations (csrc/fastpool/pool.h), shared by every
# Cython module that calls it (_core.pyx, tokenizer/_bridge.pyx).

from libc.stdint cimport int32_t, int64_t
from libcpp cimport bool as cbool

cimport numpy as cnp


cdef extern from "fastpool/pool.h" namespace "fastpool" nogil:
    cdef cppclass half_t:
        pass

    cdef cppclass bfloat16_t:
        pass

    cdef cppclass PoolArgs:
        const void* ids
        cbool ids_are_64
        const int64_t* offsets
        int64_t n_rows
        int64_t dim
        int64_t row_stride
        const float* weights
        const int32_t* mapping
        int64_t id_limit
        int64_t table_rows
        int64_t n_ids
        const float* scale
        int64_t scale_stride
        cbool mean
        cbool normalize
        int n_threads

    const int64_t kStreamOutputBytes
    void pool[T](const PoolArgs& args, const T* table, float* out) noexcept
    cbool streams_output(const PoolArgs& args, const float* out) noexcept
    int float_row_shift(const float* table, int64_t row_stride) noexcept
    int max_threads() noexcept
    cbool has_openmp() noexcept
    int64_t min_work_per_thread() noexcept
    int64_t prefetch_distance(size_t element_size) noexcept
    void set_min_work_per_thread(int64_t work) noexcept


cdef inline const void* data_or_null(object arr):
    if arr is None:
        return NULL
    return cnp.PyArray_DATA(<cnp.ndarray>arr)


cdef inline PoolArgs table_args(cnp.ndarray table, object weights, object mapping,
                                object scale, bint mean, bint normalize, int n_threads):
    """The PoolArgs that describe a table and its options; the caller adds the
    CSR fields (ids, offsets, n_rows, n_ids). Arrays as validated by the
    Python layer: weights float32, mapping int32, scale float32, or None."""
    cdef PoolArgs args
    args.dim = cnp.PyArray_DIM(table, 1)
    args.row_stride = cnp.PyArray_STRIDE(table, 0) // cnp.PyArray_ITEMSIZE(table)
    args.weights = <const float*>data_or_null(weights)
    args.mapping = <const int32_t*>data_or_null(mapping)
    args.table_rows = cnp.PyArray_DIM(table, 0)
    args.id_limit = (args.table_rows if mapping is None
                     else cnp.PyArray_SIZE(<cnp.ndarray>mapping))
    args.scale = <const float*>data_or_null(scale)
    args.scale_stride = 0 if scale is None or cnp.PyArray_SIZE(<cnp.ndarray>scale) == 1 else 1
    args.mean = mean
    args.normalize = normalize
    args.n_threads = n_threads
    return args
