// unigram.cpp - the native Unigram tokenizer (see unigram.h for the contract).
#include "unigram.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <new>
#include <stdexcept>

#include "bytes_equal.h"
#include "fastpool/prefetch.h"
#include "grapheme.h"
#include "pretok_tables.h"
#include "unicode_norm.h"
#include "unicode_tables.h"
#include "utf8.h"
#include "white_space.h"

namespace fastpool::tokenizer {
namespace {

constexpr double kUnkPenalty = 10.0;  // tokenizers' K_UNK_PENALTY

constexpr bool same_text(const char* a, const char* b) {
    return *a == *b && (*a == 0 || same_text(a + 1, b + 1));
}
// The pre-tokenizers mix both tables' classes: they must come from one `tokenizers`.
static_assert(same_text(pretok::kTokenizersVersion, ucd::kTokenizersVersion),
              "regenerate pretok_tables.h and unicode_tables.h from one tokenizers version");

std::uint32_t read_u32(const char* p) noexcept {
    const auto* u = reinterpret_cast<const unsigned char*>(p);
    return static_cast<std::uint32_t>(u[0]) | static_cast<std::uint32_t>(u[1]) << 8 |
           static_cast<std::uint32_t>(u[2]) << 16 | static_cast<std::uint32_t>(u[3]) << 24;
}

std::size_t utf8_len(unsigned char b) noexcept {
    return b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
}

bool starts_with(const std::string& s, std::size_t at, const std::string& p) noexcept {
    return s.size() - at >= p.size() && bytes_equal(s.data() + at, p.data(), p.size());
}

// The Lowercase normalizer: each code point through Rust's char::to_lowercase, as
// `tokenizers` measured into unicode_tables.h (no context: a final sigma stays sigma).
void lowercase(const std::string& in, std::string& out) {
    const auto* u = reinterpret_cast<const unsigned char*>(in.data());
    const std::size_t n = in.size();
    char buf[4];
    for (std::size_t i = 0; i < n;) {
        if (u[i] < 0x80) {
            const char c = static_cast<char>(u[i]);
            out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
            ++i;
            continue;
        }
        const std::size_t at = i;
        const ucd::Record& r = ucd::record(decode(u, n, i));
        if (!r.lower_len) {
            out.append(in, at, i - at);
            continue;
        }
        for (std::uint32_t k = 0; k < r.lower_len; ++k)
            out.append(buf, static_cast<std::size_t>(encode(ucd::kSeq[r.lower_off + k], buf)));
    }
}

}  // namespace

// ---- Precompiled charsmap ---------------------------------------------------

bool CharsMap::load(const char* data, std::size_t n) {
    if (n < 4) return false;
    const std::size_t trie = read_u32(data);
    if (trie % 4 != 0 || trie > n - 4 || trie == 0) return false;
    units_.resize(trie / 4);
    for (std::size_t k = 0; k < units_.size(); ++k) units_[k] = read_u32(data + 4 + 4 * k);
    normalized_.assign(data + 4 + trie, n - 4 - trie);
    for (int b = 0; b < 128; ++b) {
        const char c = static_cast<char>(b);
        const char* rep;
        std::size_t rep_n;
        const bool found = transform(&c, 1, &rep, &rep_n);
        ascii_at_[b] = found ? static_cast<std::int32_t>(rep - normalized_.data()) : 0;
        ascii_len_[b] = found ? static_cast<std::int32_t>(rep_n) : -1;
    }
    return true;
}

bool CharsMap::transform(const char* s, std::size_t n, const char** out, std::size_t* out_n) const {
    // darts-clone's unit layout: bit 8 has_leaf, label in bits 0-7 (+bit 31),
    // offset in bits 10-30 (shifted by 8 more when bit 9 is set).
    const auto offset = [](std::uint32_t u) { return (u >> 10) << ((u & (1u << 9)) >> 6); };
    const std::size_t m = units_.size();
    std::size_t pos = offset(units_[0]);
    for (std::size_t k = 0; k < n; ++k) {
        const auto c = static_cast<unsigned char>(s[k]);
        if (c == 0) return false;
        pos ^= c;
        if (pos >= m) return false;
        const std::uint32_t unit = units_[pos];
        if ((unit & ((1u << 31) | 0xFFu)) != c) return false;
        pos ^= offset(unit);
        if (pos >= m) return false;
        if ((unit >> 8) & 1) {
            // The first (shortest) match wins, as spm_precompiled takes results[0].
            const std::size_t at = units_[pos] & ((1u << 31) - 1);
            // An index past the strings or inside a character: tokenizers panics; no match.
            if (at > normalized_.size() ||
                (at < normalized_.size() && (normalized_[at] & 0xC0) == 0x80))
                return false;
            const void* nul = std::memchr(normalized_.data() + at, 0, normalized_.size() - at);
            const std::size_t end =
                nul ? static_cast<std::size_t>(static_cast<const char*>(nul) - normalized_.data())
                    : normalized_.size();
            *out = normalized_.data() + at;
            *out_n = end - at;
            return true;
        }
    }
    return false;
}

void CharsMap::normalize(const std::string& text, std::string& out) const {
    out.clear();
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t n = text.size();
    const char* rep;
    std::size_t rep_n;
    // spm_precompiled: a cluster under 6 bytes is looked up whole, else char by char.
    const auto flush = [&](std::size_t start, std::size_t end) {
        if (end - start < 6 && transform(text.data() + start, end - start, &rep, &rep_n)) {
            out.append(rep, rep_n);
            return;
        }
        for (std::size_t c = start; c < end;) {
            const std::size_t len = std::min(utf8_len(s[c]), end - c);
            if (transform(text.data() + c, len, &rep, &rep_n))
                out.append(rep, rep_n);
            else
                out.append(text, c, len);
            c += len;
        }
    };
    grapheme::Breaker breaker;
    std::size_t start = 0;
    // A boundary always precedes an ASCII code point that follows ASCII other than CR
    // (UAX #29 GB4, GB5, GB999: no ASCII is Extend, ZWJ, SpacingMark or Prepend), and such
    // a code point followed by ASCII is a one-byte cluster unless it is CR. Runs of
    // those skip the breaker and the trie (most of European text); `plain` says the
    // previous code point was such ASCII, or there was none.
    bool plain = true;
    for (std::size_t i = 0; i < n;) {
        if (plain && s[i] < 0x80) {
            if (i > start) flush(start, i);
            start = i;
            std::size_t j = i, copied = i;  // [copied, j) maps to itself, not yet written
            while (j < n && s[j] < 0x80 && s[j] != '\r' && (j + 1 == n || s[j + 1] < 0x80)) {
                if (ascii_len_[s[j]] >= 0) {
                    out.append(text, copied, j - copied);
                    out.append(normalized_, static_cast<std::size_t>(ascii_at_[s[j]]),
                               static_cast<std::size_t>(ascii_len_[s[j]]));
                    copied = j + 1;
                }
                ++j;
            }
            out.append(text, copied, j - copied);
            if (j > i) {
                // The breaker's state after an ASCII code point depends on it alone.
                breaker.next(s[j - 1]);
                start = i = j;
                continue;
            }
            // CR, or ASCII before a non-ASCII code point: the general path below.
        }
        std::size_t j = i;
        const std::uint32_t cp = decode(s, n, j);
        if (breaker.next(cp) && i > start) {
            flush(start, i);
            start = i;
        }
        plain = cp < 0x80 && cp != '\r';
        i = j;
    }
    if (n > start) flush(start, n);
}

// ---- building ---------------------------------------------------------------

bool UnigramTokenizer::build(const UnigramConfig& config, const char* pieces,
                             std::size_t pieces_size, const std::int64_t* offsets,
                             const double* scores, std::int64_t n, const char* added,
                             const std::int64_t* added_offsets, const std::int32_t* added_ids,
                             const std::uint8_t* added_flags, std::int64_t n_added,
                             const std::vector<NormStep>& steps,
                             const std::vector<std::string>& charsmaps) noexcept {
    try {
        config_ = config;
        if (n <= 0 || n > std::numeric_limits<std::int32_t>::max() || offsets[0] < 0) return false;
        for (std::int64_t k = 0; k < n; ++k)
            if (offsets[k] > offsets[k + 1] ||
                offsets[k + 1] > static_cast<std::int64_t>(pieces_size))
                return false;
        scores_.assign(scores, scores + n);
        double min_score = std::numeric_limits<double>::infinity();
        for (double v : scores_) min_score = std::min(min_score, v);
        unk_score_ = min_score - kUnkPenalty;
        build_trie(pieces, pieces_size, offsets, n);
        byte_ids_.fill(-1);
        static const char* hex = "0123456789ABCDEF";
        for (int b = 0; b < 256; ++b) {
            const char name[6] = {'<', '0', 'x', hex[b >> 4], hex[b & 15], '>'};
            byte_ids_[b] = exact(name, 6);
        }
        steps_ = steps;
        for (const NormStep& st : steps_)
            if (st.kind == NormStep::kUnicode &&
                (st.charsmap < unorm::kNFC || st.charsmap > unorm::kNFKD))
                return false;
        charsmaps_.assign(charsmaps.size(), CharsMap());
        for (std::size_t k = 0; k < charsmaps.size(); ++k)
            if (!charsmaps_[k].load(charsmaps[k].data(), charsmaps[k].size())) return false;
        added_.build(StringTable{added, added_offsets, added_ids, n_added, added_flags});
        return true;
    } catch (...) {
        return false;
    }
}

void UnigramTokenizer::build_trie(const char* pieces, std::size_t size, const std::int64_t* offsets,
                                  std::int64_t n) {
    // Sort the non-empty pieces bytewise (8 bytes at a time, packed big-endian), then
    // build the trie breadth first straight into the double array nodes_.
    const auto* u = reinterpret_cast<const unsigned char*>(pieces);
    const auto len = [&](std::uint32_t k) {
        return static_cast<std::size_t>(offsets[k + 1] - offsets[k]);
    };
    // A piece's next 8 bytes packed big-endian, its id and its length (kept here: the
    // sort would otherwise read the offsets at random).
    struct Key {
        std::uint64_t key;
        std::uint32_t id, len;
    };
    std::vector<Key> order;
    order.reserve(static_cast<std::size_t>(n));
    for (std::int64_t k = 0; k < n; ++k) {
        const std::size_t m = len(static_cast<std::uint32_t>(k));
        if (!m) continue;  // the empty piece never matches
        std::uint64_t key = 0;
        for (std::size_t b = 0; b < 8; ++b)
            key = key << 8 | (b < m ? u[offsets[k] + static_cast<std::int64_t>(b)] : 0);
        order.push_back({key, static_cast<std::uint32_t>(k), static_cast<std::uint32_t>(m)});
    }
    // LSD radix sort on the packed keys (stable, 16 bits a pass); then each run of equal
    // keys is sorted on its next 8 bytes, and so on down: a comparison sort of 250,000
    // strings (or memcmp of the rest of each run) costs several times more.
    {
        std::vector<Key> tmp(order.size());
        std::vector<std::uint32_t> count(65537);
        for (int shift = 0; shift < 64; shift += 16) {
            std::fill(count.begin(), count.end(), 0);
            for (const auto& e : order) ++count[((e.key >> shift) & 0xFFFF) + 1];
            for (std::size_t b = 1; b < count.size(); ++b) count[b] += count[b - 1];
            for (const auto& e : order) tmp[count[(e.key >> shift) & 0xFFFF]++] = e;
            order.swap(tmp);
        }
    }
    const auto pack = [&](const Key& e, std::size_t depth) {
        const std::size_t m = e.len;
        const unsigned char* p = u + offsets[e.id];
        std::uint64_t key = 0;
        for (std::size_t b = depth; b < depth + 8; ++b) key = key << 8 | (b < m ? p[b] : 0);
        return key;
    };
    // Equal packed keys tie on length (a NUL-padded prefix is shorter), then id, so a
    // repeated piece's ids stay ascending.
    const auto before = [](const Key& a, const Key& b) {
        if (a.key != b.key) return a.key < b.key;
        return a.len != b.len ? a.len < b.len : a.id < b.id;
    };
    struct Run {
        std::size_t lo, hi, depth;  // order[lo, hi) agree on their first `depth` bytes
    };
    std::vector<Run> runs;
    const auto push_runs = [&](std::size_t lo, std::size_t hi, std::size_t depth) {
        for (std::size_t i = lo; i < hi;) {
            std::size_t j = i + 1;
            bool longer = order[i].len > depth;
            for (; j < hi && order[j].key == order[i].key; ++j)
                longer = longer || order[j].len > depth;
            if (j - i > 1) {
                if (longer)
                    runs.push_back({i, j, depth});
                else  // all end within these bytes: only the tie-break is left
                    std::sort(order.begin() + static_cast<std::ptrdiff_t>(i),
                              order.begin() + static_cast<std::ptrdiff_t>(j), before);
            }
            i = j;
        }
    };
    push_runs(0, order.size(), 8);
    while (!runs.empty()) {
        const Run r = runs.back();
        runs.pop_back();
        for (std::size_t i = r.lo; i < r.hi; ++i) {
            if (i + 8 < r.hi) prefetch_line(u + offsets[order[i + 8].id] + r.depth);
            order[i].key = pack(order[i], r.depth);
        }
        std::sort(order.begin() + static_cast<std::ptrdiff_t>(r.lo),
                  order.begin() + static_cast<std::ptrdiff_t>(r.hi), before);
        push_runs(r.lo, r.hi, r.depth + 8);
    }
    (void)size;
    // The sorted pieces copied into one sorted blob: each level of the breadth-first
    // pass below then reads it front to back instead of jumping around the vocabulary.
    struct Entry {
        std::uint32_t start, len, id;
    };
    std::vector<Entry> sorted(order.size());
    std::string& blob = tail_bytes_;
    blob.clear();
    blob.reserve(size);
    for (std::size_t i = 0; i < order.size(); ++i) {
        // The reads jump around the vocabulary: fetch a piece's offsets 16 ahead and its
        // bytes 8 ahead, so several misses are in flight at once.
        if (i + 16 < order.size()) prefetch_line(offsets + order[i + 16].id);
        if (i + 8 < order.size()) prefetch_line(pieces + offsets[order[i + 8].id]);
        const std::uint32_t k = order[i].id;
        sorted[i] = {static_cast<std::uint32_t>(blob.size()), order[i].len, k};
        blob.append(pieces + offsets[k], order[i].len);
    }
    std::vector<Key>().swap(order);
    const auto* sb = reinterpret_cast<const unsigned char*>(blob.data());
    // Breadth first over the sorted pieces, each node's children go straight into the
    // double array nodes_: the first base (trying the free units in order, through a
    // linked list of them) whose slots are all free. A node that finds none in kTries
    // goes past the end, so building stays linear in the node count; breadth-first
    // order fills the gaps behind (measured on a 250,000-piece vocabulary: 449,919
    // units for 449,886 nodes).
    tails_.clear();
    nodes_.clear();
    std::vector<std::uint32_t> next, prev;  // the free units' list, in index order
    std::uint32_t head = 0;
    std::size_t used_end = 1;  // one past the highest used unit
    const auto ensure = [&](std::size_t cap) {
        const std::size_t old = nodes_.size();
        if (cap <= old) return;
        cap = std::max(cap, old + old / 2 + 1024);
        // Unit indices are 32-bit, kFree and kRoot reserved (build() returns false).
        if (cap >= kRoot - 256) throw std::length_error("unigram trie over 2^32 units");
        nodes_.resize(cap, Node{kFree, 0, -1, 0});
        next.resize(cap);
        prev.resize(cap);
        for (std::size_t i = old; i < cap; ++i) {
            prev[i] = static_cast<std::uint32_t>(i ? i - 1 : 0);
            next[i] = static_cast<std::uint32_t>(i + 1);
        }
    };
    // Unit i becomes a child of `parent` (the list keeps at least one unit past it).
    const auto take = [&](std::size_t i, std::uint32_t parent) {
        ensure(i + 2);
        nodes_[i].check = parent;
        const std::uint32_t p = prev[i], q = next[i];
        if (i == head)
            head = q;
        else
            next[p] = q;
        prev[q] = p;
        used_end = std::max(used_end, i + 1);
    };
    struct Item {
        std::uint32_t lo, hi, depth, unit;
    };
    std::vector<Item> items{{0, static_cast<std::uint32_t>(sorted.size()), 0, 0}};
    // Tails keep the node count near twice the piece count (1.8x on a 250,000-piece
    // SentencePiece vocabulary): a guess that saves most reallocations without touching
    // much more memory than the trie needs.
    const std::size_t guess = 2 * sorted.size() + 1024;
    ensure(guess);
    take(0, kRoot);
    constexpr int kTries = 32;
    struct Child {
        unsigned char label;
        std::uint32_t lo, hi;
    };
    std::vector<Child> kids;
    for (std::size_t v = 0; v < items.size(); ++v) {
        if (v >= 4096 && 2 * v >= items.size()) {
            // A queue: dropping the done half keeps it near the widest level, so a fresh
            // process touches (and page-faults) less memory.
            items.erase(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(v));
            v = 0;
        }
        if (v + 8 < items.size()) prefetch_line(nodes_.data() + items[v + 8].unit);
        const Item it = items[v];
        std::uint32_t lo = it.lo;
        // Pieces ending here sort first; a repeated piece keeps its last id.
        while (lo < it.hi && sorted[lo].len == it.depth)
            nodes_[it.unit].term = static_cast<std::int32_t>(sorted[lo++].id);
        if (v != 0 && it.hi - lo == 1) {
            // One longer piece below: keep its rest as a tail, not a chain of nodes.
            tails_.push_back({sorted[lo].start + it.depth, sorted[lo].len - it.depth,
                              static_cast<std::int32_t>(sorted[lo].id), scores_[sorted[lo].id]});
            nodes_[it.unit].tail = static_cast<std::uint32_t>(tails_.size());
            continue;
        }
        kids.clear();
        for (std::uint32_t i = lo; i < it.hi;) {
            const unsigned char c = sb[sorted[i].start + it.depth];
            std::uint32_t j = i + 1;
            while (j < it.hi && sb[sorted[j].start + it.depth] == c) ++j;
            kids.push_back({c, i, j});
            i = j;
        }
        if (kids.empty()) continue;
        const std::size_t c0 = kids.front().label;
        std::size_t f = head;
        while (f <= c0) f = next[f];  // base >= 1: no child lands on the root
        for (int tries = 0;; ++tries) {
            if (tries == kTries) f = std::max(used_end, c0 + 1);
            ensure(f - c0 + kids.back().label + 2);
            bool fits = true;
            for (std::size_t j = 1; j < kids.size() && fits; ++j)
                fits = nodes_[f - c0 + kids[j].label].check == kFree;
            if (fits) break;
            f = next[f];
        }
        const std::size_t b = f - c0;
        nodes_[it.unit].base = static_cast<std::uint32_t>(b);
        for (const Child& k : kids) {
            take(b + k.label, it.unit);
            items.push_back({k.lo, k.hi, it.depth + 1, static_cast<std::uint32_t>(b + k.label)});
        }
        if (it.unit == 0) {
            // Units 1..256 are only reachable as the root's children (base >= 1, label >=
            // base's smallest): its unused ones leave the free list, which every other node
            // would otherwise walk past.
            while (head <= 256) {
                const std::uint32_t q = next[head];
                prev[q] = prev[head];
                head = q;
            }
        }
    }
    // 256 free units past the last used one: a step from any node stays inside the array.
    nodes_.resize(used_end + 256, Node{kFree, 0, -1, 0});
    unit_score_.assign(nodes_.size(), 0.0);
    for (std::size_t i = 0; i < nodes_.size(); ++i)
        if (nodes_[i].term >= 0) unit_score_[i] = scores_[static_cast<std::size_t>(nodes_[i].term)];
}

std::int32_t UnigramTokenizer::exact(const char* s, std::size_t n) const noexcept {
    std::uint32_t node = 0;
    for (std::size_t k = 0; k < n; ++k) {
        node = child(node, static_cast<unsigned char>(s[k]));
        if (!node) return -1;
        if (const std::uint32_t t = nodes_[node].tail) {
            const Tail& tail = tails_[t - 1];
            const std::size_t rest = n - k - 1;
            return rest == 0 ? nodes_[node].term
                   : rest == tail.len &&
                           bytes_equal(s + k + 1, tail_bytes_.data() + tail.start, rest)
                       ? tail.id
                       : -1;
        }
    }
    return n ? nodes_[node].term : -1;
}

// ---- tokenizing -------------------------------------------------------------

class UnigramTokenizer::Emit {
   public:
    Emit(const Limits& limits, std::int32_t unk_id, std::vector<std::int32_t>& ids)
        : remaining_(limits.max_tokens < 0 ? std::numeric_limits<std::int64_t>::max()
                                           : limits.max_tokens),
          drop_unk_(limits.drop_unk),
          unk_id_(unk_id),
          ids_(ids) {}
    void id(std::int32_t id) {
        if (remaining_ <= 0) return;
        --remaining_;
        if (!(drop_unk_ && id == unk_id_)) ids_.push_back(id);
    }
    bool done() const noexcept { return remaining_ <= 0; }
    std::int64_t remaining() const noexcept { return remaining_; }

   private:
    std::int64_t remaining_;
    bool drop_unk_;
    std::int32_t unk_id_;
    std::vector<std::int32_t>& ids_;
};

// A word's ids as its path gives them: no limit, the unknown id kept (limits apply
// when the ids are replayed into a text's Emit).
constexpr Limits kEveryId{-1, -1, false};

// A row of tokenize_rows() being read: items (words, added tokens) it may still take,
// and its Emit while nothing waits before it (then its ids go out at once).
struct UnigramTokenizer::Row {
    std::size_t index;
    std::int64_t limit;  // max_tokens, or the largest int64
    std::size_t room;
    Emit* direct;
    // Where waiting rows go out when a long text drains them (see drain()).
    const Limits* limits;
    std::vector<std::int32_t>* ids;
    std::int64_t* ends;
    bool open() const noexcept { return room > 0 && !(direct && direct->done()); }
};

void UnigramTokenizer::normalize_into(const char* text, std::size_t n, UnigramScratch& s) const {
    // Steps read s.norm and write s.tmp, then swap: both keep their capacity.
    std::string& cur = s.norm;
    cur.assign(text, n);
    for (const NormStep& st : steps_) {
        std::string& out = s.tmp;
        out.clear();
        switch (st.kind) {
            case NormStep::kPrecompiled:
                charsmaps_[static_cast<std::size_t>(st.charsmap)].normalize(cur, out);
                break;
            case NormStep::kReplace:  // non-overlapping, left to right
                for (std::size_t i = 0;;) {
                    const std::size_t j = cur.find(st.a, i);
                    if (j == std::string::npos) {
                        out.append(cur, i, std::string::npos);
                        break;
                    }
                    out.append(cur, i, j - i);
                    out += st.b;
                    i = j + st.a.size();
                }
                break;
            case NormStep::kReplaceSpaces:  // the regex " {2,}": each run of 2+ spaces
                for (std::size_t i = 0;;) {
                    const std::size_t j = cur.find("  ", i);
                    if (j == std::string::npos) {
                        out.append(cur, i, std::string::npos);
                        break;
                    }
                    out.append(cur, i, j - i);
                    out += st.b;
                    i = cur.find_first_not_of(' ', j);
                    if (i == std::string::npos) break;
                }
                break;
            case NormStep::kPrepend:
                if (!cur.empty()) out = st.a + cur;
                break;
            case NormStep::kStrip: {
                const auto* u = reinterpret_cast<const unsigned char*>(cur.data());
                std::size_t b = 0, e = cur.size();
                if (st.left) {
                    while (b < e) {
                        std::size_t j = b;
                        if (!is_white(decode(u, e, j))) break;
                        b = j;
                    }
                }
                if (st.right) {
                    while (e > b) {
                        std::size_t k = e - 1;
                        while (k > b && (u[k] & 0xC0) == 0x80) --k;
                        std::size_t j = k;
                        if (!is_white(decode(u, e, j))) break;
                        e = k;
                    }
                }
                out.assign(cur, b, e - b);
                break;
            }
            case NormStep::kUnicode:
                unorm::normalize_utf8(static_cast<unorm::Form>(st.charsmap), cur.data(), cur.size(),
                                      out, s.ucps, s.utmp);
                break;
            case NormStep::kLowercase:
                lowercase(cur, out);
                break;
            default:
                out = cur;
        }
        cur.swap(out);
    }
}

std::string UnigramTokenizer::normalize(const std::string& text, UnigramScratch& s) const {
    normalize_into(text.data(), text.size(), s);
    return s.norm;
}

void UnigramTokenizer::split_pieces(const std::string& norm, bool first, UnigramScratch& s) const {
    // Metaspace: ' ' -> replacement, maybe prepend it, split before each one.
    s.pieces.clear();
    if (config_.pre == 2) {
        split_sequence(norm, first, s);
        return;
    }
    if (config_.pre == 0) {
        s.seg = norm;
        if (!s.seg.empty()) s.pieces.push_back(0);
        s.pieces.push_back(s.seg.size());
        return;
    }
    const std::string& rep = config_.replacement;
    s.seg.clear();
    for (std::size_t i = 0; i < norm.size();) {
        const void* sp = std::memchr(norm.data() + i, ' ', norm.size() - i);
        const std::size_t j =
            sp ? static_cast<std::size_t>(static_cast<const char*>(sp) - norm.data()) : norm.size();
        s.seg.append(norm, i, j - i);
        if (j < norm.size()) s.seg += rep;
        i = j + 1;
    }
    const bool prepend = config_.prepend_scheme == 0 || (config_.prepend_scheme == 2 && first);
    if (prepend && !s.seg.empty() && !starts_with(s.seg, 0, rep)) s.seg.insert(0, rep);
    if (s.seg.empty()) {
        s.pieces.push_back(0);
        return;
    }
    s.pieces.push_back(0);
    if (config_.split) {
        for (std::size_t i = 1; i < s.seg.size();) {
            if (starts_with(s.seg, i, rep)) {
                s.pieces.push_back(i);
                i += rep.size();
            } else {
                ++i;
            }
        }
    }
    s.pieces.push_back(s.seg.size());
}

namespace {

// Viterbi's forward pass over word u[0..n) into s.score / s.from / s.id: for each
// character start `at`, in order (k: its index among them), for_edges(at, k, consider)
// reports the pieces from there (consider(end, id, score)), in increasing end, so that
// ties keep the first; a character no piece covers alone gets the unknown piece.
template <class ForEdges>
void forward_pass(const unsigned char* u, std::size_t n, double unk_score, std::int32_t unk_id,
                  UnigramScratch& s, ForEdges&& for_edges) {
    s.score.assign(n + 1, 0.0);
    s.from.assign(n + 1, -1);
    s.id.assign(n + 1, 0);
    std::size_t k = 0;
    for (std::size_t at = 0; at < n; ++k) {
        const double here = s.score[at];
        // min(): a malformed charsmap could leave a cut character (tokenizers panics there).
        const std::size_t mblen = std::min(utf8_len(u[at]), n - at);
        bool single = false;
        const auto consider = [&](std::size_t end, std::int32_t id, double score) {
            const double cand = score + here;
            if (s.from[end] < 0 || cand > s.score[end]) {
                s.score[end] = cand;
                s.from[end] = static_cast<std::int32_t>(at);
                s.id[end] = id;
            }
            if (end - at == mblen) single = true;
        };
        for_edges(at, k, consider);
        if (!single) consider(at + mblen, unk_id, unk_score);
        at += mblen;
    }
}

}  // namespace

void UnigramTokenizer::viterbi(const char* w, std::size_t n, UnigramScratch& s, Emit& emit) const {
    if (n == 0) return;
    const auto* u = reinterpret_cast<const unsigned char*>(w);
    forward_pass(u, n, unk_score_, config_.unk_id, s,
                 [&](std::size_t at, std::size_t, const auto& consider) {
                     std::uint32_t node = 0;
                     for (std::size_t k = at; k < n; ++k) {
                         node = child(node, u[k]);
                         if (!node) break;
                         const Node& at_node = nodes_[node];
                         if (at_node.term >= 0) consider(k + 1, at_node.term, unit_score_[node]);
                         if (const std::uint32_t t = at_node.tail) {
                             const Tail& tail = tails_[t - 1];
                             if (n - k - 1 >= tail.len &&
                                 bytes_equal(u + k + 1, tail_bytes_.data() + tail.start, tail.len))
                                 consider(k + 1 + tail.len, tail.id, tail.score);
                             break;
                         }
                     }
                 });
    emit_path(w, n, s, emit);
}

void UnigramTokenizer::emit_path(const char* w, std::size_t n, UnigramScratch& s,
                                 Emit& emit) const {
    const auto* u = reinterpret_cast<const unsigned char*>(w);
    // Backtrack to the path's ends, then emit forward.
    const std::vector<std::int32_t>& path = s.id;
    std::vector<std::size_t>& ends = s.ends;
    ends.clear();
    for (std::size_t e = n; e > 0; e = static_cast<std::size_t>(s.from[e])) ends.push_back(e);
    std::reverse(ends.begin(), ends.end());
    std::size_t start = 0;
    for (std::size_t k = 0; k < ends.size() && !emit.done(); ++k) {
        std::size_t e = ends[k];
        if (path[e] != config_.unk_id) {
            emit.id(path[e]);
            start = e;
            continue;
        }
        // Fuse a run of unknown nodes, then look the run up as tokenizers does.
        while (k + 1 < ends.size() && path[ends[k + 1]] == config_.unk_id) e = ends[++k];
        const std::int32_t id = exact(w + start, e - start);
        if (id >= 0) {
            emit.id(id);
        } else if (config_.byte_fallback && std::all_of(u + start, u + e, [&](unsigned char b) {
                       return byte_ids_[b] >= 0;
                   })) {
            for (std::size_t b = start; b < e; ++b) emit.id(byte_ids_[u[b]]);
        } else {
            emit.id(config_.unk_id);
        }
        start = e;
    }
}

std::size_t UnigramTokenizer::add_lanes(std::size_t b, std::size_t n, UnigramScratch& s) const {
    const std::size_t first = s.lanes.size();
    const auto* u = reinterpret_cast<const unsigned char*>(s.arena.data() + b);
    // min(): a malformed charsmap could leave a cut character (tokenizers panics there).
    for (std::size_t at = 0; at < n; at += std::min(utf8_len(u[at]), n - at))
        s.lanes.push_back(
            UnigramScratch::Lane{b, static_cast<std::uint32_t>(n), static_cast<std::uint32_t>(at)});
    return first;
}

void UnigramTokenizer::walk(UnigramScratch& s) const {
    // Each lane is one walk down the trie from one character of one word, and each step
    // of a walk is a load that depends on the one before (a cache miss, deep in a large
    // vocabulary). kWindow walks advance in turn, a step each, the next unit of each
    // prefetched, so the misses of several walks overlap instead of queueing (32: 1.22x
    // the walk of one word at a time on a stream of new text; 16 1.17x, 64 1.21x). The
    // words' first characters go first: their walks are the deep ones.
    const std::size_t n_lanes = s.lanes.size();
    const auto* arena = reinterpret_cast<const unsigned char*>(s.arena.data());
    const auto word_of = [arena](const UnigramScratch::Lane& lane) { return arena + lane.b; };
    // Edges are written field by field into grown storage: a push_back of a braced
    // Edge went through a stack copy whose 16-byte reload missed store forwarding.
    std::size_t n_edges = 0;
    const auto add_edge = [&](std::uint32_t lane, std::uint32_t end, std::int32_t id,
                              double score) {
        if (n_edges == s.edges.size()) s.edges.resize(2 * n_edges + 64);
        UnigramScratch::Edge& e = s.edges[n_edges++];
        e.lane = lane;
        e.end = end;
        e.id = id;
        e.score = score;
    };
    s.order.clear();
    for (std::size_t i = 0; i < n_lanes; ++i)
        if (s.lanes[i].at == 0) s.order.push_back(static_cast<std::uint32_t>(i));
    for (std::size_t i = 0; i < n_lanes; ++i)
        if (s.lanes[i].at != 0) s.order.push_back(static_cast<std::uint32_t>(i));
    // A walk's next load: a unit (kUnit), then at a tail its entry (kTail) and its bytes
    // (kTailBytes), each prefetched one turn before it is read.
    enum Phase : std::uint32_t { kUnit, kTail, kTailBytes };
    struct Walk {
        std::uint32_t lane, k, node, next, phase;
    };
    constexpr std::size_t kWindow = 32;
    Walk walks[kWindow];
    std::size_t n_walks = 0, queued = 0;
    const auto begin = [&](Walk& a) {
        const UnigramScratch::Lane& lane = s.lanes[s.order[queued]];
        a.lane = s.order[queued++];
        a.k = lane.at;
        a.node = 0;
        a.phase = kUnit;
        a.next = nodes_[0].base + word_of(lane)[lane.at];
        prefetch_line(&nodes_[a.next]);
        prefetch_line(&unit_score_[a.next]);
    };
    // One turn of walk a; false when it is over.
    const auto step = [&](Walk& a) -> bool {
        const UnigramScratch::Lane& lane = s.lanes[a.lane];
        if (a.phase == kTail) {  // a.next: the tail's index
            const Tail& tail = tails_[a.next];
            if (lane.n - a.k - 1 < tail.len) return false;
            prefetch_line(tail_bytes_.data() + tail.start);
            a.phase = kTailBytes;
            return true;
        }
        if (a.phase == kTailBytes) {
            const Tail& tail = tails_[a.next];
            if (bytes_equal(word_of(lane) + a.k + 1, tail_bytes_.data() + tail.start, tail.len))
                add_edge(a.lane, a.k + 1 + tail.len, tail.id, tail.score);
            return false;
        }
        const std::uint32_t at = a.next;
        const Node& unit = nodes_[at];
        if (unit.check != a.node) return false;  // no child with this byte
        a.node = at;
        if (unit.term >= 0) add_edge(a.lane, a.k + 1, unit.term, unit_score_[at]);
        if (const std::uint32_t t = unit.tail) {
            a.next = t - 1;
            a.phase = kTail;
            prefetch_line(&tails_[a.next]);
            return true;
        }
        if (++a.k == lane.n) return false;
        a.next = unit.base + word_of(lane)[a.k];
        prefetch_line(&nodes_[a.next]);
        prefetch_line(&unit_score_[a.next]);
        return true;
    };
    while (n_walks < kWindow && queued < n_lanes) begin(walks[n_walks++]);
    while (n_walks > 0) {
        for (std::size_t i = 0; i < n_walks;) {
            Walk& a = walks[i];
            if (step(a)) {
                ++i;
            } else if (queued < n_lanes) {
                begin(a);
                ++i;
            } else {
                a = walks[--n_walks];
            }
        }
    }
    // The edges grouped by lane, each lane's in walk order (a stable counting sort).
    s.edge_at.assign(n_lanes + 1, 0);
    s.edges.resize(n_edges);
    for (const UnigramScratch::Edge& e : s.edges) ++s.edge_at[e.lane + 1];
    for (std::size_t i = 0; i < n_lanes; ++i) s.edge_at[i + 1] += s.edge_at[i];
    s.fill_at.assign(s.edge_at.begin(), s.edge_at.end() - 1);
    s.sorted.resize(s.edges.size());
    for (const UnigramScratch::Edge& e : s.edges) s.sorted[s.fill_at[e.lane]++] = e;
}

void UnigramTokenizer::best_path(const char* w, std::size_t n, std::size_t lane, UnigramScratch& s,
                                 Emit& emit) const {
    // As viterbi() but for the edges walk() found: the lanes of one word are its
    // character starts in order, each lane's edges in walk order (increasing end).
    if (n == 0) return;
    forward_pass(reinterpret_cast<const unsigned char*>(w), n, unk_score_, config_.unk_id, s,
                 [&](std::size_t, std::size_t k, const auto& consider) {
                     for (std::uint32_t j = s.edge_at[lane + k]; j < s.edge_at[lane + k + 1]; ++j)
                         consider(s.sorted[j].end, s.sorted[j].id, s.sorted[j].score);
                 });
    emit_path(w, n, s, emit);
}

void UnigramTokenizer::collect(const char* seg, std::size_t n, bool first, Row& row,
                               UnigramScratch& s) const {
    if (n == 0) return;
    normalize_into(seg, n, s);
    split_pieces(s.norm, first, s);
    const std::size_t n_pieces = s.pieces.size();
    // The hash of word k, computed (and its cache slot prefetched) one word ahead.
    const auto hash_of = [&](std::size_t k) -> std::uint64_t {
        if (k + 1 >= n_pieces) return 0;
        const std::size_t len = s.pieces[k + 1] - s.pieces[k];
        if (len > WordCache::kMaxWordBytes) return 0;
        const std::uint64_t h = WordCache::hash(s.seg.data() + s.pieces[k], len);
        s.cache.prefetch(h);
        return h;
    };
    using Word = UnigramScratch::Word;
    std::uint64_t next_hash = hash_of(0);
    for (std::size_t k = 0; k + 1 < n_pieces && row.open(); ++k) {
        --row.room;  // each word gives one id at least: words past the limit are not read
        const std::size_t len = s.pieces[k + 1] - s.pieces[k];
        const std::uint64_t hash = next_hash;
        next_hash = hash_of(k + 1);
        const char* word = s.seg.data() + s.pieces[k];
        Word w{0, len, hash, 0, 0, Word::kNone, Word::kNone};
        if (len <= WordCache::kMaxWordBytes) {
            std::size_t count = 0;
            if (const std::int32_t* ids = s.cache.find(word, len, hash, &count)) {
                if (row.direct) {  // nothing waits before it: out at once
                    for (std::size_t j = 0; j < count && !row.direct->done(); ++j)
                        row.direct->id(ids[j]);
                    continue;
                }
                keep_ids(w, ids, count, s);
                s.items.push_back(static_cast<std::int64_t>(s.words.size()));
                s.words.push_back(w);
                if (s.words.size() >= kMaxWaitingWords) drain(row, s);
                continue;
            }
            for (const std::size_t j : s.batch) {  // the same new word twice: walked once
                const Word& o = s.words[j];
                if (o.hash == hash && o.len == len &&
                    bytes_equal(s.arena.data() + o.b, word, len)) {
                    w.same = j;
                    break;
                }
            }
        }
        if (len > kBatchBytes) {  // too long to batch: its ids now
            s.word_ids.clear();
            Emit collect_ids(kEveryId, config_.unk_id, s.word_ids);
            viterbi(word, len, s, collect_ids);
            if (row.direct) {
                for (std::size_t j = 0; j < s.word_ids.size() && !row.direct->done(); ++j)
                    row.direct->id(s.word_ids[j]);
                continue;
            }
            keep_ids(w, s.word_ids.data(), s.word_ids.size(), s);
        } else {
            if (row.direct) defer(row, s);  // this row and every later one wait for the walk
            if (w.same == Word::kNone) {    // its bytes kept until the walk (seg changes)
                w.b = s.arena.size();
                s.arena.append(word, len);
                w.lane = add_lanes(w.b, len, s);
                s.batch.push_back(s.words.size());
            }
        }
        s.items.push_back(static_cast<std::int64_t>(s.words.size()));
        s.words.push_back(w);
        if (s.batch.size() == kBatchWords) finish_batch(s);
        if (s.words.size() >= kMaxWaitingWords) drain(row, s);
    }
}

void UnigramTokenizer::drain(Row& row, UnigramScratch& s) const {
    // A long text bounds what waits: its words so far get their ids, go out, and are
    // forgotten.
    emit_waiting(row.index, *row.limits, *row.ids, row.ends, s);
}

void UnigramTokenizer::keep_ids(UnigramScratch::Word& w, const std::int32_t* ids, std::size_t n,
                                UnigramScratch& s) const {
    w.ids_at = s.text_ids.size();
    w.n_ids = n;
    s.text_ids.insert(s.text_ids.end(), ids, ids + n);
}

void UnigramTokenizer::emit_waiting(std::size_t current, const Limits& limits,
                                    std::vector<std::int32_t>& ids, std::int64_t* ends,
                                    UnigramScratch& s) const {
    // The pending walk first, so every waiting word has its ids. Each waiting row's items
    // go out through an Emit resumed with the ids its row may still take; the row still
    // being read (index current) waits on, from its next item, with what its Emit left.
    if (!s.batch.empty()) finish_batch(s);
    Limits rest = limits;
    std::int64_t left = 0;
    for (std::size_t k = 0; k < s.waiting.size(); ++k) {
        const UnigramScratch::Waiting& row = s.waiting[k];
        rest.max_tokens = row.remaining;
        Emit emit(rest, config_.unk_id, ids);
        const std::size_t end = k + 1 < s.waiting.size() ? s.waiting[k + 1].item : s.items.size();
        for (std::size_t i = row.item; i < end && !emit.done(); ++i) {
            const std::int64_t item = s.items[i];
            if (item < 0) {
                emit.id(static_cast<std::int32_t>(-1 - item));
                continue;
            }
            const UnigramScratch::Word& w = s.words[static_cast<std::size_t>(item)];
            const UnigramScratch::Word& from =
                w.same == UnigramScratch::Word::kNone ? w : s.words[w.same];
            for (std::size_t j = 0; j < from.n_ids && !emit.done(); ++j)
                emit.id(s.text_ids[from.ids_at + j]);
        }
        if (row.index == current)
            left = emit.remaining();
        else
            ends[row.index] = static_cast<std::int64_t>(ids.size());
    }
    const bool reading = !s.waiting.empty() && s.waiting.back().index == current;
    s.waiting.clear();
    s.words.clear();
    s.items.clear();
    s.text_ids.clear();
    if (reading) s.waiting.push_back({current, 0, left});
}

void UnigramTokenizer::defer(Row& row, UnigramScratch& s) const {
    s.waiting.push_back(
        {row.index, s.items.size(), row.direct ? row.direct->remaining() : row.limit});
    row.direct = nullptr;
}

void UnigramTokenizer::finish_batch(UnigramScratch& s) const {
    walk(s);
    for (const std::size_t i : s.batch) {
        UnigramScratch::Word& w = s.words[i];
        const char* word = s.arena.data() + w.b;
        s.word_ids.clear();
        Emit collect_ids(kEveryId, config_.unk_id, s.word_ids);
        best_path(word, w.len, w.lane, s, collect_ids);
        keep_ids(w, s.word_ids.data(), s.word_ids.size(), s);
        if (w.len <= WordCache::kMaxWordBytes)
            s.cache.insert(word, w.len, w.hash, s.word_ids.data(), s.word_ids.size());
    }
    s.batch.clear();
    s.lanes.clear();
    s.arena.clear();
}

namespace {

// text[0..n) as valid UTF-8 (ill-formed -> U+FFFD), cut to max_chars code points.
void clean_utf8(const char* text, std::size_t n, std::int64_t max_chars, std::string& out) {
    out.clear();
    const auto* s = reinterpret_cast<const unsigned char*>(text);
    std::size_t i = 0, run = 0;  // [run, i) is valid UTF-8 not yet copied
    char buf[4];
    for (std::int64_t k = 0; i < n && (max_chars < 0 || k < max_chars); ++k) {
        if (s[i] < 0x80) {
            ++i;
            continue;
        }
        const std::size_t at = i;
        const std::uint32_t cp = decode(s, n, i);
        if (cp == kReplacement && !(i - at == 3 && s[at] == 0xEF)) {
            out.append(text + run, at - run);
            out.append(buf, static_cast<std::size_t>(encode(cp, buf)));
            run = i;
        }
    }
    out.append(text + run, i - run);
}

}  // namespace

void UnigramTokenizer::tokenize(const char* text, std::size_t n, const Limits& limits,
                                Scratch& scratch, std::vector<std::int32_t>& ids) const {
    const auto size = static_cast<std::int64_t>(n);
    std::int64_t end = 0;
    tokenize_rows(&text, &size, 1, limits, scratch, ids, &end);
}

void UnigramTokenizer::tokenize_rows(const char* const* data, const std::int64_t* sizes,
                                     std::size_t n_rows, const Limits& limits, Scratch& scratch,
                                     std::vector<std::int32_t>& ids, std::int64_t* ends) const {
    // A row's ids go out as its words are looked up, until a word is new: from there that
    // row and the later ones wait (their items kept) while the new words of the rows
    // gather, kBatchWords at a time, to be walked together (walk() overlaps their cache
    // misses). Then the waiting rows' ids go out in order, each row through an Emit
    // that continues where its own stopped, so the limits apply as in one pass.
    auto& s = static_cast<UnigramScratch&>(scratch);
    s.words.clear();
    s.text_ids.clear();
    s.lanes.clear();
    s.batch.clear();
    s.arena.clear();
    s.items.clear();
    s.waiting.clear();
    const std::int64_t limit =
        limits.max_tokens < 0 ? std::numeric_limits<std::int64_t>::max() : limits.max_tokens;
    for (std::size_t r = 0; r < n_rows; ++r) {
        Emit emit(limits, config_.unk_id, ids);
        Row row{r,
                limit,
                static_cast<std::size_t>(limit),
                s.waiting.empty() ? &emit : nullptr,
                &limits,
                &ids,
                ends};
        if (!row.direct) defer(row, s);
        clean_utf8(data[r], static_cast<std::size_t>(sizes[r]), limits.max_chars, s.clean);
        const std::string& t = s.clean;
        const auto* u = reinterpret_cast<const unsigned char*>(t.data());
        added_.split(
            u, t.size(),
            [&](const unsigned char* seg, std::size_t len) {
                collect(reinterpret_cast<const char*>(seg), len, seg == u, row, s);
                return row.open();
            },
            [&](const AddedTokens::Token& a) {
                --row.room;
                if (row.direct)
                    row.direct->id(a.id);
                else
                    s.items.push_back(-1 - static_cast<std::int64_t>(a.id));
                return row.open();
            });
        if (row.direct) ends[r] = static_cast<std::int64_t>(ids.size());
    }
    if (s.waiting.empty()) return;
    emit_waiting(UnigramScratch::Word::kNone, limits, ids, ends, s);
}

void UnigramTokenizer::pretokenize(const char* text, std::size_t n, UnigramScratch& s,
                                   std::vector<std::string>& words) const {
    clean_utf8(text, n, -1, s.clean);
    if (s.clean.empty()) return;
    normalize_into(s.clean.data(), s.clean.size(), s);
    split_pieces(s.norm, true, s);
    for (std::size_t k = 0; k + 1 < s.pieces.size(); ++k)
        words.push_back(s.seg.substr(s.pieces[k], s.pieces[k + 1] - s.pieces[k]));
}

// ---- pre-tokenizer Sequence -----------------------------------------------

void UnigramTokenizer::split_sequence(const std::string& norm, bool first,
                                      UnigramScratch& s) const {
    // Each step reads the pieces of (s.seg, s.pieces) and writes (s.pre_buf, s.pre_cuts)
    // back to back, then they swap; cuts are the piece starts, then the end.
    s.seg = norm;
    s.pieces.clear();
    if (!s.seg.empty()) s.pieces.push_back(0);
    s.pieces.push_back(s.seg.size());
    bool whole = true;  // the pieces are still the whole segment (Metaspace's "first")
    for (const PreStep& step : config_.pre_steps) {
        s.pre_buf.clear();
        s.pre_cuts.clear();
        for (std::size_t k = 0; k + 1 < s.pieces.size(); ++k)
            pre_step(step, s.seg.data() + s.pieces[k], s.pieces[k + 1] - s.pieces[k],
                     first && whole, s, s.pre_buf, s.pre_cuts);
        s.pre_cuts.push_back(s.pre_buf.size());
        s.seg.swap(s.pre_buf);
        s.pieces.swap(s.pre_cuts);
        whole = false;
    }
}

namespace {

void add_piece(const char* p, std::size_t n, std::string& out, std::vector<std::size_t>& cuts) {
    if (n == 0) return;
    cuts.push_back(out.size());
    out.append(p, n);
}

// tokenizers' NormalizedString::split of one piece by a per-character predicate: each
// matching character is a delimiter event, the runs between them non-delimiter events,
// then `behavior` says what becomes of the delimiters.
template <class Pred>
void split_by(const char* p, std::size_t n, int behavior, Pred is_delim,
              std::vector<UnigramScratch::Event>& ev, std::string& out,
              std::vector<std::size_t>& cuts) {
    ev.clear();
    const auto* u = reinterpret_cast<const unsigned char*>(p);
    std::size_t last = 0;
    for (std::size_t i = 0; i < n;) {
        const std::size_t at = i;
        if (!is_delim(decode(u, n, i))) continue;
        if (last < at) ev.push_back({last, at, false});
        ev.push_back({at, i, true});
        last = i;
    }
    if (last < n) ev.push_back({last, n, false});
    switch (behavior) {
        case PreStep::kRemoved:
            for (const auto& e : ev)
                if (!e.match) add_piece(p + e.b, e.e - e.b, out, cuts);
            return;
        case PreStep::kIsolated:
            for (const auto& e : ev) add_piece(p + e.b, e.e - e.b, out, cuts);
            return;
        case PreStep::kMergedWithNext:
            // A delimiter followed by a non-delimiter joins it (tokenizers folds from the end).
            for (std::size_t k = 0; k < ev.size(); ++k) {
                const std::size_t b = ev[k].b;
                if (ev[k].match && k + 1 < ev.size() && !ev[k + 1].match) ++k;
                add_piece(p + b, ev[k].e - b, out, cuts);
            }
            return;
        default:
            break;
    }
    // kMergedWithPrevious: a delimiter after a non-delimiter joins it; kContiguous:
    // consecutive delimiters join. Pieces are [b, e) ranges of p, written when closed.
    std::size_t b = 0, e = 0;
    bool open = false, prev = false;
    for (const auto& x : ev) {
        const bool join =
            behavior == PreStep::kMergedWithPrevious ? x.match && !prev : x.match == prev;
        if (join && open) {
            e = x.e;
        } else {
            if (open) add_piece(p + b, e - b, out, cuts);
            b = x.b;
            e = x.e;
            open = true;
        }
        prev = x.match;
    }
    if (open) add_piece(p + b, e - b, out, cuts);
}

}  // namespace

void UnigramTokenizer::pre_step(const PreStep& step, const char* p, std::size_t n, bool first,
                                UnigramScratch& s, std::string& out,
                                std::vector<std::size_t>& cuts) const {
    switch (step.kind) {
        case PreStep::kWhitespaceSplit:
            split_by(
                p, n, PreStep::kRemoved,
                [](std::uint32_t c) { return (ucd::record(c).flags & ucd::kPreWs) != 0; }, s.events,
                out, cuts);
            return;
        case PreStep::kPunctuation:
            split_by(
                p, n, step.behavior,
                [](std::uint32_t c) { return (ucd::record(c).flags & ucd::kPrePunct) != 0; },
                s.events, out, cuts);
            return;
        case PreStep::kDigits:
            split_by(
                p, n, step.behavior,
                [](std::uint32_t c) { return (pretok::flags(c) & pretok::kNumeric) != 0; },
                s.events, out, cuts);
            return;
        case PreStep::kWhitespace: {
            // \w+|[^\w\s]+ matched left to right: maximal runs of word characters and of
            // other characters are the pieces; the \s between them are dropped.
            const auto* u = reinterpret_cast<const unsigned char*>(p);
            std::size_t b = 0;
            int run = -1;  // the class of [b, i): kWord, 0 (other), -1 none
            for (std::size_t i = 0; i < n;) {
                const std::size_t at = i;
                const std::uint8_t f = pretok::flags(decode(u, n, i));
                const int cls = (f & pretok::kSpace) ? -1 : (f & pretok::kWord) ? 1 : 0;
                if (cls != run) {
                    if (run >= 0) add_piece(p + b, at - b, out, cuts);
                    b = at;
                    run = cls;
                }
            }
            if (run >= 0) add_piece(p + b, n - b, out, cuts);
            return;
        }
        case PreStep::kMetaspace: {
            // ' ' -> replacement, prepend it (always; first: on the segment's first piece,
            // which is the whole segment here), then split before each replacement.
            const std::string& rep = config_.replacement;
            std::string& w = s.pre_word;
            w.clear();
            for (std::size_t i = 0; i < n; ++i) {
                if (p[i] == ' ')
                    w += rep;
                else
                    w += p[i];
            }
            const bool prepend =
                config_.prepend_scheme == 0 || (config_.prepend_scheme == 2 && first);
            if (prepend && !w.empty() && !starts_with(w, 0, rep)) w.insert(0, rep);
            if (!config_.split) {
                add_piece(w.data(), w.size(), out, cuts);
                return;
            }
            std::size_t b = 0;
            for (std::size_t i = 1; i < w.size();) {
                if (starts_with(w, i, rep)) {
                    add_piece(w.data() + b, i - b, out, cuts);
                    b = i;
                    i += rep.size();
                } else {
                    ++i;
                }
            }
            add_piece(w.data() + b, w.size() - b, out, cuts);
            return;
        }
        default:
            add_piece(p, n, out, cuts);
    }
}

}  // namespace fastpool::tokenizer
