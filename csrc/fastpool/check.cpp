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

JsonExtent json_extent(const char* text, std::int64_t n, std::int64_t depth_limit) noexcept {
    JsonExtent out{0, 0};
    std::int64_t depth = 0;
    bool in_string = false;
    for (std::int64_t i = 0; i < n; ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\')
                ++i;  // the escaped byte cannot end the string
            else if (c == '"')
                in_string = false;
            continue;
        }
        switch (c) {
            case '"':
                in_string = true;
                break;
            case '[':
            case '{':
                ++out.structurals;
                if (++depth > out.depth) out.depth = depth;
                if (depth > depth_limit) return out;
                break;
            case ']':
            case '}':
                if (depth > 0) --depth;  // unbalanced: the parser reports it
                break;
            case ',':
            case ':':
                ++out.structurals;
                break;
            default:
                break;
        }
    }
    return out;
}

template std::int64_t first_out_of_range<std::int32_t>(const std::int32_t*, std::int64_t,
                                                       std::int64_t) noexcept;
template std::int64_t first_out_of_range<std::int64_t>(const std::int64_t*, std::int64_t,
                                                       std::int64_t) noexcept;

}  // namespace fastpool
