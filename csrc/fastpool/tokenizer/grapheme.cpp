// grapheme.cpp - UAX #29 extended grapheme cluster boundaries (see grapheme.h).
#include "grapheme.h"

#include <array>

#include "grapheme_tables.h"

namespace fastpool::tokenizer::grapheme {
namespace {

// The classes in grapheme_tables.h's order.
enum Cls : std::uint8_t {
    kAny,
    kCR,
    kLF,
    kControl,
    kExtend,
    kZWJ,
    kRI,
    kPrepend,
    kSpacingMark,
    kL,
    kV,
    kT,
    kLV,
    kLVT,
    kPict,
    kConsonant,
};
constexpr std::uint8_t kIncbExtendBit = 0x80;

std::uint8_t lookup(std::uint32_t cp) noexcept {
    using grapheme_data::kClasses;
    std::size_t lo = 0, hi = sizeof(kClasses) / sizeof(kClasses[0]);
    std::uint8_t cls = kAny;
    while (lo < hi) {
        const std::size_t mid = (lo + hi) / 2;
        if (cp < kClasses[mid].lo)
            hi = mid;
        else if (cp > kClasses[mid].hi)
            lo = mid + 1;
        else {
            cls = kClasses[mid].cls;
            break;
        }
    }
    using grapheme_data::kIncbExtend;
    lo = 0;
    hi = sizeof(kIncbExtend) / sizeof(kIncbExtend[0]);
    while (lo < hi) {
        const std::size_t mid = (lo + hi) / 2;
        if (cp < kIncbExtend[mid].lo)
            hi = mid;
        else if (cp > kIncbExtend[mid].hi)
            lo = mid + 1;
        else
            return cls | kIncbExtendBit;
    }
    return cls;
}

// The BMP as one dense table (built once, thread-safe static init); the rest
// by binary search (rare in text).
struct Bmp {
    std::array<std::uint8_t, 0x10000> cls;
    Bmp() noexcept {
        for (std::uint32_t cp = 0; cp < 0x10000; ++cp) cls[cp] = lookup(cp);
    }
};

std::uint8_t props(std::uint32_t cp) noexcept {
    static const Bmp bmp;
    return cp < 0x10000 ? bmp.cls[cp] : lookup(cp);
}

bool is_linker(std::uint32_t cp) noexcept {
    return cp == 0x94D || cp == 0x9CD || cp == 0xACD || cp == 0xB4D || cp == 0xC4D || cp == 0xD4D;
}

}  // namespace

bool Breaker::next(std::uint32_t cp) noexcept {
    const std::uint8_t pr = props(cp);
    const std::uint8_t c = pr & 0x7F;
    const std::uint8_t p = prev_;
    bool brk;
    if (p == 0xFF)
        brk = true;
    else if (p == kCR && c == kLF)
        brk = false;  // GB3
    else if (p == kCR || p == kLF || p == kControl)
        brk = true;  // GB4
    else if (c == kCR || c == kLF || c == kControl)
        brk = true;  // GB5
    else if (p == kL && (c == kL || c == kV || c == kLV || c == kLVT))
        brk = false;  // GB6
    else if ((p == kLV || p == kV) && (c == kV || c == kT))
        brk = false;  // GB7
    else if ((p == kLVT || p == kT) && c == kT)
        brk = false;  // GB8
    else if (c == kExtend || c == kZWJ || c == kSpacingMark)
        brk = false;  // GB9, GB9a
    else if (p == kPrepend)
        brk = false;  // GB9b
    else if (c == kConsonant && linked_)
        brk = false;  // GB9c
    else if (p == kZWJ && c == kPict && pict_zwj_)
        brk = false;  // GB11
    else if (p == kRI && c == kRI && ri_run_ % 2 == 1)
        brk = false;  // GB12, GB13
    else
        brk = true;  // GB999

    ri_run_ = c == kRI ? ri_run_ + 1 : 0;
    pict_zwj_ = c == kZWJ && pict_;
    pict_ = c == kPict || (c == kExtend && pict_);
    if (c == kConsonant) {
        conso_ = true;
        linked_ = false;
    } else if (is_linker(cp)) {
        linked_ = conso_;
    } else if (!(pr & kIncbExtendBit)) {
        conso_ = linked_ = false;
    }
    prev_ = c;
    return brk;
}

}  // namespace fastpool::tokenizer::grapheme
