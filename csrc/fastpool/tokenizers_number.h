// The double Hugging Face tokenizers holds for a JSON number literal.
//
// tokenizers reads tokenizer.json with serde_json built without its float_roundtrip
// feature: the literal's first 19-20 significant digits go into a u64 (later digits are
// dropped), that u64 is rounded to a double, then multiplied or divided by one power of
// ten. Two roundings: about one Unigram score in seven comes out one ulp away from the
// correctly rounded value Python's float() gives. Viterbi sums those scores, and on a
// near-tie (S + SS against SS + S) one ulp picks the path, so the native Unigram scores
// are read this way to give tokenizers' ids. Verified against tokenizers 0.22.2 on 40,000
// literals (random bit patterns, log-probabilities, long, tiny and integer literals).
#pragma once

#include <charconv>
#include <cstddef>
#include <cstdint>

namespace fastpool {

namespace tokenizers_number_detail {

// 1e0 .. 1e308, each correctly rounded (what a Rust f64 literal table holds).
inline const double* powers_of_ten() {
    static const double* table = [] {
        static double t[309];
        for (int k = 0; k < 309; ++k) {
            char buf[8];
            buf[0] = '1';
            buf[1] = 'e';
            const auto r = std::to_chars(buf + 2, buf + sizeof buf, k);
            std::from_chars(buf, r.ptr, t[k]);
        }
        return t;
    }();
    return table;
}

inline bool digit(char c) { return c >= '0' && c <= '9'; }

// significand * 10^exponent as serde_json's f64_from_parts computes it.
inline double from_parts(bool positive, std::uint64_t significand, std::int64_t exponent) {
    const double* pow10 = powers_of_ten();
    double f = static_cast<double>(significand);
    for (;;) {
        const std::int64_t magnitude = exponent < 0 ? -exponent : exponent;
        if (magnitude <= 308) {
            if (exponent >= 0) {
                f *= pow10[magnitude];
            } else {
                f /= pow10[magnitude];
            }
            break;
        }
        if (f == 0.0 || exponent >= 0) break;  // positive overflow: the caller refuses inf
        f /= 1e308;
        exponent += 308;
    }
    return positive ? f : -f;
}

// Appends a digit to the significand unless it would pass u64's maximum.
inline bool push_digit(std::uint64_t& significand, char c) {
    const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
    constexpr std::uint64_t kMax = UINT64_MAX;
    if (significand > kMax / 10 || (significand == kMax / 10 && d > kMax % 10)) return false;
    significand = significand * 10 + d;
    return true;
}

}  // namespace tokenizers_number_detail

// [begin, end) must be a JSON number literal (-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?).
inline double tokenizers_number(const char* begin, const char* end) {
    using namespace tokenizers_number_detail;
    const char* p = begin;
    const bool positive = !(p < end && *p == '-');
    if (!positive) ++p;
    std::uint64_t significand = 0;
    std::int64_t exponent = 0;
    bool overflowed = false;
    if (p < end && *p == '0') {
        ++p;
    } else {
        for (; p < end && digit(*p); ++p) {
            if (overflowed || !push_digit(significand, *p)) {
                overflowed = true;  // a dropped integer digit still scales by ten
                ++exponent;
            }
        }
    }
    bool integer = true;
    if (p < end && *p == '.') {
        // serde tries the fraction's digits even after the integer part overflowed (a
        // small digit can still fit); from the first one that does not, it drops them.
        integer = false;
        bool dropping = false;
        for (++p; p < end && digit(*p); ++p) {
            if (dropping || !push_digit(significand, *p)) {
                dropping = true;
                continue;
            }
            --exponent;
        }
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        integer = false;
        ++p;
        bool positive_exp = true;
        if (p < end && (*p == '+' || *p == '-')) positive_exp = *p++ == '+';
        std::int64_t e = 0;
        for (; p < end && digit(*p); ++p) {
            if (e < 100000) e = e * 10 + (*p - '0');  // past any double's range either way
        }
        exponent += positive_exp ? e : -e;
    }
    if (integer && !overflowed) {
        // An integer literal: u64 or i64, converted to f64 once (correctly rounded).
        const double f = static_cast<double>(significand);
        return positive ? f : -f;
    }
    return from_parts(positive, significand, exponent);
}

// The double tokenizers holds for x after x is written as JSON (shortest round-trip
// digits, as tokenizers and Python's json both write a float): for scores that reach the
// native tokenizer as doubles, not as the file's text.
inline double tokenizers_number(double x) {
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
    if (r.ec != std::errc()) return x;
    return tokenizers_number(buf, r.ptr);
}

}  // namespace fastpool
