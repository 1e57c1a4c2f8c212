// dispatch.cpp - run-time choice of the kernel's instruction set and of the per-call
// settings pool<T> hands it (prefetch distance, output streaming, row shift), and the
// OpenMP queries. The pooling itself is in pool_impl.h, built once per ISA.
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "dispatch.h"

#ifdef _OPENMP
#include <omp.h>
#endif

// MSVC has no __builtin_cpu_supports: there the instruction sets are read from
// CPUID and XCR0 directly. FASTPOOL_CPUID_TEST compiles that path with GCC or
// Clang instead, so it can be checked against __builtin_cpu_supports on Linux
// (tests/test_wheel_cpuid.py).
#if defined(_MSC_VER) && (defined(_M_X64) || defined(_M_IX86))
#include <intrin.h>
#define FASTPOOL_CPUID_MSVC 1
#elif defined(FASTPOOL_CPUID_TEST)
#include <cpuid.h>
#endif

namespace fastpool {
namespace {

#if defined(FASTPOOL_CPUID_MSVC) || defined(FASTPOOL_CPUID_TEST)
void cpuid(int leaf, int subleaf, unsigned (&r)[4]) noexcept {
#ifdef FASTPOOL_CPUID_MSVC
    int v[4];
    __cpuidex(v, leaf, subleaf);
    for (int k = 0; k < 4; ++k) r[k] = static_cast<unsigned>(v[k]);
#else
    __cpuid_count(leaf, subleaf, r[0], r[1], r[2], r[3]);
#endif
}

unsigned long long xcr0() noexcept {
#ifdef FASTPOOL_CPUID_MSVC
    return _xgetbv(0);
#else
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (static_cast<unsigned long long>(hi) << 32) | lo;
#endif
}

// The checks __builtin_cpu_supports makes: the CPU has the instructions and
// the OS saves the registers (XCR0: SSE+AVX state for ymm, plus opmask and
// both zmm halves for AVX-512).
Isa isa_from_cpuid() noexcept {
    unsigned r[4];
    cpuid(0, 0, r);
    const unsigned max_leaf = r[0];
    cpuid(1, 0, r);
    const bool osxsave = r[2] >> 27 & 1, avx = r[2] >> 28 & 1;
    [[maybe_unused]] const bool fma = r[2] >> 12 & 1, f16c = r[2] >> 29 & 1;
    if (max_leaf < 7 || !osxsave || !avx) return Isa::baseline;
    const unsigned long long xcr = xcr0();
    [[maybe_unused]] const bool ymm = (xcr & 0x6) == 0x6, zmm = (xcr & 0xe6) == 0xe6;
    cpuid(7, 0, r);
    [[maybe_unused]] const bool avx2 = r[1] >> 5 & 1, avx512f = r[1] >> 16 & 1,
                                avx512bw = r[1] >> 30 & 1, avx512vl = r[1] >> 31 & 1;
#ifdef FASTPOOL_HAVE_AVX512
    if (ymm && zmm && avx512f && avx512bw && avx512vl) return Isa::avx512;
#endif
#ifdef FASTPOOL_HAVE_AVX2
    if (ymm && avx2 && fma && f16c) return Isa::avx2;
#endif
    return Isa::baseline;
}
#endif

Isa detect_isa() noexcept {
#if defined(FASTPOOL_CPUID_MSVC) || defined(FASTPOOL_CPUID_TEST)
    return isa_from_cpuid();
#elif defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    __builtin_cpu_init();
    // __builtin_cpu_supports also checks that the OS saves the wider registers.
#ifdef FASTPOOL_HAVE_AVX512
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl"))
        return Isa::avx512;
#endif
#ifdef FASTPOOL_HAVE_AVX2
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
        __builtin_cpu_supports("f16c"))
        return Isa::avx2;
#endif
#endif
    return Isa::baseline;
}

// Tokens ahead to prefetch, by element size, from interleaved A/B builds at 1
// thread on the benchmark tables (benchmarks/bench_kernel.py data; min of 3-4
// runs, noise ~3-5% on one machine, ~10% on the other):
//   AMD EPYC (Zen 5), swept again once rows that start inside a cache line had
//     their last line prefetched too (rows_straddle_lines; before that every
//     distance was measured with one line per row left to a demand miss):
//     float32 16 (12, 24, 32: 0-10% slower in every group); float16 40 (vs 32:
//     large table +7-9%, small -2..+2%; 48 and 64 equal on the large table but
//     2-7% slower on the small one; 24 8-13% slower on the large); int8 40 (vs
//     24: large +15-25%, small -1..+1%; 48/64 +20-34% large but 3-8% slower small).
//     Swept a third time after the token loop lost its per-token bounds tests and
//     compare-and-moves (pool_impl.h, for_tokens; 4-5 interleaved rounds):
//     float32 24 (vs 16: +0-8%; 32: -6..+2%); int8 56 (vs 40: large table
//     +11-23%, small -0..+4%; 72: the same as 56 on the large, no better small);
//     float16 stays 40 (56: -2..+6%, mixed).
//   Intel Xeon with AMX (a 16-vCPU VM): float16 and int8 at the AMD distances
//     of the time (32 and 24) were 20-26% slower on the large table than at 16
//     (8.97 vs 11.98 ms, 6.33 vs 8.60 ms, short rows), so other CPUs keep 16 for
//     2- and 1-byte elements. float32 takes 8 there since the token loop lost its
//     per-token bounds tests: against 16, interleaved, float32 was faster in 17 of 20
//     comparisons and 0.94-0.98x in three (1, 4, 8 and 16 threads x four tables/row
//     lengths; 1.11-1.17x at 1 thread on three of them, 1.08-1.20x at 4 threads);
//     float16 was mixed (0.84-1.29x) and int8 at 1 thread mostly slower (0.71-1.25x).
//     That VM moved up to 1.5x between rounds, so only the float32 change was taken.
// One machine of each vendor is thin evidence.
bool cpu_is_amd() noexcept {
#if defined(FASTPOOL_CPUID_MSVC) || defined(FASTPOOL_CPUID_TEST)
    unsigned r[4];
    cpuid(0, 0, r);
    return r[1] == 0x68747541u && r[3] == 0x69746e65u && r[2] == 0x444d4163u;  // AuthenticAMD
#elif defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    __builtin_cpu_init();
    return __builtin_cpu_is("amd");
#else
    return false;
#endif
}

struct PrefetchDistances {
    std::int64_t bytes4 = 8, bytes2 = 16, bytes1 = 16;
};

PrefetchDistances choose_prefetch_distances() noexcept {
    PrefetchDistances d;
    if (cpu_is_amd()) {
        d.bytes4 = 24;
        d.bytes2 = 40;
        d.bytes1 = 56;
    }
    return d;
}

std::atomic<int>& active() noexcept {
    static std::atomic<int> level{static_cast<int>(detect_isa())};
    return level;
}

}  // namespace

std::int64_t prefetch_distance(std::size_t element_size) noexcept {
    static const PrefetchDistances d = choose_prefetch_distances();
    return element_size == 1 ? d.bytes1 : element_size == 2 ? d.bytes2 : d.bytes4;
}

Isa best_isa() noexcept {
    static const Isa best = detect_isa();
    return best;
}

Isa active_isa() noexcept { return static_cast<Isa>(active().load(std::memory_order_relaxed)); }

Isa set_isa(Isa requested) noexcept {
    const int level = std::min(static_cast<int>(requested), static_cast<int>(best_isa()));
    active().store(level < 0 ? 0 : level, std::memory_order_relaxed);
    return active_isa();
}

const char* isa_name(Isa isa) noexcept {
    switch (isa) {
        case Isa::avx512: return "avx512";
        case Isa::avx2: return "avx2";
        default: return "baseline";
    }
}

// A cached store first reads its line (read for ownership) and later evicts it to make
// room, and a large output evicts the table rows the gather reuses. Non-temporal stores
// skip both. A/B builds on the AMD EPYC (float32, 29,525 x 256 table, rows of 16 tokens,
// 1 thread): 20 MB of output 1.19x faster (1.17x with the output summed right after),
// 12 MB 1.16x (1.11x), 8 MB 1.14x (1.05x), 4 MB 1.07x but 0.95x when summed right after,
// since the output then comes from memory instead of cache; int8 on the 500,000-row table
// 1.25x at 20 MB. Hence the 8 MiB threshold. Streaming needs whole aligned rows.
bool streams_output(const PoolArgs& a, const float* out) noexcept {
    const auto row_bytes = a.dim * static_cast<std::int64_t>(sizeof(float));
    return a.n_rows * row_bytes >= kStreamOutputBytes && row_bytes % 64 == 0 &&
           reinterpret_cast<std::uintptr_t>(out) % 64 == 0;
}

// The AVX-512 kernel reads rows that start inside a cache line as whole lines and
// shifts the sums once per row, instead of splitting every load across two lines
// (see shifted_sum_block in pool_impl.h).
int float_row_shift(const float* table, std::int64_t row_stride) noexcept {
    const auto address = reinterpret_cast<std::uintptr_t>(table);
    if (address % sizeof(float) != 0 || row_stride * static_cast<std::int64_t>(sizeof(float)) % 64 != 0)
        return 0;
    return static_cast<int>(address % 64 / sizeof(float));
}

template <class T>
void pool(const PoolArgs& caller_args, const T* table, float* out) noexcept {
    KernelArgs args(caller_args);
    args.prefetch_distance = prefetch_distance(sizeof(T));
    args.stream_out = streams_output(args, out);
    args.rows_straddle_lines = reinterpret_cast<std::uintptr_t>(table) % 64 != 0 ||
                               args.row_stride * static_cast<std::int64_t>(sizeof(T)) % 64 != 0;
    if constexpr (std::is_same_v<T, float>) args.row_shift = float_row_shift(table, args.row_stride);
    switch (active_isa()) {
#ifdef FASTPOOL_HAVE_AVX512
        case Isa::avx512: pool_avx512(args, table, out); return;
#endif
#ifdef FASTPOOL_HAVE_AVX2
        case Isa::avx2: pool_avx2(args, table, out); return;
#endif
        default: pool_baseline(args, table, out); return;
    }
}

template void pool<float>(const PoolArgs&, const float*, float*) noexcept;
template void pool<double>(const PoolArgs&, const double*, float*) noexcept;
template void pool<half_t>(const PoolArgs&, const half_t*, float*) noexcept;
template void pool<bfloat16_t>(const PoolArgs&, const bfloat16_t*, float*) noexcept;
template void pool<std::int8_t>(const PoolArgs&, const std::int8_t*, float*) noexcept;

int max_threads() noexcept {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

namespace {
std::atomic<std::int64_t> g_min_work_per_thread{kDefaultMinWorkPerThread};
}  // namespace

std::int64_t min_work_per_thread() noexcept {
    return g_min_work_per_thread.load(std::memory_order_relaxed);
}

void set_min_work_per_thread(std::int64_t work) noexcept {
    g_min_work_per_thread.store(work < 1 ? kDefaultMinWorkPerThread : work,
                                std::memory_order_relaxed);
}

bool has_openmp() noexcept {
#ifdef _OPENMP
    return true;
#else
    return false;
#endif
}

}  // namespace fastpool
