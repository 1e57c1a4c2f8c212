// dispatch.h - one pooling entry point per instruction set, and the choice
// between them.
//
// Contract:
//   * pool_<isa><T> have the semantics of fastpool::pool<T> (pool.h). Each is
//     compiled in its own translation unit with that ISA's flags; calling one
//     the CPU does not support is undefined, so callers go through pool<T>,
//     which uses active_isa().
//   * active_isa() starts as the best ISA that is both compiled in and
//     supported by this CPU and its OS; set_isa() may lower it (for tests),
//     never raise it past that. Both are thread safe (a relaxed atomic).
#pragma once

#include <cstdint>

#include "pool.h"

namespace fastpool {

enum class Isa : int { baseline = 0, avx2 = 1, avx512 = 2 };

// What the per-ISA kernels read: the caller's PoolArgs plus the settings pool<T>
// works out once per call for this CPU, table and output (dispatch.cpp).
struct KernelArgs : PoolArgs {
    explicit KernelArgs(const PoolArgs& args) noexcept : PoolArgs(args) {}
    // Tokens ahead whose table rows are prefetched (prefetch_distance).
    std::int64_t prefetch_distance = 16;
    // Write finished rows with non-temporal stores (streams_output).
    bool stream_out = false;
    // Table rows start inside a cache line (the table or its row stride is not
    // 64-byte aligned), so each spans one line more.
    bool rows_straddle_lines = false;
    // float32 tables whose rows all start the same number of floats (1-15) into a
    // 64-byte line: that number, else 0 (float_row_shift).
    int row_shift = 0;
};

template <class T>
void pool_baseline(const KernelArgs& args, const T* table, float* out) noexcept;
template <class T>
void pool_avx2(const KernelArgs& args, const T* table, float* out) noexcept;
template <class T>
void pool_avx512(const KernelArgs& args, const T* table, float* out) noexcept;

Isa best_isa() noexcept;
Isa active_isa() noexcept;
// Returns the ISA now active: min(requested, best_isa()).
Isa set_isa(Isa requested) noexcept;
const char* isa_name(Isa isa) noexcept;

}  // namespace fastpool
