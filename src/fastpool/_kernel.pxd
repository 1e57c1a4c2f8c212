# The C++ pooling kernel's declarations (csrc/fastpool/pool.h), shared by every
# Cython module that calls it (_core.pyx, _tokenizer.pyx).

from libc.stdint cimport int32_t, int64_t
from libcpp cimport bool as cbool


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

    void pool[T](const PoolArgs& args, const T* table, float* out) noexcept
    int max_threads() noexcept
    cbool has_openmp() noexcept
