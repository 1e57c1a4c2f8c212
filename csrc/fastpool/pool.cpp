// pool.cpp - the portable pooling kernel and its OpenMP driver.
#include "pool.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace fastpool {
namespace {

// Columns pooled per pass over a row's tokens. 64 floats fit the 16 SSE / AVX
// registers with room to spare, so the accumulators stay in registers while
// the token loop runs and each output element is written once per row.
constexpr std::int64_t kBlock = 64;

// Below this much work (tokens + rows) per thread a thread team costs more
// than it saves; such calls run on the calling thread.
constexpr std::int64_t kMinWorkPerThread = 8192;

// A row costs its tokens plus a fixed share for zeroing, the mean and the norm.
constexpr std::int64_t kRowCost = 4;

template <class T>
using acc_t = std::conditional_t<std::is_same_v<T, double>, double, float>;

// A double table keeps its precision; every other type widens to float.
template <class T>
inline acc_t<T> widen(T x) noexcept {
    if constexpr (std::is_same_v<T, double>) return x;
    else return to_f32(x);
}

template <class T, class Id>
void pool_row(const PoolArgs& a, const Id* ids, const T* table, std::int64_t r,
              float* out_row) noexcept {
    const std::int64_t begin = a.offsets[r];
    const std::int64_t end = a.offsets[r + 1];
    const std::int64_t count = end - begin;
    const std::int64_t dim = a.dim;
    using Acc = acc_t<T>;

    for (std::int64_t c0 = 0; c0 < dim; c0 += kBlock) {
        const std::int64_t width = std::min(kBlock, dim - c0);
        Acc acc[kBlock] = {};
        for (std::int64_t k = begin; k < end; ++k) {
            const std::int64_t id = static_cast<std::int64_t>(ids[k]);
            const std::int64_t row = a.mapping ? a.mapping[id] : id;
            Acc coef = 1;
            if (a.weights) coef *= static_cast<Acc>(a.weights[id]);
            if (a.scale) coef *= static_cast<Acc>(a.scale[row * a.scale_stride]);
            const T* src = table + row * a.row_stride + c0;
            if (width == kBlock) {
                for (std::int64_t j = 0; j < kBlock; ++j)
                    acc[j] += coef * widen(src[j]);
            } else {
                for (std::int64_t j = 0; j < width; ++j)
                    acc[j] += coef * widen(src[j]);
            }
        }
        if (a.mean && count > 0) {
            const Acc n = static_cast<Acc>(count);
            for (std::int64_t j = 0; j < width; ++j) acc[j] /= n;
        }
        for (std::int64_t j = 0; j < width; ++j) out_row[c0 + j] = static_cast<float>(acc[j]);
    }

    if (a.normalize) {
        float sq = 0.0f;
        for (std::int64_t j = 0; j < dim; ++j) sq += out_row[j] * out_row[j];
        // The 1e-32 matches model2vec, so an all-zero row stays zero, not NaN.
        const float denom = std::sqrt(sq) + 1e-32f;
        for (std::int64_t j = 0; j < dim; ++j) out_row[j] /= denom;
    }
}

// First row whose cumulative cost reaches target: cost(r) = offsets[r] + r*kRowCost.
std::int64_t row_at_cost(const PoolArgs& a, std::int64_t target) noexcept {
    std::int64_t lo = 0, hi = a.n_rows;
    while (lo < hi) {
        const std::int64_t mid = lo + (hi - lo) / 2;
        if (a.offsets[mid] + mid * kRowCost < target) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

template <class T, class Id>
void pool_range(const PoolArgs& a, const T* table, float* out, std::int64_t r0,
                std::int64_t r1) noexcept {
    const Id* ids = static_cast<const Id*>(a.ids);
    for (std::int64_t r = r0; r < r1; ++r) pool_row<T, Id>(a, ids, table, r, out + r * a.dim);
}

template <class T, class Id>
void pool_all(const PoolArgs& a, const T* table, float* out) noexcept {
    const std::int64_t total = a.offsets[a.n_rows] + a.n_rows * kRowCost;
    const std::int64_t useful = std::max<std::int64_t>(1, total / kMinWorkPerThread);
    const int n_threads = static_cast<int>(std::min<std::int64_t>(a.n_threads, useful));
    if (n_threads <= 1) {
        pool_range<T, Id>(a, table, out, 0, a.n_rows);
        return;
    }
#ifdef _OPENMP
    // One region; each thread takes a contiguous slice of rows of equal cost
    // (rows range from empty to thousands of tokens, so equal row counts would
    // leave threads idle). Slices depend only on the data, never on timing.
#pragma omp parallel num_threads(n_threads)
    {
        const std::int64_t t = omp_get_thread_num();
        const std::int64_t nt = omp_get_num_threads();
        const std::int64_t r0 = row_at_cost(a, total * t / nt);
        const std::int64_t r1 = t + 1 == nt ? a.n_rows : row_at_cost(a, total * (t + 1) / nt);
        pool_range<T, Id>(a, table, out, r0, r1);
    }
#else
    pool_range<T, Id>(a, table, out, 0, a.n_rows);
#endif
}

}  // namespace

template <class T>
void pool(const PoolArgs& args, const T* table, float* out) noexcept {
    if (args.ids_are_64) pool_all<T, std::int64_t>(args, table, out);
    else pool_all<T, std::int32_t>(args, table, out);
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
