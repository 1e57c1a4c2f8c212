// membench.cpp - the benchmarks' roofline read loop and gather floor (membench.h).
#include "membench.h"

#include <algorithm>
#include <cstdint>

// The gather floor needs GCC or Clang on x86-64 (target attribute, __builtin_cpu_supports).
#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#endif

namespace fastpool {

float read_sum(const float* data, std::int64_t n) noexcept {
    // 32 independent sums (two cache lines per step) keep the adds off the critical path, so the
    // loop is limited by how fast memory delivers, not by add latency.
    float acc[32] = {};
    std::int64_t i = 0;
    for (; i + 32 <= n; i += 32)
        for (int j = 0; j < 32; ++j) acc[j] += data[i + j];
    for (; i < n; ++i) acc[0] += data[i];
    float total = 0.0f;
    for (float a : acc) total += a;
    return total;
}

#if defined(__GNUC__) && defined(__x86_64__)
namespace {

// Compiled for AVX-512 whatever the file's flags; called only after the CPU check.
template <int kLines>
__attribute__((target("avx512f"))) void gather_rows(const std::int64_t* ids,
                                                    const std::int64_t* offsets,
                                                    std::int64_t n_rows, const float* table,
                                                    std::int64_t ahead, float* out) noexcept {
    const std::int64_t last = offsets[n_rows];
    for (std::int64_t b = 0; b < n_rows; ++b) {
        __m512 acc[16];
#pragma GCC unroll 16
        for (int i = 0; i < 16; ++i) acc[i] = _mm512_setzero_ps();
        std::int64_t k = offsets[b];
        const std::int64_t end = offsets[b + 1];
        const std::int64_t fetch_end = ahead > 0 ? std::min(end, last - ahead) : k;
        for (; k < fetch_end; ++k) {
            const char* next = reinterpret_cast<const char*>(table + ids[k + ahead] * 256);
#pragma GCC unroll 17
            for (int line = 0; line < kLines; ++line) __builtin_prefetch(next + 64 * line, 0, 3);
            const float* row = table + ids[k] * 256;
#pragma GCC unroll 16
            for (int i = 0; i < 16; ++i)
                acc[i] = _mm512_add_ps(acc[i], _mm512_loadu_ps(row + 16 * i));
        }
        for (; k < end; ++k) {
            const float* row = table + ids[k] * 256;
#pragma GCC unroll 16
            for (int i = 0; i < 16; ++i)
                acc[i] = _mm512_add_ps(acc[i], _mm512_loadu_ps(row + 16 * i));
        }
#pragma GCC unroll 16
        for (int i = 0; i < 16; ++i) _mm512_storeu_ps(out + b * 256 + 16 * i, acc[i]);
    }
}

}  // namespace
#endif

bool gather_floor(const std::int64_t* ids, const std::int64_t* offsets, std::int64_t n_rows,
                  const float* table, std::int64_t ahead, float* out) noexcept {
#if defined(__GNUC__) && defined(__x86_64__)
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512f")) return false;
    // A row that starts inside a cache line touches 17 lines, not 16.
    if (reinterpret_cast<std::uintptr_t>(table) % 64 != 0)
        gather_rows<17>(ids, offsets, n_rows, table, ahead, out);
    else
        gather_rows<16>(ids, offsets, n_rows, table, ahead, out);
    return true;
#else
    (void)ids, (void)offsets, (void)n_rows, (void)table, (void)ahead, (void)out;
    return false;
#endif
}

}  // namespace fastpool
