// pool_baseline.cpp - the kernel built for the baseline instruction set.
#include "dispatch.h"
#include "pool_impl.h"

namespace fastpool {

template <class T>
void pool_baseline(const KernelArgs& args, const T* table, float* out) noexcept {
    pool_entry<void>(args, table, out);
}

template void pool_baseline<float>(const KernelArgs&, const float*, float*) noexcept;
template void pool_baseline<double>(const KernelArgs&, const double*, float*) noexcept;
template void pool_baseline<half_t>(const KernelArgs&, const half_t*, float*) noexcept;
template void pool_baseline<bfloat16_t>(const KernelArgs&, const bfloat16_t*, float*) noexcept;
template void pool_baseline<std::int8_t>(const KernelArgs&, const std::int8_t*, float*) noexcept;

}  // namespace fastpool
