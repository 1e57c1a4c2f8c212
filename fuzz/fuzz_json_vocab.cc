// fuzz_json_vocab.cc - libFuzzer target: json_vocab.h's tokenizer.json vocabulary pass.
//
// Arbitrary bytes, either raw or wrapped as the value of "model"."vocab" or of
// "model"."merges" beside a small vocab (so most runs reach the vocabulary, list or
// merges parsers), copied to an exact-size heap buffer so AddressSanitizer catches any
// read past the end. The status is one json_vocab.h names. On kClean the table must
// keep its contract: offsets from 0 rising to the blob's size, every token valid UTF-8
// of `chars` code points (at most the limit), every id in [0, n) (0..n-1 and one
// finite score each for a list vocab), the span inside the text from '{' to '}' (or
// '[' to ']'); merges, when read, span '[' to ']' with one NUL-terminated string per
// merge (two per pair).
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "fastpool/json_vocab.h"

namespace {

// Code points of a well-formed UTF-8 string, or -1 (overlong, surrogate, > U+10FFFF,
// truncated).
std::int64_t utf8_chars(const unsigned char* s, std::size_t n) {
    std::int64_t count = 0;
    for (std::size_t i = 0; i < n; ++count) {
        const unsigned char c = s[i];
        std::size_t len = c < 0x80         ? 1
                          : (c >> 5) == 6  ? 2
                          : (c >> 4) == 14 ? 3
                          : (c >> 3) == 30 ? 4
                                           : 0;
        if (len == 0 || i + len > n) return -1;
        std::uint32_t cp = len == 1 ? c : c & (0x7F >> len);
        for (std::size_t k = 1; k < len; ++k) {
            if ((s[i + k] & 0xC0) != 0x80) return -1;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        const std::uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000)) return -1;
        i += len;
    }
    return count;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::int64_t max_chars = 1 + (data[0] & 31);
    std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
    if ((data[0] & 192) == 128)
        text = "{\"model\": {\"type\": \"WordPiece\", \"vocab\": " + text + "}}";
    else if ((data[0] & 192) == 192)
        text =
            "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1, \"ab\": 2}, "
            "\"merges\": " +
            text + "}}";
    std::unique_ptr<char[]> buf(new char[text.size() ? text.size() : 1]);
    std::memcpy(buf.get(), text.data(), text.size());
    const auto n_text = static_cast<std::int64_t>(text.size());

    fastpool::JsonVocab v;
    fastpool::read_json_vocab(buf.get(), n_text, max_chars, v);
    if (v.status < fastpool::kClean || v.status > fastpool::kBadMerge) std::abort();
    if (v.status != fastpool::kClean) return 0;

    const auto n = static_cast<std::int64_t>(v.ids.size());
    if (n == 0 || static_cast<std::int64_t>(v.chars.size()) != n ||
        static_cast<std::int64_t>(v.offsets.size()) != n + 1 || v.offsets[0] != 0 ||
        v.offsets[n] != static_cast<std::int64_t>(v.blob.size()))
        std::abort();
    if (v.begin < 0 || v.end <= v.begin || v.end > n_text || buf[v.begin] != (v.list ? '[' : '{') ||
        buf[v.end - 1] != (v.list ? ']' : '}'))
        std::abort();
    if (v.list) {
        if (static_cast<std::int64_t>(v.scores.size()) != n ||
            static_cast<std::int64_t>(v.tokenizer_scores.size()) != n)
            std::abort();
        // The two readings of one literal are an ulp or so apart, never more.
        for (std::int64_t k = 0; k < n; ++k)
            if (v.ids[k] != k || !std::isfinite(v.scores[k]) ||
                !std::isfinite(v.tokenizer_scores[k]) ||
                std::fabs(v.scores[k] - v.tokenizer_scores[k]) >
                    1e-15 * std::fabs(v.scores[k]) + 1e-300)
                std::abort();
    }
    if (v.merges_begin >= 0) {
        if (v.merges_end <= v.merges_begin || v.merges_end > n_text || buf[v.merges_begin] != '[' ||
            buf[v.merges_end - 1] != ']')
            std::abort();
        std::int64_t nuls = 0;
        for (char c : v.merges) nuls += c == '\0';
        if (nuls != v.n_merges * (v.merge_pairs ? 2 : 1)) std::abort();
    }
    const auto* blob = reinterpret_cast<const unsigned char*>(v.blob.data());
    for (std::int64_t k = 0; k < n; ++k) {
        if (v.offsets[k + 1] < v.offsets[k] || v.ids[k] < 0 || v.ids[k] >= n) std::abort();
        const std::int64_t chars = utf8_chars(
            blob + v.offsets[k], static_cast<std::size_t>(v.offsets[k + 1] - v.offsets[k]));
        if (chars < 0 || chars != v.chars[k] || chars > max_chars) std::abort();
    }
    return 0;
}
