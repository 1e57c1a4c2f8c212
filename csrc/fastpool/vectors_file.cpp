#include "vectors_file.h"

#include <cstdlib>
#include <cstring>

namespace fastpool {
namespace {

// Powers of ten a double holds exactly: with a mantissa below 2^53 one multiplication or
// division by them rounds correctly (Clinger's fast path), which covers vectors files'
// "0.123456" and "-1.2e-05" alike.
constexpr double kExact10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                               1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                               1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
constexpr std::uint64_t kExactMantissa = std::uint64_t{1} << 53;

inline bool is_blank(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

inline bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// The rare numbers outside the fast path (over 19 digits, huge exponents, nan, inf) go to
// strtod on a NUL-terminated copy. Hex floats, "nan(...)" and anything strtod stops inside
// are refused: Python's float() does not take them either.
bool parse_slow(const char* p, const char* end, float* out) noexcept {
    char buf[64];
    const std::size_t len = static_cast<std::size_t>(end - p);
    if (len >= sizeof buf) return false;
    for (const char* s = p; s < end; ++s)
        if (*s == 'x' || *s == 'X' || *s == '(' || *s == '_') return false;
    std::memcpy(buf, p, len);
    buf[len] = '\0';
    char* stop = nullptr;
    const double v = std::strtod(buf, &stop);
    if (stop != buf + len) return false;
    *out = static_cast<float>(v);
    return true;
}

// One number starting at p, read in a single pass up to the first byte that cannot
// continue it; returns the end of the number when that is also the end of the token (a blank
// or eol follows), nullptr when the token is not a plain number.
const char* parse_number(const char* p, const char* eol, float* out) noexcept {
    const char* s = p;
    bool negative = false;
    if (s < eol && (*s == '+' || *s == '-')) negative = *s++ == '-';
    std::uint64_t mantissa = 0;
    int significant = 0;  // digits in mantissa, leading zeros not counted
    int exp10 = 0;
    const char* digits = s;
    for (; s < eol && is_digit(*s); ++s) {
        if (mantissa == 0 && *s == '0') continue;
        if (++significant <= 19) mantissa = mantissa * 10 + static_cast<unsigned>(*s - '0');
    }
    bool any = s != digits;
    if (s < eol && *s == '.') {
        const char* fraction = ++s;
        for (; s < eol && is_digit(*s); ++s) {
            --exp10;
            if (mantissa == 0 && *s == '0') continue;
            if (++significant <= 19) mantissa = mantissa * 10 + static_cast<unsigned>(*s - '0');
        }
        any = any || s != fraction;
    }
    if (any && s < eol && (*s == 'e' || *s == 'E')) {
        ++s;
        bool exp_negative = false;
        if (s < eol && (*s == '+' || *s == '-')) exp_negative = *s++ == '-';
        if (s == eol || !is_digit(*s)) return nullptr;
        int e = 0;
        for (; s < eol && is_digit(*s); ++s)
            if (e < 100000) e = e * 10 + (*s - '0');
        exp10 += exp_negative ? -e : e;
    }
    const bool token_ends = s == eol || is_blank(*s);
    if (!any || !token_ends || significant > 19 || mantissa >= kExactMantissa || exp10 < -22 ||
        exp10 > 22) {
        // nan / inf, long or extreme numbers, or not a number: the careful path.
        const char* end = s;
        while (end < eol && !is_blank(*end)) ++end;
        return parse_slow(p, end, out) ? end : nullptr;
    }
    double v = static_cast<double>(mantissa);
    v = exp10 < 0 ? v / kExact10[-exp10] : v * kExact10[exp10];
    *out = static_cast<float>(negative ? -v : v);
    return s;
}

// Row `values` from [p, eol): dim numbers, each after blanks, then only blanks.
bool parse_values(const char* p, const char* eol, std::int64_t dim, float* values) noexcept {
    for (std::int64_t k = 0; k < dim; ++k) {
        if (p == eol || !is_blank(*p)) return false;
        do ++p;
        while (p < eol && is_blank(*p));
        if (p == eol || !(p = parse_number(p, eol, values + k))) return false;
    }
    while (p < eol && is_blank(*p)) ++p;
    return p == eol;
}

VectorRows parse_lines_serial(const char* text, std::int64_t n, std::int64_t dim, float* table,
                              std::int64_t max_rows, std::int64_t* word_spans) noexcept {
    const char* const end = text + n;
    std::int64_t rows = 0;
    for (const char* line = text; line < end;) {
        const void* nl = std::memchr(line, '\n', static_cast<std::size_t>(end - line));
        const char* eol = nl ? static_cast<const char*>(nl) : end;
        const char* p = line;
        while (p < eol && is_blank(*p)) ++p;
        if (p < eol) {
            if (rows == max_rows) return {rows, line - text};
            const char* word = p;
            while (p < eol && !is_blank(*p)) ++p;
            if (!parse_values(p, eol, dim, table + rows * dim)) return {rows, line - text};
            word_spans[2 * rows] = word - text;
            word_spans[2 * rows + 1] = p - text;
            ++rows;
        }
        if (!nl) break;
        line = eol + 1;
    }
    return {rows, n};
}

void shift_spans(std::int64_t* spans, std::int64_t from, std::int64_t to,
                 std::int64_t by) noexcept {
    for (std::int64_t r = from; r < to; ++r) {
        spans[2 * r] += by;
        spans[2 * r + 1] += by;
    }
}

bool is_blank_line(const char* line, const char* eol) noexcept {
    while (line < eol && is_blank(*line)) ++line;
    return line == eol;
}

// Non-blank lines in [begin, end), which starts a line and ends after a '\n' (or at n).
std::int64_t count_rows(const char* begin, const char* end) noexcept {
    std::int64_t rows = 0;
    for (const char* line = begin; line < end;) {
        const void* nl = std::memchr(line, '\n', static_cast<std::size_t>(end - line));
        const char* eol = nl ? static_cast<const char*>(nl) : end;
        rows += !is_blank_line(line, eol);
        if (!nl) break;
        line = eol + 1;
    }
    return rows;
}

constexpr int kMaxChunks = 64;
constexpr std::int64_t kMinChunkBytes = std::int64_t{1} << 18;

}  // namespace

VectorRows parse_vector_lines(const char* text, std::int64_t n, std::int64_t dim, float* table,
                              std::int64_t max_rows, std::int64_t* word_spans,
                              int n_threads) noexcept {
    // Chunks of whole lines, one per thread: count each chunk's rows (every non-blank line is
    // one row, taken here or by the caller), then parse the chunks at their rows. The first
    // chunk that stops early decides the result; rows written after that point are parsed
    // again by the caller's next call.
    int chunks = n_threads < kMaxChunks ? n_threads : kMaxChunks;
    if (n / kMinChunkBytes < chunks) chunks = static_cast<int>(n / kMinChunkBytes);
    if (chunks <= 1) return parse_lines_serial(text, n, dim, table, max_rows, word_spans);
    std::int64_t begin[kMaxChunks + 1];
    std::int64_t first_row[kMaxChunks + 1];
    VectorRows done[kMaxChunks];
    begin[0] = 0;
    for (int c = 1; c < chunks; ++c) {
        std::int64_t at = n * c / chunks;
        if (at < begin[c - 1]) at = begin[c - 1];
        const void* nl = std::memchr(text + at, '\n', static_cast<std::size_t>(n - at));
        begin[c] = nl ? static_cast<const char*>(nl) - text + 1 : n;
    }
    begin[chunks] = n;
#if defined(_OPENMP)
#pragma omp parallel for num_threads(chunks) schedule(static, 1)
#endif
    for (int c = 0; c < chunks; ++c)
        first_row[c + 1] = count_rows(text + begin[c], text + begin[c + 1]);
    first_row[0] = 0;
    for (int c = 0; c < chunks; ++c) first_row[c + 1] += first_row[c];
#if defined(_OPENMP)
#pragma omp parallel for num_threads(chunks) schedule(static, 1)
#endif
    for (int c = 0; c < chunks; ++c) {
        const std::int64_t row = first_row[c] < max_rows ? first_row[c] : max_rows;
        const std::int64_t room = max_rows - row;
        done[c] = parse_lines_serial(text + begin[c], begin[c + 1] - begin[c], dim,
                                     table + row * dim, room, word_spans + 2 * row);
    }
    std::int64_t rows = first_row[chunks];
    std::int64_t stop = n;
    int taken = chunks;  // chunks whose rows count (the last of them maybe in part)
    for (int c = 0; c < chunks; ++c) {
        if (done[c].rows < first_row[c + 1] - first_row[c]) {
            rows = first_row[c] + done[c].rows;
            stop = begin[c] + done[c].stop;
            taken = c + 1;
            break;
        }
    }
    // Each chunk's spans are offsets into the chunk: make them offsets into text.
    for (int c = 0; c < taken; ++c)
        shift_spans(word_spans, first_row[c], first_row[c] + done[c].rows, begin[c]);
    return {rows, stop};
}

VectorRows parse_binary_records(const char* data, std::int64_t n, std::int64_t dim, float* table,
                                std::int64_t max_rows, std::int64_t* word_spans) noexcept {
    const std::int64_t width = 4 * dim;
    std::int64_t rows = 0;
    std::int64_t pos = 0;
    while (rows < max_rows) {
        while (pos < n && (data[pos] == '\n' || data[pos] == ' ')) ++pos;
        const void* space =
            pos < n ? std::memchr(data + pos, ' ', static_cast<std::size_t>(n - pos)) : nullptr;
        if (!space) break;
        const std::int64_t end = static_cast<const char*>(space) - data;
        if (end + 1 + width > n) break;
        std::memcpy(table + rows * dim, data + end + 1, static_cast<std::size_t>(width));
        word_spans[2 * rows] = pos;
        word_spans[2 * rows + 1] = end;
        ++rows;
        pos = end + 1 + width;
    }
    return {rows, pos};
}

}  // namespace fastpool
