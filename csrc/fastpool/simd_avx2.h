// simd_avx2.h - AVX2 + FMA + F16C policy for pool_impl.h.
// Compiled only into pool_avx2.cpp (-mavx2 -mfma -mf16c). Loads are
// unaligned; every load reads exactly kLanes elements from p.
#pragma once

#include <immintrin.h>

#include "convert.h"

namespace fastpool {
namespace {

struct Avx2 {
    using Reg = __m256;
    static constexpr int kLanes = 8;
    // 16 accumulators (128 columns: two passes over a 256-wide row). Fewer
    // registers meant four passes, measured 1.5x slower on long rows; float32
    // adds take their operand from memory, so few loads need a register.
    static constexpr int kRegs = 16;
    // No shifted reads of rows inside cache lines (pool_impl.h, shifted_sum_block):
    // they need AVX-512's two-register permute and masked loads.
    static constexpr bool kShiftsRows = false;

    static Reg zero() noexcept { return _mm256_setzero_ps(); }
    static Reg broadcast(float x) noexcept { return _mm256_set1_ps(x); }
    static Reg add(Reg a, Reg b) noexcept { return _mm256_add_ps(a, b); }
    static Reg fmadd(Reg a, Reg b, Reg c) noexcept { return _mm256_fmadd_ps(a, b, c); }
    static Reg mul(Reg a, Reg b) noexcept { return _mm256_mul_ps(a, b); }
    static float sum(Reg r) noexcept {
        const __m128 half = _mm_add_ps(_mm256_castps256_ps128(r), _mm256_extractf128_ps(r, 1));
        const __m128 pair = _mm_add_ps(half, _mm_movehl_ps(half, half));
        return _mm_cvtss_f32(_mm_add_ss(pair, _mm_shuffle_ps(pair, pair, 1)));
    }
    static void store(float* p, Reg r) noexcept { _mm256_storeu_ps(p, r); }
    // Non-temporal store: p must be aligned to the register width.
    static void stream(float* p, Reg r) noexcept { _mm256_stream_ps(p, r); }
    // Orders this thread's non-temporal stores before its later stores.
    static void fence() noexcept { _mm_sfence(); }

    using IReg = __m256i;
    static IReg zero_i32() noexcept { return _mm256_setzero_si256(); }
    static IReg add_i32(IReg a, IReg b) noexcept { return _mm256_add_epi32(a, b); }
    static IReg load_i32(const std::int8_t* p) noexcept {
        return _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
    }
    static Reg to_float(IReg r) noexcept { return _mm256_cvtepi32_ps(r); }

    static Reg load(const float* p) noexcept { return _mm256_loadu_ps(p); }
    static Reg load(const half_t* p) noexcept {
        return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    }
    static Reg load(const bfloat16_t* p) noexcept {
        const __m256i wide =
            _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
        return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
    }
    static Reg load(const std::int8_t* p) noexcept {
        return _mm256_cvtepi32_ps(
            _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
    }
};

}  // namespace
}  // namespace fastpool
