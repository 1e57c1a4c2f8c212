// membench.h - a plain read loop, the roofline the kernel benchmarks compare to.
//
// Contract: reads n floats once, in order, and returns their sum (so the loop
// cannot be optimised away). One thread, no checks, no allocation.
#pragma once

#include <cstdint>

namespace fastpool {

float read_sum(const float* data, std::int64_t n) noexcept;

}  // namespace fastpool
