// json_vocab.h - a tokenizer.json's model.vocab read straight into a string table.
//
// Contract:
//   * read_json_vocab walks the JSON text once: the top-level object, its "model"
//     object, and that object's "vocab" value, which it parses strictly as an
//     object of string keys and integer ids. The other values are skipped
//     (strings with their escapes, nested brackets), not validated: the caller
//     parses the text around the vocabulary span itself.
//   * status kClean means the vocabulary is one that Python's json.loads would
//     read into the same dict and that every Python check of a WordPiece vocabulary
//     accepts: non-empty; no duplicate key; every key valid UTF-8 (no lone
//     surrogate escape, no raw control character) of at most max_token_chars code
//     points; every id an integer literal (0 or no leading zero) in [0, n).
//     Any other status names the first thing that is not so; the caller then reads
//     the file the slow way, which words the fault exactly as before.
//   * On kClean: blob holds the tokens' UTF-8 back to back, offsets (n + 1) their
//     byte ranges, ids and chars (n) their ids and code point counts, in the
//     file's order; begin/end is the byte span of the vocab object ({ to }).
//   * Single threaded; may throw std::bad_alloc only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fastpool {

enum JsonVocabStatus : int {
    kClean = 0,
    kNoModel = 1,       // no top-level object with a "model" object holding "vocab"
    kDuplicateKey = 2,  // "model" or "vocab" twice, or a token twice
    kNotObject = 3,     // the vocab is not a JSON object
    kBadToken = 4,      // a key with a lone surrogate, a control character, bad UTF-8
    kLongToken = 5,     // a key longer than max_token_chars code points
    kBadId = 6,         // an id that is not a plain integer in [0, n)
    kEmpty = 7,         // an empty vocab
    kSyntax = 8,        // the text ends or breaks inside the vocab
};

struct JsonVocab {
    int status = kNoModel;
    std::int64_t begin = -1, end = -1;
    std::string blob;
    std::vector<std::int64_t> offsets;
    std::vector<std::int32_t> ids;
    std::vector<std::int32_t> chars;
};

void read_json_vocab(const char* text, std::int64_t n, std::int64_t max_token_chars,
                     JsonVocab& out);

}  // namespace fastpool
