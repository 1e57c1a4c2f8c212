// dispatch.cpp - run-time choice of the kernel's instruction set and of the per-call
// settings pool<T> hands it (prefetch distance, output streaming, row shift), and the
// OpenMP queries. The pooling itself is in pool_impl.h, built once per ISA.
#include "dispatch.h"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>

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

// Tokens ahead to prefetch, by element size and CPU vendor: the rows a token reads are
// cold more often than not, so the hints must run far enough ahead to cover an L3/DRAM
// round trip, and the best distance differed by vendor and element size. Swept on one
// AMD EPYC and one Xeon (thin evidence); the figures are in benchmarks/README.md
// ("Kernel constants": prefetch distance).
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
        case Isa::avx512:
            return "avx512";
        case Isa::avx2:
            return "avx2";
        default:
            return "baseline";
    }
}

// A cached store first reads its line (read for ownership) and later evicts it to make
// room, and a large output evicts the table rows the gather reuses. Non-temporal stores
// skip both. Below 8 MiB the gain was small, and lost when the caller reads the output
// right after (benchmarks/README.md, "Kernel constants": output streaming). Streaming
// needs whole aligned rows.
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
    if (address % sizeof(float) != 0 ||
        row_stride * static_cast<std::int64_t>(sizeof(float)) % 64 != 0)
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
    if constexpr (std::is_same_v<T, float>)
        args.row_shift = float_row_shift(table, args.row_stride);
    switch (active_isa()) {
#ifdef FASTPOOL_HAVE_AVX512
        case Isa::avx512:
            pool_avx512(args, table, out);
            return;
#endif
#ifdef FASTPOOL_HAVE_AVX2
        case Isa::avx2:
            pool_avx2(args, table, out);
            return;
#endif
        default:
            pool_baseline(args, table, out);
            return;
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
