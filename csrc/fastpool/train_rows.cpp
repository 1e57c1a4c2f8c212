#include "fastpool/train_rows.h"

#include <cmath>
#include <cstring>

namespace fastpool {

void bag_backward(const BagBackwardArgs& a, int n_threads) noexcept {
    const int64_t dim = a.dim;
    // Runs are short (a few tokens per id on average) and uneven: dynamic chunks of ids.
    // Each id's sum is accumulated in its own output row, so no scratch memory is needed.
#pragma omp parallel for num_threads(n_threads) schedule(dynamic, 64)
    for (int64_t u = 0; u < a.n_unique; ++u) {
        const int64_t begin = a.starts[u];
        const int64_t end = u + 1 < a.n_unique ? a.starts[u + 1] : a.n_tokens;
        float* acc = a.grad_table + u * dim;
        std::memset(acc, 0, sizeof(float) * static_cast<size_t>(dim));
        for (int64_t k = begin; k < end; ++k) {
            const int64_t row = a.by_id[k];
            const float s = a.inv_length[row];
            const float* g = a.grad + row * dim;
            for (int64_t j = 0; j < dim; ++j) acc[j] += g[j] * s;
        }
        const int64_t id = a.unique[u];
        if (a.grad_weights != nullptr) {
            const float* t = a.table + id * dim;
            float dot = 0.0f;
            for (int64_t j = 0; j < dim; ++j) dot += acc[j] * t[j];
            a.grad_weights[u] = dot;
        }
        if (a.weights != nullptr) {
            const float w = a.weights[id];
            for (int64_t j = 0; j < dim; ++j) acc[j] *= w;
        }
    }
}

void row_adam(const RowAdamArgs& a, int n_threads) noexcept {
    const int64_t dim = a.dim;
    const float b1 = a.beta1, b2 = a.beta2, c1 = 1.0f - a.beta1, c2 = 1.0f - a.beta2;
    // Every row costs the same: a static schedule.
#pragma omp parallel for num_threads(n_threads) schedule(static)
    for (int64_t r = 0; r < a.n; ++r) {
        const int64_t row = a.rows[r];
        const float* g = a.grad + r * dim;
        float* p = a.param + row * dim;
        float* m = a.m + row * dim;
        float* v = a.v + row * dim;
        for (int64_t j = 0; j < dim; ++j) {
            const float mj = m[j] * b1 + c1 * g[j];
            const float vj = v[j] * b2 + c2 * (g[j] * g[j]);
            m[j] = mj;
            v[j] = vj;
            p[j] += -a.step_size * (mj / (std::sqrt(vj) + a.eps));
        }
    }
}

}  // namespace fastpool
