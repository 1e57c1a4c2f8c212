// A per-thread cache of word bytes -> ids, for the families whose ids of a word
// do not depend on its neighbours (byte-level BPE, Unigram after Metaspace).
//
// Open addressing over flat arenas: a lookup is one hash of the word's bytes and
// (almost always) one probe and one memcmp; no allocation per entry. It replaced
// std::unordered_map<std::string, ...>, whose node walk and string hashing were
// about a quarter of a BPE batch's time (perf, 30k-token BPE on English text).
// The cache lives as long as its Scratch, which the tokenizer pools across calls
// (text_tokenizer.h). A full cache (set_max_words(), per tokenizer) keeps only the
// words looked up again since they went in (at most half of it) and drops the rest,
// so memory stays bounded
// and the frequent words of a stream stay cached: a word seen once is the common
// case in fresh text, and clearing everything lost the frequent ones too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "bytes_equal.h"
#include "fastpool/prefetch.h"

namespace fastpool::tokenizer {

class WordCache {
   public:
    // Words longer than this (bytes) are not cached: rare, and slow to hash.
    static constexpr std::size_t kMaxWordBytes = 64;
    // The default capacity; more entries evict the words not looked up again. 65,536
    // words take 3-5 MB on real text, ~22 MB at worst (64 bytes of byte-fallback ids each).
    static constexpr std::size_t kDefaultMaxWords = std::size_t{1} << 16;
    // The largest capacity: keeps the arenas' 32-bit offsets in range (64-byte keys).
    static constexpr std::size_t kLargestMaxWords = std::size_t{1} << 24;

    // The capacity from now on (at most kLargestMaxWords; 0: cache nothing). Words
    // cached already stay until the next eviction.
    void set_max_words(std::size_t n) noexcept {
        max_words_ = n < kLargestMaxWords ? n : kLargestMaxWords;
    }
    std::size_t size() const noexcept { return used_; }
    std::size_t bytes() const noexcept {
        return slots_.capacity() * sizeof(Slot) + keys_.capacity() +
               ids_.capacity() * sizeof(std::int32_t);
    }

    // The ids cached for word[0..n) (their count in *count), or nullptr.
    // A hit marks the word as used again, so an eviction keeps it.
    const std::int32_t* find(const char* word, std::size_t n, std::uint64_t hash,
                             std::size_t* count) noexcept {
        if (slots_.empty()) return nullptr;
        const std::size_t mask = slots_.size() - 1;
        for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
            Slot& s = slots_[i];
            if (s.tag == 0) return nullptr;
            if (s.tag == tag_of(hash) && s.key_len == n &&
                bytes_equal(keys_.data() + s.key, word, n)) {
                s.n_ids |= kHit;
                *count = s.n_ids & ~kHit;
                return ids_.data() + s.ids;
            }
        }
    }

    // Starts loading the slot a lookup of `hash` reads first: a batch hashes the next
    // word while the current one is handled, so the slot's cache miss overlaps that work.
    void prefetch(std::uint64_t hash) const noexcept {
        if (!slots_.empty()) prefetch_line(slots_.data() + (hash & (slots_.size() - 1)));
    }

    // Caches ids[0..k) for word[0..n) (not already present; n <= kMaxWordBytes). The
    // bytes go in before the slot that names them, so a std::bad_alloc leaves no slot
    // pointing past the arenas (the scratch, and so the cache, outlives a failed call).
    void insert(const char* word, std::size_t n, std::uint64_t hash, const std::int32_t* ids,
                std::size_t k) {
        if (max_words_ == 0) return;
        if (used_ >= max_words_) evict_unused();
        if (4 * (used_ + 1) > 3 * slots_.size()) grow();
        const auto key = static_cast<std::uint32_t>(keys_.size());
        const auto at = static_cast<std::uint32_t>(ids_.size());
        keys_.append(word, n);
        ids_.insert(ids_.end(), ids, ids + k);
        place(slots_, hash,
              Slot{tag_of(hash), key, at, static_cast<std::uint16_t>(n),
                   static_cast<std::uint16_t>(k)});
        ++used_;
    }

    // A 64-bit hash of word[0..n): its low bits pick the slot, its high half is the tag.
    static std::uint64_t hash(const char* p, std::size_t n) noexcept {
        std::uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
        std::uint64_t v;
        for (; n >= 8; p += 8, n -= 8) {
            std::memcpy(&v, p, 8);
            h = (h ^ v) * 0xBF58476D1CE4E5B9ull;
            h ^= h >> 31;
        }
        if (n) {
            v = 0;
            std::memcpy(&v, p, n);
            h = (h ^ v) * 0x94D049BB133111EBull;
            h ^= h >> 29;
        }
        h *= 0x9E3779B97F4A7C15ull;
        h ^= h >> 32;
        return h;
    }

   private:
    static constexpr std::uint16_t kHit = 0x8000;  // in Slot::n_ids: looked up since insert

    // Keeps the words hit since they went in (up to half of max_words_, in slot order,
    // their marks cleared) and drops the others: one pass over the slots and the kept
    // bytes, once per max_words_ / 2 inserts at least. The slots shrink to what
    // max_words_ needs when the capacity went down.
    // Built aside and swapped in, so a std::bad_alloc leaves the cache as it was.
    void evict_unused() {
        std::size_t n_slots = 1024;  // what a full cache of max_words_ needs (see insert)
        while (4 * (max_words_ + 1) > 3 * n_slots) n_slots *= 2;
        std::vector<Slot> slots(n_slots < slots_.size() ? n_slots : slots_.size());
        std::string keys;
        std::vector<std::int32_t> ids;
        std::size_t kept = 0;
        for (const Slot& s : slots_) {
            if (s.tag == 0 || !(s.n_ids & kHit)) continue;
            if (kept == max_words_ / 2) break;
            const std::uint16_t n_ids = s.n_ids & ~kHit;
            place(slots, hash(keys_.data() + s.key, s.key_len),
                  Slot{s.tag, static_cast<std::uint32_t>(keys.size()),
                       static_cast<std::uint32_t>(ids.size()), s.key_len, n_ids});
            keys.append(keys_.data() + s.key, s.key_len);
            ids.insert(ids.end(), ids_.begin() + s.ids, ids_.begin() + s.ids + n_ids);
            ++kept;
        }
        slots_.swap(slots);
        keys_.swap(keys);
        ids_.swap(ids);
        used_ = kept;
    }

    // 16 bytes, so the slots of a batch's words mostly stay in L2 (the probe's load
    // miss was a third of the lookup's time with 24-byte slots).
    struct Slot {
        std::uint32_t tag = 0;  // 0: empty
        std::uint32_t key = 0, ids = 0;
        std::uint16_t key_len = 0, n_ids = 0;
    };
    static std::uint32_t tag_of(std::uint64_t hash) noexcept {
        return static_cast<std::uint32_t>(hash >> 32) | 1u;
    }

    void grow() {
        std::vector<Slot> old(slots_.empty() ? 1024 : 2 * slots_.size());
        old.swap(slots_);
        for (const Slot& s : old)
            if (s.tag != 0) place(slots_, hash(keys_.data() + s.key, s.key_len), s);
    }

    // Puts s in the first empty slot from hash's (linear probing; slots is never full).
    static void place(std::vector<Slot>& slots, std::uint64_t hash, const Slot& s) noexcept {
        const std::size_t mask = slots.size() - 1;
        std::size_t i = hash & mask;
        while (slots[i].tag != 0) i = (i + 1) & mask;
        slots[i] = s;
    }

    std::vector<Slot> slots_;  // a power of two in size, at most 3/4 full
    std::string keys_;
    std::vector<std::int32_t> ids_;
    std::size_t used_ = 0;
    std::size_t max_words_ = kDefaultMaxWords;
};

}  // namespace fastpool::tokenizer
