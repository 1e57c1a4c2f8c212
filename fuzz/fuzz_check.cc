// fuzz_check.cc - libFuzzer target: the input checks of check.h against plain loops.
//
// first_out_of_range (int32 and int64, any stop including 0 and negatives'
// unsigned wrap) and first_decrease must return exactly the first bad index,
// or -1. The data is copied to exact-size heap buffers so AddressSanitizer
// catches any read past the end.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

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

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 9) return 0;
    std::int64_t stop;
    std::memcpy(&stop, data + 1, 8);
    if (data[0] & 2) stop &= 0xffff;  // small stops make in-range values likely
    const std::uint8_t* rest = data + 9;
    const std::size_t n_rest = size - 9;
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
