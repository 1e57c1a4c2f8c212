// json_vocab.h - a tokenizer.json's model.vocab (and model.merges) read straight into
// string tables.
//
// Contract:
//   * read_json_vocab walks the JSON text once: the top-level object, its "model"
//     object, and that object's "vocab" value, which it parses strictly as either an
//     object of string keys and integer ids (WordPiece, BPE) or a list of
//     [string, number] pairs (Unigram's pieces and scores), and its "merges" value
//     when that is a list (BPE). The other values are skipped (strings with their
//     escapes, nested brackets), not validated: the caller parses the text around
//     the vocabulary and merges spans itself.
//   * status kClean means the vocabulary is one that Python's json.loads would
//     read into the same dict and that every Python check of a WordPiece vocabulary
//     accepts: non-empty; no duplicate key; every key valid UTF-8 (no lone
//     surrogate escape, no raw control character) of at most max_token_chars code
//     points; every id an integer literal (0 or no leading zero) in [0, n).
//     Any other status names the first thing that is not so; the caller then reads
//     the file the slow way, which words the fault exactly as before.
//     A list vocab is clean on the same terms for its pieces (no duplicate piece
//     either), with every score a JSON number literal that Python reads as a
//     finite float (no NaN / Infinity, no overflow); ids are then 0..n-1.
//   * A "merges" list is clean when its entries are all strings or all
//     [string, string] pairs, every string valid UTF-8 without a NUL (kBadMerge
//     otherwise); merges that are not a list are skipped (merges_begin stays -1).
//   * On kClean: blob holds the tokens' UTF-8 back to back, offsets (n + 1) their
//     byte ranges, ids and chars (n) their ids and code point counts, scores (n,
//     list vocab only) their scores as Python reads them and tokenizer_scores as
//     tokenizers reads them (tokenizers_number.h: the ones Viterbi must sum), in the
//     file's order; begin/end is the byte
//     span of the vocab value ({ to } or [ to ]). merges holds each merge string
//     (or each pair's two strings) NUL-terminated, in order; merges_begin/end its
//     span.
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
    kBadScore = 9,      // a list entry that is not [string, finite number]
    kBadMerge = 10,     // merges that are not all strings or all string pairs, or hold NUL
};

struct JsonVocab {
    int status = kNoModel;
    std::int64_t begin = -1, end = -1;
    std::string blob;
    std::vector<std::int64_t> offsets;
    std::vector<std::int32_t> ids;
    std::vector<std::int32_t> chars;
    bool list = false;  // the vocab was a [[piece, score], ...] list
    std::vector<double> scores;
    std::vector<double> tokenizer_scores;
    std::int64_t merges_begin = -1, merges_end = -1;
    std::string merges;
    std::int64_t n_merges = 0;
    bool merge_pairs = false;
};

void read_json_vocab(const char* text, std::int64_t n, std::int64_t max_token_chars,
                     JsonVocab& out);

// found[k]: the index of the first entry of the string table (blob, n + 1 offsets)
// equal to needles[k], or -1. One hashed pass over the table.
void find_strings(const char* blob, const std::int64_t* offsets, std::int64_t n,
                  const std::vector<std::string>& needles, std::vector<std::int64_t>& found);

}  // namespace fastpool
