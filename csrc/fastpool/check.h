// check.h - the cheap input checks that let the kernel trust its inputs.
//
// Contract:
//   * first_out_of_range returns the index of the first value outside
//     [0, stop), or -1 when all are inside. One pass; the common all-valid case
//     runs branch-free (an OR-reduction the compiler vectorises).
//   * first_decrease returns the first i with offsets[i] > offsets[i + 1], or -1.
//   * Single threaded, no allocation, no exceptions; pointers may be null when
//     n == 0.
#pragma once

#include <cstdint>

namespace fastpool {

template <class I>
std::int64_t first_out_of_range(const I* values, std::int64_t n, std::int64_t stop) noexcept;

std::int64_t first_decrease(const std::int64_t* offsets, std::int64_t n) noexcept;

}  // namespace fastpool
