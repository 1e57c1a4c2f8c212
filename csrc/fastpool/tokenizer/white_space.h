// white_space.h - Rust's char::is_whitespace over UTF-8, and whitespace runs around a
// position: what `tokenizers` uses for Strip and for an added token's lstrip / rstrip.
//
// Contract: pure, bounds-safe (utf8.h's decode), no allocation. On ill-formed input a
// byte run counts as whitespace only where it decodes to a whitespace code point exactly
// as Python's bytes.decode("utf-8", "replace") would read it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "utf8.h"

namespace fastpool::tokenizer {

// Rust's char::is_whitespace (the White_Space property).
inline bool is_white(std::uint32_t c) noexcept {
    return (c >= 0x9 && c <= 0xD) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
           c == 0x205F || c == 0x3000;
}

// Start of the whitespace run that ends at s[at] (at if none), by code point.
inline std::size_t white_before(const unsigned char* s, std::size_t n, std::size_t at) noexcept {
    while (at > 0) {
        std::size_t k = at - 1;
        while (k > 0 && (s[k] & 0xC0) == 0x80) --k;
        std::size_t j = k;
        // The code point must end exactly at `at`: a stray continuation byte is U+FFFD.
        if (!is_white(decode(s, n, j)) || j != at) break;
        at = k;
    }
    return at;
}

// End of the whitespace run that starts at s[at].
inline std::size_t white_after(const unsigned char* s, std::size_t n, std::size_t at) noexcept {
    while (at < n) {
        std::size_t j = at;
        if (!is_white(decode(s, n, j))) break;
        at = j;
    }
    return at;
}

}  // namespace fastpool::tokenizer
