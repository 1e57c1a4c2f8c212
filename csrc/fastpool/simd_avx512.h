// simd_avx512.h - AVX-512 (F/BW/VL) policy for pool_impl.h.
// Compiled only into pool_avx512.cpp. Loads are unaligned; every load reads
// exactly kLanes elements from p.
#pragma once

#include <immintrin.h>

#include "convert.h"

namespace fastpool {
namespace {

struct Avx512 {
    using Reg = __m512;
    static constexpr int kLanes = 16;
    // 16 accumulators hold a whole 256-column row; 16 registers remain for loads.
    static constexpr int kRegs = 16;

    static Reg zero() noexcept { return _mm512_setzero_ps(); }
    static Reg broadcast(float x) noexcept { return _mm512_set1_ps(x); }
    static Reg add(Reg a, Reg b) noexcept { return _mm512_add_ps(a, b); }
    static Reg fmadd(Reg a, Reg b, Reg c) noexcept { return _mm512_fmadd_ps(a, b, c); }
    static Reg mul(Reg a, Reg b) noexcept { return _mm512_mul_ps(a, b); }
    static float sum(Reg r) noexcept { return _mm512_reduce_add_ps(r); }
    static void store(float* p, Reg r) noexcept { _mm512_storeu_ps(p, r); }
    // Non-temporal store: p must be aligned to the register width.
    static void stream(float* p, Reg r) noexcept { _mm512_stream_ps(p, r); }
    // Orders this thread's non-temporal stores before its later stores.
    static void fence() noexcept { _mm_sfence(); }

    using IReg = __m512i;
    static IReg zero_i32() noexcept { return _mm512_setzero_si512(); }
    static IReg add_i32(IReg a, IReg b) noexcept { return _mm512_add_epi32(a, b); }
    static IReg load_i32(const std::int8_t* p) noexcept {
        return _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    }
    static Reg to_float(IReg r) noexcept { return _mm512_cvtepi32_ps(r); }

    static Reg load(const float* p) noexcept { return _mm512_loadu_ps(p); }
    static Reg load(const half_t* p) noexcept {
        return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    }
    static Reg load(const bfloat16_t* p) noexcept {
        const __m512i wide = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
        return _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16));
    }
    static Reg load(const std::int8_t* p) noexcept {
        return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
    }
};

}  // namespace
}  // namespace fastpool
