// unicode_norm.cpp - NFC / NFD / NFKC / NFKD (see unicode_norm.h for the contract).
#include "unicode_norm.h"

#include <algorithm>

#include "unicode_norm_tables.h"
#include "utf8.h"

namespace fastpool::tokenizer::unorm {
namespace {

namespace t = norm_tables;

constexpr std::uint32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr std::uint32_t kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount,
                        kSCount = kLCount * kNCount;
constexpr std::uint32_t kMask = (1u << t::kShift) - 1;
// Below this every code point is its own form in all four forms, with class 0.
constexpr std::uint32_t kAllPlain = 0xA0;

inline std::uint16_t props(std::uint32_t c) noexcept {
    return t::kPropsBlocks[static_cast<std::uint32_t>(t::kPropsIndex[c >> t::kShift]) << t::kShift |
                           (c & kMask)];
}
inline unsigned ccc(std::uint32_t c) noexcept { return c < kAllPlain ? 0 : props(c) & 0xFFu; }

inline bool compat(Form f) noexcept { return f == kNFKC || f == kNFKD; }
inline bool composed(Form f) noexcept { return f == kNFC || f == kNFKC; }

// The decomposition of c appended to out.
inline void decompose(std::uint32_t c, bool k, std::vector<std::uint32_t>& out) {
    if (c < kAllPlain) {
        out.push_back(c);
        return;
    }
    if (c - kSBase < kSCount) {
        const std::uint32_t s = c - kSBase;
        out.push_back(kLBase + s / kNCount);
        out.push_back(kVBase + s % kNCount / kTCount);
        if (s % kTCount) out.push_back(kTBase + s % kTCount);
        return;
    }
    const std::uint32_t block = c >> t::kShift, low = c & kMask;
    const std::uint16_t at =
        k ? t::kCompatBlocks[static_cast<std::uint32_t>(t::kCompatIndex[block]) << t::kShift | low]
          : t::kCanonBlocks[static_cast<std::uint32_t>(t::kCanonIndex[block]) << t::kShift | low];
    if (!at) {
        out.push_back(c);
        return;
    }
    const std::uint32_t* d = t::kDecompositions + at;
    out.insert(out.end(), d + 1, d + 1 + d[0]);
}

// Stable sort of each run of nonzero combining classes by class: insertion for the
// usual short runs, std::stable_sort for long ones (a text of thousands of marks in
// falling order would make insertion quadratic).
void reorder(std::vector<std::uint32_t>& v) {
    const std::size_t n = v.size();
    for (std::size_t i = 0; i < n;) {
        if (ccc(v[i]) == 0) {
            ++i;
            continue;
        }
        std::size_t end = i + 1;
        while (end < n && ccc(v[end]) != 0) ++end;
        if (end - i > 32) {
            std::stable_sort(v.begin() + static_cast<std::ptrdiff_t>(i),
                             v.begin() + static_cast<std::ptrdiff_t>(end),
                             [](std::uint32_t a, std::uint32_t b) { return ccc(a) < ccc(b); });
        } else {
            for (std::size_t k = i + 1; k < end; ++k) {
                const std::uint32_t c = v[k];
                const unsigned cc = ccc(c);
                std::size_t j = k;
                for (; j > i && ccc(v[j - 1]) > cc; --j) v[j] = v[j - 1];
                v[j] = c;
            }
        }
        i = end;
    }
}

// The primary composite of (a, b), or 0.
inline std::uint32_t compose_pair(std::uint32_t a, std::uint32_t b) noexcept {
    if (a - kLBase < kLCount && b - kVBase < kVCount)
        return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
    if (a - kSBase < kSCount && (a - kSBase) % kTCount == 0 && b - kTBase - 1 < kTCount - 1)
        return a + (b - kTBase);
    if (b < kAllPlain || !(props(b) & t::kComposesBack)) return 0;
    const std::uint64_t key = static_cast<std::uint64_t>(a) << 32 | b;
    const auto* end = t::kPairKeys + sizeof(t::kPairKeys) / sizeof(t::kPairKeys[0]);
    const auto* it = std::lower_bound(t::kPairKeys, end, key);
    return it != end && *it == key ? t::kPairValues[it - t::kPairKeys] : 0;
}

// Canonical composition in place (UAX #15): each code point composes with the last
// starter unless a code point between them has a class >= its own (or is a starter).
void compose(std::vector<std::uint32_t>& v) noexcept {
    const std::size_t n = v.size();
    std::size_t out = 0, starter = 0;
    bool have_starter = false;
    unsigned last = 0;  // class of the last code point kept after the starter (0: none)
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint32_t c = v[i];
        const unsigned cc = ccc(c);
        if (have_starter && (last == 0 || last < cc)) {
            if (const std::uint32_t comp = compose_pair(v[starter], c)) {
                v[starter] = comp;
                continue;
            }
        }
        if (cc == 0) {
            starter = out;
            have_starter = true;
            last = 0;
        } else {
            last = cc;
        }
        v[out++] = c;
    }
    v.resize(out);
}

}  // namespace

namespace {
std::uint16_t no_mask(Form f) noexcept {
    return f == kNFC    ? t::kNfcNo | t::kComposesBack
           : f == kNFD  ? t::kNfdNo
           : f == kNFKC ? t::kNfkcNo | t::kComposesBack
                        : t::kNfkdNo;
}

// One code point of the quick check; last: the class of the one before it.
inline bool quick_ok(std::uint32_t c, std::uint16_t no, unsigned& last) noexcept {
    if (c < kAllPlain) {
        last = 0;
        return true;
    }
    const std::uint16_t p = props(c);
    const unsigned cc = p & 0xFFu;
    if ((p & no) || (cc != 0 && last > cc)) return false;
    last = cc;
    return true;
}
}  // namespace

bool quick_check(Form f, const std::uint32_t* cps, std::size_t n) noexcept {
    const std::uint16_t no = no_mask(f);
    unsigned last = 0;
    for (std::size_t i = 0; i < n; ++i)
        if (!quick_ok(cps[i], no, last)) return false;
    return true;
}

namespace {
void normalize_slow(Form f, std::vector<std::uint32_t>& cps, std::vector<std::uint32_t>& tmp) {
    tmp.clear();
    const bool k = compat(f);
    for (const std::uint32_t c : cps) decompose(c, k, tmp);
    reorder(tmp);
    if (composed(f)) compose(tmp);
    cps.swap(tmp);
}
}  // namespace

void normalize(Form f, std::vector<std::uint32_t>& cps, std::vector<std::uint32_t>& tmp) {
    if (!quick_check(f, cps.data(), cps.size())) normalize_slow(f, cps, tmp);
}

void normalize_utf8(Form f, const char* text, std::size_t n, std::string& out,
                    std::vector<std::uint32_t>& cps, std::vector<std::uint32_t>& tmp) {
    const auto* s = reinterpret_cast<const unsigned char*>(text);
    std::size_t i = 0;
    while (i < n && s[i] < 0x80) ++i;
    if (i == n) {
        out.assign(text, n);
        return;
    }
    // The quick check while decoding, after the ASCII prefix (which leaves class 0
    // behind); only text that fails it is decoded into cps.
    const std::uint16_t no = no_mask(f);
    unsigned last = 0;
    bool ok = true;
    for (std::size_t j = i; ok && j < n;) ok = quick_ok(decode(s, n, j), no, last);
    if (ok) {
        out.assign(text, n);
        return;
    }
    cps.clear();
    for (i = 0; i < n;) cps.push_back(decode(s, n, i));
    normalize_slow(f, cps, tmp);
    out.clear();
    char buf[4];
    for (const std::uint32_t c : cps) out.append(buf, static_cast<std::size_t>(encode(c, buf)));
}

}  // namespace fastpool::tokenizer::unorm
