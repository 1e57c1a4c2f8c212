// bpe.h - a native byte-level BPE tokenizer (GPT-2 / RoBERTa shape) that
// reproduces Hugging Face `tokenizers` (ByteLevel pre-tokenizer + BPE model)
// id for id.
//
// Contract:
//   * Input is UTF-8 bytes of any content: ill-formed sequences decode to
//     U+FFFD (utf8.h), whose UTF-8 bytes are then what BPE sees.
//   * Pipeline per text: cut to the first max_chars code points; split out
//     added tokens (leftmost-longest byte match on the raw text, as in
//     tokenizer.h; the Python layer routes other added-token options to
//     `tokenizers`); per remaining non-empty segment: the normalizer (NFC /
//     NFD / NFKC / NFKD forms in order, unicode_norm.h, or none); prepend " " if
//     add_prefix_space and it does not start with " "; split with GPT-2's
//     pattern if use_regex (classes from bpe_tables.h, measured from
//     `tokenizers`), or with Qwen2's pattern first then ByteLevel on each
//     piece (qwen2_split); map each piece's bytes to the byte-level alphabet; BPE
//     each piece: with ignore_merges a piece that is a vocabulary token is
//     that token; else one symbol per byte (continuing_subword_prefix on all
//     but the first, end_of_word_suffix on the last; missing symbols become
//     byte-fallback tokens or the unknown token, fused if fuse_unk), then
//     merges applied by rank, lowest first, leftmost among equal ranks. Keep
//     the first max_tokens ids, then (drop_unk) remove the unknown id.
//   * build() returns false on allocation failure. tokenize() may throw only
//     std::bad_alloc. A built tokenizer is immutable: tokenize() is safe from
//     many threads, each with its own Scratch (which also caches words).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "text_tokenizer.h"
#include "tokenizer.h"  // StringTable, StringHash
#include "word_cache.h"

namespace fastpool::tokenizer {

struct BpeConfig {
    bool add_prefix_space = false;
    bool use_regex = true;
    bool ignore_merges = false;
    bool fuse_unk = false;
    bool byte_fallback = false;
    std::int32_t unk_id = -1;  // -1: no unknown token (missing symbols are dropped)
    // Split with Qwen2's pattern (Isolated) before ByteLevel, which then runs
    // on each piece (Sequence[Split, ByteLevel] in tokenizer.json).
    bool qwen2_split = false;
    // The normalizer: unorm::Form values applied in order to each segment (empty: none).
    std::vector<int> forms;
};

// A BPE model as tokenizer.json holds it, strings NUL-terminated (one pass from
// Python, no object per token): vocab has n_vocab strings with ids[k] each;
// merges has n_merges merges in rank order, each "left right" (the legacy
// form) or, if merge_pairs, as two strings left, right.
struct BpeModelText {
    const char* vocab = nullptr;
    std::size_t vocab_size = 0;
    const std::int32_t* ids = nullptr;
    std::int64_t n_vocab = 0;
    const char* merges = nullptr;
    std::size_t merges_size = 0;
    std::int64_t n_merges = 0;
    bool merge_pairs = false;
};

// The merges in rank order: pair (left[k], right[k]) becomes merged[k].
struct MergeTable {
    std::vector<std::int32_t> left, right, merged;
};

// Pair of ids -> (rank, merged id); open addressing. A pair listed twice
// keeps its last rank, as `tokenizers` collects merges into a HashMap.
class MergeHash {
   public:
    void build(const MergeTable& merges);
    // False if (a, b) is no merge.
    bool find(std::int32_t a, std::int32_t b, std::uint32_t& rank,
              std::int32_t& merged) const noexcept;

   private:
    struct Slot {
        std::uint64_t key;  // a << 32 | b; kEmpty: free
        std::uint32_t rank;
        std::int32_t merged;
    };
    static constexpr std::uint64_t kEmpty = ~std::uint64_t{0};
    std::vector<Slot> slots_;
    std::uint64_t mask_ = 0;
};

struct BpeScratch : Scratch {
    std::vector<std::uint32_t> cps;       // one segment's code points
    std::vector<std::uint32_t> prefixed;  // one Split piece with ByteLevel's prefix space
    std::vector<std::uint32_t> norm;      // Unicode normalization scratch
    std::string word;                     // one piece's bytes
    std::string mapped;                   // ... in the byte-level alphabet (+ StringHash::kPad)
    struct Symbol {
        std::int32_t id;
        std::int32_t prev;
        std::int32_t next;
        bool alive;
    };
    std::vector<Symbol> symbols;
    struct Merge {
        std::uint32_t rank;
        std::uint32_t pos;
        std::int32_t merged;
    };
    std::vector<Merge> heap;
    std::vector<std::int32_t> pieces;
    // Word cache (bytes -> ids), as `tokenizers` caches words: never changes ids.
    WordCache cache;
    void trim() noexcept override {
        release_large(cps, prefixed, norm, word, mapped, symbols, heap, pieces);
    }
    void set_cache_words(std::size_t n) noexcept override { cache.set_max_words(n); }
    Footprint footprint() const noexcept override {
        return {1, cache.size(),
                sizeof(*this) + cache.bytes() +
                    capacity_bytes(cps, prefixed, norm, word, mapped, symbols, heap, pieces)};
    }
};

class ByteLevelBpe final : public TextTokenizer {
   public:
    static constexpr std::int64_t kBuilt = -1, kNoMemory = -2, kBadVocab = -3;
    // model: the vocabulary (byte-level alphabet) and merges; prefix / suffix:
    // the continuing_subword_prefix / end_of_word_suffix ("" for none); added:
    // the added tokens to split out first. Returns kBuilt, kNoMemory, kBadVocab
    // (not n_vocab strings) or the index of the first merge `tokenizers` would
    // refuse: malformed, a token not in the vocabulary, a right token without
    // the prefix, or a merged token (left + right less the prefix) not in it.
    std::int64_t build(const BpeConfig& config, const BpeModelText& model,
                       const std::string& prefix, const std::string& suffix,
                       const StringTable& added) noexcept;

    std::unique_ptr<Scratch> new_scratch() const override { return std::make_unique<BpeScratch>(); }
    // Appends the ids of text[0..n) to ids; scratch must be a BpeScratch.
    void tokenize(const char* text, std::size_t n, const Limits& limits, Scratch& scratch,
                  std::vector<std::int32_t>& ids) const override;

   private:
    friend class BpeRun;
    // The ids of one piece (s.word; s.mapped is its byte-level form) into s.pieces.
    void bpe_word(BpeScratch& s) const;
    BpeConfig config_;
    StringHash vocab_;
    MergeHash merges_;
    std::string prefix_, suffix_;
    // The byte-level character of each byte, as UTF-8 (1 or 2 bytes).
    std::array<std::array<char, 2>, 256> byte_char_{};
    std::array<std::uint8_t, 256> byte_char_len_{};
    // Symbol id of byte b at [!first | last << 1]: the prefix applies to all
    // but the first byte, the suffix to the last; -1: not in the vocabulary.
    std::array<std::array<std::int32_t, 256>, 4> symbol_{};
    std::array<std::int32_t, 256> fallback_{};  // id of "<0xHH>", or -1
    AddedTokens added_;
};

}  // namespace fastpool::tokenizer
