// vectors_file.h - the rows of a word2vec / GloVe vectors file parsed into a table.
//
// Contract (text: word2vec text after its header, GloVe):
//   * parse_vector_lines walks text[0, n) line by line ('\n' ends a line; a last line
//     without one counts). A blank line (only ' ' \t \r \v \f) is skipped. Any other line
//     must be "word v1 ... vdim": optional leading blanks, the word (no blanks), exactly dim
//     numbers each after at least one blank, optional trailing blanks (so CRLF is fine).
//   * Row r's numbers go to table[r * dim, (r + 1) * dim) and its word's byte span to
//     word_spans[2r], word_spans[2r + 1] (offsets into text), for r < max_rows.
//   * It stops at the first line it cannot take (another count of numbers, a word with
//     blanks, text that is not a plain number, or max_rows rows already): the result says
//     how many rows it wrote and where that line starts (n when it took everything). The
//     caller handles that line (its own error messages live there) and calls again after it.
//   * A number is a decimal float (sign, digits, point, exponent; nan / inf spellings too),
//     rounded to double, then to float: the rounding of numpy's and Python's parsers. Hex
//     floats and underscores are refused (left to the caller).
//
// Contract (word2vec binary after its header):
//   * parse_binary_records reads records "word<space><dim little-endian float32>", skipping
//     the ' ' and '\n' bytes before each word (some writers end each vector with '\n'). The
//     word is the bytes up to the next ' ' (at least one byte). It copies the floats' bytes
//     as they are: on a big-endian machine the caller swaps them.
//   * Row r's floats go to table[r * dim, ...) and its word's span to word_spans[2r, 2r + 1],
//     for r < max_rows. It stops before the first record that does not fit in data[0, n)
//     in full (the caller reads more and calls again from there) or after max_rows.
//
//   * parse_vector_lines splits text of 256 KiB and more into up to n_threads chunks of whole
//     lines (at most 64), counts each chunk's rows, then parses the chunks in parallel
//     (OpenMP; serially in a build without it); the result is the serial one. Rows after
//     the line it stops at may have been written: the caller's next call writes them again.
//   * parse_binary_records is single threaded.
//   * Both: no allocation, no exceptions, locale-free on the common path.
#pragma once

#include <cstdint>

namespace fastpool {

struct VectorRows {
    std::int64_t rows;  // rows written
    std::int64_t stop;  // offset of the first line / record not taken (text: n when all were)
};

VectorRows parse_vector_lines(const char* text, std::int64_t n, std::int64_t dim, float* table,
                              std::int64_t max_rows, std::int64_t* word_spans,
                              int n_threads) noexcept;

VectorRows parse_binary_records(const char* data, std::int64_t n, std::int64_t dim, float* table,
                                std::int64_t max_rows, std::int64_t* word_spans) noexcept;

}  // namespace fastpool
