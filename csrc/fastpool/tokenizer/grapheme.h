// grapheme.h - extended grapheme clusters (UAX #29) as `tokenizers` sees them.
//
// `tokenizers`' Precompiled normalizer rewrites a text one extended grapheme
// cluster at a time, with the clusters of the Rust crate unicode-segmentation
// (grapheme_tables.h names the version). The rules are GB3-GB13 and GB999 of
// UAX #29 (GB9c's InCB conjuncts included) over that crate's properties.
// Input: valid code points (callers decode ill-formed UTF-8 to U+FFFD first).
// Pure functions of their arguments: safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fastpool::tokenizer::grapheme {

// Forward segmentation state, fed one code point at a time.
class Breaker {
   public:
    // Whether a cluster boundary precedes cp (true for the first code point).
    bool next(std::uint32_t cp) noexcept;

   private:
    std::uint8_t prev_ = 0xFF;  // class of the previous code point; 0xFF: none yet
    std::uint32_t ri_run_ = 0;  // regional indicators ending at the previous code point
    bool pict_ = false;         // ExtPict Extend* ends at the previous code point
    bool pict_zwj_ = false;     // ExtPict Extend* ZWJ ends at the previous code point
    bool conso_ = false;        // InCB Consonant [Extend|Linker]* ends there
    bool linked_ = false;       // ... and that run holds a Linker
};

}  // namespace fastpool::tokenizer::grapheme
