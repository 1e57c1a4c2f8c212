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

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "text_tokenizer.h"
#include "white_space.h"

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
    // Added tokens only: per string kLstrip | kRstrip, or nullptr for none.
    const std::uint8_t* flags = nullptr;
    static constexpr std::uint8_t kLstrip = 1, kRstrip = 2;
};

// The added tokens a family splits out of a text before its model runs, as
// `tokenizers` matches them: leftmost, and the longest at a position (aho-corasick
// LeftmostLongest; equal strings keep json order). A token with lstrip / rstrip also
// takes the whitespace before / after its match (never past the previous match).
class AddedTokens {
   public:
    struct Token {
        std::string content;
        std::int32_t id;
        bool lstrip = false, rstrip = false;
    };
    // The non-empty strings of added (an empty one never matches).
    void build(const StringTable& added);
    bool empty() const noexcept { return tokens_.empty(); }

    // Walks s[0..n): segment(begin, length) for the text before each match and after the
    // last (possibly empty), match(token) for each match; either returning false stops.
    template <class Segment, class Match>
    void split(const unsigned char* s, std::size_t n, Segment&& segment, Match&& match) const {
        if (tokens_.empty()) {
            segment(s, n);
            return;
        }
        std::size_t seg = 0, p = 0;
        while (p < n) {
            if (single_first_ >= 0) {  // jump to the next byte that may start a token
                const void* hit = std::memchr(s + p, single_first_, n - p);
                if (!hit) break;
                p = static_cast<std::size_t>(static_cast<const unsigned char*>(hit) - s);
            }
            const Token* t = longest_at(s + p, n - p);
            if (t == nullptr) {
                ++p;
                continue;
            }
            const std::size_t start = t->lstrip ? std::max(seg, white_before(s, n, p)) : p;
            p += t->content.size();
            if (t->rstrip) p = white_after(s, n, p);
            if (!segment(s + seg, start - seg) || !match(*t)) return;
            seg = p;
        }
        segment(s + seg, n - seg);
    }

   private:
    // The longest token that prefixes s[0..n), or nullptr.
    const Token* longest_at(const unsigned char* s, std::size_t n) const noexcept {
        for (std::uint32_t k = by_first_[s[0]], hi = by_first_[s[0] + 1]; k < hi; ++k) {
            const std::string& c = tokens_[k].content;
            if (c.size() <= n && std::memcmp(s, c.data(), c.size()) == 0) return &tokens_[k];
        }
        return nullptr;
    }
    std::vector<Token> tokens_;                  // by first byte, then longest first
    std::array<std::uint32_t, 257> by_first_{};  // [b, b+1): the tokens starting with byte b
    int single_first_ = -1;                      // the one first byte of all tokens, or -1
};

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
    void trim() noexcept override { release_large(word, pending, pieces); }
    Footprint footprint() const noexcept override {
        return {1, 0, sizeof(*this) + capacity_bytes(word, pending, pieces)};
    }
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
    BertConfig config_;
    Trie initial_;     // every vocabulary token: pieces at the start of a word
    Trie continuing_;  // tokens that start with the prefix, prefix removed
    StringHash initial_hash_;
    StringHash continuing_hash_;
    AddedTokens added_;
    // ASCII fast path: class and output byte per input byte < 0x80.
    std::array<std::uint8_t, 128> ascii_class_{};
    std::array<char, 128> ascii_out_{};
};

}  // namespace fastpool::tokenizer
