#include "membench.h"

namespace fastpool {

float read_sum(const float* data, std::int64_t n) noexcept {
    // 32 independent sums (two cache lines per step) keep the adds off the critical path, so the loop
    // is limited by how fast memory delivers, not by add latency.
    float acc[32] = {};
    std::int64_t i = 0;
    for (; i + 32 <= n; i += 32)
        for (int j = 0; j < 32; ++j) acc[j] += data[i + j];
    for (; i < n; ++i) acc[0] += data[i];
    float total = 0.0f;
    for (float a : acc) total += a;
    return total;
}

}  // namespace fastpool
