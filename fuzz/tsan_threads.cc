// tsan_threads.cc - ThreadSanitizer driver for the OpenMP paths (not libFuzzer).
//
// Pools random CSR batches big enough for the kernel to start a thread team
// (n_threads 2..8) at every ISA, and tokenizes + pools a large batch with the
// native tokenizer's dynamic schedule, checking each result is bit-identical
// to the single-threaded one; then four threads call it at once, sharing the
// tokenizer's scratch pool (text_tokenizer.h). Built with clang -fopenmp -fsanitize=thread
// against LLVM's libomp, with its TSan tool Archer loaded
// (OMP_TOOL_LIBRARIES=libarcher.so), so OpenMP's own synchronisation is
// visible to TSan: any report is a real race.
//
//   make -C fuzz tsan
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "fastpool/dispatch.h"
#include "fastpool/pool.h"
#include "fastpool/tokenizer/batch.h"
#include "fastpool/tokenizer/tokenizer.h"

using namespace fastpool;

// The ids go into a std::vector (tokenize_batch asks for the total once).
static std::int32_t* alloc_into_vector(void* ctx, std::int64_t n) {
    auto* v = static_cast<std::vector<std::int32_t>*>(ctx);
    v->resize(static_cast<std::size_t>(n));
    return v->data();
}

static int kernel_rounds(int rounds) {
    std::mt19937_64 rng(7);
    for (int round = 0; round < rounds; ++round) {
        const std::int64_t table_rows = 500, dim = 1 + rng() % 70;
        std::vector<float> table(static_cast<std::size_t>(table_rows * dim));
        for (auto& t : table) t = static_cast<float>(static_cast<int>(rng() % 256) - 128) / 16;
        std::vector<float> weights(static_cast<std::size_t>(table_rows), 0.5f);
        std::vector<std::int32_t> ids;
        std::vector<std::int64_t> offsets{0};
        const std::int64_t n_rows = 3000;
        for (std::int64_t r = 0; r < n_rows; ++r) {
            const int len = static_cast<int>(rng() % 40);
            for (int k = 0; k < len; ++k)
                ids.push_back(static_cast<std::int32_t>(rng() % table_rows));
            offsets.push_back(static_cast<std::int64_t>(ids.size()));
        }
        PoolArgs a;
        a.ids = ids.data();
        a.ids_are_64 = false;
        a.offsets = offsets.data();
        a.n_rows = n_rows;
        a.dim = dim;
        a.row_stride = dim;
        a.weights = round % 2 ? weights.data() : nullptr;
        a.id_limit = table_rows;
        a.table_rows = table_rows;
        for (int isa = 0; isa <= static_cast<int>(best_isa()); ++isa) {
            set_isa(static_cast<Isa>(isa));
            std::vector<float> one(static_cast<std::size_t>(n_rows * dim)), many(one.size());
            a.n_threads = 1;
            pool<float>(a, table.data(), one.data());
            a.n_threads = 2 + static_cast<int>(rng() % 7);
            pool<float>(a, table.data(), many.data());
            if (std::memcmp(one.data(), many.data(), one.size() * sizeof(float)) != 0) {
                std::fprintf(stderr, "kernel: %d threads differ from 1 (isa %d)\n", a.n_threads,
                             isa);
                return 1;
            }
        }
    }
    return 0;
}

static int tokenizer_rounds(int rounds) {
    using namespace fastpool::tokenizer;
    const char* words[] = {"[PAD]", "[UNK]", "the",  "quick", "brown",
                           "fox",   "##s",   "##ed", "a",     "b"};
    std::string blob;
    std::vector<std::int64_t> offs{0};
    std::vector<std::int32_t> vids;
    for (int i = 0; i < 10; ++i) {
        blob += words[i];
        offs.push_back(static_cast<std::int64_t>(blob.size()));
        vids.push_back(i);
    }
    StringTable vocab{blob.data(), offs.data(), vids.data(), 10};
    StringTable added{};
    BertConfig cfg;
    cfg.unk_id = 1;
    BertTokenizer tok;
    if (!tok.build(cfg, vocab, "##", 2, added)) return 1;
    std::mt19937_64 rng(11);
    const char* pieces[] = {"the ",     "quick ", "fox",   "es ",
                            "\xc3\xa9", "! ",     "brown", "\xe4\xb8\xad"};
    for (int round = 0; round < rounds; ++round) {
        std::vector<std::string> texts(5000);
        for (auto& t : texts)
            for (int k = static_cast<int>(rng() % 30); k > 0; --k) t += pieces[rng() % 8];
        std::vector<const char*> data;
        std::vector<std::int64_t> sizes;
        for (auto& t : texts) {
            data.push_back(t.data());
            sizes.push_back(static_cast<std::int64_t>(t.size()));
        }
        TextBatch batch{data.data(), sizes.data(), static_cast<std::int64_t>(texts.size())};
        Limits limits;
        std::vector<float> table(10 * 8, 0.25f);
        for (std::size_t i = 0; i < table.size(); ++i) table[i] = static_cast<float>(i % 7);
        PoolArgs a;
        a.dim = 8;
        a.row_stride = 8;
        a.id_limit = 10;
        a.table_rows = 10;
        std::vector<float> one(texts.size() * 8), many(one.size());
        a.n_threads = 1;
        if (!encode_batch<float>(tok, batch, limits, a, table.data(), one.data())) return 1;
        a.n_threads = 4;
        if (!encode_batch<float>(tok, batch, limits, a, table.data(), many.data())) return 1;
        std::vector<std::int32_t> ids1, ids4;
        std::vector<std::int64_t> o1(texts.size() + 1), o4(texts.size() + 1);
        if (!tokenize_batch(tok, batch, limits, 1, IdsAllocator{alloc_into_vector, &ids1},
                            o1.data()))
            return 1;
        if (!tokenize_batch(tok, batch, limits, 4, IdsAllocator{alloc_into_vector, &ids4},
                            o4.data()))
            return 1;
        if (one != many || ids1 != ids4 || o1 != o4) {
            std::fprintf(stderr, "tokenizer: 4 threads differ from 1\n");
            return 1;
        }
        // Calls from several threads at once lease and return the pooled scratches, while
        // another thread clears and sizes the pool and reads what it holds.
        std::vector<std::vector<std::int32_t>> got(4);
        std::atomic<int> wrong{0};
        std::atomic<bool> done{false};
        std::thread clearer([&] {
            for (std::size_t k = 0; !done.load(); ++k) {
                if (k % 3 == 2)
                    tok.set_cache_words(16 + k % 5);
                else
                    tok.clear_cache();
                if (tok.cache_info().scratches > TextTokenizer::kMaxPooled) ++wrong;
            }
        });
        std::vector<std::thread> callers;
        for (int c = 0; c < 4; ++c)
            callers.emplace_back([&, c] {
                std::vector<std::int64_t> o(texts.size() + 1);
                const bool ok = tokenize_batch(tok, batch, limits, 2,
                                               IdsAllocator{alloc_into_vector, &got[c]}, o.data());
                if (!ok || got[c] != ids1 || o != o1) ++wrong;
            });
        for (auto& t : callers) t.join();
        done = true;
        clearer.join();
        if (wrong) {
            std::fprintf(stderr, "tokenizer: concurrent calls differ from one call\n");
            return 1;
        }
    }
    return 0;
}

int main(int argc, char** argv) {
    const int rounds = argc > 1 ? std::atoi(argv[1]) : 20;
    if (kernel_rounds(rounds) || tokenizer_rounds(rounds)) return 1;
    std::printf("tsan: %d kernel rounds and %d tokenizer rounds, threads bit-identical\n", rounds,
                rounds);
    return 0;
}
