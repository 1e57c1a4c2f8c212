// membench.h - plain loops the kernel benchmarks compare to (fastpool._bench, built only
// with FASTPOOL_BENCH_HELPERS=ON; never in the wheel).
//
// Contract: one thread, no checks, no allocation; the caller validated everything.
#pragma once

#include <cstdint>

namespace fastpool {

// Reads n floats once, in order, and returns their sum (so the loop cannot be
// optimised away): the read bandwidth of one core.
float read_sum(const float* data, std::int64_t n) noexcept;

// The least a pooling kernel can do on a float32 table of 256 columns: out[b] =
// the sum of rows ids[offsets[b]:offsets[b + 1]], with the rows of later tokens
// prefetched `ahead` tokens ahead (one hint per cache line the row touches), and
// nothing else: no id checks, no mean, no normalisation. AVX-512 only; returns
// false without writing where the CPU or the build lacks it.
bool gather_floor(const std::int64_t* ids, const std::int64_t* offsets, std::int64_t n_rows,
                  const float* table, std::int64_t ahead, float* out) noexcept;

}  // namespace fastpool
