// tokenizer.h - a native BERT WordPiece tokenizer that reproduces Hugging Face
// `tokenizers` (BertNormalizer + BertPreTokenizer + WordPiece) id for id.
//
// Contract:
//   * Input is UTF-8 bytes of any content: ill-formed sequences decode to
//     U+FFFD (see utf8.h), so no byte string can read out of bounds.
//   * Pipeline per text: cut to the first max_chars code points; split out
//     added tokens (leftmost-longest byte match on the raw text, only for
//     tokens with normalized/lstrip/rstrip/single_word all false: the Python
//     layer routes anything else to `tokenizers`); per remaining segment
//     clean_text -> handle_chinese_chars -> NFD + canonical reordering + drop
//     nonspacing marks (strip_accents) -> lowercase -> split on whitespace,
//     isolate punctuation -> greedy longest-match-first WordPiece. Keep the
//     first max_tokens ids, then (drop_unk) remove the unknown id.
//   * Character data come from unicode_tables.h, measured from `tokenizers`.
//   * build() returns false on allocation failure. tokenize() may throw only
//     std::bad_alloc; batch.h's noexcept entry points catch it. A built
//     tokenizer is immutable: tokenize() is safe from many threads, each with
//     its own Scratch.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "text_tokenizer.h"

namespace fastpool::tokenizer {

struct BertConfig {
    bool clean_text = true;
    bool handle_chinese_chars = true;
    bool strip_accents = true;  // already resolved: null means "follow lowercase"
    bool lowercase = true;
    std::int64_t max_input_chars_per_word = 100;
    std::int32_t unk_id = 0;
};

// n strings with ids: string k is data[offsets[k] .. offsets[k+1]).
struct StringTable {
    const char* data = nullptr;
    const std::int64_t* offsets = nullptr;
    const std::int32_t* ids = nullptr;
    std::int64_t n = 0;
};

// An added token split out of the raw text before normalization.
struct AddedToken {
    std::string content;
    std::int32_t id;
};

// The non-empty strings of added as AddedTokens sorted by first byte, then longest first
// (so the first hit is the longest: aho-corasick LeftmostLongest in `tokenizers`; ties
// keep json order), and by_first[b] .. by_first[b + 1] the range starting with byte b.
void sort_added_tokens(const StringTable& added, std::vector<AddedToken>& tokens,
                       std::array<std::uint32_t, 257>& by_first);

// Byte trie with longest-prefix lookup; the root is a dense 256-way table.
class Trie {
   public:
    using Views = std::vector<std::pair<std::string_view, std::int32_t>>;
    // Equal strings keep the first id. O(total bytes): no string is compared or copied.
    void build(const Views& entries);
    void build(const std::vector<std::pair<std::string, std::int32_t>>& entries);
    // Length of the longest entry that prefixes s[0..n) (0 if none; the empty
    // entry never matches) and its id in *id.
    std::size_t longest(const unsigned char* s, std::size_t n, std::int32_t* id) const noexcept;

   private:
    static constexpr std::uint32_t kNone = 0xFFFFFFFFu;
    struct Node {
        std::int32_t id;
        std::uint32_t first;
        std::uint32_t count;
    };
    struct Draft;  // the trie while it is built (tokenizer.cpp)
    void lay_out(const std::vector<Draft>& draft,
                 const std::vector<std::array<std::uint32_t, 256>>& dense, std::uint32_t node,
                 std::uint32_t at, std::uint32_t& next_node, std::uint32_t& next_edge);
    std::uint32_t child(std::uint32_t node, unsigned char b) const noexcept;
    std::vector<Node> nodes_;
    std::vector<unsigned char> labels_;
    std::vector<std::uint32_t> targets_;
    std::array<std::uint32_t, 256> root_{};
};

// Exact-string lookup (open addressing, linear probing). WordPiece tries the
// whole remaining word first, and most words are one vocabulary token, so
// one probe usually replaces a byte-by-byte trie walk. Keys up to 11 bytes
// live in the slot itself (compared as two integers: one cache line per
// lookup); longer keys point into a side buffer.
class StringHash {
   public:
    static constexpr std::size_t kPad = 16;  // readable bytes find() needs past s + n
    void build(const Trie::Views& entries);
    void build(const std::vector<std::pair<std::string, std::int32_t>>& entries);
    // The id of s[0..n), or -1. s[n .. n + kPad) must be readable (any values).
    std::int32_t find(const unsigned char* s, std::size_t n) const noexcept;
    // The longest key: find() of anything longer is -1 without hashing.
    std::size_t max_size() const noexcept { return max_size_; }

   private:
    struct Slot {
        std::uint64_t a;  // key bytes 0..7, or (offset << 32 | size) of a long key
        std::uint32_t b;  // key bytes 8..10 | size << 24; 0xFF << 24 for a long key
        std::int32_t id;  // -1: empty
    };
    std::vector<Slot> slots_;
    std::string long_keys_;
    std::uint64_t mask_ = 0;
    std::size_t max_size_ = 0;
};

// WordPiece's per-thread working memory, reused across texts.
struct WordPieceScratch : Scratch {
    std::string word;  // kept with StringHash::kPad spare bytes of capacity
    std::vector<std::pair<std::uint8_t, std::uint32_t>> pending;  // (ccc, code point)
    std::vector<std::int32_t> pieces;
};

class BertTokenizer final : public TextTokenizer {
   public:
    // vocab: every WordPiece token; prefix: continuing_subword_prefix; added:
    // the added tokens to split out before normalization.
    bool build(const BertConfig& config, const StringTable& vocab, const char* prefix,
               std::size_t prefix_len, const StringTable& added) noexcept;

    std::unique_ptr<Scratch> new_scratch() const override {
        return std::make_unique<WordPieceScratch>();
    }
    // Appends the ids of text[0..n) to ids (see the contract for the steps);
    // scratch must be a WordPieceScratch.
    void tokenize(const char* text, std::size_t n, const Limits& limits, Scratch& scratch,
                  std::vector<std::int32_t>& ids) const override;

    // Test hook: the words the pipeline hands to WordPiece (after added-token
    // splitting, normalization and pre-tokenization), appended to words.
    // No limits; added tokens appear as their content.
    void pretokenize(const char* text, std::size_t n, WordPieceScratch& scratch,
                     std::vector<std::string>& words) const;

    const BertConfig& config() const noexcept { return config_; }

   private:
    friend class Run;
    void tokenize_impl(const char* text, std::size_t n, const Limits& limits,
                       WordPieceScratch& scratch, std::vector<std::int32_t>& ids,
                       std::vector<std::string>* words) const;
    using Added = AddedToken;
    BertConfig config_;
    Trie initial_;     // every vocabulary token: pieces at the start of a word
    Trie continuing_;  // tokens that start with the prefix, prefix removed
    StringHash initial_hash_;
    StringHash continuing_hash_;
    std::vector<Added> added_;                         // by first byte, longest first
    std::array<std::uint32_t, 257> added_by_first_{};  // [b, b+1) range in added_
    int added_single_first_ = -1;  // the one first byte of all added tokens, or -1
    // ASCII fast path: class and output byte per input byte < 0x80.
    std::array<std::uint8_t, 128> ascii_class_{};
    std::array<char, 128> ascii_out_{};
};

}  // namespace fastpool::tokenizer
