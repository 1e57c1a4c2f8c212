// Row-sparse training kernels for fastpool.train: the backward of the weighted bag mean and a
// lazy Adam step, both over the *distinct* ids of a batch, so no dense table-sized buffer.
//
// Layout: float32, row-major, `dim` contiguous floats per row; `grad` is (n_rows, dim), the
// table (n_ids, dim), the Adam state `m`/`v` the same shape as the parameter. Index arrays are
// int64. bag_backward's `by_id` lists, for the tokens sorted by id (stable), the batch row of
// each token; `starts[u]` is where distinct id `unique[u]`'s run begins (it ends at
// starts[u + 1], or at `n_tokens` for the last).
// Not checked (the Python layer does it): ranges of ids and rows, shapes, that `unique` and
// `rows` are distinct (row_adam relies on it: each row is written by one thread only).
// Thread safety: each output row is owned by one OpenMP thread; no atomics, no reductions
// across threads, so results are independent of the thread count. Accumulation is float32 in
// the order of the tokens of each id, the order torch's embedding_bag sums in.
#pragma once

#include <cstdint>

namespace fastpool {

struct BagBackwardArgs {
    const float* grad;        // (n_rows, dim): d loss / d output
    const float* inv_length;  // (n_rows,): 1 / len(row), 1 for empty rows
    const int64_t* by_id;     // (n_tokens,): batch row of each token, tokens sorted by id
    const int64_t* starts;    // (n_unique,): run start of each distinct id in by_id
    const int64_t* unique;    // (n_unique,): the distinct ids, ascending
    int64_t n_tokens;
    int64_t n_unique;
    int64_t dim;
    const float* table;    // (n_ids, dim): read for grad_weights
    const float* weights;  // (n_ids,) or null: with it, grad_table holds w[u] * S[u]
    float* grad_table;     // (n_unique, dim), always: w[u] * S[u], or S[u] without weights
    float* grad_weights;   // (n_unique,) or null: S[u] . table[u]
};

// S[u] = sum over the tokens i of id u of grad[row i] * inv_length[row i].
void bag_backward(const BagBackwardArgs& a, int n_threads) noexcept;

struct RowAdamArgs {
    float* param;         // (n_ids, dim), updated in place
    float* m;             // (n_ids, dim) first moments, in place
    float* v;             // (n_ids, dim) second moments, in place
    const int64_t* rows;  // (n,): distinct rows to update
    const float* grad;    // (n, dim): gradient of each of those rows
    int64_t n;
    int64_t dim;
    float beta1, beta2, eps;
    float step_size;  // lr * sqrt(1 - beta2^t) / (1 - beta1^t): bias correction folded in
};

// m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= step_size * m / (sqrt(v) + eps).
void row_adam(const RowAdamArgs& a, int n_threads) noexcept;

}  // namespace fastpool
