// unicode_norm.h - Unicode normalization forms NFC, NFD, NFKC and NFKD exactly as
// Hugging Face `tokenizers` 0.22.2 computes them (its normalizers of those names).
//
// Contract:
//   * Data: unicode_norm_tables.h, measured from `tokenizers` by
//     tools/gen_norm_tables.py (its Unicode version is older than Python's).
//   * Algorithm: full canonical (NFD, NFC) or compatibility (NFKD, NFKC)
//     decomposition, Hangul syllables computed; canonical reordering (stable,
//     by combining class); for NFC / NFKC canonical composition (UAX #15,
//     a blocked mark never composes; Hangul computed).
//   * Fast path: text that passes a quick check (every code point unchanged by
//     the form alone, none that composes with the one before it, combining
//     classes in order) is returned as is; ASCII costs one byte scan.
//   * Input code points are valid scalar values (utf8.h's decode gives only
//     those); UTF-8 input must be valid UTF-8. Pure functions over caller-owned
//     buffers: thread safe, no allocation beyond growing those buffers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace fastpool::tokenizer::unorm {

enum Form : int { kNFC = 0, kNFD = 1, kNFKC = 2, kNFKD = 3 };

// True if cps[0..n) passes the quick check of form f (then it is in form f).
bool quick_check(Form f, const std::uint32_t* cps, std::size_t n) noexcept;

// Rewrites cps in form f; tmp is scratch (its contents are lost, its capacity kept).
void normalize(Form f, std::vector<std::uint32_t>& cps, std::vector<std::uint32_t>& tmp);

// out = text[0..n) (valid UTF-8) in form f, as UTF-8; cps and tmp are scratch.
void normalize_utf8(Form f, const char* text, std::size_t n, std::string& out,
                    std::vector<std::uint32_t>& cps, std::vector<std::uint32_t>& tmp);

}  // namespace fastpool::tokenizer::unorm
