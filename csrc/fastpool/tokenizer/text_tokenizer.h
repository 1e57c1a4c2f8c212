// text_tokenizer.h - what every native tokenizer family offers the batch drivers.
//
// A family (WordPiece in tokenizer.h; Unigram, BPE beside it) derives from
// TextTokenizer and its per-thread working memory from Scratch. batch.h leases
// a scratch once per thread per call and calls tokenize() once per text, so the
// virtual calls cost nothing next to the text itself.
//
// Scratches outlive the call: a leased one goes back to a small pool on the
// tokenizer, so the next call (often one short text, as a server encodes a query)
// starts with allocated buffers and a warm word cache, as `tokenizers` keeps its
// word cache across calls. A word's ids never depend on the cache, so no result
// does either; only time does.
//
// Contract shared by every family:
//   * Input is UTF-8 bytes of any content: ill-formed sequences decode to
//     U+FFFD (utf8.h), so no byte string can read out of bounds.
//   * tokenize() appends the ids of one text to ids and honours Limits in
//     model2vec's order: cut to max_chars code points, tokenize, keep the
//     first max_tokens ids, then (drop_unk) remove the family's unknown id.
//   * It may throw only std::bad_alloc (batch.h's noexcept entry points catch
//     it). A built tokenizer is immutable but for its scratch pool (guarded by
//     a mutex, taken once per thread per call): tokenize() is safe from many
//     threads, each with its own Scratch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <type_traits>
#include <utility>
#include <vector>

namespace fastpool::tokenizer {

struct Limits {
    std::int64_t max_chars = -1;   // code points kept per text; < 0: all
    std::int64_t max_tokens = -1;  // tokens kept per text (before drop_unk); < 0: all
    bool drop_unk = true;
};

// Per-thread working memory of one family, reused across texts and calls.
struct Scratch {
    virtual ~Scratch() = default;
    // Frees the buffers a long text grew past kKeepBytes, before the scratch goes back
    // to the pool: a pooled scratch keeps its word cache (bounded) and small buffers,
    // not the memory of the longest text ever seen.
    virtual void trim() noexcept {}
    static constexpr std::size_t kKeepBytes = std::size_t{1} << 20;
};

// For Scratch::trim(): releases each buffer (a std::string or std::vector) whose
// capacity exceeds Scratch::kKeepBytes.
template <class... Buffers>
void release_large(Buffers&... buffers) noexcept {
    const auto one = [](auto& b) noexcept {
        using B = std::remove_reference_t<decltype(b)>;
        if (b.capacity() * sizeof(typename B::value_type) > Scratch::kKeepBytes) B().swap(b);
    };
    (one(buffers), ...);
}

class TextTokenizer {
   public:
    TextTokenizer() = default;
    TextTokenizer(const TextTokenizer&) = delete;
    TextTokenizer& operator=(const TextTokenizer&) = delete;
    virtual ~TextTokenizer() = default;
    // Fresh working memory for one thread (may throw std::bad_alloc).
    virtual std::unique_ptr<Scratch> new_scratch() const = 0;
    // Appends the ids of text[0..n) to ids; scratch comes from this->lease() (or
    // this->new_scratch()).
    virtual void tokenize(const char* text, std::size_t n, const Limits& limits, Scratch& scratch,
                          std::vector<std::int32_t>& ids) const = 0;

    // A scratch for one thread for one call: a pooled one when an earlier call left
    // one, else new_scratch(); null when memory runs out. Hand it back with release().
    std::unique_ptr<Scratch> lease() const noexcept {
        {
            const std::lock_guard<std::mutex> hold(pool_mutex_);
            if (!pool_.empty()) {
                std::unique_ptr<Scratch> s = std::move(pool_.back());
                pool_.pop_back();
                return s;
            }
        }
        try {
            return new_scratch();
        } catch (...) {
            return nullptr;
        }
    }
    // Trims s and keeps it for a later lease(), unless kMaxPooled are kept already (or
    // memory runs out), when it is freed.
    void release(std::unique_ptr<Scratch> s) const noexcept {
        if (!s) return;
        s->trim();
        const std::lock_guard<std::mutex> hold(pool_mutex_);
        if (pool_.size() >= kMaxPooled) return;
        try {
            pool_.push_back(std::move(s));  // strong guarantee: on failure s still owns it
        } catch (...) {
        }
    }
    // More threads than this at once leave their scratches unpooled.
    static constexpr std::size_t kMaxPooled = 64;

   private:
    mutable std::mutex pool_mutex_;
    mutable std::vector<std::unique_ptr<Scratch>> pool_;
};

// A leased scratch for the length of a scope (batch.h's drivers, one per thread).
class ScratchLease {
   public:
    explicit ScratchLease(const TextTokenizer& tok) noexcept : tok_(tok), scratch_(tok.lease()) {}
    ScratchLease(const ScratchLease&) = delete;
    ScratchLease& operator=(const ScratchLease&) = delete;
    ~ScratchLease() { tok_.release(std::move(scratch_)); }  // release(nullptr): nothing
    // After a tokenize() that threw: the scratch is freed, not pooled (its buffers
    // may hold a text's half-done state).
    void discard() noexcept { scratch_.reset(); }
    // False when memory ran out: the caller must fail, not tokenize.
    explicit operator bool() const noexcept { return scratch_ != nullptr; }
    Scratch& operator*() const noexcept { return *scratch_; }

   private:
    const TextTokenizer& tok_;
    std::unique_ptr<Scratch> scratch_;
};

}  // namespace fastpool::tokenizer
