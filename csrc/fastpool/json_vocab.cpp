#include "json_vocab.h"

#include <charconv>
#include <cmath>
#include <cstring>

#include "tokenizers_number.h"

namespace fastpool {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

void put_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

std::uint64_t hash_bytes(const char* s, std::size_t n) {
    std::uint64_t h = 0xCBF29CE484222325ull;  // FNV-1a, then a final mix
    for (std::size_t k = 0; k < n; ++k)
        h = (h ^ static_cast<unsigned char>(s[k])) * 0x100000001B3ull;
    h ^= h >> 32;
    h *= 0xD6E8FEB86659FD93ull;
    return h ^ (h >> 32);
}

// Whether two tokens of the table are equal (open addressing over token indices).
bool has_duplicate(const JsonVocab& v) {
    const auto n = v.ids.size();
    std::size_t cap = 16;
    while (cap < 2 * n) cap *= 2;
    std::vector<std::uint32_t> slots(cap, 0xFFFFFFFFu);
    const char* blob = v.blob.data();
    for (std::size_t i = 0; i < n; ++i) {
        const auto a = static_cast<std::size_t>(v.offsets[i]);
        const auto len = static_cast<std::size_t>(v.offsets[i + 1]) - a;
        for (std::size_t s = hash_bytes(blob + a, len) & (cap - 1);; s = (s + 1) & (cap - 1)) {
            const std::uint32_t j = slots[s];
            if (j == 0xFFFFFFFFu) {
                slots[s] = static_cast<std::uint32_t>(i);
                break;
            }
            const auto b = static_cast<std::size_t>(v.offsets[j]);
            if (static_cast<std::size_t>(v.offsets[j + 1]) - b == len &&
                std::memcmp(blob + a, blob + b, len) == 0)
                return true;
        }
    }
    return false;
}

struct Reader {
    const char* p;
    const char* end;

    void skip_space() {
        while (p < end && is_space(*p)) ++p;
    }
    bool at(char c) const { return p < end && *p == c; }

    // Past a string that starts at '"'; false when the text ends inside it.
    bool skip_string() {
        for (++p; p < end;) {
            const char c = *p++;
            if (c == '\\') {
                if (p == end) return false;
                ++p;  // the escaped byte cannot end the string
            } else if (c == '"') {
                return true;
            }
        }
        return false;
    }

    // Past any value, not validated (the caller's parser reads it).
    bool skip_value() {
        skip_space();
        if (p == end) return false;
        if (*p == '"') return skip_string();
        if (*p == '{' || *p == '[') {
            std::int64_t depth = 0;
            while (p < end) {
                const char c = *p;
                if (c == '"') {
                    if (!skip_string()) return false;
                    continue;
                }
                if (c == '{' || c == '[') {
                    ++depth;
                } else if ((c == '}' || c == ']') && --depth == 0) {
                    ++p;
                    return true;
                }
                ++p;
            }
            return false;
        }
        while (p < end && *p != ',' && *p != '}' && *p != ']' && !is_space(*p)) ++p;
        return true;
    }

    // A string at '"' decoded strictly into out (appended); counts its code points.
    // Unescaped bytes are copied in runs (validated in place, appended at once).
    int read_string(std::string& out, std::int64_t& chars) {
        const char* run = ++p;
        for (; p < end;) {
            const auto c = static_cast<unsigned char>(*p);
            if (c == '"') {
                out.append(run, static_cast<std::size_t>(p - run));
                ++p;
                return kClean;
            }
            if (c < 0x20) return kBadToken;  // json.loads(strict=True) refuses it
            ++chars;
            if (c == '\\') {
                out.append(run, static_cast<std::size_t>(p - run));
                if (++p == end) return kSyntax;
                const char e = *p++;
                switch (e) {
                    case '"':
                        out.push_back('"');
                        break;
                    case '\\':
                        out.push_back('\\');
                        break;
                    case '/':
                        out.push_back('/');
                        break;
                    case 'b':
                        out.push_back('\b');
                        break;
                    case 'f':
                        out.push_back('\f');
                        break;
                    case 'n':
                        out.push_back('\n');
                        break;
                    case 'r':
                        out.push_back('\r');
                        break;
                    case 't':
                        out.push_back('\t');
                        break;
                    case 'u': {
                        std::uint32_t cp = 0;
                        if (!read_hex4(cp)) return kSyntax;
                        if (cp >= 0xDC00 && cp <= 0xDFFF) return kBadToken;  // lone low half
                        if (cp >= 0xD800 && cp <= 0xDBFF) {
                            std::uint32_t low = 0;
                            if (end - p < 2 || p[0] != '\\' || p[1] != 'u') return kBadToken;
                            p += 2;
                            if (!read_hex4(low)) return kSyntax;
                            if (low < 0xDC00 || low > 0xDFFF) return kBadToken;
                            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                        }
                        put_utf8(out, cp);
                        break;
                    }
                    default:
                        return kSyntax;
                }
                run = p;
                continue;
            }
            if (c < 0x80) {
                ++p;
                continue;
            }
            // One well-formed UTF-8 sequence (no overlong form, no surrogate).
            int len = 0;
            unsigned char lo = 0x80, hi = 0xBF;
            if (c >= 0xC2 && c <= 0xDF) {
                len = 2;
            } else if (c >= 0xE0 && c <= 0xEF) {
                len = 3;
                if (c == 0xE0) lo = 0xA0;
                if (c == 0xED) hi = 0x9F;
            } else if (c >= 0xF0 && c <= 0xF4) {
                len = 4;
                if (c == 0xF0) lo = 0x90;
                if (c == 0xF4) hi = 0x8F;
            } else {
                return kBadToken;
            }
            if (end - p < len) return kBadToken;
            for (int k = 1; k < len; ++k) {
                const auto b = static_cast<unsigned char>(p[k]);
                if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) return kBadToken;
            }
            p += len;
        }
        return kSyntax;
    }

    bool read_hex4(std::uint32_t& cp) {
        if (end - p < 4) return false;
        for (int k = 0; k < 4; ++k) {
            const int d = hex_digit(p[k]);
            if (d < 0) return false;
            cp = cp * 16 + static_cast<std::uint32_t>(d);
        }
        p += 4;
        return true;
    }

    // An id: 0 or [1-9][0-9]{0,9}, not followed by a fraction or exponent.
    bool read_id(std::int64_t& value) {
        if (p == end || *p < '0' || *p > '9') return false;
        if (*p == '0') {
            ++p;
            value = 0;
        } else {
            value = 0;
            int digits = 0;
            while (p < end && *p >= '0' && *p <= '9') {
                if (++digits > 10) return false;
                value = value * 10 + (*p++ - '0');
            }
        }
        return !(p < end && (*p == '.' || *p == 'e' || *p == 'E' || (*p >= '0' && *p <= '9')));
    }

    // A JSON number literal (-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?) read as
    // Python's float() reads it (correctly rounded), and tokenizers_value as tokenizers
    // reads it (tokenizers_number.h); false for any other value and for one out of
    // double's range (Python: an infinity, or 0.0 for an underflow; the slow path words
    // those).
    bool read_score(double& value, double& tokenizers_value) {
        const char* start = p;
        const char* q = p;
        auto digits = [&]() {
            const char* d = q;
            while (q < end && *q >= '0' && *q <= '9') ++q;
            return q > d;
        };
        if (q < end && *q == '-') ++q;
        if (q < end && *q == '0') {
            ++q;
        } else if (!digits()) {
            return false;
        }
        bool integer = true;
        if (q < end && *q == '.') {
            ++q;
            integer = false;
            if (!digits()) return false;
        }
        if (q < end && (*q == 'e' || *q == 'E')) {
            ++q;
            integer = false;
            if (q < end && (*q == '+' || *q == '-')) ++q;
            if (!digits()) return false;
        }
        const auto [ptr, ec] = std::from_chars(start, q, value);
        if (ec != std::errc() || ptr != q || !std::isfinite(value)) return false;
        if (integer && value == 0) value = 0.0;  // Python's int -0 is 0: float(0) is +0.0
        tokenizers_value = tokenizers_number(start, q);
        if (!std::isfinite(tokenizers_value)) return false;  // tokenizers refuses it too
        p = q;
        return true;
    }

    // A Unigram list at '[': [[piece, score], ...], pieces checked as object keys are.
    int read_pieces(JsonVocab& out, std::int64_t max_token_chars) {
        ++p;  // '['
        out.list = true;
        skip_space();
        if (at(']')) return kEmpty;
        out.blob.reserve(static_cast<std::size_t>(end - p) / 2);
        out.offsets.push_back(0);
        for (;;) {
            skip_space();
            if (!at('[')) return kBadScore;
            ++p;
            skip_space();
            if (!at('"')) return kBadScore;
            std::int64_t chars = 0;
            const int status = read_string(out.blob, chars);
            if (status != kClean) return status;
            if (chars > max_token_chars) return kLongToken;
            skip_space();
            if (!at(',')) return kBadScore;
            ++p;
            skip_space();
            double score = 0, tokenizers_score = 0;
            if (!read_score(score, tokenizers_score)) return kBadScore;
            skip_space();
            if (!at(']')) return kBadScore;
            ++p;
            out.offsets.push_back(static_cast<std::int64_t>(out.blob.size()));
            out.ids.push_back(static_cast<std::int32_t>(out.scores.size()));
            out.chars.push_back(static_cast<std::int32_t>(chars));
            out.scores.push_back(score);
            out.tokenizer_scores.push_back(tokenizers_score);
            if (out.scores.size() >= static_cast<std::size_t>(INT32_MAX)) return kBadId;
            skip_space();
            if (at(',')) {
                ++p;
                continue;
            }
            if (!at(']')) return kSyntax;
            ++p;
            break;
        }
        return has_duplicate(out) ? kDuplicateKey : kClean;
    }

    // One merge string at '"' appended NUL-terminated; kBadMerge for a NUL in it.
    int read_merge_string(JsonVocab& out) {
        const std::size_t from = out.merges.size();
        std::int64_t chars = 0;
        const int status = read_string(out.merges, chars);
        if (status != kClean) return status == kSyntax ? kSyntax : kBadMerge;
        if (out.merges.find('\0', from) != std::string::npos) return kBadMerge;
        out.merges.push_back('\0');
        return kClean;
    }

    // BPE merges at '[': all "left right" strings or all [left, right] pairs.
    int read_merges(JsonVocab& out) {
        ++p;  // '['
        skip_space();
        if (at(']')) {
            ++p;
            return kClean;
        }
        out.merge_pairs = at('[');
        for (;;) {
            skip_space();
            if (out.merge_pairs) {
                if (!at('[')) return kBadMerge;
                ++p;
                for (int k = 0; k < 2; ++k) {
                    skip_space();
                    if (k == 1) {
                        if (!at(',')) return kBadMerge;
                        ++p;
                        skip_space();
                    }
                    if (!at('"')) return kBadMerge;
                    const int status = read_merge_string(out);
                    if (status != kClean) return status;
                }
                skip_space();
                if (!at(']')) return kBadMerge;
                ++p;
            } else {
                if (!at('"')) return kBadMerge;
                const int status = read_merge_string(out);
                if (status != kClean) return status;
            }
            ++out.n_merges;
            skip_space();
            if (at(',')) {
                ++p;
                continue;
            }
            if (!at(']')) return kSyntax;
            ++p;
            return kClean;
        }
    }

    // A key at '"' for comparison with a name; false when it cannot be decoded.
    bool read_key(std::string& key) {
        key.clear();
        std::int64_t chars = 0;
        return at('"') && read_string(key, chars) == kClean;
    }

    int read_vocab(JsonVocab& out, std::int64_t max_token_chars) {
        ++p;  // '{'
        skip_space();
        if (at('}')) return kEmpty;
        out.blob.reserve(static_cast<std::size_t>(end - p) / 2);  // most of a vocab is tokens
        out.offsets.push_back(0);
        for (;;) {
            skip_space();
            if (!at('"')) return kSyntax;
            std::int64_t chars = 0;
            const int status = read_string(out.blob, chars);
            if (status != kClean) return status;
            if (chars > max_token_chars) return kLongToken;
            skip_space();
            if (!at(':')) return kSyntax;
            ++p;
            skip_space();
            std::int64_t id = 0;
            if (!read_id(id)) return kBadId;
            out.offsets.push_back(static_cast<std::int64_t>(out.blob.size()));
            out.ids.push_back(static_cast<std::int32_t>(id > INT32_MAX ? -1 : id));
            out.chars.push_back(static_cast<std::int32_t>(chars));
            skip_space();
            if (at(',')) {
                ++p;
                continue;
            }
            if (!at('}')) return kSyntax;
            ++p;
            break;
        }
        const auto n = static_cast<std::int64_t>(out.ids.size());
        for (const std::int32_t id : out.ids)
            if (id < 0 || id >= n) return kBadId;
        return has_duplicate(out) ? kDuplicateKey : kClean;
    }

    // The members of an object at '{', calling on_member(key) at each value; the
    // callback reads or skips the value and returns a status (kClean to go on).
    template <class F>
    int members(F&& on_member) {
        ++p;  // '{'
        skip_space();
        if (at('}')) {
            ++p;
            return kClean;
        }
        std::string key;
        for (;;) {
            skip_space();
            if (!read_key(key)) return kSyntax;
            skip_space();
            if (!at(':')) return kSyntax;
            ++p;
            skip_space();
            const int status = on_member(key);
            if (status != kClean) return status;
            skip_space();
            if (at(',')) {
                ++p;
                continue;
            }
            if (!at('}')) return kSyntax;
            ++p;
            return kClean;
        }
    }
};

}  // namespace

void read_json_vocab(const char* text, std::int64_t n, std::int64_t max_token_chars,
                     JsonVocab& out) {
    Reader r{text, text + n};
    out = JsonVocab{};
    r.skip_space();
    if (!r.at('{')) return;  // kNoModel
    bool seen_model = false, seen_vocab = false, seen_merges = false;
    const int status = r.members([&](const std::string& key) -> int {
        if (key != "model") return r.skip_value() ? kClean : kSyntax;
        if (seen_model) return kDuplicateKey;
        seen_model = true;
        if (!r.at('{')) return r.skip_value() ? kClean : kSyntax;
        return r.members([&](const std::string& inner) -> int {
            if (inner == "merges") {
                if (seen_merges) return kDuplicateKey;
                seen_merges = true;
                if (!r.at('[')) return r.skip_value() ? kClean : kSyntax;
                out.merges_begin = r.p - text;
                const int merges = r.read_merges(out);
                out.merges_end = r.p - text;
                return merges;
            }
            if (inner != "vocab") return r.skip_value() ? kClean : kSyntax;
            if (seen_vocab) return kDuplicateKey;
            seen_vocab = true;
            if (!r.at('{') && !r.at('[')) return kNotObject;
            out.begin = r.p - text;
            const int vocab = r.at('[') ? r.read_pieces(out, max_token_chars)
                                        : r.read_vocab(out, max_token_chars);
            out.end = r.p - text;
            return vocab;
        });
    });
    out.status = status != kClean ? status : seen_vocab ? kClean : kNoModel;
}

void find_strings(const char* blob, const std::int64_t* offsets, std::int64_t n,
                  const std::vector<std::string>& needles, std::vector<std::int64_t>& found) {
    found.assign(needles.size(), -1);
    if (needles.empty()) return;
    std::size_t cap = 16;
    while (cap < 2 * needles.size()) cap *= 2;
    std::vector<std::int64_t> slots(cap, -1);  // needle indices (a repeated needle: its first)
    for (std::size_t k = 0; k < needles.size(); ++k) {
        const std::string& s = needles[k];
        for (std::size_t h = hash_bytes(s.data(), s.size()) & (cap - 1);; h = (h + 1) & (cap - 1)) {
            if (slots[h] < 0) {
                slots[h] = static_cast<std::int64_t>(k);
                break;
            }
            if (needles[static_cast<std::size_t>(slots[h])] == s) break;
        }
    }
    for (std::int64_t i = 0; i < n; ++i) {
        const char* s = blob + offsets[i];
        const auto len = static_cast<std::size_t>(offsets[i + 1] - offsets[i]);
        for (std::size_t h = hash_bytes(s, len) & (cap - 1); slots[h] >= 0;
             h = (h + 1) & (cap - 1)) {
            const std::string& want = needles[static_cast<std::size_t>(slots[h])];
            if (want.size() == len && std::memcmp(want.data(), s, len) == 0) {
                for (std::size_t k = 0; k < needles.size(); ++k)
                    if (found[k] < 0 && needles[k] == want) found[k] = i;
                break;
            }
        }
    }
}

}  // namespace fastpool
