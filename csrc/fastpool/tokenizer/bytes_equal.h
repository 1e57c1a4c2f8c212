// bytes_equal.h - equality of two short byte strings without a call into libc.
//
// Word-cache keys and trie tails are mostly under 16 bytes, where memcmp's call and
// length dispatch cost more than the comparison (~10% of a Unigram batch under perf).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace fastpool::tokenizer {

inline bool bytes_equal(const void* a, const void* b, std::size_t n) noexcept {
    const auto* p = static_cast<const unsigned char*>(a);
    const auto* q = static_cast<const unsigned char*>(b);
    const auto load8 = [](const unsigned char* s) {
        std::uint64_t v;
        std::memcpy(&v, s, 8);
        return v;
    };
    const auto load4 = [](const unsigned char* s) {
        std::uint32_t v;
        std::memcpy(&v, s, 4);
        return v;
    };
    // Two loads that overlap in the middle cover any length in the range, in bounds.
    if (n >= 8 && n <= 16) return load8(p) == load8(q) && load8(p + n - 8) == load8(q + n - 8);
    if (n >= 4 && n < 8) return load4(p) == load4(q) && load4(p + n - 4) == load4(q + n - 4);
    if (n < 4) {
        for (std::size_t i = 0; i < n; ++i)
            if (p[i] != q[i]) return false;
        return true;
    }
    return std::memcmp(p, q, n) == 0;
}

}  // namespace fastpool::tokenizer
