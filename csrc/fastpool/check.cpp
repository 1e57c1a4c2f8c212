#include "check.h"

namespace fastpool {

template <class I>
std::int64_t first_out_of_range(const I* values, std::int64_t n, std::int64_t stop) noexcept {
    // As unsigned, a negative value is huge, so one comparison covers both ends.
    const auto limit = static_cast<std::uint64_t>(stop);
    bool bad = false;
    for (std::int64_t i = 0; i < n; ++i)
        bad |= static_cast<std::uint64_t>(static_cast<std::int64_t>(values[i])) >= limit;
    if (!bad) return -1;
    for (std::int64_t i = 0; i < n; ++i)
        if (static_cast<std::uint64_t>(static_cast<std::int64_t>(values[i])) >= limit) return i;
    return -1;
}

std::int64_t first_decrease(const std::int64_t* offsets, std::int64_t n) noexcept {
    bool bad = false;
    for (std::int64_t i = 0; i + 1 < n; ++i) bad |= offsets[i] > offsets[i + 1];
    if (!bad) return -1;
    for (std::int64_t i = 0; i + 1 < n; ++i)
        if (offsets[i] > offsets[i + 1]) return i;
    return -1;
}

template std::int64_t first_out_of_range<std::int32_t>(const std::int32_t*, std::int64_t,
                                                       std::int64_t) noexcept;
template std::int64_t first_out_of_range<std::int64_t>(const std::int64_t*, std::int64_t,
                                                       std::int64_t) noexcept;

}  // namespace fastpool
