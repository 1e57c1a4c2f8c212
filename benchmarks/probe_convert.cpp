// probe_convert.cpp - the kernel's per-token arithmetic with the memory system taken out.
//
// Sums rows of 256 elements that stay in L1 (8 rows, cycled) into 16 AVX-512 accumulators,
// as the kernel's inner loop does for float32, float16 (vcvtph2ps) and raw int8
// (vpmovsxbd + integer add). What it shows: how much of a token's time is conversion, which
// half-size float16 rows must win back from the lines they save.
//
//   g++ -O2 -mavx512f -mavx512bw -mavx512vl -mf16c benchmarks/probe_convert.cpp -o probe
//   ./probe
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>

namespace {

constexpr int kTokens = 20'000'000;

template <class F>
double best_seconds(F run) {
    double best = 1e30;
    for (int round = 0; round < 7; ++round) {
        const auto start = std::chrono::steady_clock::now();
        run();
        const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
        best = std::min(best, took.count());
    }
    return best;
}

alignas(64) float rows_f32[8][256];
alignas(64) std::uint16_t rows_f16[8][256];
alignas(64) std::int8_t rows_i8[8][256];
volatile float sink;

void report(const char* name, double seconds) {
    std::printf("%-8s %.2f ns/token\n", name, seconds / kTokens * 1e9);
}

}  // namespace

int main() {
    for (int r = 0; r < 8; ++r) {
        for (int j = 0; j < 256; ++j) {
            rows_f32[r][j] = 0.01f * static_cast<float>(j);
            rows_f16[r][j] = 0x3c00;  // 1.0
            rows_i8[r][j] = 1;
        }
    }
    report("float32", best_seconds([] {
        __m512 acc[16] = {};
        for (int k = 0; k < kTokens; ++k) {
            const float* row = rows_f32[k & 7];
#pragma GCC unroll 16
            for (int i = 0; i < 16; ++i) acc[i] = _mm512_add_ps(acc[i], _mm512_loadu_ps(row + 16 * i));
        }
        for (int i = 1; i < 16; ++i) acc[0] = _mm512_add_ps(acc[0], acc[i]);
        sink = _mm512_reduce_add_ps(acc[0]);
    }));
    report("float16", best_seconds([] {
        __m512 acc[16] = {};
        for (int k = 0; k < kTokens; ++k) {
            const std::uint16_t* row = rows_f16[k & 7];
#pragma GCC unroll 16
            for (int i = 0; i < 16; ++i) {
                const __m256i half = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + 16 * i));
                acc[i] = _mm512_add_ps(acc[i], _mm512_cvtph_ps(half));
            }
        }
        for (int i = 1; i < 16; ++i) acc[0] = _mm512_add_ps(acc[0], acc[i]);
        sink = _mm512_reduce_add_ps(acc[0]);
    }));
    report("int8", best_seconds([] {
        __m512i acc[16] = {};
        for (int k = 0; k < kTokens; ++k) {
            const std::int8_t* row = rows_i8[k & 7];
#pragma GCC unroll 16
            for (int i = 0; i < 16; ++i) {
                const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + 16 * i));
                acc[i] = _mm512_add_epi32(acc[i], _mm512_cvtepi8_epi32(bytes));
            }
        }
        for (int i = 1; i < 16; ++i) acc[0] = _mm512_add_epi32(acc[0], acc[i]);
        sink = static_cast<float>(_mm512_reduce_add_epi32(acc[0]));
    }));
}
