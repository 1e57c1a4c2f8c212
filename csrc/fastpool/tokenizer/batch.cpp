// batch.cpp - OpenMP drivers of the native tokenizer (see batch.h).
#include "batch.h"

#include <algorithm>
#include <atomic>
#include <cstring>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace fastpool::tokenizer {
namespace {

// Below this many input bytes per thread a thread team costs more than it
// saves (a team start is a few microseconds; a byte takes a few nanoseconds).
constexpr std::int64_t kMinBytesPerThread = 16384;

// Rows per work item of encode_batch: enough to amortise the dynamic
// schedule and the pool call, few enough to balance uneven texts.
constexpr std::int64_t kChunkRows = 32;

int useful_threads(const TextBatch& texts, int n_threads) noexcept {
    std::int64_t bytes = 0;
    for (std::int64_t k = 0; k < texts.n_texts; ++k) bytes += texts.sizes[k] + 16;
    const std::int64_t useful = std::max<std::int64_t>(1, bytes / kMinBytesPerThread);
    return static_cast<int>(std::max<std::int64_t>(1, std::min<std::int64_t>(n_threads, useful)));
}

// First text at which the running byte cost reaches target (cost includes a
// fixed share per text, so runs of empty texts are still split).
std::int64_t text_at_cost(const std::vector<std::int64_t>& cum, std::int64_t target) noexcept {
    return static_cast<std::int64_t>(std::lower_bound(cum.begin(), cum.end(), target) - cum.begin());
}

}  // namespace

bool tokenize_batch(const BertTokenizer& tok, const TextBatch& texts, const Limits& limits,
                    int n_threads, std::vector<std::int32_t>& ids,
                    std::int64_t* offsets) noexcept {
    const std::int64_t n = texts.n_texts;
    try {
        ids.clear();
        offsets[0] = 0;
        const int nt = useful_threads(texts, n_threads);
        if (nt <= 1) {
            Scratch scratch;
            for (std::int64_t k = 0; k < n; ++k) {
                tok.tokenize(texts.data[k], static_cast<std::size_t>(texts.sizes[k]), limits,
                             scratch, ids);
                offsets[k + 1] = static_cast<std::int64_t>(ids.size());
            }
            return true;
        }
        // Contiguous slices of equal byte cost; each thread keeps its ids
        // locally, then copies them into place after a prefix sum.
        std::vector<std::int64_t> cum(static_cast<std::size_t>(n));
        std::int64_t total = 0;
        for (std::int64_t k = 0; k < n; ++k) cum[k] = total += texts.sizes[k] + 16;
        std::vector<std::vector<std::int32_t>> local(static_cast<std::size_t>(nt));
        std::vector<std::int64_t> starts(static_cast<std::size_t>(nt) + 1);
        for (int t = 0; t <= nt; ++t)
            starts[t] = t == nt ? n : t == 0 ? 0 : text_at_cost(cum, total * t / nt) + 1;
        for (int t = 1; t <= nt; ++t) starts[t] = std::max(starts[t], starts[t - 1]);
        std::atomic<bool> failed{false};
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
#endif
        {
#ifdef _OPENMP
            const int t = omp_get_thread_num();
            const int team = omp_get_num_threads();
#else
            const int t = 0;
            const int team = 1;
#endif
            // A smaller team than asked for: the first thread does the rest.
            for (int s = t; s < nt; s += team) {
                try {
                    Scratch scratch;
                    // Filled on this thread's stack and moved out at the end:
                    // vector headers side by side in `local` would share a
                    // cache line that every push_back writes.
                    std::vector<std::int32_t> mine;
                    for (std::int64_t k = starts[s]; k < starts[s + 1]; ++k) {
                        tok.tokenize(texts.data[k], static_cast<std::size_t>(texts.sizes[k]),
                                     limits, scratch, mine);
                        offsets[k + 1] = static_cast<std::int64_t>(mine.size());  // local for now
                    }
                    local[s] = std::move(mine);
                } catch (...) {
                    failed.store(true, std::memory_order_relaxed);
                }
            }
        }
        if (failed.load()) return false;
        std::int64_t base = 0;
        for (int s = 0; s < nt; ++s) {
            for (std::int64_t k = starts[s]; k < starts[s + 1]; ++k) offsets[k + 1] += base;
            base += static_cast<std::int64_t>(local[s].size());
        }
        ids.resize(static_cast<std::size_t>(base));
        for (int s = 0; s < nt; ++s)
            if (!local[s].empty())
                std::memcpy(ids.data() + offsets[starts[s]], local[s].data(),
                            local[s].size() * sizeof(std::int32_t));
        return true;
    } catch (...) {
        return false;
    }
}

template <class T>
bool encode_batch(const BertTokenizer& tok, const TextBatch& texts, const Limits& limits,
                  const PoolArgs& pool_args, const T* table, float* out) noexcept {
    const std::int64_t n = texts.n_texts;
    const std::int64_t n_chunks = (n + kChunkRows - 1) / kChunkRows;
    const int nt = static_cast<int>(
        std::min<std::int64_t>(useful_threads(texts, pool_args.n_threads), std::max<std::int64_t>(1, n_chunks)));
    std::atomic<bool> failed{false};
#ifdef _OPENMP
#pragma omp parallel num_threads(nt) if (nt > 1)
#endif
    {
        try {
            Scratch scratch;
            std::vector<std::int32_t> ids;
            std::int64_t offsets[kChunkRows + 1];
            PoolArgs args = pool_args;
            args.ids = nullptr;
            args.ids_are_64 = false;
            args.offsets = offsets;
            args.n_threads = 1;
            // Rows are independent, so a dynamic schedule balances uneven
            // texts without changing any result.
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
            for (std::int64_t c = 0; c < n_chunks; ++c) {
                if (failed.load(std::memory_order_relaxed)) continue;
                const std::int64_t r0 = c * kChunkRows;
                const std::int64_t r1 = std::min(n, r0 + kChunkRows);
                ids.clear();
                offsets[0] = 0;
                try {
                    for (std::int64_t k = r0; k < r1; ++k) {
                        tok.tokenize(texts.data[k], static_cast<std::size_t>(texts.sizes[k]),
                                     limits, scratch, ids);
                        offsets[k - r0 + 1] = static_cast<std::int64_t>(ids.size());
                    }
                } catch (...) {
                    failed.store(true, std::memory_order_relaxed);
                    continue;
                }
                args.ids = ids.data();
                args.n_rows = r1 - r0;
                pool<T>(args, table, out + r0 * pool_args.dim);
            }
        } catch (...) {
            failed.store(true, std::memory_order_relaxed);
        }
    }
    return !failed.load();
}

template bool encode_batch<float>(const BertTokenizer&, const TextBatch&, const Limits&,
                                  const PoolArgs&, const float*, float*) noexcept;
template bool encode_batch<double>(const BertTokenizer&, const TextBatch&, const Limits&,
                                   const PoolArgs&, const double*, float*) noexcept;
template bool encode_batch<half_t>(const BertTokenizer&, const TextBatch&, const Limits&,
                                   const PoolArgs&, const half_t*, float*) noexcept;
template bool encode_batch<bfloat16_t>(const BertTokenizer&, const TextBatch&, const Limits&,
                                       const PoolArgs&, const bfloat16_t*, float*) noexcept;
template bool encode_batch<std::int8_t>(const BertTokenizer&, const TextBatch&, const Limits&,
                                        const PoolArgs&, const std::int8_t*, float*) noexcept;

}  // namespace fastpool::tokenizer
