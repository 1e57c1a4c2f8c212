// utf8.h - bounds-safe UTF-8 decoding for the native tokenizer.
//
// Contract:
//   * decode(s, n, i) reads the code point at byte i (i < n), advances i past
//     it and returns it. Never reads at or past s + n.
//   * Invalid input never fails: each maximal subpart of an ill-formed
//     sequence (Unicode ch. 3 "U+FFFD substitution of maximal subparts", the
//     rule Python's bytes.decode("utf-8", "replace") and Rust's
//     String::from_utf8_lossy follow) becomes one U+FFFD. So bytes b tokenize
//     exactly as the str b.decode("utf-8", "replace") would. Encoded
//     surrogates (ED A0..BF ..) are ill-formed and become U+FFFD too.
//   * Pure functions: thread safe, no allocation, no exceptions.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fastpool::tokenizer {

constexpr std::uint32_t kReplacement = 0xFFFD;

inline std::uint32_t decode(const unsigned char* s, std::size_t n, std::size_t& i) noexcept {
    const unsigned b0 = s[i];
    if (b0 < 0x80) {
        ++i;
        return b0;
    }
    int need;
    unsigned lo = 0x80, hi = 0xBF;
    std::uint32_t cp;
    if (b0 < 0xC2) {  // a stray continuation byte or an overlong 2-byte lead
        ++i;
        return kReplacement;
    } else if (b0 < 0xE0) {
        need = 1;
        cp = b0 & 0x1F;
    } else if (b0 < 0xF0) {
        need = 2;
        cp = b0 & 0x0F;
        if (b0 == 0xE0)
            lo = 0xA0;  // overlong
        else if (b0 == 0xED)
            hi = 0x9F;  // surrogates
    } else if (b0 < 0xF5) {
        need = 3;
        cp = b0 & 0x07;
        if (b0 == 0xF0)
            lo = 0x90;  // overlong
        else if (b0 == 0xF4)
            hi = 0x8F;  // above U+10FFFF
    } else {
        ++i;
        return kReplacement;
    }
    std::size_t j = i + 1;
    for (int k = 0; k < need; ++k, ++j) {
        if (j >= n) {
            i = j;
            return kReplacement;
        }
        const unsigned b = s[j];
        if (b < lo || b > hi) {
            i = j;  // the bad byte starts the next sequence
            return kReplacement;
        }
        cp = (cp << 6) | (b & 0x3F);
        lo = 0x80;
        hi = 0xBF;
    }
    i = j;
    return cp;
}

// Bytes of s[0..n) holding its first max_chars code points as decode() reads them
// (ill-formed sequences count as one each), or n when max_chars < 0: the
// pre-truncation model2vec does with Python's str slicing.
inline std::size_t prefix_bytes(const unsigned char* s, std::size_t n,
                                std::int64_t max_chars) noexcept {
    if (max_chars < 0) return n;
    std::size_t i = 0;
    for (std::int64_t k = 0; k < max_chars && i < n; ++k) {
        if (s[i] < 0x80)
            ++i;
        else
            decode(s, n, i);
    }
    return i;
}

// Appends the UTF-8 form of cp (< 0x110000, not a surrogate) to out; returns
// the number of bytes written (1..4). out must have room for 4 bytes.
inline int encode(std::uint32_t cp, char* out) noexcept {
    if (cp < 0x80) {
        out[0] = static_cast<char>(cp);
        return 1;
    }
    if (cp < 0x800) {
        out[0] = static_cast<char>(0xC0 | (cp >> 6));
        out[1] = static_cast<char>(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = static_cast<char>(0xE0 | (cp >> 12));
        out[1] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out[2] = static_cast<char>(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = static_cast<char>(0xF0 | (cp >> 18));
    out[1] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out[2] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out[3] = static_cast<char>(0x80 | (cp & 0x3F));
    return 4;
}

}  // namespace fastpool::tokenizer
