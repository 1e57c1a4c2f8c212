// fuzz_vectors_file.cc - libFuzzer target: vectors_file.h's word2vec / GloVe row parsers.
//
// Arbitrary bytes as text lines or binary records, with dim and the row capacity taken
// from the first two bytes, copied to exact-size heap buffers so AddressSanitizer catches
// any read or write past the end (the table holds exactly max_rows * dim floats). The
// result must keep the contract: rows <= max_rows, stop inside the data, every word span
// a non-empty range before stop without a blank in it.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "fastpool/vectors_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const std::int64_t dim = 1 + (data[0] & 7);
    const std::int64_t max_rows = data[1] & 15;
    const bool binary = data[0] & 128;
    const auto n = static_cast<std::int64_t>(size - 2);
    std::unique_ptr<char[]> text(new char[n ? n : 1]);
    std::memcpy(text.get(), data + 2, static_cast<std::size_t>(n));
    std::unique_ptr<float[]> table(new float[max_rows * dim ? max_rows * dim : 1]);
    std::unique_ptr<std::int64_t[]> spans(new std::int64_t[max_rows ? 2 * max_rows : 1]);
    float* out = max_rows ? table.get() : nullptr;
    std::int64_t* span = max_rows ? spans.get() : nullptr;

    const fastpool::VectorRows got =
        binary ? fastpool::parse_binary_records(text.get(), n, dim, out, max_rows, span)
               : fastpool::parse_vector_lines(text.get(), n, dim, out, max_rows, span, 1);
    if (got.rows < 0 || got.rows > max_rows || got.stop < 0 || got.stop > n) std::abort();
    for (std::int64_t r = 0; r < got.rows; ++r) {
        const std::int64_t a = spans[2 * r], b = spans[2 * r + 1];
        if (a < 0 || b <= a || b > got.stop) std::abort();
        for (std::int64_t i = a; i < b; ++i)
            if (text[i] == ' ' || (!binary && (text[i] == '\n' || text[i] == '\t'))) std::abort();
    }
    return 0;
}
