// pool_avx512.cpp - the kernel built for the avx512 instruction set.
#include "dispatch.h"
#include "pool_impl.h"
#include "simd_avx512.h"

namespace fastpool {

template <class T>
void pool_avx512(const KernelArgs& args, const T* table, float* out) noexcept {
    pool_entry<Avx512>(args, table, out);
}

template void pool_avx512<float>(const KernelArgs&, const float*, float*) noexcept;
template void pool_avx512<double>(const KernelArgs&, const double*, float*) noexcept;
template void pool_avx512<half_t>(const KernelArgs&, const half_t*, float*) noexcept;
template void pool_avx512<bfloat16_t>(const KernelArgs&, const bfloat16_t*, float*) noexcept;
template void pool_avx512<std::int8_t>(const KernelArgs&, const std::int8_t*, float*) noexcept;

}  // namespace fastpool
