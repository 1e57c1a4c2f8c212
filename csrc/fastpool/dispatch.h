// dispatch.h - one pooling entry point per instruction set, and the choice
// between them.
//
// Contract:
//   * pool_<isa><T> have the semantics of fastpool::pool<T> (pool.h). Each is
//     compiled in its own translation unit with that ISA's flags; calling one
//     the CPU does not support is undefined, so callers go through pool<T>,
//     which uses active_isa().
//   * active_isa() starts as the best ISA that is both compiled in and
//     supported by this CPU and its OS; set_isa() may lower it (for tests),
//     never raise it past that. Both are thread safe (a relaxed atomic).
#pragma once

#include "pool.h"

namespace fastpool {

enum class Isa : int { baseline = 0, avx2 = 1, avx512 = 2 };

template <class T>
void pool_baseline(const PoolArgs& args, const T* table, float* out) noexcept;
template <class T>
void pool_avx2(const PoolArgs& args, const T* table, float* out) noexcept;
template <class T>
void pool_avx512(const PoolArgs& args, const T* table, float* out) noexcept;

Isa best_isa() noexcept;
Isa active_isa() noexcept;
// Returns the ISA now active: min(requested, best_isa()).
Isa set_isa(Isa requested) noexcept;
const char* isa_name(Isa isa) noexcept;

}  // namespace fastpool
