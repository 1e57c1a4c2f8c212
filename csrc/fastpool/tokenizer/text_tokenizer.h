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
// does either; only time does. clear_cache() frees the pool, set_cache_words()
// sizes (or turns off) the word caches, cache_info() says what the pool holds.
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
//   * fork() is safe at any moment: a child copies a mutex that another thread of
//     the parent may hold, and no thread of the child would ever release it, so
//     fork handlers (pthread_atfork) take every live tokenizer's pool lock before
//     the fork and release it after, in the parent and in the child.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "word_cache.h"

#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#endif

namespace fastpool::tokenizer {

struct Limits {
    std::int64_t max_chars = -1;   // code points kept per text; < 0: all
    std::int64_t max_tokens = -1;  // tokens kept per text (before drop_unk); < 0: all
    bool drop_unk = true;
};

// What a scratch (or a pool of them) holds: cached words and bytes allocated.
struct Footprint {
    std::size_t scratches = 0, words = 0, bytes = 0;
};

// Per-thread working memory of one family, reused across texts and calls.
struct Scratch {
    virtual ~Scratch() = default;
    // Frees the buffers a long text grew past kKeepBytes, before the scratch goes back
    // to the pool: a pooled scratch keeps its word cache (bounded) and small buffers,
    // not the memory of the longest text ever seen.
    virtual void trim() noexcept {}
    // The most words its word cache may hold (0: none); families without one ignore it.
    virtual void set_cache_words(std::size_t) noexcept {}
    // Words cached and bytes allocated (buffer capacities), for cache_info().
    virtual Footprint footprint() const noexcept { return {1, 0, sizeof(*this)}; }
    static constexpr std::size_t kKeepBytes = std::size_t{1} << 20;
    // The pool generation it was made in: one made before a clear_cache() is not pooled.
    std::uint64_t generation = 0;
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

// For Scratch::footprint(): the bytes the buffers have allocated.
template <class... Buffers>
std::size_t capacity_bytes(const Buffers&... buffers) noexcept {
    return (std::size_t{0} + ... + (buffers.capacity() * sizeof(typename Buffers::value_type)));
}

class TextTokenizer;

namespace fork_safety {
// The live tokenizers, so that the fork handlers can take their pool locks.
inline std::mutex& registry_lock() {
    static std::mutex* lock = new std::mutex;  // never destroyed: handlers may run at exit
    return *lock;
}
inline std::vector<const TextTokenizer*>& registry() {
    static auto* live = new std::vector<const TextTokenizer*>;
    return *live;
}
inline void before_fork() noexcept;
inline void after_fork() noexcept;
inline void install_handlers() noexcept {
#if defined(__unix__) || defined(__APPLE__)
    static const bool installed = pthread_atfork(before_fork, after_fork, after_fork) == 0;
    (void)installed;
#endif
}
}  // namespace fork_safety

class TextTokenizer {
   public:
    TextTokenizer() {
        fork_safety::install_handlers();
        const std::lock_guard<std::mutex> hold(fork_safety::registry_lock());
        fork_safety::registry().push_back(this);  // may throw bad_alloc: nothing to undo
    }
    TextTokenizer(const TextTokenizer&) = delete;
    TextTokenizer& operator=(const TextTokenizer&) = delete;
    virtual ~TextTokenizer() {
        const std::lock_guard<std::mutex> hold(fork_safety::registry_lock());
        auto& live = fork_safety::registry();
        live.erase(std::remove(live.begin(), live.end(), this), live.end());
    }
    // Fresh working memory for one thread (may throw std::bad_alloc).
    virtual std::unique_ptr<Scratch> new_scratch() const = 0;
    // Appends the ids of text[0..n) to ids; scratch comes from this->lease() (or
    // this->new_scratch()).
    virtual void tokenize(const char* text, std::size_t n, const Limits& limits, Scratch& scratch,
                          std::vector<std::int32_t>& ids) const = 0;
    // The same for n_rows texts (data[r], sizes[r] bytes) in order, ends[r] = ids.size()
    // after text r. batch.h calls this, a chunk of rows at a time, so that a family can
    // work across texts (Unigram walks the new words of several texts at once).
    virtual void tokenize_rows(const char* const* data, const std::int64_t* sizes,
                               std::size_t n_rows, const Limits& limits, Scratch& scratch,
                               std::vector<std::int32_t>& ids, std::int64_t* ends) const {
        for (std::size_t r = 0; r < n_rows; ++r) {
            tokenize(data[r], static_cast<std::size_t>(sizes[r]), limits, scratch, ids);
            ends[r] = static_cast<std::int64_t>(ids.size());
        }
    }

    // A scratch for one thread for one call: a pooled one when an earlier call left
    // one, else new_scratch(); null when memory runs out. Hand it back with release().
    std::unique_ptr<Scratch> lease() const noexcept {
        std::uint64_t generation;
        std::size_t words;
        {
            const std::lock_guard<std::mutex> hold(pool_mutex_);
            if (!pool_.empty()) {
                std::unique_ptr<Scratch> s = std::move(pool_.back());
                pool_.pop_back();
                return s;
            }
            generation = generation_;
            words = cache_words_;
        }
        try {
            std::unique_ptr<Scratch> s = new_scratch();
            s->generation = generation;
            s->set_cache_words(words);
            return s;
        } catch (...) {
            return nullptr;
        }
    }
    // Trims s and keeps it for a later lease(), unless kMaxPooled are kept already, it
    // was made before the last clear_cache() (or memory runs out), when it is freed.
    void release(std::unique_ptr<Scratch> s) const noexcept {
        if (!s) return;
        s->trim();
        const std::lock_guard<std::mutex> hold(pool_mutex_);
        if (pool_.size() >= kMaxPooled || s->generation != generation_) return;
        try {
            pool_.push_back(std::move(s));  // strong guarantee: on failure s still owns it
        } catch (...) {
        }
    }
    // Frees the pooled scratches, their word caches with them. A call running now keeps
    // its scratches to its end and frees them then, so nothing cached before this call
    // outlives the calls running at the time.
    void clear_cache() const noexcept {
        std::vector<std::unique_ptr<Scratch>> old;
        {
            const std::lock_guard<std::mutex> hold(pool_mutex_);
            old.swap(pool_);
            ++generation_;
        }  // freed outside the lock: a large pool takes a while
    }
    // The most words each thread's word cache holds from now on (0: no word cache;
    // default WordCache::kDefaultMaxWords); clears the pool so every later call uses it.
    void set_cache_words(std::size_t words) const noexcept {
        {
            const std::lock_guard<std::mutex> hold(pool_mutex_);
            cache_words_ = words;
        }
        clear_cache();
    }
    std::size_t cache_words() const noexcept {
        const std::lock_guard<std::mutex> hold(pool_mutex_);
        return cache_words_;
    }
    // What the pool holds now (scratches leased by running calls are not counted).
    Footprint cache_info() const noexcept {
        Footprint all;
        const std::lock_guard<std::mutex> hold(pool_mutex_);
        for (const auto& s : pool_) {
            const Footprint one = s->footprint();
            all.scratches += one.scratches;
            all.words += one.words;
            all.bytes += one.bytes;
        }
        return all;
    }
    // Test hook: holds the pool lock for ms milliseconds (a fork meanwhile must not leave
    // the child with a lock nobody releases).
    void hold_pool_lock(int ms) const noexcept {
        const std::lock_guard<std::mutex> hold(pool_mutex_);
        std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    }
    // More threads than this at once leave their scratches unpooled.
    static constexpr std::size_t kMaxPooled = 64;

   private:
    friend void fork_safety::before_fork() noexcept;
    friend void fork_safety::after_fork() noexcept;
    mutable std::mutex pool_mutex_;
    mutable std::vector<std::unique_ptr<Scratch>> pool_;
    mutable std::uint64_t generation_ = 0;
    mutable std::size_t cache_words_ = WordCache::kDefaultMaxWords;
};

namespace fork_safety {
// Registry first, then each pool lock (the only order anything takes both in), so the
// fork happens with no lock of ours held by another thread; both sides then release.
inline void before_fork() noexcept {
    registry_lock().lock();
    for (const TextTokenizer* t : registry()) t->pool_mutex_.lock();
}
inline void after_fork() noexcept {
    for (const TextTokenizer* t : registry()) t->pool_mutex_.unlock();
    registry_lock().unlock();
}
}  // namespace fork_safety

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
