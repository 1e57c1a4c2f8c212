// batch.cpp - OpenMP drivers of the native tokenizer (see batch.h).
#include "batch.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace fastpool::tokenizer {
namespace {

// Below this many input bytes per thread a thread team costs more than it
// saves (a team start is a few microseconds; a byte takes a few nanoseconds).
constexpr std::int64_t kMinBytesPerThread = 16384;

// Rows per work item: enough to amortise the dynamic schedule and the pool
// call, few enough to balance uneven texts.
constexpr std::int64_t kChunkRows = 32;

int useful_threads(const TextBatch& texts, int n_threads) noexcept {
    std::int64_t bytes = 0;
    for (std::int64_t k = 0; k < texts.n_texts; ++k) bytes += texts.sizes[k] + 16;
    const std::int64_t useful = std::max<std::int64_t>(1, bytes / kMinBytesPerThread);
    return static_cast<int>(std::max<std::int64_t>(1, std::min<std::int64_t>(n_threads, useful)));
}

}  // namespace

bool tokenize_batch(const TextTokenizer& tok, const TextBatch& texts, const Limits& limits,
                    int n_threads, const IdsAllocator& ids, std::int64_t* offsets) noexcept {
    const std::int64_t n = texts.n_texts;
    try {
        offsets[0] = 0;
        const int nt = useful_threads(texts, n_threads);
        if (nt <= 1) {
            ScratchLease scratch(tok);
            if (!scratch) return false;
            std::vector<std::int32_t> mine;
            try {
                for (std::int64_t r0 = 0; r0 < n; r0 += kChunkRows) {
                    const std::int64_t rows = std::min(kChunkRows, n - r0);
                    tok.tokenize_rows(texts.data + r0, texts.sizes + r0,
                                      static_cast<std::size_t>(rows), limits, *scratch, mine,
                                      offsets + r0 + 1);
                }
            } catch (...) {
                scratch.discard();
                return false;
            }
            const auto total = static_cast<std::int64_t>(mine.size());
            std::int32_t* dst = ids.alloc(ids.ctx, total);
            if (!dst) return total == 0;
            if (total) std::memcpy(dst, mine.data(), mine.size() * sizeof(std::int32_t));
            return true;
        }
        // One region. Chunks of rows under a dynamic schedule (robust to
        // uneven texts and to a thread losing its core); each thread appends
        // its chunks' ids to its own buffer and records where. Then the
        // calling thread turns local ends into global offsets and gets the
        // destination, and every thread copies its own chunks into place.
        // The ids depend only on the row, never on timing.
        const std::int64_t n_chunks = (n + kChunkRows - 1) / kChunkRows;
        std::vector<int> chunk_thread(static_cast<std::size_t>(n_chunks));
        std::vector<std::int64_t> chunk_start(static_cast<std::size_t>(n_chunks));
        std::atomic<bool> failed{false};
        std::int32_t* dst = nullptr;
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
#endif
        {
#ifdef _OPENMP
            const int t = omp_get_thread_num();
#else
            const int t = 0;
#endif
            ScratchLease scratch(tok);  // noexcept: nothing may leave the region
            if (!scratch) failed.store(true, std::memory_order_relaxed);
            std::vector<std::int32_t> mine;  // on this thread's stack: no false sharing
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
            for (std::int64_t c = 0; c < n_chunks; ++c) {
                if (failed.load(std::memory_order_relaxed)) continue;
                chunk_thread[c] = t;
                chunk_start[c] = static_cast<std::int64_t>(mine.size());
                const std::int64_t r1 = std::min(n, (c + 1) * kChunkRows);
                try {
                    const std::int64_t r0 = c * kChunkRows;  // ends local to mine
                    tok.tokenize_rows(texts.data + r0, texts.sizes + r0,
                                      static_cast<std::size_t>(r1 - r0), limits, *scratch, mine,
                                      offsets + r0 + 1);
                } catch (...) {
                    failed.store(true, std::memory_order_relaxed);
                    scratch.discard();
                }
            }  // implicit barrier: every chunk is done
#ifdef _OPENMP
#pragma omp master
#endif
            if (!failed.load()) {
                // Local end positions -> row lengths -> global offsets.
                std::int64_t base = 0;
                for (std::int64_t c = 0; c < n_chunks; ++c) {
                    std::int64_t prev = chunk_start[c];
                    const std::int64_t r1 = std::min(n, (c + 1) * kChunkRows);
                    for (std::int64_t k = c * kChunkRows; k < r1; ++k) {
                        const std::int64_t end = offsets[k + 1];
                        base += end - prev;
                        prev = end;
                        offsets[k + 1] = base;
                    }
                }
                dst = ids.alloc(ids.ctx, base);
                if (!dst && base) failed.store(true);
            }
#ifdef _OPENMP
#pragma omp barrier
#endif
            if (!failed.load() && dst) {
                for (std::int64_t c = 0; c < n_chunks; ++c) {
                    if (chunk_thread[c] != t) continue;
                    const std::int64_t r0 = c * kChunkRows;
                    const std::int64_t count = offsets[std::min(n, r0 + kChunkRows)] - offsets[r0];
                    if (count)
                        std::memcpy(dst + offsets[r0], mine.data() + chunk_start[c],
                                    static_cast<std::size_t>(count) * sizeof(std::int32_t));
                }
            }
        }
        return !failed.load();
    } catch (...) {
        return false;
    }
}

template <class T>
bool encode_batch(const TextTokenizer& tok, const TextBatch& texts, const Limits& limits,
                  const PoolArgs& pool_args, const T* table, float* out) noexcept {
    const std::int64_t n = texts.n_texts;
    const std::int64_t n_chunks = (n + kChunkRows - 1) / kChunkRows;
    const int nt = static_cast<int>(std::min<std::int64_t>(
        useful_threads(texts, pool_args.n_threads), std::max<std::int64_t>(1, n_chunks)));
    std::atomic<bool> failed{false};
#ifdef _OPENMP
#pragma omp parallel num_threads(nt) if (nt > 1)
#endif
    {
        try {
            ScratchLease scratch(tok);
            if (!scratch) failed.store(true, std::memory_order_relaxed);
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
                    tok.tokenize_rows(texts.data + r0, texts.sizes + r0,
                                      static_cast<std::size_t>(r1 - r0), limits, *scratch, ids,
                                      offsets + 1);
                } catch (...) {
                    failed.store(true, std::memory_order_relaxed);
                    scratch.discard();
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

template bool encode_batch<float>(const TextTokenizer&, const TextBatch&, const Limits&,
                                  const PoolArgs&, const float*, float*) noexcept;
template bool encode_batch<double>(const TextTokenizer&, const TextBatch&, const Limits&,
                                   const PoolArgs&, const double*, float*) noexcept;
template bool encode_batch<half_t>(const TextTokenizer&, const TextBatch&, const Limits&,
                                   const PoolArgs&, const half_t*, float*) noexcept;
template bool encode_batch<bfloat16_t>(const TextTokenizer&, const TextBatch&, const Limits&,
                                       const PoolArgs&, const bfloat16_t*, float*) noexcept;
template bool encode_batch<std::int8_t>(const TextTokenizer&, const TextBatch&, const Limits&,
                                        const PoolArgs&, const std::int8_t*, float*) noexcept;

}  // namespace fastpool::tokenizer
