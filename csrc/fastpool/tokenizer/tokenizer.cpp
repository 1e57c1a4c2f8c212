// tokenizer.cpp - the native BERT WordPiece pipeline (see tokenizer.h).
#include "tokenizer.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <new>

#include "unicode_tables.h"
#include "utf8.h"

namespace fastpool::tokenizer {
namespace {

// Classes of the ASCII fast path.
constexpr std::uint8_t kWord = 0, kSpace = 1, kPunct = 2, kDrop = 3, kSlow = 4;

}  // namespace

// ---------------------------------------------------------------- Trie

// The trie while it is built: a node's children are a label-ordered sibling list,
// or, once it has more than kDenseAfter of them, a 256-way table (its index in
// `child`). Inserting a string walks its bytes once, with no comparison of whole
// strings and no allocation per node (the sort this replaced cost more than the
// rest of loading a model). 16 bytes a node: the walk is bound by cache misses.
struct Trie::Draft {
    std::int32_t id;
    std::uint32_t child;    // first child, or the index of the node's table when wide
    std::uint32_t sibling;  // next sibling, in label order
    std::uint16_t count;    // children
    unsigned char label;
    bool wide;
};

namespace {
constexpr std::uint32_t kDenseAfter = 8;

// Indices of entries, stably sorted by their first kSortBytes bytes (a shorter
// string first); two LSD counting passes of 257 buckets each.
constexpr std::size_t kSortBytes = 2;

std::vector<std::uint32_t> by_first_bytes(const Trie::Views& entries) {
    const std::size_t n = entries.size();
    std::vector<std::uint32_t> order(n), next(n);
    for (std::size_t k = 0; k < n; ++k) order[k] = static_cast<std::uint32_t>(k);
    for (std::size_t pos = kSortBytes; pos-- > 0;) {
        std::array<std::uint32_t, 258> start{};
        const auto bucket = [&](std::uint32_t k) -> std::size_t {
            const std::string_view s = entries[k].first;
            return s.size() > pos ? static_cast<unsigned char>(s[pos]) + 1u : 0u;
        };
        for (std::size_t k = 0; k < n; ++k) ++start[bucket(order[k]) + 1];
        for (std::size_t b = 1; b < start.size(); ++b) start[b] += start[b - 1];
        for (std::size_t k = 0; k < n; ++k) next[start[bucket(order[k])]++] = order[k];
        order.swap(next);
    }
    return order;
}
}  // namespace

void AddedTokens::build(const StringTable& added) {
    tokens_.clear();
    for (std::int64_t k = 0; k < added.n; ++k) {
        std::string tok(added.data + added.offsets[k],
                        static_cast<std::size_t>(added.offsets[k + 1] - added.offsets[k]));
        const std::uint8_t f = added.flags ? added.flags[k] : 0;
        if (!tok.empty())
            tokens_.push_back({std::move(tok), added.ids[k], (f & StringTable::kLstrip) != 0,
                               (f & StringTable::kRstrip) != 0});
    }
    // By first byte, then longest first: the first hit at a position is the longest.
    std::stable_sort(tokens_.begin(), tokens_.end(), [](const Token& a, const Token& b) {
        const auto fa = static_cast<unsigned char>(a.content[0]);
        const auto fb = static_cast<unsigned char>(b.content[0]);
        if (fa != fb) return fa < fb;
        return a.content.size() > b.content.size();
    });
    by_first_.fill(0);
    for (const Token& a : tokens_) ++by_first_[static_cast<unsigned char>(a.content[0]) + 1];
    for (int b = 0; b < 256; ++b) by_first_[b + 1] += by_first_[b];
    int distinct = 0;
    single_first_ = -1;
    for (int b = 0; b < 256; ++b) {
        if (by_first_[b + 1] > by_first_[b]) {
            ++distinct;
            single_first_ = b;
        }
    }
    if (distinct != 1) single_first_ = -1;
}

void Trie::build(const std::vector<std::pair<std::string, std::int32_t>>& entries) {
    Views views;
    views.reserve(entries.size());
    for (const auto& [s, id] : entries) views.emplace_back(s, id);
    build(views);
}

void Trie::build(const Views& entries) {
    std::size_t bytes = 1;
    for (const auto& e : entries) bytes += e.first.size();
    std::vector<Draft> draft;
    draft.reserve(bytes < 1024 ? bytes : bytes / 2);
    std::vector<std::array<std::uint32_t, 256>> dense(1);
    dense[0].fill(kNone);
    draft.push_back({-1, 0, kNone, 0, 0, true});  // the root: table 0
    // Inserted grouped by their first bytes (a stable counting sort, O(n)): strings
    // that share a prefix walk nodes still in cache. The order changes nothing
    // else: children are laid out by label, and equal strings keep their order.
    for (const std::uint32_t k : by_first_bytes(entries)) {
        const auto& [str, id] = entries[k];
        std::uint32_t node = 0;
        for (const char ch : str) {
            const auto b = static_cast<unsigned char>(ch);
            if (draft[node].wide) {
                std::uint32_t c = dense[draft[node].child][b];
                if (c == kNone) {
                    c = static_cast<std::uint32_t>(draft.size());
                    dense[draft[node].child][b] = c;
                    ++draft[node].count;
                    draft.push_back({-1, kNone, kNone, 0, b, false});
                }
                node = c;
                continue;
            }
            std::uint32_t c = draft[node].child, prev = kNone;
            while (c != kNone && draft[c].label < b) {
                prev = c;
                c = draft[c].sibling;
            }
            if (c == kNone || draft[c].label != b) {
                const auto made = static_cast<std::uint32_t>(draft.size());
                draft.push_back({-1, kNone, c, 0, b, false});
                if (prev == kNone)
                    draft[node].child = made;
                else
                    draft[prev].sibling = made;
                if (++draft[node].count > kDenseAfter) {  // a wide node: a table from now on
                    auto& table = dense.emplace_back();
                    table.fill(kNone);
                    for (std::uint32_t k = draft[node].child; k != kNone; k = draft[k].sibling)
                        table[draft[k].label] = k;
                    draft[node].child = static_cast<std::uint32_t>(dense.size() - 1);
                    draft[node].wide = true;
                }
                c = made;
            }
            node = c;
        }
        if (draft[node].id < 0) draft[node].id = id;  // equal strings keep the first
    }
    nodes_.assign(draft.size(), Node{-1, 0, 0});
    labels_.assign(draft.size() - 1, 0);
    targets_.assign(draft.size() - 1, 0);
    std::uint32_t next_node = 1, next_edge = 0;
    lay_out(draft, dense, 0, 0, next_node, next_edge);
    root_.fill(kNone);
    const Node& root = nodes_[0];
    for (std::uint32_t k = 0; k < root.count; ++k)
        root_[labels_[root.first + k]] = targets_[root.first + k];
}

// Depth first, each node's children contiguous and in label order (child() searches
// them); `at` is the node's index, the next free node and edge indices advance.
void Trie::lay_out(const std::vector<Draft>& draft,
                   const std::vector<std::array<std::uint32_t, 256>>& dense, std::uint32_t node,
                   std::uint32_t at, std::uint32_t& next_node, std::uint32_t& next_edge) {
    const Draft& d = draft[node];
    const bool wide = d.wide;
    const std::uint32_t count = d.count, first = next_edge;
    nodes_[at] = {d.id, first, count};
    next_edge += count;
    std::uint32_t g = 0;
    if (wide) {
        const auto& table = dense[d.child];
        for (int b = 0; b < 256; ++b)
            if (table[b] != kNone) {
                labels_[first + g] = static_cast<unsigned char>(b);
                targets_[first + g++] = table[b];
            }
    } else {
        for (std::uint32_t c = d.child; c != kNone; c = draft[c].sibling) {
            labels_[first + g] = draft[c].label;
            targets_[first + g++] = c;
        }
    }
    for (g = 0; g < count; ++g) {
        const std::uint32_t child_at = next_node++;
        const std::uint32_t c = targets_[first + g];
        targets_[first + g] = child_at;
        lay_out(draft, dense, c, child_at, next_node, next_edge);
    }
}

inline std::uint32_t Trie::child(std::uint32_t node, unsigned char b) const noexcept {
    const Node& nd = nodes_[node];
    const unsigned char* l = labels_.data() + nd.first;
    if (nd.count <= 8) {
        for (std::uint32_t k = 0; k < nd.count; ++k)
            if (l[k] == b) return targets_[nd.first + k];
        return kNone;
    }
    const unsigned char* it = std::lower_bound(l, l + nd.count, b);
    if (it == l + nd.count || *it != b) return kNone;
    return targets_[nd.first + static_cast<std::uint32_t>(it - l)];
}

std::size_t Trie::longest(const unsigned char* s, std::size_t n, std::int32_t* id) const noexcept {
    if (n == 0 || nodes_.empty()) return 0;
    std::uint32_t node = root_[s[0]];
    std::size_t best = 0;
    for (std::size_t i = 1;; ++i) {
        if (node == kNone) break;
        if (nodes_[node].id >= 0) {
            best = i;
            *id = nodes_[node].id;
        }
        if (i == n) break;
        node = child(node, s[i]);
    }
    return best;
}

// ---------------------------------------------------------------- StringHash

namespace {

constexpr std::uint32_t kLongKey = 0xFF000000u;

// Bytes p[0..n) of an 8-byte load, the rest zero (p[0..8) must be readable).
inline std::uint64_t load_low(const unsigned char* p, std::size_t n) noexcept {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    return n >= 8 ? w : w & ((std::uint64_t{1} << (8 * n)) - 1);  // little-endian
}

inline std::uint64_t mix(std::uint64_t h) noexcept {
    h ^= h >> 32;
    h *= 0xD6E8FEB86659FD93ull;
    return h ^ (h >> 32);
}

// The short-key words (a, b) of s[0..n), n <= 11.
inline void short_key(const unsigned char* s, std::size_t n, std::uint64_t& a,
                      std::uint32_t& b) noexcept {
    a = load_low(s, n);
    b = (n > 8 ? static_cast<std::uint32_t>(load_low(s + 8, n - 8)) : 0u) |
        static_cast<std::uint32_t>(n) << 24;
}

inline std::uint64_t hash_short(std::uint64_t a, std::uint32_t b) noexcept {
    return mix(a * 0x9E3779B97F4A7C15ull ^ (std::uint64_t{b} * 0xBF58476D1CE4E5B9ull));
}

inline std::uint64_t hash_long(const unsigned char* s, std::size_t n) noexcept {
    std::uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
    for (std::size_t k = 0; k < n; k += 8) h = (h ^ load_low(s + k, n - k)) * 0xBF58476D1CE4E5B9ull;
    return mix(h);
}

}  // namespace

void StringHash::build(const std::vector<std::pair<std::string, std::int32_t>>& entries) {
    Trie::Views views;
    views.reserve(entries.size());
    for (const auto& [s, id] : entries) views.emplace_back(s, id);
    build(views);
}

void StringHash::build(const Trie::Views& entries) {
    std::size_t cap = 16;
    while (cap < 2 * entries.size()) cap *= 2;
    slots_.assign(cap, Slot{0, 0, -1});
    mask_ = cap - 1;
    long_keys_.clear();
    max_size_ = 0;
    std::string padded;
    for (const auto& [str, id] : entries) {
        if (id < 0) continue;
        padded.assign(str);
        padded.append(kPad, '\0');
        const auto* u = reinterpret_cast<const unsigned char*>(padded.data());
        if (find(u, str.size()) >= 0) continue;  // keep the first, as the trie does
        Slot slot{0, 0, id};
        std::uint64_t h;
        if (str.size() <= 11) {
            short_key(u, str.size(), slot.a, slot.b);
            h = hash_short(slot.a, slot.b);
        } else {
            slot.a = static_cast<std::uint64_t>(long_keys_.size()) << 32 | str.size();
            slot.b = kLongKey;
            long_keys_ += str;
            h = hash_long(u, str.size());
        }
        std::uint64_t i = h & mask_;
        while (slots_[i].id >= 0) i = (i + 1) & mask_;
        slots_[i] = slot;
        max_size_ = std::max(max_size_, str.size());
    }
}

std::int32_t StringHash::find(const unsigned char* s, std::size_t n) const noexcept {
    // Also keeps WordPiece linear: a long word is never hashed once per piece.
    if (slots_.empty() || n > max_size_) return -1;
    if (n <= 11) {
        std::uint64_t a;
        std::uint32_t b;
        short_key(s, n, a, b);
        for (std::uint64_t i = hash_short(a, b) & mask_;; i = (i + 1) & mask_) {
            const Slot& sl = slots_[i];
            if (sl.id < 0) return -1;
            if (sl.a == a && sl.b == b) return sl.id;
        }
    }
    for (std::uint64_t i = hash_long(s, n) & mask_;; i = (i + 1) & mask_) {
        const Slot& sl = slots_[i];
        if (sl.id < 0) return -1;
        if (sl.b == kLongKey && (sl.a & 0xFFFFFFFFu) == n &&
            std::memcmp(long_keys_.data() + (sl.a >> 32), s, n) == 0)
            return sl.id;
    }
}

// ---------------------------------------------------------------- build

bool BertTokenizer::build(const BertConfig& config, const StringTable& vocab, const char* prefix,
                          std::size_t prefix_len, const StringTable& added) noexcept {
    try {
        config_ = config;
        const std::string pre(prefix, prefix_len);
        // Views into the caller's table: nothing is copied per token.
        Trie::Views all, cont;
        all.reserve(static_cast<std::size_t>(vocab.n));
        for (std::int64_t k = 0; k < vocab.n; ++k) {
            const std::string_view tok(
                vocab.data + vocab.offsets[k],
                static_cast<std::size_t>(vocab.offsets[k + 1] - vocab.offsets[k]));
            if (tok.size() >= pre.size() && tok.compare(0, pre.size(), pre) == 0)
                cont.emplace_back(tok.substr(pre.size()), vocab.ids[k]);
            all.emplace_back(tok, vocab.ids[k]);
        }
        initial_hash_.build(all);
        continuing_hash_.build(cont);
        initial_.build(all);
        continuing_.build(cont);

        added_.build(added);

        // The ASCII fast path, derived from the same tables as the slow path;
        // anything that is not a plain 1:1 mapping takes the slow path.
        for (std::uint32_t b = 0; b < 128; ++b) {
            std::uint32_t c = b;
            const ucd::Record* r = &ucd::record(c);
            std::uint8_t cls = kWord;
            if (config_.clean_text && (r->flags & ucd::kCleanRemove)) {
                cls = kDrop;
            } else {
                if (config_.clean_text && (r->flags & ucd::kCleanSpace)) {
                    c = ' ';
                    r = &ucd::record(c);
                }
                if (r->ccc || (config_.handle_chinese_chars && (r->flags & ucd::kCjk)) ||
                    (config_.strip_accents && (r->nfd_len || (r->flags & ucd::kMn))))
                    cls = kSlow;
                if (config_.lowercase && r->lower_len) {
                    if (r->lower_len != 1 || ucd::kSeq[r->lower_off] >= 0x80)
                        cls = kSlow;
                    else
                        c = ucd::kSeq[r->lower_off];
                }
                if (cls != kSlow) {
                    const std::uint8_t f = ucd::record(c).flags;
                    cls = (f & ucd::kPreWs) ? kSpace : (f & ucd::kPrePunct) ? kPunct : kWord;
                }
            }
            ascii_class_[b] = cls;
            ascii_out_[b] = static_cast<char>(c);
        }
        return true;
    } catch (...) {
        return false;
    }
}

// ---------------------------------------------------------------- tokenize

// One text's pass: emits ids into the sink, stops once max_tokens are kept.
class Run {
   public:
    Run(const BertTokenizer& t, const Limits& limits, WordPieceScratch& s,
        std::vector<std::int32_t>& ids)
        : t_(t),
          cfg_(t.config_),
          s_(s),
          ids_(ids),
          remaining_(limits.max_tokens < 0 ? std::numeric_limits<std::int64_t>::max()
                                           : limits.max_tokens),
          drop_unk_(limits.drop_unk) {
        s_.word.clear();
        s_.pending.clear();
    }

    // Collect words instead of WordPiece ids (BertTokenizer::pretokenize).
    void collect_words(std::vector<std::string>* words) noexcept { words_ = words; }

    bool done() const noexcept { return remaining_ == 0; }

    void emit(std::int32_t id) {
        if (remaining_ == 0) return;
        --remaining_;
        if (!(drop_unk_ && id == cfg_.unk_id)) ids_.push_back(id);
    }

    // Normalize, pre-tokenize and WordPiece one segment (text between added tokens).
    void segment(const unsigned char* s, std::size_t n) {
        std::size_t i = 0;
        while (i < n) {
            const unsigned b = s[i];
            if (b < 0x80) {
                const std::uint8_t cls = t_.ascii_class_[b];
                if (cls == kWord) {
                    if (!s_.pending.empty()) flush_pending();
                    s_.word.push_back(t_.ascii_out_[b]);
                    ++word_chars_;
                    ++i;
                    continue;
                }
                if (cls == kDrop) {  // removed before NFD: marks around it stay one run
                    ++i;
                    continue;
                }
                if (cls != kSlow) {
                    if (!s_.pending.empty()) flush_pending();
                    if (cls == kSpace) {
                        end_word();
                    } else if (cls == kPunct) {
                        end_word();
                        s_.word.push_back(t_.ascii_out_[b]);
                        word_chars_ = 1;
                        end_word();
                    }
                    ++i;
                    if (done()) return;
                    continue;
                }
            }
            clean(decode(s, n, i));
            if (done()) return;
        }
        flush_pending();
        end_word();
    }

   private:
    // clean_text, then handle_chinese_chars.
    void clean(std::uint32_t cp) {
        const ucd::Record* r = &ucd::record(cp);
        if (cfg_.clean_text) {
            if (r->flags & ucd::kCleanRemove) return;
            if (r->flags & ucd::kCleanSpace) {
                cp = ' ';
                r = &ucd::record(cp);
            }
        }
        if (cfg_.handle_chinese_chars && (r->flags & ucd::kCjk)) {
            nfd(' ');
            nfd(cp);
            nfd(' ');
            return;
        }
        nfd(cp);
    }

    // strip_accents part 1: NFD with canonical reordering of combining marks.
    void nfd(std::uint32_t cp) {
        if (!cfg_.strip_accents) {
            lower(cp);
            return;
        }
        const ucd::Record& r = ucd::record(cp);
        if (r.nfd_len == 0) {
            reorder(cp, r.ccc);
            return;
        }
        for (std::uint32_t k = 0; k < r.nfd_len; ++k) {
            const std::uint32_t d = ucd::kSeq[r.nfd_off + k];
            reorder(d, ucd::record(d).ccc);
        }
    }

    void reorder(std::uint32_t cp, std::uint8_t ccc) {
        if (ccc == 0) {
            flush_pending();
            strip(cp);
        } else {
            s_.pending.emplace_back(ccc, cp);
        }
    }

    void flush_pending() {
        auto& p = s_.pending;
        if (p.empty()) return;
        if (p.size() > 1)
            std::stable_sort(p.begin(), p.end(),
                             [](const auto& a, const auto& b) { return a.first < b.first; });
        for (const auto& m : p) strip(m.second);
        p.clear();
    }

    // strip_accents part 2: drop nonspacing marks.
    void strip(std::uint32_t cp) {
        if (ucd::record(cp).flags & ucd::kMn) return;
        lower(cp);
    }

    void lower(std::uint32_t cp) {
        const ucd::Record& r = ucd::record(cp);
        if (cfg_.lowercase && r.lower_len) {
            for (std::uint32_t k = 0; k < r.lower_len; ++k) pre(ucd::kSeq[r.lower_off + k]);
        } else {
            pre(cp);
        }
    }

    // BertPreTokenizer: split on whitespace, isolate punctuation.
    void pre(std::uint32_t cp) {
        const std::uint8_t f = ucd::record(cp).flags;
        if (f & ucd::kPreWs) {
            end_word();
            return;
        }
        const bool punct = f & ucd::kPrePunct;
        if (punct) end_word();
        char buf[4];
        s_.word.append(buf, static_cast<std::size_t>(encode(cp, buf)));
        ++word_chars_;
        if (punct) end_word();
    }

    // WordPiece on the pending word.
    void end_word() {
        std::string& w = s_.word;
        if (w.empty()) return;
        const std::int64_t chars = word_chars_;
        word_chars_ = 0;
        if (words_) {
            words_->push_back(w);
            w.clear();
            return;
        }
        if (chars > cfg_.max_input_chars_per_word) {
            emit(cfg_.unk_id);
            w.clear();
            return;
        }
        const std::size_t n = w.size();
        // StringHash::find reads up to kPad bytes past a key (and masks them off).
        if (w.capacity() < n + StringHash::kPad) {
            w.reserve(2 * n + StringHash::kPad);
            w.resize(w.capacity());  // define every byte once, so the reads see zeros or old bytes
            w.resize(n);
        }
        const auto* u = reinterpret_cast<const unsigned char*>(w.data());
        // Most words are one vocabulary token: the longest match is then the
        // whole word, found with one hash probe.
        std::int32_t id = t_.initial_hash_.find(u, n);
        if (id >= 0) {
            emit(id);
            w.clear();
            return;
        }
        std::size_t m = t_.initial_.longest(u, n, &id);
        if (m == 0) {
            emit(cfg_.unk_id);
            w.clear();
            return;
        }
        auto& pieces = s_.pieces;
        pieces.clear();
        pieces.push_back(id);
        for (std::size_t start = m; start < n; start += m) {
            id = t_.continuing_hash_.find(u + start, n - start);
            if (id >= 0) {
                pieces.push_back(id);
                break;
            }
            m = t_.continuing_.longest(u + start, n - start, &id);
            if (m == 0) {
                emit(cfg_.unk_id);
                w.clear();
                return;
            }
            pieces.push_back(id);
        }
        for (std::int32_t p : pieces) emit(p);
        w.clear();
    }

    const BertTokenizer& t_;
    const BertConfig& cfg_;
    WordPieceScratch& s_;
    std::vector<std::int32_t>& ids_;
    std::int64_t remaining_;
    std::int64_t word_chars_ = 0;
    bool drop_unk_;
    std::vector<std::string>* words_ = nullptr;
};

void BertTokenizer::pretokenize(const char* text, std::size_t n, WordPieceScratch& scratch,
                                std::vector<std::string>& words) const {
    std::vector<std::int32_t> unused;
    tokenize_impl(text, n, Limits{}, scratch, unused, &words);
}

void BertTokenizer::tokenize(const char* text, std::size_t n, const Limits& limits,
                             Scratch& scratch, std::vector<std::int32_t>& ids) const {
    tokenize_impl(text, n, limits, static_cast<WordPieceScratch&>(scratch), ids, nullptr);
}

void BertTokenizer::tokenize_impl(const char* text, std::size_t n, const Limits& limits,
                                  WordPieceScratch& scratch, std::vector<std::int32_t>& ids,
                                  std::vector<std::string>* words) const {
    const auto* s = reinterpret_cast<const unsigned char*>(text);
    n = prefix_bytes(s, n, limits.max_chars);
    Run run(*this, limits, scratch, ids);
    run.collect_words(words);
    added_.split(
        s, n,
        [&](const unsigned char* seg, std::size_t len) {
            run.segment(seg, len);
            return !run.done();
        },
        [&](const AddedTokens::Token& t) {
            if (words)
                words->push_back(t.content);
            else
                run.emit(t.id);
            return !run.done();
        });
}

}  // namespace fastpool::tokenizer
