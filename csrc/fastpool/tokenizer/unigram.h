// unigram.h - a native SentencePiece Unigram tokenizer that reproduces Hugging
// Face `tokenizers` (normalizers, pre-tokenizers, Unigram) id for id.
//
// Contract:
//   * Input is UTF-8 bytes of any content: ill-formed sequences become U+FFFD
//     first (utf8.h), so everything after works on valid UTF-8.
//   * Per text: cut to max_chars code points; split out added tokens
//     (leftmost-longest on the text, lstrip/rstrip absorbing the whitespace
//     beside a match; only tokens with normalized and single_word false: the
//     Python layer routes others to `tokenizers`); per remaining segment run the normalizer steps
//     in order (Precompiled charsmap per grapheme cluster, Replace, Prepend, Strip,
//     Lowercase, NFC/NFD/NFKC/NFKD on the whole segment), then the pre-tokenizer (Metaspace;
//     a Sequence of WhitespaceSplit / Whitespace / Punctuation / Digits / Metaspace steps; or
//     none), then Viterbi over the vocabulary scores per piece, with consecutive unknown
//     characters fused into one unknown (or byte-fallback) token as `tokenizers` does. Keep the
//     first max_tokens ids, then (drop_unk) remove the unknown id.
//   * build() returns false on allocation failure or a malformed table.
//     tokenize() may throw only std::bad_alloc. A built tokenizer is
//     immutable: tokenize() is safe from many threads, each with its own Scratch.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "huge_pages.h"
#include "text_tokenizer.h"
#include "tokenizer.h"
#include "word_cache.h"

namespace fastpool::tokenizer {

// SentencePiece's precompiled charsmap: a double-array trie over UTF-8 bytes
// whose values index NUL-terminated replacement strings.
class CharsMap {
   public:
    // The raw (base64-decoded) blob: u32 trie size in bytes, the trie's u32
    // units (little-endian), then the replacement strings. False if malformed.
    bool load(const char* data, std::size_t n);
    // The replacement of the shortest entry prefixing s[0..n) (stopping at a
    // NUL byte), as in spm_precompiled's transform; false if none.
    bool transform(const char* s, std::size_t n, const char** out, std::size_t* out_n) const;
    // Rewrites text (valid UTF-8) one grapheme cluster at a time into out.
    void normalize(const std::string& text, std::string& out) const;

   private:
    std::vector<std::uint32_t> units_;
    std::string normalized_;
    // Each ASCII byte's replacement as a one-byte cluster: offset into normalized_ and
    // length, or length -1 where the byte maps to itself (no entry).
    std::array<std::int32_t, 128> ascii_at_{};
    std::array<std::int32_t, 128> ascii_len_{};
};

struct NormStep {
    enum Kind : int {
        kPrecompiled = 0,
        kReplace = 1,
        kReplaceSpaces = 2,
        kPrepend = 3,
        kStrip = 4,
        kLowercase = 5,  // Rust's char::to_lowercase per code point (unicode_tables.h)
        kUnicode = 8     // NFC / NFD / NFKC / NFKD (unicode_norm.h): the form in `charsmap`
    };
    int kind = kPrecompiled;
    std::string a;      // Replace pattern / Prepend text / (Precompiled: unused)
    std::string b;      // Replace content
    bool left = false;  // Strip
    bool right = false;
    int charsmap = -1;  // index into the tokenizer's charsmaps (kUnicode: the unorm::Form)
};

// One step of a pre-tokenizer Sequence (UnigramConfig::pre == 2), as `tokenizers` splits.
struct PreStep {
    enum Kind : int {
        kWhitespaceSplit = 0,  // drop char::is_whitespace, split there
        kWhitespace = 1,       // the regex \w+|[^\w\s]+ (runs of word / other; \s dropped)
        kPunctuation = 2,      // split on punctuation with `behavior`
        kDigits = 3,           // split on char::is_numeric: behavior kIsolated or kContiguous
        kMetaspace = 4         // UnigramConfig's Metaspace, per piece
    };
    // SplitDelimiterBehavior.
    enum Behavior : int {
        kRemoved = 0,
        kIsolated = 1,
        kMergedWithPrevious = 2,
        kMergedWithNext = 3,
        kContiguous = 4
    };
    int kind = kWhitespaceSplit;
    int behavior = kRemoved;
};

struct UnigramConfig {
    std::int32_t unk_id = 0;
    bool byte_fallback = false;
    // Pre-tokenizer: 0 none, 1 Metaspace, 2 the Sequence pre_steps.
    int pre = 0;
    std::string replacement;  // Metaspace replacement (one character, UTF-8)
    int prepend_scheme = 0;   // 0 always, 1 never, 2 first
    bool split = true;
    // pre == 2: the steps in order. A Metaspace with prepend_scheme first (2) comes
    // before any splitting step (the Python layer declines others).
    std::vector<PreStep> pre_steps;
};

struct UnigramScratch : Scratch {
    std::string clean, seg, norm, tmp, fused;
    std::vector<std::size_t> pieces;  // piece starts in seg, then its end
    std::vector<std::size_t> ends;    // Viterbi path ends
    std::vector<double> score;
    std::vector<std::int32_t> from, id;
    // Word cache (Metaspace words repeat): a word's ids as Viterbi gave them, before
    // limits; lives as long as the scratch (pooled across calls), bounded in entries.
    WordCache cache;
    std::vector<std::int32_t> word_ids;
    std::vector<std::uint32_t> ucps, utmp;  // Unicode normalization scratch
    // Pre-tokenizer Sequence: the other buffer / cuts of each step, and a piece's split
    // events (byte range, delimiter?).
    std::string pre_buf, pre_word;
    std::vector<std::size_t> pre_cuts;
    struct Event {
        std::size_t b, e;
        bool match;
    };
    std::vector<Event> events;
    // Viterbi over a batch of words (UnigramTokenizer::walk): one lane per character
    // start of each word, the trie matches (edges) the walks found, grouped by lane.
    struct Lane {
        std::size_t b;        // the word's offset in arena
        std::uint32_t n, at;  // its length and this lane's start, bytes
    };
    struct Edge {
        std::uint32_t lane, end;  // a piece from the lane's start to end (bytes in the word)
        std::int32_t id;
        double score;
    };
    // One word of a segment: its length (and, waiting for a walk, its bytes' offset in
    // arena and its first lane), its ids in text_ids once known, or the earlier word of
    // its batch it repeats.
    struct Word {
        static constexpr std::size_t kNone = ~std::size_t{0};
        std::size_t b, len;
        std::uint64_t hash;
        std::size_t ids_at, n_ids, lane, same;
    };
    std::vector<Lane> lanes;
    std::vector<Edge> edges, sorted;
    std::vector<std::uint32_t> order, edge_at, fill_at;
    std::vector<Word> words;
    std::vector<std::size_t> batch;  // the words waiting for a walk (indices in words)
    std::vector<std::int32_t> text_ids;
    // tokenize_rows(): the bytes of the words waiting for a walk (seg is overwritten by
    // the next segment), the items of the rows that wait (an index in words, or -1 - id
    // for an added token), and those rows: from item on, with the ids they may still take.
    struct Waiting {
        std::size_t index, item;
        std::int64_t remaining;
    };
    std::string arena;
    std::vector<std::int64_t> items;
    std::vector<Waiting> waiting;
    void trim() noexcept override {
        release_large(clean, seg, norm, tmp, fused, pieces, ends, score, from, id, word_ids, ucps,
                      utmp, pre_buf, pre_word, pre_cuts, events, lanes, edges, sorted, order,
                      edge_at, fill_at, words, batch, text_ids, arena, items, waiting);
    }
    void set_cache_words(std::size_t n) noexcept override { cache.set_max_words(n); }
    Footprint footprint() const noexcept override {
        return {1, cache.size(),
                sizeof(*this) + cache.bytes() +
                    capacity_bytes(clean, seg, norm, tmp, fused, pieces, ends, score, from, id,
                                   word_ids, ucps, utmp, pre_buf, pre_word, pre_cuts, events, lanes,
                                   edges, sorted, order, edge_at, fill_at, words, batch, text_ids,
                                   arena, items, waiting)};
    }
};

class UnigramTokenizer final : public TextTokenizer {
   public:
    static constexpr std::uint8_t kLstrip = StringTable::kLstrip, kRstrip = StringTable::kRstrip;
    // pieces: n vocabulary strings as one UTF-8 blob, piece k at bytes
    // [offsets[k], offsets[k+1]); scores[k] its score. added: n_added
    // strings (byte offsets) with ids and flags (kLstrip | kRstrip). charsmaps: the raw
    // blobs the steps refer to.
    bool build(const UnigramConfig& config, const char* pieces, std::size_t pieces_size,
               const std::int64_t* offsets, const double* scores, std::int64_t n, const char* added,
               const std::int64_t* added_offsets, const std::int32_t* added_ids,
               const std::uint8_t* added_flags, std::int64_t n_added,
               const std::vector<NormStep>& steps,
               const std::vector<std::string>& charsmaps) noexcept;

    std::unique_ptr<Scratch> new_scratch() const override {
        return std::make_unique<UnigramScratch>();
    }
    void tokenize(const char* text, std::size_t n, const Limits& limits, Scratch& scratch,
                  std::vector<std::int32_t>& ids) const override;
    void tokenize_rows(const char* const* data, const std::int64_t* sizes, std::size_t n_rows,
                       const Limits& limits, Scratch& scratch, std::vector<std::int32_t>& ids,
                       std::int64_t* ends) const override;

    // Test hooks: the normalized text of one segment (no added tokens), and
    // the pieces the pre-tokenizer hands the model.
    std::string normalize(const std::string& text, UnigramScratch& scratch) const;
    void pretokenize(const char* text, std::size_t n, UnigramScratch& scratch,
                     std::vector<std::string>& words) const;

   private:
    class Emit;
    struct Row;  // a row of tokenize_rows() being read (unigram.cpp)
    // Looks up (or queues for a walk) the words of one segment of a row.
    void collect(const char* seg, std::size_t n, bool first, Row& row, UnigramScratch& s) const;
    // From here, row waits (its items kept in s.items) for the walk of a new word.
    void defer(Row& row, UnigramScratch& s) const;
    // Word w's ids go to s.text_ids (a waiting row replays them from there).
    void keep_ids(UnigramScratch::Word& w, const std::int32_t* ids, std::size_t n,
                  UnigramScratch& s) const;
    // emit_waiting() walks what is pending, emits every waiting row's ids so far and
    // forgets them (current: the row still being read, or Word::kNone): the end of
    // tokenize_rows(), and drain()'s work past kMaxWaitingWords waiting words (a long text).
    void drain(Row& row, UnigramScratch& s) const;
    void emit_waiting(std::size_t current, const Limits& limits, std::vector<std::int32_t>& ids,
                      std::int64_t* ends, UnigramScratch& s) const;
    static constexpr std::size_t kMaxWaitingWords = 4096;
    // The normalizer steps on text[0..n), into s.norm.
    void normalize_into(const char* text, std::size_t n, UnigramScratch& s) const;
    // Viterbi of one word, its trie walks one after another (words too long to batch).
    void viterbi(const char* w, std::size_t n, UnigramScratch& s, Emit& emit) const;
    // Batched Viterbi: add_lanes() queues a word's walks (returns its first lane), walk()
    // runs every queued walk, interleaved, into s.sorted; best_path() emits one word's ids
    // from its lanes' edges; finish_batch() does all three for s.batch and caches them.
    std::size_t add_lanes(std::size_t b, std::size_t n, UnigramScratch& s) const;
    void walk(UnigramScratch& s) const;
    void best_path(const char* w, std::size_t n, std::size_t lane, UnigramScratch& s,
                   Emit& emit) const;
    void finish_batch(UnigramScratch& s) const;
    // Words in a batch; words longer than kBatchBytes take viterbi() (their lanes and
    // edges would take memory in proportion to their length).
    static constexpr std::size_t kBatchWords = 32, kBatchBytes = 1024;
    // Shared by viterbi() and best_path(): the path through s.from / s.id, emitted.
    void emit_path(const char* w, std::size_t n, UnigramScratch& s, Emit& emit) const;
    void split_pieces(const std::string& norm, bool first, UnigramScratch& s) const;
    // pre == 2: the pre_steps over norm into s.seg / s.pieces.
    void split_sequence(const std::string& norm, bool first, UnigramScratch& s) const;
    // One step over piece p[0..n), appending non-empty pieces to out / cuts.
    void pre_step(const PreStep& step, const char* p, std::size_t n, bool first, UnigramScratch& s,
                  std::string& out, std::vector<std::size_t>& cuts) const;
    // Trie over vocabulary bytes: node 0 is the root; child(node, byte) or 0.
    void build_trie(const char* pieces, std::size_t size, const std::int64_t* offsets,
                    std::int64_t n);
    std::uint32_t child(std::uint32_t node, unsigned char b) const noexcept {
        // A double array: node v's child labelled b sits at nodes_[v].base + b when
        // that unit names v as its parent, so a step is one load, not a label search.
        const std::uint32_t at = nodes_[node].base + b;
        return nodes_[at].check == node ? at : 0;
    }
    std::int32_t exact(const char* s, std::size_t n) const noexcept;

    UnigramConfig config_;
    std::vector<double> scores_;  // by id (the walk reads unit_score_ and Tail::score)
    // A node with one longer piece below keeps that piece's rest as a tail (1-based
    // index in Node::tail, 0: none) instead of a chain of one-child nodes.
    struct Tail {
        std::uint32_t start, len;
        std::int32_t id;
        double score;  // scores_[id], here so a match costs no second cache miss
    };
    // One unit of the double-array trie: what a Viterbi step reads, in one 16-byte load.
    struct Node {
        std::uint32_t check;  // the parent's index (kFree: unused; the root: kRoot)
        std::uint32_t base;   // children at base + label (nodes_ has 256 units of slack)
        std::int32_t term;    // id of the piece ending here, or -1
        std::uint32_t tail;
    };
    static constexpr std::uint32_t kFree = 0xFFFFFFFFu, kRoot = 0xFFFFFFFEu;
    std::vector<Node, HugePageAllocator<Node>> nodes_;
    // By unit: the score of the piece ending there. Its address is known as soon as the
    // unit's, so the two loads overlap (scores_[term] would wait for the unit).
    std::vector<double, HugePageAllocator<double>> unit_score_;
    std::vector<Tail> tails_;
    std::string tail_bytes_;  // the sorted pieces; tails point into it
    double unk_score_ = 0;
    std::array<std::int32_t, 256> byte_ids_{};  // <0xNN> tokens, -1 if absent
    std::vector<NormStep> steps_;
    std::vector<CharsMap> charsmaps_;
    AddedTokens added_;
};

}  // namespace fastpool::tokenizer
