// pool.cpp - run-time choice of the kernel's instruction set, and OpenMP queries.
#include <algorithm>
#include <atomic>

#include "dispatch.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace fastpool {
namespace {

Isa detect_isa() noexcept {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
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

std::atomic<int>& active() noexcept {
    static std::atomic<int> level{static_cast<int>(detect_isa())};
    return level;
}

}  // namespace

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

template <class T>
void pool(const PoolArgs& args, const T* table, float* out) noexcept {
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

bool has_openmp() noexcept {
#ifdef _OPENMP
    return true;
#else
    return false;
#endif
}

}  // namespace fastpool
