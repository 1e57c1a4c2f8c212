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

    // For rows that start `shift` floats into a cache line (shifted_sum_block):
    // whole-line loads, lanes outside the row masked off (never read), and the
    // sums shifted back into place once per row.
    static constexpr bool kShiftsRows = true;
    using Mask = __mmask16;
    static Mask head_mask(int shift) noexcept { return static_cast<Mask>(0xFFFFu << shift); }
    static Mask tail_mask(int shift) noexcept { return static_cast<Mask>((1u << shift) - 1); }
    static Reg load_line(const float* p) noexcept { return _mm512_load_ps(p); }
    static Reg load_line(const float* p, Mask m) noexcept { return _mm512_maskz_load_ps(m, p); }
    // Lanes shift..15 of lo, then 0..shift-1 of hi.
    static __m512i shift_index(int shift) noexcept {
        return _mm512_add_epi32(
            _mm512_set1_epi32(shift),
            _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
    }
    static Reg shift_down(Reg lo, Reg hi, __m512i index) noexcept {
        return _mm512_permutex2var_ps(lo, index, hi);
    }
    static Reg load(const half_t* p) noexcept {
        return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    }
    static Reg load(const bfloat16_t* p) noexcept {
        const __m512i wide =
            _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
        return _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16));
    }
    static Reg load(const std::int8_t* p) noexcept {
        return _mm512_cvtepi32_ps(
            _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
    }
};

}  // namespace
}  // namespace fastpool
