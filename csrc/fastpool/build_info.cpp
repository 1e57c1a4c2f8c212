#include "build_info.h"

namespace fastpool {

const char* compiled_isa() noexcept {
    return ""
#if defined(__AVX512F__)
           "avx512f "
#endif
#if defined(__AVX2__)
           "avx2 "
#endif
#if defined(__FMA__)
           "fma "
#endif
#if defined(__F16C__)
           "f16c "
#endif
#if defined(__SSE2__)
           "sse2"
#elif defined(__ARM_NEON)
           "neon"
#else
           "scalar"
#endif
        ;
}

}  // namespace fastpool
