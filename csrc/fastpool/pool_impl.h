// pool_impl.h - the pooling kernel body, compiled once per instruction set.
//
// Contract:
//   * Included only by pool_<isa>.cpp. Everything here has internal linkage
//     (anonymous namespace) so copies built with different ISA flags never
//     merge at link time.
//   * V is a SIMD policy (simd_avx2.h, simd_avx512.h) or void for the portable
//     scalar path, which the compiler auto-vectorises for the baseline ISA.
//     double tables always take the scalar path (double accumulators).
//   * Semantics, checks and threading as in pool.h. Each row is pooled by one
//     thread in token order with a fixed operation order, so the result is
//     bit-identical for every thread count (but may differ in the last bit
//     between ISAs: FMA rounds once).
#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <type_traits>

#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(_MSC_VER) && !defined(__clang__)
#include <xmmintrin.h>
#endif

#include "convert.h"
#include "dispatch.h"
#include "prefetch.h"

#ifndef FASTPOOL_NOINLINE
#if defined(_MSC_VER) && !defined(__clang__)
#define FASTPOOL_NOINLINE __declspec(noinline)
#else
#define FASTPOOL_NOINLINE __attribute__((noinline))
#endif
#endif

#ifndef FASTPOOL_ALWAYS_INLINE
#if defined(_MSC_VER) && !defined(__clang__)
#define FASTPOOL_ALWAYS_INLINE __forceinline
#else
#define FASTPOOL_ALWAYS_INLINE inline __attribute__((always_inline))
#endif
#endif

namespace fastpool {
namespace {

// A row costs its tokens plus a fixed share for zeroing, the mean and the norm.
constexpr std::int64_t kRowCost = 4;
constexpr std::int64_t kChunksPerThread = 8;
// Columns the scalar path pools per pass over a row's tokens: small enough for
// the accumulators to stay in registers, so each output is written once.
constexpr std::int64_t kScalarBlock = 32;

template <class T>
using acc_t = std::conditional_t<std::is_same_v<T, double>, double, float>;

template <class T>
inline acc_t<T> widen(T x) noexcept {
    if constexpr (std::is_same_v<T, double>)
        return x;
    else
        return to_f32(x);
}

// One plain load that the compiler may neither repeat nor split (a relaxed
// atomic load; MSVC's volatile reads are single loads too).
template <class I>
inline I load_once(const I* p) noexcept {
#if defined(_MSC_VER) && !defined(__clang__)
    return *static_cast<const volatile I*>(p);
#else
    return __atomic_load_n(p, __ATOMIC_RELAXED);
#endif
}

// v if v < limit, else 0. Python checked every id and mapping value, but
// another thread may rewrite them during the call; reading each once (relaxed
// atomic: a plain load) and bounding it keeps that race a wrong result instead
// of an out-of-bounds read. A compare and a branch that is never taken: with a
// compare-and-move instead, each row address waited for the compare. The empty
// asm statements keep GCC from turning the branch back into a compare-and-move,
// or from specialising the token loop for id == 0 (benchmarks/README.md,
// "Kernel constants": the id bounds check).
template <class I>
inline std::int64_t bounded(const I* p, std::int64_t limit) noexcept {
    const auto v = static_cast<std::uint64_t>(static_cast<std::int64_t>(load_once(p)));
    std::int64_t id = static_cast<std::int64_t>(v);
#if defined(__GNUC__)
    if (__builtin_expect(v >= static_cast<std::uint64_t>(limit), 0)) {
        id = 0;
        __asm__ volatile("" : "+r"(id));  // a branch, not a compare-and-move
    }
    __asm__("" : "+r"(id));  // no code specialised for id == 0
#else
    if (v >= static_cast<std::uint64_t>(limit)) id = 0;
#endif
    return id;
}

// Row r's token range. Python checked the offsets, but another thread may
// rewrite them during the call: with n_ids known, each bound is read once and
// clamped, so a race gives a wrong (possibly empty) row, never a read outside ids.
struct RowRange {
    std::int64_t begin, end;
};

inline RowRange row_range(const KernelArgs& a, std::int64_t r) noexcept {
    if (a.n_ids < 0) return {a.offsets[r], a.offsets[r + 1]};
    const std::int64_t begin = std::clamp<std::int64_t>(load_once(a.offsets + r), 0, a.n_ids);
    const std::int64_t end = std::clamp<std::int64_t>(load_once(a.offsets + r + 1), begin, a.n_ids);
    return {begin, end};
}

template <class Id>
inline std::int64_t token_id(const KernelArgs& a, const Id* ids, std::int64_t k) noexcept {
    return bounded(ids + k, a.id_limit);
}

inline std::int64_t id_row(const KernelArgs& a, std::int64_t id) noexcept {
    return a.mapping ? bounded(a.mapping + id, a.table_rows) : id;
}

template <class Id>
inline std::int64_t table_row(const KernelArgs& a, const Id* ids, std::int64_t k) noexcept {
    return id_row(a, token_id(a, ids, k));
}

// weights[id] * scale[row]; 1 when neither is given.
inline float coefficient(const KernelArgs& a, std::int64_t id, std::int64_t row) noexcept {
    float c = 1.0f;
    if (a.weights) c *= a.weights[id];
    if (a.scale) c *= a.scale[row * a.scale_stride];
    return c;
}

// 1 / (||x|| + 1e-32) from ||x||^2. The 1e-32 matches model2vec, so an
// all-zero row stays zero, not NaN.
inline float inverse_norm(float squared_norm) noexcept {
    return 1.0f / (std::sqrt(squared_norm) + 1e-32f);
}

// Mean and L2 normalisation of a finished row, in place.
inline void finish_row(const KernelArgs& a, std::int64_t count, float* out_row) noexcept {
    const std::int64_t dim = a.dim;
    // Multiplying by a reciprocal instead of dividing is within 1 ulp of
    // numpy's division and keeps divisions (slow, unpipelined) out of the loop.
    if (a.mean && count > 0) {
        const float inv = 1.0f / static_cast<float>(count);
        for (std::int64_t j = 0; j < dim; ++j) out_row[j] *= inv;
    }
    if (a.normalize) {
        float sq = 0.0f;
        for (std::int64_t j = 0; j < dim; ++j) sq += out_row[j] * out_row[j];
        const float inv = inverse_norm(sq);
        for (std::int64_t j = 0; j < dim; ++j) out_row[j] *= inv;
    }
}

template <class T, class Id>
void scalar_row(const KernelArgs& a, const Id* ids, const T* table, std::int64_t r,
                float* out_row) noexcept {
    using Acc = acc_t<T>;
    const auto [begin, end] = row_range(a, r);
    for (std::int64_t c0 = 0; c0 < a.dim; c0 += kScalarBlock) {
        const std::int64_t width = std::min(kScalarBlock, a.dim - c0);
        Acc acc[kScalarBlock] = {};
        for (std::int64_t k = begin; k < end; ++k) {
            const std::int64_t id = token_id(a, ids, k);
            const std::int64_t row = id_row(a, id);
            const Acc coef = static_cast<Acc>(coefficient(a, id, row));
            const T* src = table + row * a.row_stride + c0;
            if (width == kScalarBlock) {
                for (std::int64_t j = 0; j < kScalarBlock; ++j) acc[j] += coef * widen(src[j]);
            } else {
                for (std::int64_t j = 0; j < width; ++j) acc[j] += coef * widen(src[j]);
            }
        }
        for (std::int64_t j = 0; j < width; ++j) out_row[c0 + j] = static_cast<float>(acc[j]);
    }
    finish_row(a, end - begin, out_row);
}

// Table rows are prefetched a.prefetch_distance tokens ahead (chosen per CPU
// vendor and element size in dispatch.cpp), one hint per cache line of the row:
// sparser hints left lines to demand misses (benchmarks/README.md, "Kernel
// constants": prefetch distance).
constexpr std::int64_t kPrefetchStep = 64;  // bytes

// Rows of later tokens (also of the next rows) are fetched while this one sums:
// the last token index whose row may be prefetched.
inline std::int64_t last_token(const KernelArgs& a) noexcept {
    return a.n_ids >= 0 ? a.n_ids : a.offsets[a.n_rows];
}

// The table rows of upcoming tokens: kBytes from column c0 of token k's row,
// one hint per line. The loop invariants live in members: read through KernelArgs,
// GCC reloaded the stride and the straddle flag from memory every token.
template <class T, class Id>
struct RowPrefetcher {
    const KernelArgs& a;
    const Id* ids;
    const char* base;        // column c0 of row 0
    std::int64_t row_bytes;  // between rows
    bool straddles;

    RowPrefetcher(const KernelArgs& args, const Id* ids_, const T* table, std::int64_t c0) noexcept
        : a(args),
          ids(ids_),
          base(reinterpret_cast<const char*>(table + c0)),
          row_bytes(args.row_stride * static_cast<std::int64_t>(sizeof(T))),
          straddles(args.rows_straddle_lines) {}

    template <std::int64_t kBytes>
    FASTPOOL_ALWAYS_INLINE void fetch(std::int64_t k) const noexcept {
        const char* p = base + table_row(a, ids, k) * row_bytes;
#pragma GCC unroll 32
        for (std::int64_t byte = 0; byte < kBytes; byte += kPrefetchStep) prefetch_line(p + byte);
        // A row that starts inside a cache line ends inside one more than the loop reached.
        if (straddles) prefetch_line(p + kBytes - 1);
    }
};

// Calls step(k) for the tokens [begin, end) of a row, each after the hint for
// the row of token k + prefetch_distance (later rows' tokens too: the next row
// starts warm). Tokens past the last one to prefetch run in a second loop, so
// the first tests no bounds.
template <std::int64_t kBytes, class T, class Id, class Step>
FASTPOOL_ALWAYS_INLINE void for_tokens(const KernelArgs& a, const Id* ids, const T* table,
                                       std::int64_t c0, std::int64_t begin, std::int64_t end,
                                       Step step) noexcept {
    const std::int64_t ahead = a.prefetch_distance;
    std::int64_t k = begin;
    if (ahead > 0) {
        const RowPrefetcher<T, Id> prefetcher(a, ids, table, c0);
        const std::int64_t fetch_end = std::min(end, last_token(a) - ahead);
        for (; k < fetch_end; ++k) {
            prefetcher.template fetch<kBytes>(k + ahead);
            step(k);
        }
    }
    for (; k < end; ++k) step(k);
}

// Store a finished block; for a whole row held in registers, apply the mean
// and the normalisation first, so every output element is written once. Always
// inlined: as a call, the R accumulators went to the stack and back every row.
template <class V, int R, bool kWholeRow>
FASTPOOL_ALWAYS_INLINE void finish_block(const KernelArgs& a, std::int64_t count, std::int64_t c0,
                                         typename V::Reg* acc, float* out_row) noexcept {
    using Reg = typename V::Reg;
    constexpr int L = V::kLanes;
    if constexpr (kWholeRow) {
        // The row is complete in registers: mean and norm here, one store each.
        if (a.mean && count > 0) {
            const Reg inv = V::broadcast(1.0f / static_cast<float>(count));
#pragma GCC unroll 16
            for (int i = 0; i < R; ++i) acc[i] = V::mul(acc[i], inv);
        }
        if (a.normalize) {
            // Four partial sums: one chain of R dependent FMAs (4 cycles each)
            // was the longest latency of a short row.
            constexpr int P = R < 4 ? R : 4;
            Reg sq[P];
#pragma GCC unroll 4
            for (int j = 0; j < P; ++j) sq[j] = V::mul(acc[j], acc[j]);
#pragma GCC unroll 16
            for (int i = P; i < R; ++i) sq[i % P] = V::fmadd(acc[i], acc[i], sq[i % P]);
            if constexpr (P == 4) {
                sq[0] = V::add(sq[0], sq[1]);
                sq[2] = V::add(sq[2], sq[3]);
            }
            if constexpr (P >= 2) sq[0] = V::add(sq[0], sq[P / 2]);
            const Reg inv = V::broadcast(inverse_norm(V::sum(sq[0])));
#pragma GCC unroll 16
            for (int i = 0; i < R; ++i) acc[i] = V::mul(acc[i], inv);
        }
        if (a.stream_out) {  // whole rows are 64-byte aligned: see streams_output
#pragma GCC unroll 16
            for (int i = 0; i < R; ++i) V::stream(out_row + i * L, acc[i]);
            return;
        }
    }
#pragma GCC unroll 16
    for (int i = 0; i < R; ++i) V::store(out_row + c0 + i * L, acc[i]);
}

// The token loops of simd_block, one function each. Inlined into one function,
// GCC 12 gave them one register allocation and then spilled or copied the
// accumulators every token in some instantiations (int8 rows of 16 tokens
// 13-17% slower); apart, each keeps its R accumulators in R registers.
//
// Plain rows: acc += row.
template <class V, int R, bool kWholeRow, class T, class Id>
FASTPOOL_NOINLINE void sum_block(const KernelArgs& a, const Id* ids, const T* table,
                                 std::int64_t begin, std::int64_t end, std::int64_t c0,
                                 float* out_row) noexcept {
    using Reg = typename V::Reg;
    constexpr int L = V::kLanes;
    const std::int64_t stride = a.row_stride;
    Reg acc[R];
#pragma GCC unroll 16
    for (int i = 0; i < R; ++i) acc[i] = V::zero();
    const T* const base = table + c0;
    for_tokens<R * L * sizeof(T)>(a, ids, table, c0, begin, end, [&](std::int64_t k) {
        const T* src = base + table_row(a, ids, k) * stride;
#pragma GCC unroll 16
        for (int i = 0; i < R; ++i) acc[i] = V::add(acc[i], V::load(src + i * L));
    });
    finish_block<V, R, kWholeRow>(a, end - begin, c0, acc, out_row);
}

// Weights and/or int8 scales: acc += coefficient * row.
template <class V, int R, bool kWholeRow, class T, class Id>
FASTPOOL_NOINLINE void weighted_block(const KernelArgs& a, const Id* ids, const T* table,
                                      std::int64_t begin, std::int64_t end, std::int64_t c0,
                                      float* out_row) noexcept {
    using Reg = typename V::Reg;
    constexpr int L = V::kLanes;
    const std::int64_t stride = a.row_stride;
    const T* const base = table + c0;
    Reg acc[R];
#pragma GCC unroll 16
    for (int i = 0; i < R; ++i) acc[i] = V::zero();
    for_tokens<R * L * sizeof(T)>(a, ids, table, c0, begin, end, [&](std::int64_t k) {
        const std::int64_t id = token_id(a, ids, k);
        const std::int64_t row = id_row(a, id);
        const Reg coef = V::broadcast(coefficient(a, id, row));
        const T* src = base + row * stride;
#pragma GCC unroll 16
        for (int i = 0; i < R; ++i) acc[i] = V::fmadd(coef, V::load(src + i * L), acc[i]);
    });
    finish_block<V, R, kWholeRow>(a, end - begin, c0, acc, out_row);
}

// Raw int8 rows: sum in int32 (exact for any row shorter than 2^24 tokens) and
// convert once, instead of converting every token.
template <class V, int R, bool kWholeRow, class Id>
FASTPOOL_NOINLINE void int8_sum_block(const KernelArgs& a, const Id* ids, const std::int8_t* table,
                                      std::int64_t begin, std::int64_t end, std::int64_t c0,
                                      float* out_row) noexcept {
    using Reg = typename V::Reg;
    constexpr int L = V::kLanes;
    const std::int64_t stride = a.row_stride;
    typename V::IReg iacc[R];
#pragma GCC unroll 16
    for (int i = 0; i < R; ++i) iacc[i] = V::zero_i32();
    const std::int8_t* const base = table + c0;
    for_tokens<R * L>(a, ids, table, c0, begin, end, [&](std::int64_t k) {
        const std::int8_t* src = base + table_row(a, ids, k) * stride;
#pragma GCC unroll 16
        for (int i = 0; i < R; ++i) iacc[i] = V::add_i32(iacc[i], V::load_i32(src + i * L));
    });
    Reg acc[R];
#pragma GCC unroll 16
    for (int i = 0; i < R; ++i) acc[i] = V::to_float(iacc[i]);
    finish_block<V, R, kWholeRow>(a, end - begin, c0, acc, out_row);
}

// Whole rows of a float32 table whose rows all start a.row_shift floats into a
// 64-byte line (numpy's large arrays start 16 bytes in; a memory-mapped file
// wherever its header ends): each row is read as its R + 1 whole lines, with the
// lanes before and after the row masked off (not read), so no load spans two
// lines; the R + 1 sums are shifted into R registers once per row. Plain loads
// of such rows split every one of them: float32 rows held in L1/L2 pooled 20-40%
// slower than aligned ones (AMD EPYC, 1 thread).
template <class V, int R, class Id>
FASTPOOL_NOINLINE void shifted_sum_block(const KernelArgs& a, const Id* ids, const float* table,
                                         std::int64_t begin, std::int64_t end,
                                         float* out_row) noexcept {
    using Reg = typename V::Reg;
    constexpr int L = V::kLanes;
    const std::int64_t stride = a.row_stride;
    const int shift = a.row_shift;
    const auto head = V::head_mask(shift), tail = V::tail_mask(shift);
    // Row starts minus shift floats: the line each row begins in, as an address
    // (for row 0 it lies before the table, in the same line; only masked lanes are there).
    const std::uintptr_t lines = reinterpret_cast<std::uintptr_t>(table) - shift * sizeof(float);
    Reg acc[R + 1];
#pragma GCC unroll 17
    for (int i = 0; i <= R; ++i) acc[i] = V::zero();
    for_tokens<R * L * sizeof(float)>(a, ids, table, 0, begin, end, [&](std::int64_t k) {
        const auto* line = reinterpret_cast<const float*>(
            lines + static_cast<std::uintptr_t>(table_row(a, ids, k) * stride) * sizeof(float));
        acc[0] = V::add(acc[0], V::load_line(line, head));
#pragma GCC unroll 16
        for (int i = 1; i < R; ++i) acc[i] = V::add(acc[i], V::load_line(line + i * L));
        acc[R] = V::add(acc[R], V::load_line(line + R * L, tail));
    });
    const auto index = V::shift_index(shift);
    Reg row[R];
#pragma GCC unroll 16
    for (int i = 0; i < R; ++i) row[i] = V::shift_down(acc[i], acc[i + 1], index);
    finish_block<V, R, true>(a, end - begin, 0, row, out_row);
}

// R vector registers of columns [c0, c0 + R * lanes) over the row's tokens,
// the accumulators in registers for the whole token loop.
template <class V, int R, bool kWholeRow, class T, class Id>
inline void simd_block(const KernelArgs& a, const Id* ids, const T* table, std::int64_t begin,
                       std::int64_t end, std::int64_t c0, float* out_row) noexcept {
    if (a.weights || a.scale) {
        weighted_block<V, R, kWholeRow>(a, ids, table, begin, end, c0, out_row);
    } else if constexpr (std::is_same_v<T, std::int8_t>) {
        int8_sum_block<V, R, kWholeRow>(a, ids, table, begin, end, c0, out_row);
    } else {
        sum_block<V, R, kWholeRow>(a, ids, table, begin, end, c0, out_row);
    }
}

// simd_block with n registers, n a power of two up to V::kRegs: the sizes the
// compiler unrolls, so each register stays one register.
template <class V, bool kWholeRow, class T, class Id>
inline void simd_block_of(int n, const KernelArgs& a, const Id* ids, const T* table,
                          std::int64_t begin, std::int64_t end, std::int64_t c0,
                          float* out_row) noexcept {
    static_assert(V::kRegs == 16, "the cases below assume 16 registers");
    switch (n) {
        case 16:
            simd_block<V, 16, kWholeRow>(a, ids, table, begin, end, c0, out_row);
            return;
        case 8:
            simd_block<V, 8, kWholeRow>(a, ids, table, begin, end, c0, out_row);
            return;
        case 4:
            simd_block<V, 4, kWholeRow>(a, ids, table, begin, end, c0, out_row);
            return;
        case 2:
            simd_block<V, 2, kWholeRow>(a, ids, table, begin, end, c0, out_row);
            return;
        default:
            simd_block<V, 1, kWholeRow>(a, ids, table, begin, end, c0, out_row);
            return;
    }
}

template <class V, class T, class Id>
void simd_row(const KernelArgs& a, const Id* ids, const T* table, std::int64_t r,
              float* out_row) noexcept {
    constexpr int L = V::kLanes, R = V::kRegs;
    const auto [begin, end] = row_range(a, r);
    // A row of up to R registers whose count is a power of two (AVX-512: dims 16,
    // 32, 64, 128, 256) is pooled in one pass and stored once. Wider rows, or
    // others, take one pass over the tokens per block of columns: R registers at
    // a time, then the rest in halving blocks (dim 192: 8 + 4 registers), so a
    // dim-64 row is one pass, not four (benchmarks/README.md, "Kernel constants":
    // column blocks).
    if (a.dim == R * L) {  // the common case first, inlined: short rows feel a call
        if constexpr (std::is_same_v<T, float> && V::kShiftsRows) {
            if (a.row_shift != 0 && !a.weights && !a.scale) {
                shifted_sum_block<V, R>(a, ids, table, begin, end, out_row);
                return;
            }
        }
        simd_block<V, R, true>(a, ids, table, begin, end, 0, out_row);
        return;
    }
    const std::int64_t regs = a.dim / L;
    if (a.dim % L == 0 && regs >= 1 && regs < R && (regs & (regs - 1)) == 0) {
        simd_block_of<V, true>(static_cast<int>(regs), a, ids, table, begin, end, 0, out_row);
        return;
    }
    const std::int64_t vec_cols = a.dim - a.dim % L;
    std::int64_t c0 = 0;
    for (; c0 + R * L <= vec_cols; c0 += R * L)
        simd_block<V, R, false>(a, ids, table, begin, end, c0, out_row);
    for (int n = R / 2; n >= 1; n /= 2) {
        if (c0 + n * L <= vec_cols) {
            simd_block_of<V, false>(n, a, ids, table, begin, end, c0, out_row);
            c0 += n * L;
        }
    }
    if (vec_cols < a.dim) {  // the last dim % L columns
        float acc[L] = {};
        for (std::int64_t k = begin; k < end; ++k) {
            const std::int64_t id = token_id(a, ids, k);
            const std::int64_t row = id_row(a, id);
            const float coef = coefficient(a, id, row);
            const T* src = table + row * a.row_stride;
            for (std::int64_t j = vec_cols; j < a.dim; ++j)
                acc[j - vec_cols] += coef * to_f32(src[j]);
        }
        for (std::int64_t j = vec_cols; j < a.dim; ++j) out_row[j] = acc[j - vec_cols];
    }
    finish_row(a, end - begin, out_row);
}

template <class V, class T, class Id>
void pool_range(const KernelArgs& a, const T* table, float* out, std::int64_t r0,
                std::int64_t r1) noexcept {
    const Id* ids = static_cast<const Id*>(a.ids);
    for (std::int64_t r = r0; r < r1; ++r) {
        if constexpr (std::is_void_v<V> || std::is_same_v<T, double>)
            scalar_row(a, ids, table, r, out + r * a.dim);
        else
            simd_row<V>(a, ids, table, r, out + r * a.dim);
    }
    // Streamed rows must be visible before the caller (or the team's barrier) goes on.
    if constexpr (!std::is_void_v<V> && !std::is_same_v<T, double>) {
        if (a.stream_out) V::fence();
    }
}

// First row whose cumulative cost reaches target: cost(r) = offsets[r] + r*kRowCost.
inline std::int64_t row_at_cost(const KernelArgs& a, std::int64_t target) noexcept {
    std::int64_t lo = 0, hi = a.n_rows;
    while (lo < hi) {
        const std::int64_t mid = lo + (hi - lo) / 2;
        if (a.offsets[mid] + mid * kRowCost < target)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

template <class V, class T, class Id>
void pool_all(const KernelArgs& a, const T* table, float* out) noexcept {
    const std::int64_t total = a.offsets[a.n_rows] + a.n_rows * kRowCost;
    const std::int64_t useful = std::max<std::int64_t>(1, total / min_work_per_thread());
    const int n_threads = static_cast<int>(std::min<std::int64_t>(a.n_threads, useful));
    if (n_threads <= 1) {
        pool_range<V, T, Id>(a, table, out, 0, a.n_rows);
        return;
    }
#ifdef _OPENMP
    // One region; chunks of rows of equal cost (rows range from empty to thousands
    // of tokens, so equal row counts would leave threads idle), kChunksPerThread per
    // thread, handed out in order to whichever thread is free: a fixed slice per
    // thread waits for the slowest core (benchmarks/README.md, "Kernel constants":
    // threads). Each row is still pooled by one thread in token order, so the
    // result does not depend on which thread took it.
    const std::int64_t n_chunks = static_cast<std::int64_t>(n_threads) * kChunksPerThread;
    std::atomic<std::int64_t> next_chunk{0};
#pragma omp parallel num_threads(n_threads)
    {
        for (std::int64_t c = next_chunk.fetch_add(1, std::memory_order_relaxed); c < n_chunks;
             c = next_chunk.fetch_add(1, std::memory_order_relaxed)) {
            const std::int64_t r0 = row_at_cost(a, total * c / n_chunks);
            const std::int64_t r1 =
                c + 1 == n_chunks ? a.n_rows : row_at_cost(a, total * (c + 1) / n_chunks);
            pool_range<V, T, Id>(a, table, out, r0, r1);
        }
    }
#else
    pool_range<V, T, Id>(a, table, out, 0, a.n_rows);
#endif
}

template <class V, class T>
void pool_entry(const KernelArgs& a, const T* table, float* out) noexcept {
    if (a.ids_are_64)
        pool_all<V, T, std::int64_t>(a, table, out);
    else
        pool_all<V, T, std::int32_t>(a, table, out);
}

}  // namespace
}  // namespace fastpool
