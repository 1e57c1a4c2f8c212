# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Typed bridge to the C++ kernel. Trusts its caller (fastpool._encode checks)."""

from libc.stdint cimport int8_t, int32_t, int64_t

cimport numpy as cnp

cnp.import_array()


from fastpool._kernel cimport (
    PoolArgs, bfloat16_t, half_t, has_openmp, kStreamOutputBytes, max_threads,
    float_row_shift, min_work_per_thread, pool, prefetch_distance, set_min_work_per_thread,
    streams_output,
    table_args,
)


cdef extern from "fastpool/build_info.h" namespace "fastpool" nogil:
    const char* compiled_isa() noexcept


cdef extern from "fastpool/check.h" namespace "fastpool" nogil:
    int64_t first_out_of_range[I](const I* values, int64_t n, int64_t stop) noexcept
    int64_t first_decrease(const int64_t* offsets, int64_t n) noexcept
    cdef struct JsonExtent:
        int64_t depth
        int64_t structurals
    JsonExtent c_json_extent "fastpool::json_extent"(
        const char* text, int64_t n, int64_t depth_limit) noexcept


from libc.string cimport memcmp, memcpy
from libcpp cimport bool as cbool
from libcpp.string cimport string
from libcpp.vector cimport vector


cdef extern from "fastpool/json_vocab.h" namespace "fastpool" nogil:
    cdef cppclass JsonVocab:
        int status
        int64_t begin
        int64_t end
        string blob
        vector[int64_t] offsets
        vector[int32_t] ids
        vector[int32_t] chars
        cbool is_list "list"
        vector[double] scores
        vector[double] tokenizer_scores
        int64_t merges_begin
        int64_t merges_end
        string merges
        int64_t n_merges
        cbool merge_pairs
    void read_json_vocab(const char* text, int64_t n, int64_t max_token_chars,
                         JsonVocab& out) except +
    void c_find_strings "fastpool::find_strings"(
        const char* blob, const int64_t* offsets, int64_t n, const vector[string]& needles,
        vector[int64_t]& found) except +


cdef extern from "fastpool/vectors_file.h" namespace "fastpool" nogil:
    cdef struct VectorRows:
        int64_t rows
        int64_t stop
    VectorRows c_parse_vector_lines "fastpool::parse_vector_lines"(
        const char* text, int64_t n, int64_t dim, float* table, int64_t max_rows,
        int64_t* word_spans, int n_threads) noexcept
    VectorRows c_parse_binary_records "fastpool::parse_binary_records"(
        const char* data, int64_t n, int64_t dim, float* table, int64_t max_rows,
        int64_t* word_spans) noexcept


cdef extern from "fastpool/dispatch.h" namespace "fastpool" nogil:
    enum class Isa(int):
        baseline
        avx2
        avx512

    Isa best_isa() noexcept
    Isa active_isa() noexcept
    Isa set_isa(Isa requested) noexcept
    const char* isa_name(Isa isa) noexcept


ISA_LEVELS = ("baseline", "avx2", "avx512")

# Outputs this large are written with non-temporal stores when their rows are 64-byte
# aligned (csrc/fastpool/dispatch.cpp, streams_output); empty_rows allocates them so.
STREAM_OUTPUT_BYTES = kStreamOutputBytes


cpdef cnp.ndarray empty_rows(int64_t n_rows, int64_t dim):
    """An uninitialised C-order float32 array of shape (n_rows, dim) for the kernel to fill.

    From STREAM_OUTPUT_BYTES up, its data starts on a 64-byte boundary (numpy promises 16),
    so that the kernel can stream whole rows past the caches: one spare cache line is
    allocated and the array is a view into it. Smaller outputs are plain np.empty."""
    cdef cnp.npy_intp shape[2]
    shape[0] = n_rows
    shape[1] = dim
    cdef int64_t n = n_rows * dim
    if n * 4 < kStreamOutputBytes:
        return cnp.PyArray_EMPTY(2, shape, cnp.NPY_FLOAT32, 0)
    cdef cnp.npy_intp padded = n + 16
    cdef cnp.ndarray raw = cnp.PyArray_EMPTY(1, &padded, cnp.NPY_FLOAT32, 0)
    cdef size_t start = (64 - <size_t>cnp.PyArray_DATA(raw) % 64) % 64 // 4
    return raw[start:start + n].reshape(n_rows, dim)


def kernel_streams_output(cnp.ndarray out):
    """Whether the kernel would write this (n_rows, dim) float32 output with
    non-temporal stores (large enough, rows 64-byte aligned). For tests."""
    cdef PoolArgs args
    args.n_rows = cnp.PyArray_DIM(out, 0)
    args.dim = cnp.PyArray_DIM(out, 1)
    return streams_output(args, <const float*>cnp.PyArray_DATA(out))


def kernel_row_shift(cnp.ndarray table):
    """How many floats into a 64-byte line the rows of this 2-D float32 table start
    (0: aligned, or rows that differ). For tests of the kernel's shifted reads."""
    if cnp.PyArray_TYPE(table) != cnp.NPY_FLOAT32 or cnp.PyArray_NDIM(table) != 2:
        raise TypeError("kernel_row_shift needs a 2-D float32 array")
    return float_row_shift(<const float*>cnp.PyArray_DATA(table),
                           cnp.PyArray_STRIDE(table, 0) // 4)


def pool_csr(
    cnp.ndarray ids,
    cnp.ndarray offsets,
    cnp.ndarray table,
    cnp.ndarray out,
    object weights,
    object mapping,
    object scale,
    bint mean,
    bint normalize,
    int n_threads,
):
    """Pool CSR rows into ``out``. Every argument must already be validated:
    ids int32/int64 contiguous; offsets int64 contiguous; table 2-D with unit
    column stride; out float32 C-contiguous (n_rows, dim); weights float32,
    mapping int32 and scale float32, each contiguous or None."""
    cdef PoolArgs args = table_args(table, weights, mapping, scale, mean, normalize, n_threads)
    args.ids = cnp.PyArray_DATA(ids)
    args.ids_are_64 = cnp.PyArray_ITEMSIZE(ids) == 8
    args.offsets = <const int64_t*>cnp.PyArray_DATA(offsets)
    args.n_rows = cnp.PyArray_DIM(offsets, 0) - 1
    args.n_ids = cnp.PyArray_SIZE(ids)

    cdef const void* t = cnp.PyArray_DATA(table)
    cdef float* o = <float*>cnp.PyArray_DATA(out)
    cdef int type_num = cnp.PyArray_TYPE(table)
    # The one place a table dtype picks its kernel.
    if type_num == cnp.NPY_FLOAT32:
        with nogil:
            pool[float](args, <const float*>t, o)
    elif type_num == cnp.NPY_FLOAT16:
        with nogil:
            pool[half_t](args, <const half_t*>t, o)
    elif type_num == cnp.NPY_FLOAT64:
        with nogil:
            pool[double](args, <const double*>t, o)
    elif type_num == cnp.NPY_INT8:
        with nogil:
            pool[int8_t](args, <const int8_t*>t, o)
    elif table.dtype.name == "bfloat16" and cnp.PyArray_ITEMSIZE(table) == 2:
        with nogil:
            pool[bfloat16_t](args, <const bfloat16_t*>t, o)
    else:
        raise TypeError(
            "table dtype must be float32, float16, bfloat16, float64 or int8, "
            f"got {table.dtype}"
        )


def out_of_range(cnp.ndarray values, int64_t stop):
    """Index of the first value of a contiguous int32/int64 vector outside
    [0, stop), or -1. The GIL is released: ids may be large."""
    cdef int64_t n = cnp.PyArray_SIZE(values)
    cdef const void* p = cnp.PyArray_DATA(values)
    cdef int64_t found
    if cnp.PyArray_TYPE(values) == cnp.NPY_INT64:
        with nogil:
            found = first_out_of_range[int64_t](<const int64_t*>p, n, stop)
    elif cnp.PyArray_TYPE(values) == cnp.NPY_INT32:
        with nogil:
            found = first_out_of_range[int32_t](<const int32_t*>p, n, stop)
    else:
        raise TypeError(f"expected int32 or int64, got {values.dtype}")
    return found


def json_extent(const unsigned char[::1] text, int64_t depth_limit):
    """(deepest nesting, structural characters) of JSON bytes, in one pass with the
    GIL released; the depth stops counting past depth_limit (see check.h)."""
    cdef int64_t n = text.shape[0]
    cdef const char* p = <const char*>&text[0] if n else NULL
    cdef JsonExtent found
    with nogil:
        found = c_json_extent(p, n, depth_limit)
    return found.depth, found.structurals


def json_vocab(const unsigned char[::1] text, int64_t max_token_chars):
    """A tokenizer.json's ``model.vocab`` (and ``model.merges``) as string tables, in one
    pass with the GIL released (see json_vocab.h): a dict of ``status`` (0: a vocabulary
    Python would read and accept the same), ``begin`` / ``end`` (the vocab's span),
    ``blob``, ``offsets`` int64, ``ids`` int32, ``chars`` int32, ``scores`` float64 (a
    list vocab, as Python reads them) and ``tokenizer_scores`` (as tokenizers reads them:
    tokenizers_number.h) or None, ``merges_begin`` / ``merges_end`` (-1: not read), ``merges``
    (NUL-terminated strings), ``n_merges``, ``merge_pairs``; the tables are None unless
    status is 0."""
    cdef int64_t n = text.shape[0]
    cdef const char* p = <const char*>&text[0] if n else NULL
    cdef JsonVocab found
    with nogil:
        read_json_vocab(p, n, max_token_chars, found)
    result = {"status": found.status, "begin": found.begin, "end": found.end, "blob": b"",
              "offsets": None, "ids": None, "chars": None, "scores": None,
              "tokenizer_scores": None,
              "merges_begin": found.merges_begin, "merges_end": found.merges_end,
              "merges": b"", "n_merges": found.n_merges, "merge_pairs": bool(found.merge_pairs)}
    if found.status != 0:
        return result
    cdef cnp.npy_intp count = found.ids.size()
    cdef cnp.npy_intp count1 = count + 1
    offsets = cnp.PyArray_EMPTY(1, &count1, cnp.NPY_INT64, 0)
    ids = cnp.PyArray_EMPTY(1, &count, cnp.NPY_INT32, 0)
    chars = cnp.PyArray_EMPTY(1, &count, cnp.NPY_INT32, 0)
    cdef int64_t[::1] o = offsets
    cdef int32_t[::1] i = ids
    cdef int32_t[::1] c = chars
    cdef double[::1] sc
    memcpy(&o[0], found.offsets.data(), (count + 1) * sizeof(int64_t))
    if count:
        memcpy(&i[0], found.ids.data(), count * sizeof(int32_t))
        memcpy(&c[0], found.chars.data(), count * sizeof(int32_t))
    if found.is_list:
        scores = cnp.PyArray_EMPTY(1, &count, cnp.NPY_FLOAT64, 0)
        sc = scores
        if count:
            memcpy(&sc[0], found.scores.data(), count * sizeof(double))
        result["scores"] = scores
        tokenizer_scores = cnp.PyArray_EMPTY(1, &count, cnp.NPY_FLOAT64, 0)
        sc = tokenizer_scores
        if count:
            memcpy(&sc[0], found.tokenizer_scores.data(), count * sizeof(double))
        result["tokenizer_scores"] = tokenizer_scores
    result.update(blob=found.blob.data()[:found.blob.size()], offsets=offsets, ids=ids,
                  chars=chars, merges=found.merges.data()[:found.merges.size()])
    return result


def find_string(const unsigned char[::1] blob, const int64_t[::1] offsets, bytes needle):
    """The index of ``needle`` in a string table (blob + n + 1 offsets), or -1: one
    linear pass, for the few look-ups (unknown and added tokens) loading makes."""
    cdef Py_ssize_t n = offsets.shape[0] - 1
    cdef Py_ssize_t k, found = -1, length = len(needle)
    cdef const char* want = needle
    cdef const char* base = <const char*>&blob[0] if blob.shape[0] else NULL
    with nogil:
        for k in range(n):
            if offsets[k + 1] - offsets[k] == length and (
                length == 0 or memcmp(base + offsets[k], want, length) == 0
            ):
                found = k
                break
    return found


def find_strings(const unsigned char[::1] blob, const int64_t[::1] offsets, list needles):
    """The index of the first entry equal to each of ``needles`` (bytes) in a string
    table (blob + n + 1 offsets), -1 where none: one hashed pass over the table."""
    cdef vector[string] want
    cdef vector[int64_t] found
    for needle in needles:
        want.push_back(<bytes>needle)
    cdef const char* base = <const char*>&blob[0] if blob.shape[0] else NULL
    with nogil:
        c_find_strings(base, &offsets[0], offsets.shape[0] - 1, want, found)
    return [found[k] for k in range(<Py_ssize_t>found.size())]


def parse_vector_lines(const unsigned char[::1] text, int64_t start, float[:, ::1] table,
                       int64_t row, int64_t[:, ::1] word_spans, int n_threads=1):
    """(rows written, offset where it stopped) for the vectors-file lines of text[start:],
    written from table[row] on, at most word_spans.shape[0] of them (and at most the rows
    left in table); the words' byte spans go to word_spans. GIL released; see
    vectors_file.h for what a line must be and where it stops. n_threads >= 1, as resolved
    by the caller."""
    return _parse_vectors(text, start, table, row, word_spans, False, n_threads)


def parse_binary_records(const unsigned char[::1] data, int64_t start, float[:, ::1] table,
                         int64_t row, int64_t[:, ::1] word_spans):
    """parse_vector_lines for word2vec binary records (the floats' bytes copied as they are);
    it stops before the first record not whole in data[start:]."""
    return _parse_vectors(data, start, table, row, word_spans, True, 1)


cdef tuple _parse_vectors(const unsigned char[::1] text, int64_t start, float[:, ::1] table,
                          int64_t row, int64_t[:, ::1] word_spans, bint binary,
                          int n_threads):
    cdef int64_t n = text.shape[0]
    cdef int64_t dim = table.shape[1]
    cdef int64_t cap = min(word_spans.shape[0], table.shape[0] - row)
    if start < 0 or start > n or row < 0 or cap < 0 or n_threads < 1:
        raise ValueError("start, row or n_threads out of range")
    if start == n:
        return 0, n
    cdef const char* p = <const char*>&text[start]
    cdef float* out = &table[row, 0] if cap > 0 else NULL
    cdef int64_t* spans = &word_spans[0, 0] if cap > 0 else NULL
    cdef VectorRows done
    cdef int64_t i
    with nogil:
        if binary:
            done = c_parse_binary_records(p, n - start, dim, out, cap, spans)
        else:
            done = c_parse_vector_lines(p, n - start, dim, out, cap, spans, n_threads)
    for i in range(done.rows):
        word_spans[i, 0] += start
        word_spans[i, 1] += start
    return done.rows, start + done.stop


OFFSETS_OK, OFFSETS_EMPTY, OFFSETS_BAD_FIRST, OFFSETS_BAD_LAST = -1, -2, -3, -4


def check_offsets(cnp.ndarray offsets, int64_t n_ids):
    """Check a contiguous int64 CSR offsets vector against len(ids).

    Returns OFFSETS_OK, OFFSETS_EMPTY, OFFSETS_BAD_FIRST (offsets[0] != 0),
    OFFSETS_BAD_LAST (offsets[-1] != n_ids), or the first i with
    offsets[i] > offsets[i + 1]."""
    if cnp.PyArray_TYPE(offsets) != cnp.NPY_INT64:
        raise TypeError(f"expected int64, got {offsets.dtype}")
    cdef const int64_t* p = <const int64_t*>cnp.PyArray_DATA(offsets)
    cdef int64_t n = cnp.PyArray_SIZE(offsets)
    cdef int64_t found
    if n == 0:
        return OFFSETS_EMPTY
    if p[0] != 0:
        return OFFSETS_BAD_FIRST
    if p[n - 1] != n_ids:
        return OFFSETS_BAD_LAST
    with nogil:
        found = first_decrease(p, n)
    return found


cdef inline bint is_index_vector(object x, int type_num):
    return (type(x) is cnp.ndarray and cnp.PyArray_TYPE(<cnp.ndarray>x) == type_num
            and cnp.PyArray_NDIM(<cnp.ndarray>x) == 1
            and cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray>x)
            and cnp.PyArray_ISNOTSWAPPED(<cnp.ndarray>x))


def encode_fast(object ids, object offsets, object table, object out, bint mean,
                bint normalize, int n_threads):
    """The common call in one step: canonical inputs, no weights/mapping/scale.

    Returns the pooled array, or None when anything is not canonical or not
    valid (the caller then takes the checked path, which coerces the inputs or
    words the error). ``n_threads`` <= 0 means "the default", resolved here as
    min(omp_get_max_threads(), -n_threads) so the caller can pass its cached CPU
    limit as a negative number (or 0 when OMP_NUM_THREADS was set)."""
    if not (is_index_vector(ids, cnp.NPY_INT64) or is_index_vector(ids, cnp.NPY_INT32)):
        return None
    if not is_index_vector(offsets, cnp.NPY_INT64):
        return None
    if type(table) is not cnp.ndarray:
        return None
    cdef cnp.ndarray t = <cnp.ndarray>table
    cdef int type_num = cnp.PyArray_TYPE(t)
    if not (type_num == cnp.NPY_FLOAT32 or type_num == cnp.NPY_FLOAT16
            or type_num == cnp.NPY_FLOAT64 or type_num == cnp.NPY_INT8):
        return None
    if (cnp.PyArray_NDIM(t) != 2 or not cnp.PyArray_IS_C_CONTIGUOUS(t)
            or not cnp.PyArray_ISNOTSWAPPED(t)):
        return None
    cdef cnp.ndarray i = <cnp.ndarray>ids
    cdef cnp.ndarray o = <cnp.ndarray>offsets
    cdef int64_t n_ids = cnp.PyArray_SIZE(i)
    cdef int64_t n_rows = cnp.PyArray_SIZE(o) - 1
    cdef int64_t dim = cnp.PyArray_DIM(t, 1)
    if check_offsets(o, n_ids) != OFFSETS_OK:
        return None
    if out_of_range(i, cnp.PyArray_DIM(t, 0)) >= 0:
        return None
    if out is None:
        out = empty_rows(n_rows, dim)
    elif not (type(out) is cnp.ndarray
              and cnp.PyArray_TYPE(<cnp.ndarray>out) == cnp.NPY_FLOAT32
              and cnp.PyArray_NDIM(<cnp.ndarray>out) == 2
              and cnp.PyArray_DIM(<cnp.ndarray>out, 0) == n_rows
              and cnp.PyArray_DIM(<cnp.ndarray>out, 1) == dim
              and cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray>out)
              and cnp.PyArray_ISNOTSWAPPED(<cnp.ndarray>out)
              and cnp.PyArray_ISWRITEABLE(<cnp.ndarray>out)):
        return None
    if n_threads <= 0:
        n_threads = max_threads() if n_threads == 0 else min(max_threads(), -n_threads)
    pool_csr(i, o, t, <cnp.ndarray>out, None, None, None, mean, normalize, n_threads)
    return out


def openmp_max_threads():
    """omp_get_max_threads() in the calling thread (1 without OpenMP)."""
    return max_threads()


def openmp_enabled():
    """Whether this build of the kernel uses OpenMP."""
    return has_openmp()


def kernel_min_work_per_thread(work=None):
    """The kernel's thread-team threshold (tokens + 4 per row, per thread); sets it when
    ``work`` is given (< 1 restores the default). For benchmarks/calibrate_threads.py."""
    if work is not None:
        set_min_work_per_thread(work)
    return min_work_per_thread()


def kernel_prefetch_distances():
    """Tokens ahead the kernel prefetches, by table element size in bytes (this CPU)."""
    return {size: prefetch_distance(size) for size in (1, 2, 4, 8)}


def kernel_isa():
    """Instruction-set extensions the kernel was compiled for."""
    return compiled_isa().decode().split()


def kernel_isa_best():
    """The widest instruction set this CPU supports among those compiled in."""
    return isa_name(best_isa()).decode()


def kernel_isa_active():
    """The instruction set the kernel uses now."""
    return isa_name(active_isa()).decode()


def kernel_set_isa(int level):
    """Use instruction set ``ISA_LEVELS[level]`` or, if unsupported, the best below it."""
    return isa_name(set_isa(<Isa>level)).decode()
