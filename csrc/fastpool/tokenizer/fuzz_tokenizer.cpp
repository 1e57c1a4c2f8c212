// fuzz_tokenizer.cpp - a standalone sanitizer harness for the native tokenizer
// (not part of the package build). Feeds random bytes, broken UTF-8, marks,
// CJK and added-token fragments through tokenize_batch and encode_batch with
// random limits and checks that every id is in range.
//
// Build and run (vocab.txt: one token per line, e.g. all-MiniLM-L6-v2's):
//   g++ -std=c++17 -O1 -g -fopenmp -fsanitize=address,undefined -fno-sanitize-recover=all \
//       -Icsrc csrc/fastpool/tokenizer/fuzz_tokenizer.cpp csrc/fastpool/tokenizer/tokenizer.cpp \
//       csrc/fastpool/tokenizer/batch.cpp csrc/fastpool/pool.cpp csrc/fastpool/pool_baseline.cpp \
//       -o /tmp/fuzz_tokenizer && /tmp/fuzz_tokenizer vocab.txt 20000
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "batch.h"

using namespace fastpool::tokenizer;

namespace {
std::int32_t* alloc_into_vector(void* ctx, std::int64_t n) {
    auto* v = static_cast<std::vector<std::int32_t>*>(ctx);
    v->assign(static_cast<std::size_t>(n), -7);  // -7: a slot the tokenizer never wrote
    return v->data();
}
}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s vocab.txt iterations\n", argv[0]);
        return 2;
    }
    std::ifstream in(argv[1]);
    std::string blob, line;
    std::vector<std::int64_t> offsets{0};
    std::vector<std::int32_t> ids;
    while (std::getline(in, line)) {
        blob += line;
        offsets.push_back(static_cast<std::int64_t>(blob.size()));
        ids.push_back(static_cast<std::int32_t>(ids.size()));
    }
    const auto n_vocab = static_cast<std::int32_t>(ids.size());
    const std::string added_blob = "[UNK][PAD]xyz";
    const std::int64_t added_offsets[] = {0, 5, 10, 13};
    const std::int32_t added_ids[] = {100, 0, n_vocab};
    StringTable vocab{blob.data(), offsets.data(), ids.data(), n_vocab};
    StringTable added{added_blob.data(), added_offsets, added_ids, 3};

    const char* pieces[] = {"[UNK]", "[PA", "xyz", "\xcc\x81", "\xe4\xb8\xad", "\xf0\x9f\x99\x82",
                            "\xed\xa0\x80", "\xc3", "\xe2\x82", "\xf4\x90\x80\x80", " ", "\t",
                            "##", "!?", "\xc2\xa0", "\xe3\x80\x80", "A", "\xc4\xb0", "unaffable"};
    std::mt19937_64 rng(12345);
    const long iterations = std::atol(argv[2]);
    std::vector<float> table(static_cast<std::size_t>(n_vocab + 1) * 8, 0.5f);
    for (long it = 0; it < iterations; ++it) {
        BertConfig cfg;
        cfg.clean_text = rng() & 1;
        cfg.handle_chinese_chars = rng() & 1;
        cfg.strip_accents = rng() & 1;
        cfg.lowercase = rng() & 1;
        cfg.max_input_chars_per_word = static_cast<std::int64_t>(rng() % 120);
        cfg.unk_id = 100;
        static BertTokenizer tok;
        if (it % 500 == 0 && !tok.build(cfg, vocab, "##", 2, added)) return 3;
        // Now and then a batch big enough for the multi-threaded paths.
        std::vector<std::string> texts(it % 50 == 0 ? 3000 : 1 + rng() % 8);
        for (auto& t : texts) {
            const int n = static_cast<int>(rng() % 64);
            for (int k = 0; k < n; ++k) {
                if (rng() % 3 == 0) t += static_cast<char>(rng() & 0xFF);
                else t += pieces[rng() % (sizeof pieces / sizeof *pieces)];
            }
        }
        std::vector<const char*> data;
        std::vector<std::int64_t> sizes;
        for (auto& t : texts) {
            // An exact-size heap copy, so ASan sees any read past the end.
            char* p = static_cast<char*>(std::malloc(t.size() ? t.size() : 1));
            std::copy(t.begin(), t.end(), p);
            data.push_back(p);
            sizes.push_back(static_cast<std::int64_t>(t.size()));
        }
        TextBatch batch{data.data(), sizes.data(), static_cast<std::int64_t>(texts.size())};
        Limits limits;
        limits.max_chars = static_cast<std::int64_t>(rng() % 80) - 10;
        limits.max_tokens = static_cast<std::int64_t>(rng() % 40) - 10;
        limits.drop_unk = rng() & 1;
        std::vector<std::int32_t> out_ids;
        std::vector<std::int64_t> out_offsets(texts.size() + 1);
        IdsAllocator sink{alloc_into_vector, &out_ids};
        if (!tokenize_batch(tok, batch, limits, 2, sink, out_offsets.data())) return 4;
        if (out_offsets.back() != static_cast<std::int64_t>(out_ids.size())) return 7;
        for (std::int32_t id : out_ids)
            if (id < 0 || id > n_vocab) {
                std::fprintf(stderr, "id %d out of range\n", id);
                return 5;
            }
        fastpool::PoolArgs args;
        args.dim = 8;
        args.row_stride = 8;
        args.id_limit = n_vocab + 1;
        args.table_rows = n_vocab + 1;
        args.n_threads = 2;
        std::vector<float> out(texts.size() * 8);
        if (!encode_batch<float>(tok, batch, limits, args, table.data(), out.data())) return 6;
        for (const char* p : data) std::free(const_cast<char*>(p));
    }
    std::printf("ok: %ld iterations\n", iterations);
    return 0;
}
