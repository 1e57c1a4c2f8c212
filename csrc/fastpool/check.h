// check.h - the cheap input checks that let the kernel trust its inputs.
//
// Contract:
//   * first_out_of_range returns the index of the first value outside
//     [0, stop), or -1 when all are inside. One pass; the common all-valid case
//     runs branch-free (an OR-reduction the compiler vectorises).
//   * first_decrease returns the first i with offsets[i] > offsets[i + 1], or -1.
//   * json_extent walks JSON text once, outside strings (escapes skipped), and
//     reports the deepest nesting of [ and { and the number of structural
//     characters [ { , : (an upper bound on the values a parser would build,
//     keys included, within a factor of two). It validates nothing else and
//     stops as soon as the depth passes depth_limit.
//   * Single threaded, no allocation, no exceptions; pointers may be null when
//     n == 0.
#pragma once

#include <cstdint>

namespace fastpool {

template <class I>
std::int64_t first_out_of_range(const I* values, std::int64_t n, std::int64_t stop) noexcept;

std::int64_t first_decrease(const std::int64_t* offsets, std::int64_t n) noexcept;

struct JsonExtent {
    std::int64_t depth;        // deepest nesting seen (depth_limit + 1: stopped there)
    std::int64_t structurals;  // [ { , : outside strings, up to where the walk stopped
};

JsonExtent json_extent(const char* text, std::int64_t n, std::int64_t depth_limit) noexcept;

}  // namespace fastpool
