// text_tokenizer.h - what every native tokenizer family offers the batch drivers.
//
// A family (WordPiece in tokenizer.h; Unigram, BPE beside it) derives from
// TextTokenizer and its per-thread working memory from Scratch. batch.h calls
// new_scratch() once per thread and tokenize() once per text, so the virtual
// calls cost nothing next to the text itself.
//
// Contract shared by every family:
//   * Input is UTF-8 bytes of any content: ill-formed sequences decode to
//     U+FFFD (utf8.h), so no byte string can read out of bounds.
//   * tokenize() appends the ids of one text to ids and honours Limits in
//     model2vec's order: cut to max_chars code points, tokenize, keep the
//     first max_tokens ids, then (drop_unk) remove the family's unknown id.
//   * It may throw only std::bad_alloc (batch.h's noexcept entry points catch
//     it). A built tokenizer is immutable: tokenize() is safe from many
//     threads, each with its own Scratch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace fastpool::tokenizer {

struct Limits {
    std::int64_t max_chars = -1;   // code points kept per text; < 0: all
    std::int64_t max_tokens = -1;  // tokens kept per text (before drop_unk); < 0: all
    bool drop_unk = true;
};

// Per-thread working memory of one family, reused across texts.
struct Scratch {
    virtual ~Scratch() = default;
};

class TextTokenizer {
   public:
    virtual ~TextTokenizer() = default;
    // Fresh working memory for one thread (may throw std::bad_alloc).
    virtual std::unique_ptr<Scratch> new_scratch() const = 0;
    // Appends the ids of text[0..n) to ids; scratch comes from this->new_scratch().
    virtual void tokenize(const char* text, std::size_t n, const Limits& limits, Scratch& scratch,
                          std::vector<std::int32_t>& ids) const = 0;
};

}  // namespace fastpool::tokenizer
