// fuzz_check.cc - libFuzzer target: the input checks of check.h against plain loops.
//
// first_out_of_range (int32 and int64, any stop including 0 and negatives'
// unsigned wrap) and first_decrease must return exactly the first bad index,
// or -1. json_extent must match a two-step oracle (strip strings, then count). The data is copied
// to exact-size heap buffers so AddressSanitizer catches any read past the end.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "fastpool/check.h"

namespace {

template <class I>
std::int64_t naive_out_of_range(const I* v, std::int64_t n, std::int64_t stop) {
    for (std::int64_t i = 0; i < n; ++i)
        if (v[i] < 0 || static_cast<std::int64_t>(v[i]) >= stop) return i;
    return -1;
}

template <class I>
void check(const std::uint8_t* data, std::size_t size, std::int64_t stop) {
    const auto n = static_cast<std::int64_t>(size / sizeof(I));
    std::unique_ptr<I[]> v(new I[static_cast<std::size_t>(n ? n : 1)]);
    if (n) std::memcpy(v.get(), data, static_cast<std::size_t>(n) * sizeof(I));
    if (stop < 0) stop = 0;  // the Python layer passes table rows or len(mapping)
    if (fastpool::first_out_of_range(n ? v.get() : nullptr, n, stop) !=
        naive_out_of_range(v.get(), n, stop))
        std::abort();
}

// Oracle for json_extent: first drop every string (quotes, escapes and all), then
// count depth and structural characters in what is left.
fastpool::JsonExtent naive_extent(const char* text, std::int64_t n, std::int64_t limit) {
    std::string bare;
    bool in_string = false;
    for (std::int64_t i = 0; i < n; ++i) {
        if (in_string) {
            if (text[i] == '\\')
                ++i;
            else if (text[i] == '"')
                in_string = false;
        } else if (text[i] == '"') {
            in_string = true;
        } else {
            bare.push_back(text[i]);
        }
    }
    fastpool::JsonExtent out{0, 0};
    std::int64_t depth = 0;
    for (char c : bare) {
        if (c == ',' || c == ':') ++out.structurals;
        if (c == '[' || c == '{') {
            ++out.structurals;
            depth += 1;
            out.depth = depth > out.depth ? depth : out.depth;
            if (depth > limit) break;
        }
        if ((c == ']' || c == '}') && depth > 0) --depth;
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 9) return 0;
    std::int64_t stop;
    std::memcpy(&stop, data + 1, 8);
    if (data[0] & 2) stop &= 0xffff;  // small stops make in-range values likely
    const std::uint8_t* rest = data + 9;
    const std::size_t n_rest = size - 9;
    if (data[0] % 5 == 4) {  // json_extent on the rest, depth limit from the stop bytes
        const auto n = static_cast<std::int64_t>(n_rest);
        std::unique_ptr<char[]> text(new char[n_rest ? n_rest : 1]);
        if (n) std::memcpy(text.get(), rest, n_rest);
        const std::int64_t limit = stop & 0x3f;
        const auto got = fastpool::json_extent(n ? text.get() : nullptr, n, limit);
        const auto want = naive_extent(text.get(), n, limit);
        if (got.depth != want.depth || got.structurals != want.structurals) std::abort();
        return 0;
    }
    switch (data[0] % 3) {
        case 0:
            check<std::int32_t>(rest, n_rest, stop);
            break;
        case 1:
            check<std::int64_t>(rest, n_rest, stop);
            break;
        default: {
            const auto n = static_cast<std::int64_t>(n_rest / 8);
            std::unique_ptr<std::int64_t[]> v(
                new std::int64_t[static_cast<std::size_t>(n ? n : 1)]);
            if (n) std::memcpy(v.get(), rest, static_cast<std::size_t>(n) * 8);
            if (data[0] & 4)  // mostly sorted: the interesting case
                for (std::int64_t i = 1; i < n; ++i)
                    v[i] = static_cast<std::int64_t>(static_cast<std::uint64_t>(v[i - 1]) +
                                                     static_cast<std::uint64_t>(v[i] & 3) -
                                                     static_cast<std::uint64_t>(v[i] & 4 ? 1 : 0));
            std::int64_t want = -1;
            for (std::int64_t i = 0; i + 1 < n; ++i)
                if (v[i] > v[i + 1]) {
                    want = i;
                    break;
                }
            if (fastpool::first_decrease(n ? v.get() : nullptr, n) != want) std::abort();
        }
    }
    return 0;
}
