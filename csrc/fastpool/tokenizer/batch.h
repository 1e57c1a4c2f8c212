// batch.h - tokenize many texts, or tokenize and pool them in one pass, with
// any native tokenizer family (text_tokenizer.h).
//
// Contract:
//   * texts: n_texts UTF-8 byte strings, text k at data[k] with sizes[k]
//     bytes (any bytes; ill-formed UTF-8 becomes U+FFFD). The caller keeps
//     them alive and unchanged for the call.
//   * tokenize_batch fills offsets (caller owned, n_texts + 1 entries) and the
//     ids as CSR: text k is ids[offsets[k] .. offsets[k+1]). The ids go where
//     ids.alloc(ids.ctx, total) says; it is called exactly once, on the
//     calling thread, once the total is known (so the caller can hand out a
//     buffer it owns, e.g. a fresh numpy array), and may return null for 0.
//   * encode_batch tokenizes and pools in one OpenMP region: each thread takes
//     chunks of rows, tokenizes them into a thread-local CSR and pools it with
//     fastpool::pool<T> (n_threads = 1) straight into out (caller owned,
//     n_texts x dim float32). pool_args supplies dim, row_stride, weights,
//     mapping, scale, mean, normalize and n_threads; its ids, offsets and
//     n_rows are ignored. Every id the tokenizer can produce must be a valid
//     index of weights / mapping / table (the Python layer checks the
//     vocabulary size once). Rows are independent, so the result is
//     identical for every thread count.
//   * Never throw: both return false when memory runs out or ids.alloc
//     returns null for a non-zero count (out / ids are then unspecified). Call without the GIL; no
//     Python anywhere.
#pragma once

#include <cstdint>
#include <vector>

#include "fastpool/pool.h"
#include "text_tokenizer.h"

namespace fastpool::tokenizer {

struct TextBatch {
    const char* const* data = nullptr;
    const std::int64_t* sizes = nullptr;
    std::int64_t n_texts = 0;
};

struct IdsAllocator {
    // Must not throw (not spelled noexcept so that C callbacks, e.g. Cython's, fit).
    std::int32_t* (*alloc)(void* ctx, std::int64_t n) = nullptr;
    void* ctx = nullptr;
};

bool tokenize_batch(const TextTokenizer& tok, const TextBatch& texts, const Limits& limits,
                    int n_threads, const IdsAllocator& ids, std::int64_t* offsets) noexcept;

template <class T>
bool encode_batch(const TextTokenizer& tok, const TextBatch& texts, const Limits& limits,
                  const PoolArgs& pool_args, const T* table, float* out) noexcept;

}  // namespace fastpool::tokenizer
