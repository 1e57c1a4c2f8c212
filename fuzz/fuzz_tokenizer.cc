// fuzz_tokenizer.cc - libFuzzer target: the native WordPiece tokenizer on arbitrary bytes.
//
// The first byte picks the normalizer switches, drop_unk and the longest word
// (max_input_chars_per_word 100, 4, 1 or 0), the next two the limits; the rest
// is split at 0xFF 0xFE into up to 64 texts (arbitrary bytes, so ill-formed
// UTF-8 too), each copied to an exact-size heap buffer so
// AddressSanitizer sees any read past its end. tokenize_batch and
// encode_batch must succeed, every id must lie in [0, vocabulary), and with
// drop_unk the unknown id must never appear; the id buffer starts filled with
// -7, so a slot the tokenizer never wrote fails that check too. The vocabulary is
// built in: ASCII words and pieces, accented and CJK characters, an emoji, and
// added tokens (one of them an existing word). tokenizer.dict gives the mutator
// the fragments that matter (broken UTF-8, marks, spaces, added-token prefixes).
// Many threads on large batches: tsan_threads.cc.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "fastpool/tokenizer/batch.h"
#include "fastpool/tokenizer/tokenizer.h"

using namespace fastpool::tokenizer;

namespace {

// The ids go into a std::vector (tokenize_batch asks for the total once).
std::int32_t* alloc_into_vector(void* ctx, std::int64_t n) {
    auto* v = static_cast<std::vector<std::int32_t>*>(ctx);
    v->assign(static_cast<std::size_t>(n), -7);  // -7: a slot the tokenizer never wrote
    return v->data();
}

// Packed by hand: clang-format would put one entry per line.
// clang-format off
const char* const kVocab[] = {
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "the", "quick", "brown", "fox", "jump", "##s", "##ed",
    "##ing", "over", "lazy", "dog", "a", "b", "c", "e", "##a", "##b", "##e", "un", "##aff",
    "##able", ".", ",", "!", "?", "'", "-", "1", "2", "##1", "##2", "caf", "##e", "é", "##é",
    "\xe4\xb8\xad", "\xe6\x96\x87", "\xf0\x9f\x99\x82", "na", "##ive", "i", "##\xcc\x81",
    "\xc4\xb1", "\xe1\xba\x9e", "ss", "##ss", "x", "##x", "y", "z", "hello", "world",
};
// clang-format on
constexpr int kVocabSize = sizeof kVocab / sizeof *kVocab;
constexpr std::int64_t kWordLimits[] = {100, 4, 1, 0};

struct Model {
    std::string blob, added_blob;
    std::vector<std::int64_t> offsets{0}, added_offsets{0};
    std::vector<std::int32_t> ids, added_ids;
    // [switches + 16 * word limit]: the four normalizer switches, and
    // max_input_chars_per_word from kWordLimits.
    BertTokenizer tok[64];
    Model() {
        for (int i = 0; i < kVocabSize; ++i) {
            blob += kVocab[i];
            offsets.push_back(static_cast<std::int64_t>(blob.size()));
            ids.push_back(i);
        }
        const char* added[] = {"[UNK]", "[CLS]", "<special>", "fox"};
        const std::int32_t added_id[] = {1, 2, kVocabSize, 7};
        for (int i = 0; i < 4; ++i) {
            added_blob += added[i];
            added_offsets.push_back(static_cast<std::int64_t>(added_blob.size()));
            added_ids.push_back(added_id[i]);
        }
        StringTable vocab{blob.data(), offsets.data(), ids.data(), kVocabSize};
        StringTable add{added_blob.data(), added_offsets.data(), added_ids.data(), 4};
        for (int c = 0; c < 64; ++c) {
            BertConfig cfg;
            cfg.clean_text = c & 1;
            cfg.handle_chinese_chars = c & 2;
            cfg.strip_accents = c & 4;
            cfg.lowercase = c & 8;
            cfg.max_input_chars_per_word = kWordLimits[c >> 4];
            cfg.unk_id = 1;
            if (!tok[c].build(cfg, vocab, "##", 2, add)) std::abort();
        }
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static Model model;
    if (size < 3) return 0;
    const BertTokenizer& tok = model.tok[(data[0] & 15) | (data[0] >> 5 & 3) << 4];
    Limits limits;
    limits.max_chars = static_cast<std::int64_t>(data[1] % 64) - 8;
    limits.max_tokens = static_cast<std::int64_t>(data[2] % 64) - 8;
    limits.drop_unk = data[0] & 16;
    std::vector<std::vector<char>> texts(1);
    for (std::size_t i = 3; i < size; ++i) {
        if (i + 1 < size && data[i] == 0xFF && data[i + 1] == 0xFE && texts.size() < 64) {
            texts.emplace_back();
            ++i;
        } else {
            texts.back().push_back(static_cast<char>(data[i]));
        }
    }
    std::vector<char*> ptrs;
    std::vector<const char*> cptrs;
    std::vector<std::int64_t> sizes;
    for (auto& t : texts) {
        char* p = static_cast<char*>(std::malloc(t.size() ? t.size() : 1));
        if (!t.empty()) std::memcpy(p, t.data(), t.size());
        ptrs.push_back(p);
        cptrs.push_back(p);
        sizes.push_back(static_cast<std::int64_t>(t.size()));
    }
    TextBatch batch{cptrs.data(), sizes.data(), static_cast<std::int64_t>(texts.size())};
    std::vector<std::int32_t> out_ids;
    std::vector<std::int64_t> out_offsets(texts.size() + 1);
    if (!tokenize_batch(tok, batch, limits, 1, IdsAllocator{alloc_into_vector, &out_ids},
                        out_offsets.data()))
        std::abort();
    if (out_offsets[0] != 0 || out_offsets.back() != static_cast<std::int64_t>(out_ids.size()))
        std::abort();
    for (std::size_t r = 0; r < texts.size(); ++r) {
        if (out_offsets[r + 1] < out_offsets[r]) std::abort();
        if (limits.max_tokens >= 0 && out_offsets[r + 1] - out_offsets[r] > limits.max_tokens)
            std::abort();
    }
    for (std::int32_t id : out_ids) {
        if (id < 0 || id > kVocabSize) std::abort();  // kVocabSize: the added "<special>"
        if (limits.drop_unk && id == 1) std::abort();
    }
    // The fused tokenize + pool path over the same texts.
    const std::int64_t dim = 4;
    std::vector<float> table(static_cast<std::size_t>((kVocabSize + 1) * dim), 0.25f);
    fastpool::PoolArgs args;
    args.dim = dim;
    args.row_stride = dim;
    args.id_limit = kVocabSize + 1;
    args.table_rows = kVocabSize + 1;
    args.n_threads = 1;
    std::vector<float> out(texts.size() * dim);
    if (!encode_batch<float>(tok, batch, limits, args, table.data(), out.data())) std::abort();
    for (char* p : ptrs) std::free(p);
    return 0;
}
