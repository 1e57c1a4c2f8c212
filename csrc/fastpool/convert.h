// convert.h - element types a table may hold, and their conversion to float.
//
// Contract:
//   * float, double and int8_t are used as they are; float16 and bfloat16 are
//     carried as 16-bit patterns (half_t, bfloat16_t) so that this header
//     needs no compiler extension and every compiler lays them out the same.
//   * to_f32 is exact for every type except double (rounded to nearest).
//   * Pure functions: thread safe, no state, no checks.
//   * The functions have internal linkage (anonymous namespace): this header is
//     compiled into translation units built for different instruction sets, and
//     the linker must never merge an AVX-512 copy into the baseline kernel.
#pragma once

#include <cstdint>
#include <cstring>

namespace fastpool {

struct half_t {
    std::uint16_t bits;
};

struct bfloat16_t {
    std::uint16_t bits;
};

namespace {

inline float bits_to_float(std::uint32_t bits) noexcept {
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

inline float to_f32(float x) noexcept { return x; }
inline float to_f32(double x) noexcept { return static_cast<float>(x); }
inline float to_f32(std::int8_t x) noexcept { return static_cast<float>(x); }

// bfloat16 is the high half of a float32.
inline float to_f32(bfloat16_t x) noexcept {
    return bits_to_float(static_cast<std::uint32_t>(x.bits) << 16);
}

// IEEE binary16 to binary32 without F16C: shift the exponent and mantissa into
// place, rebias, and let one float multiply renormalise subnormals. Branch-free
// apart from inf/NaN, so the compiler can vectorise a loop of these.
inline float to_f32(half_t x) noexcept {
    const std::uint32_t sign = static_cast<std::uint32_t>(x.bits & 0x8000u) << 16;
    const std::uint32_t magnitude = x.bits & 0x7fffu;
    // exponent 0x1f (inf/NaN) must map to 0xff, not to 0x8f.
    const std::uint32_t is_special = magnitude >= 0x7c00u;
    // magnitude << 13 puts the 5-bit exponent at bit 23; multiplying by
    // 2^112 rebiases 15 -> 127 and also normalises subnormal halves exactly.
    const float scaled = bits_to_float(magnitude << 13) * bits_to_float(0x77800000u);  // 2^112
    std::uint32_t bits;
    std::memcpy(&bits, &scaled, sizeof bits);
    bits = is_special ? (0x7f800000u | (magnitude & 0x3ffu) << 13) : bits;
    return bits_to_float(bits | sign);
}

}  // namespace
}  // namespace fastpool
