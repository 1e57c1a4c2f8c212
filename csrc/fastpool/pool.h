// pool.h - pool ragged rows of token ids into one vector per row.
//
// Contract:
//   * Input is CSR: row r is ids[offsets[r] .. offsets[r+1]); offsets has
//     n_rows + 1 entries. Token t reads table row mapping[t] (or t without a
//     mapping), times weights[t] when given (indexed by the *original* id),
//     times scale[row * scale_stride] for int8 tables when given.
//   * mode mean divides by the row's token count (not the weight sum); an empty
//     row is all zeros; normalize writes x / (||x||_2 + 1e-32).
//   * Nothing is checked here: ids, mapping values and offsets must already be
//     in range and monotone (the Python layer checks them). out is caller
//     owned, n_rows x dim float32, C order. As a guard against another thread
//     rewriting ids, mapping or offsets after that check, each id is read once
//     and an id >= id_limit (or a mapped row >= table_rows) is read as 0, and
//     with n_ids >= 0 each row's bounds are clamped to [0, n_ids]: wrong
//     output, never an out-of-bounds read.
//   * Accumulates in float32 (double for double tables). Each row is computed
//     by one thread in token order, so the output is bit-identical for every
//     thread count. Reentrant; never allocates, never throws.
#pragma once

#include <cstddef>
#include <cstdint>

#include "convert.h"

namespace fastpool {

struct PoolArgs {
    const void* ids = nullptr;  // int32_t or int64_t, see ids_are_64
    bool ids_are_64 = true;
    const std::int64_t* offsets = nullptr;
    std::int64_t n_rows = 0;
    std::int64_t dim = 0;
    std::int64_t row_stride = 0;            // elements between table rows (>= dim)
    const float* weights = nullptr;         // nullable; one per original id
    const std::int32_t* mapping = nullptr;  // nullable; id -> table row
    std::int64_t id_limit = 0;              // ids are < this: len(mapping), else table rows
    std::int64_t table_rows = 0;            // mapping values are < this
    std::int64_t n_ids = -1;                // when >= 0, row bounds are clamped to [0, n_ids]
    const float* scale = nullptr;           // nullable; int8 tables only
    std::int64_t scale_stride = 0;          // 1: one scale per row, 0: one for all
    bool mean = true;
    bool normalize = true;
    int n_threads = 1;
};

// T is float, double, half_t, bfloat16_t or std::int8_t (instantiated in
// dispatch.cpp). table has at least max(row)+1 rows of dim elements, each row
// contiguous and row_stride elements after the previous one.
template <class T>
void pool(const PoolArgs& args, const T* table, float* out) noexcept;

// Threads an OpenMP parallel region would use now (omp_get_max_threads), or 1
// when built without OpenMP.
int max_threads() noexcept;

// True when compiled with OpenMP.
bool has_openmp() noexcept;

// Outputs of at least this many bytes are written with non-temporal stores when
// their rows are 64-byte aligned (see streams_output in dispatch.cpp). Python allocates
// outputs this large on a 64-byte boundary for that reason.
inline constexpr std::int64_t kStreamOutputBytes = std::int64_t{8} << 20;

// How many floats (1-15) into a 64-byte line every row of this float32 table
// starts; 0 when the rows are aligned, or when they differ (the stride is not a
// whole number of lines), or the table is not float-aligned.
int float_row_shift(const float* table, std::int64_t row_stride) noexcept;

// Whether pool<T> writes this call's output with non-temporal stores.
bool streams_output(const PoolArgs& args, const float* out) noexcept;

// Tokens ahead whose rows pool<T> prefetches for tables of this element size
// on this CPU (chosen once in dispatch.cpp; benchmarks/README.md has the
// measurements behind it).
std::int64_t prefetch_distance(std::size_t element_size) noexcept;

// Work (tokens + a fixed cost per row) below which each extra thread costs more
// than it saves: a call uses at most work / min_work_per_thread() threads, so
// small batches run on the calling thread. set_min_work_per_thread exists for
// benchmarks/calibrate_threads.py (values < 1 restore the default).
// Thread-safe; read once per call.
//
// The default, from that script on a 2-core AMD EPYC and a 16-core Xeon, sits between
// where 2 threads start to win with the team warm and where they win with it asleep (its
// wake-up costs tens of microseconds), so it is never far from the faster choice
// (benchmarks/README.md, "Kernel constants": threads).
inline constexpr std::int64_t kDefaultMinWorkPerThread = 1024;
std::int64_t min_work_per_thread() noexcept;
void set_min_work_per_thread(std::int64_t work) noexcept;

}  // namespace fastpool
