// bpe.cpp - see bpe.h for the contract.
#include "bpe.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>
#include <new>
#include <string_view>

#include "bpe_tables.h"
#include "unicode_norm.h"
#include "utf8.h"

namespace fastpool::tokenizer {

namespace {

// GPT-2's byte-to-unicode map: printable Latin-1 bytes stand for themselves,
// the other 68 bytes for U+0100.. in byte order.
std::uint32_t byte_to_unicode(unsigned b) noexcept {
    static const std::array<std::uint32_t, 256> table = [] {
        std::array<std::uint32_t, 256> t{};
        std::uint32_t next = 256;
        for (unsigned v = 0; v < 256; ++v) {
            const bool printable =
                (v >= '!' && v <= '~') || (v >= 0xA1 && v <= 0xAC) || (v >= 0xAE && v <= 0xFF);
            t[v] = printable ? v : next++;
        }
        return t;
    }();
    return table[b];
}

std::uint8_t class_of(std::uint32_t cp) noexcept {
    using namespace bpe_ucd;
    const std::uint32_t* end = kStart + kRanges;
    const std::uint32_t* it = std::upper_bound(kStart, end, cp);
    return kClass[(it - kStart) - 1];
}

struct AsciiClasses {
    std::array<std::uint8_t, 128> c{};
    AsciiClasses() {
        for (std::uint32_t b = 0; b < 128; ++b) c[b] = class_of(b);
    }
};
const AsciiClasses kAscii;

inline std::uint8_t cls(std::uint32_t cp) noexcept {
    return cp < 128 ? kAscii.c[cp] : class_of(cp);
}

inline std::uint64_t pair_key(std::int32_t a, std::int32_t b) noexcept {
    return static_cast<std::uint64_t>(static_cast<std::uint32_t>(a)) << 32 |
           static_cast<std::uint32_t>(b);
}

inline std::uint64_t pair_hash(std::uint64_t k) noexcept {
    k *= 0x9E3779B97F4A7C15ull;
    return k ^ (k >> 29);
}

// End of the GPT-2 pattern's match at i (i < n): the alternatives in order,
// as the backtracking engine tries them.
std::size_t gpt2_match(const std::uint32_t* c, std::size_t n, std::size_t i) noexcept {
    using namespace bpe_ucd;
    if (c[i] == '\'' && i + 1 < n) {
        const std::uint32_t a = c[i + 1];
        if (a == 's' || a == 't' || a == 'm' || a == 'd') return i + 2;
        if (i + 2 < n) {
            const std::uint32_t b = c[i + 2];
            if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
                return i + 3;
        }
    }
    // " ?\p{L}+", " ?\p{N}+", " ?[^\s\p{L}\p{N}]+": an optional space, then a run of one class.
    std::size_t j = (c[i] == ' ' && i + 1 < n && cls(c[i + 1]) != kSpace) ? i + 1 : i;
    const std::uint8_t k = cls(c[j]);
    if (k != kSpace) {
        ++j;
        while (j < n && cls(c[j]) == k) ++j;
        return j;
    }
    // "\s+(?!\S)", else "\s+": a run of spaces before a non-space leaves its
    // last space to the next match (unless it is the only one).
    j = i + 1;
    while (j < n && cls(c[j]) == kSpace) ++j;
    if (j < n && j - i >= 2) return j - 1;
    return j;
}

template <std::size_t N>
inline bool among(std::uint32_t c, const std::uint32_t (&set)[N]) noexcept {
    return std::find(set, set + N, c) != set + N;
}

inline bool is_crlf(std::uint32_t c) noexcept { return c == '\r' || c == '\n'; }

// End of Qwen2's pattern's match at i (i < n):
// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|
// \s*[\r\n]+|\s+(?!\S)|\s+
std::size_t qwen2_match(const std::uint32_t* c, std::size_t n, std::size_t i) noexcept {
    using namespace bpe_ucd;
    if (c[i] == '\'' && i + 1 < n) {
        const std::uint32_t a = c[i + 1];
        if (among(a, kFoldOne)) return i + 2;
        if (i + 2 < n) {
            const std::uint32_t b = c[i + 2];
            if ((among(a, kFoldRV) && among(b, kFoldE)) || (among(a, kFoldL) && among(b, kFoldL2)))
                return i + 3;
        }
    }
    const std::uint8_t k0 = cls(c[i]);
    std::size_t j;
    if (k0 == kLetter || (k0 != kNumber && !is_crlf(c[i]) && i + 1 < n &&
                          cls(c[i + 1]) == kLetter)) {  // [^\r\n\p{L}\p{N}]?\p{L}+
        j = k0 == kLetter ? i + 1 : i + 2;
        while (j < n && cls(c[j]) == kLetter) ++j;
        return j;
    }
    if (k0 == kNumber) return i + 1;
    j = (c[i] == ' ' && i + 1 < n && cls(c[i + 1]) == kOther) ? i + 1 : i;
    if (cls(c[j]) == kOther) {  //  ?[^\s\p{L}\p{N}]+[\r\n]*
        ++j;
        while (j < n && cls(c[j]) == kOther) ++j;
        while (j < n && is_crlf(c[j])) ++j;
        return j;
    }
    // c[i] is whitespace. \s*[\r\n]+ ends after the run's last CR or LF.
    std::size_t end = i + 1;
    while (end < n && cls(c[end]) == kSpace) ++end;
    for (std::size_t p = end; p > i; --p)
        if (is_crlf(c[p - 1])) return p;
    if (end < n && end - i >= 2) return end - 1;  // \s+(?!\S), else \s+
    return end;
}

}  // namespace

void MergeHash::build(const MergeTable& merges) {
    const std::size_t n = merges.left.size();
    std::size_t cap = 16;
    while (cap < 2 * n) cap *= 2;
    slots_.assign(cap, Slot{kEmpty, 0, -1});
    mask_ = cap - 1;
    for (std::size_t r = 0; r < n; ++r) {
        const std::uint64_t key = pair_key(merges.left[r], merges.right[r]);
        std::uint64_t i = pair_hash(key) & mask_;
        while (slots_[i].key != kEmpty && slots_[i].key != key) i = (i + 1) & mask_;
        slots_[i] = Slot{key, static_cast<std::uint32_t>(r), merges.merged[r]};
    }
}

bool MergeHash::find(std::int32_t a, std::int32_t b, std::uint32_t& rank,
                     std::int32_t& merged) const noexcept {
    const std::uint64_t key = pair_key(a, b);
    for (std::uint64_t i = pair_hash(key) & mask_;; i = (i + 1) & mask_) {
        const Slot& s = slots_[i];
        if (s.key == key) {
            rank = s.rank;
            merged = s.merged;
            return true;
        }
        if (s.key == kEmpty) return false;
    }
}

namespace {

// The NUL-terminated strings of blob[0..size), as views.
std::vector<std::string_view> split_nul(const char* blob, std::size_t size) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (std::size_t i = 0; i < size; ++i) {
        if (blob[i] == '\0') {
            out.emplace_back(blob + start, i - start);
            start = i + 1;
        }
    }
    return out;
}

}  // namespace

std::int64_t ByteLevelBpe::build(const BpeConfig& config, const BpeModelText& model,
                                 const std::string& prefix, const std::string& suffix,
                                 const StringTable& added) noexcept {
    try {
        config_ = config;
        prefix_ = prefix;
        suffix_ = suffix;
        const std::vector<std::string_view> tokens = split_nul(model.vocab, model.vocab_size);
        if (static_cast<std::int64_t>(tokens.size()) != model.n_vocab) return kBadVocab;
        std::vector<std::pair<std::string, std::int32_t>> all;
        all.reserve(tokens.size());
        for (std::size_t k = 0; k < tokens.size(); ++k)
            all.emplace_back(std::string(tokens[k]), model.ids[k]);
        vocab_.build(all);
        std::string padded;
        auto lookup = [&](std::string_view key) {
            padded.assign(key);
            padded.append(StringHash::kPad, '\0');
            return vocab_.find(reinterpret_cast<const unsigned char*>(padded.data()), key.size());
        };

        const std::vector<std::string_view> parts = split_nul(model.merges, model.merges_size);
        const auto n = static_cast<std::size_t>(model.n_merges);
        if (parts.size() != (model.merge_pairs ? 2 * n : n)) return kBadVocab;
        MergeTable merges;
        merges.left.resize(n);
        merges.right.resize(n);
        merges.merged.resize(n);
        std::string joined;
        for (std::size_t k = 0; k < n; ++k) {
            std::string_view left, right;
            if (model.merge_pairs) {
                left = parts[2 * k];
                right = parts[2 * k + 1];
            } else {  // "left right": exactly one space, as tokenizers reads it
                const std::string_view m = parts[k];
                const std::size_t sp = m.find(' ');
                if (sp == std::string_view::npos || m.find(' ', sp + 1) != std::string_view::npos)
                    return static_cast<std::int64_t>(k);
                left = m.substr(0, sp);
                right = m.substr(sp + 1);
            }
            if (right.compare(0, prefix_.size(), prefix_) != 0 || right.size() < prefix_.size())
                return static_cast<std::int64_t>(k);
            joined.assign(left);
            joined.append(right.substr(prefix_.size()));
            merges.left[k] = lookup(left);
            merges.right[k] = lookup(right);
            merges.merged[k] = lookup(joined);
            if (merges.left[k] < 0 || merges.right[k] < 0 || merges.merged[k] < 0)
                return static_cast<std::int64_t>(k);
        }
        merges_.build(merges);

        for (unsigned b = 0; b < 256; ++b) {
            char buf[4];
            const int len = encode(byte_to_unicode(b), buf);
            byte_char_len_[b] = static_cast<std::uint8_t>(len);
            byte_char_[b] = {buf[0], len > 1 ? buf[1] : '\0'};
            const std::string ch(buf, static_cast<std::size_t>(len));
            symbol_[0][b] = lookup(ch);
            symbol_[1][b] = lookup(prefix_ + ch);
            symbol_[2][b] = lookup(ch + suffix_);
            symbol_[3][b] = lookup(prefix_ + ch + suffix_);
            char hex[8];
            std::snprintf(hex, sizeof hex, "<0x%02X>", b);
            fallback_[b] = lookup(hex);
        }

        added_.build(added);
        return kBuilt;
    } catch (const std::bad_alloc&) {
        return kNoMemory;
    }
}

void ByteLevelBpe::bpe_word(BpeScratch& s) const {
    s.pieces.clear();
    const std::string& w = s.word;
    const std::size_t n = w.size();
    const auto* m = reinterpret_cast<const unsigned char*>(s.mapped.data());
    if (config_.ignore_merges) {
        const std::int32_t id = vocab_.find(m, s.mapped.size() - StringHash::kPad);
        if (id >= 0) {
            s.pieces.push_back(id);
            return;
        }
    }
    // One symbol per byte; merge_word's unknown and byte-fallback rules.
    auto& sym = s.symbols;
    sym.clear();
    bool unk_pending = false;
    auto add = [&](std::int32_t id) {
        const auto k = static_cast<std::int32_t>(sym.size());
        sym.push_back({id, k - 1, k + 1, true});
    };
    for (std::size_t i = 0; i < n; ++i) {
        const auto b = static_cast<unsigned char>(w[i]);
        const std::size_t v = (i != 0 ? 1u : 0u) | (i + 1 == n ? 2u : 0u);
        const std::int32_t id = symbol_[v][b];
        if (id >= 0) {
            if (unk_pending) {
                add(config_.unk_id);
                unk_pending = false;
            }
            add(id);
            continue;
        }
        if (config_.byte_fallback) {
            // The bytes of the symbol's string (prefix, character, suffix).
            std::string str = (v & 1) ? prefix_ : std::string();
            str.append(byte_char_[b].data(), byte_char_len_[b]);
            if (v & 2) str += suffix_;
            bool all = true;
            for (unsigned char c : str) all = all && fallback_[c] >= 0;
            if (all) {  // `tokenizers` keeps a pending unknown token pending here
                for (unsigned char c : str) add(fallback_[c]);
                continue;
            }
        }
        if (config_.unk_id >= 0) {
            if (unk_pending && !config_.fuse_unk) add(config_.unk_id);
            unk_pending = true;
        }
    }
    if (unk_pending) add(config_.unk_id);
    if (sym.empty()) return;
    sym.back().next = -1;

    // Merges by (rank, position), lowest first, with stale entries skipped.
    auto& heap = s.heap;
    heap.clear();
    const auto later = [](const BpeScratch::Merge& x, const BpeScratch::Merge& y) {
        return x.rank != y.rank ? x.rank > y.rank : x.pos > y.pos;
    };
    auto push = [&](std::uint32_t pos, std::int32_t a, std::int32_t b) {
        std::uint32_t rank;
        std::int32_t merged;
        if (merges_.find(a, b, rank, merged)) {
            heap.push_back({rank, pos, merged});
            std::push_heap(heap.begin(), heap.end(), later);
        }
    };
    for (std::size_t k = 0; k + 1 < sym.size(); ++k)
        push(static_cast<std::uint32_t>(k), sym[k].id, sym[k + 1].id);
    while (!heap.empty()) {
        std::pop_heap(heap.begin(), heap.end(), later);
        const BpeScratch::Merge top = heap.back();
        heap.pop_back();
        auto& cur = sym[top.pos];
        if (!cur.alive || cur.next < 0) continue;
        const auto right = sym[static_cast<std::size_t>(cur.next)];
        std::uint32_t rank;
        std::int32_t merged;
        if (!merges_.find(cur.id, right.id, rank, merged) || merged != top.merged) continue;
        const auto rpos = static_cast<std::size_t>(cur.next);
        sym[rpos].alive = false;
        cur.id = top.merged;
        cur.next = right.next;
        if (right.next >= 0) sym[static_cast<std::size_t>(right.next)].prev = top.pos;
        if (cur.prev >= 0)
            push(static_cast<std::uint32_t>(cur.prev), sym[static_cast<std::size_t>(cur.prev)].id,
                 cur.id);
        if (cur.next >= 0) push(top.pos, cur.id, sym[static_cast<std::size_t>(cur.next)].id);
    }
    for (const auto& x : sym)
        if (x.alive) s.pieces.push_back(x.id);
}

// One text's pass: emits ids, stops once max_tokens are kept.
class BpeRun {
   public:
    BpeRun(const ByteLevelBpe& t, const Limits& limits, BpeScratch& s,
           std::vector<std::int32_t>& ids)
        : t_(t),
          s_(s),
          ids_(ids),
          remaining_(limits.max_tokens < 0 ? std::numeric_limits<std::int64_t>::max()
                                           : limits.max_tokens),
          drop_unk_(limits.drop_unk) {}

    bool done() const noexcept { return remaining_ == 0; }

    void emit(std::int32_t id) {
        if (remaining_ == 0) return;
        --remaining_;
        if (!(drop_unk_ && id == t_.config_.unk_id)) ids_.push_back(id);
    }

    // Pre-tokenize and BPE one segment (text between added tokens).
    void segment(const unsigned char* p, std::size_t n) {
        if (n == 0 || done()) return;
        const BpeConfig& cfg = t_.config_;
        auto& cps = s_.cps;
        cps.clear();
        if (cfg.forms.empty()) {
            if (!cfg.qwen2_split && cfg.add_prefix_space && p[0] != ' ') cps.push_back(' ');
            for (std::size_t i = 0; i < n;) cps.push_back(p[i] < 0x80 ? p[i++] : decode(p, n, i));
        } else {
            // The normalizer runs before ByteLevel, which sees its output's first character.
            for (std::size_t i = 0; i < n;) cps.push_back(p[i] < 0x80 ? p[i++] : decode(p, n, i));
            for (const int f : cfg.forms)
                unorm::normalize(static_cast<unorm::Form>(f), cps, s_.norm);
            if (!cfg.qwen2_split && cfg.add_prefix_space && (cps.empty() || cps[0] != ' '))
                cps.insert(cps.begin(), ' ');
        }
        const std::size_t m = cps.size();
        if (!cfg.qwen2_split) {
            byte_level(cps.data(), m);
            return;
        }
        for (std::size_t i = 0; i < m && !done();) {
            const std::size_t end = qwen2_match(cps.data(), m, i);
            if (cfg.add_prefix_space && cps[i] != ' ') {
                auto& with = s_.prefixed;
                with.assign(1, ' ');
                with.insert(with.end(), cps.begin() + static_cast<std::ptrdiff_t>(i),
                            cps.begin() + static_cast<std::ptrdiff_t>(end));
                byte_level(with.data(), with.size());
            } else {
                byte_level(cps.data() + i, end - i);
            }
            i = end;
        }
    }

    // ByteLevel on one piece (its prefix space already added): GPT-2's split
    // if use_regex, then BPE.
    void byte_level(const std::uint32_t* c, std::size_t m) {
        for (std::size_t i = 0; i < m && !done();) {
            const std::size_t end = t_.config_.use_regex ? gpt2_match(c, m, i) : m;
            piece(c + i, end - i);
            i = end;
        }
    }

   private:
    void piece(const std::uint32_t* c, std::size_t n) {
        std::string& w = s_.word;
        w.resize(4 * n);  // the piece back to UTF-8, written in place
        char* out = w.data();
        for (std::size_t k = 0; k < n; ++k) {
            if (c[k] < 0x80)
                *out++ = static_cast<char>(c[k]);
            else
                out += encode(c[k], out);
        }
        w.resize(static_cast<std::size_t>(out - w.data()));
        const bool cacheable = w.size() <= WordCache::kMaxWordBytes;
        std::uint64_t hash = 0;
        if (cacheable) {
            hash = WordCache::hash(w.data(), w.size());
            std::size_t count = 0;
            if (const std::int32_t* hit = s_.cache.find(w.data(), w.size(), hash, &count)) {
                for (std::size_t k = 0; k < count; ++k) emit(hit[k]);
                return;
            }
        }
        std::string& mapped = s_.mapped;
        mapped.clear();
        for (unsigned char b : w) mapped.append(t_.byte_char_[b].data(), t_.byte_char_len_[b]);
        mapped.append(StringHash::kPad, '\0');
        t_.bpe_word(s_);
        for (std::int32_t id : s_.pieces) emit(id);
        if (cacheable)
            s_.cache.insert(w.data(), w.size(), hash, s_.pieces.data(), s_.pieces.size());
    }

    const ByteLevelBpe& t_;
    BpeScratch& s_;
    std::vector<std::int32_t>& ids_;
    std::int64_t remaining_;
    bool drop_unk_;
};

void ByteLevelBpe::tokenize(const char* text, std::size_t n, const Limits& limits, Scratch& scratch,
                            std::vector<std::int32_t>& ids) const {
    const auto* s = reinterpret_cast<const unsigned char*>(text);
    n = prefix_bytes(s, n, limits.max_chars);
    BpeRun run(*this, limits, static_cast<BpeScratch&>(scratch), ids);
    added_.split(
        s, n,
        [&](const unsigned char* seg, std::size_t len) {
            run.segment(seg, len);
            return !run.done();
        },
        [&](const AddedTokens::Token& t) {
            run.emit(t.id);
            return !run.done();
        });
}

}  // namespace fastpool::tokenizer
