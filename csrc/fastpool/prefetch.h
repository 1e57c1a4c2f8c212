// prefetch.h - a portable software prefetch: a hint that the cache line holding p will be
// read soon, so its miss overlaps other work (the kernel's table rows, the tokenizers'
// tries and word caches). Never needed for correctness.
#pragma once

#if defined(_MSC_VER) && !defined(__clang__)
#include <xmmintrin.h>
#endif

namespace fastpool {

inline void prefetch_line(const void* p) noexcept {
#if defined(_MSC_VER) && !defined(__clang__)
    _mm_prefetch(static_cast<const char*>(p), _MM_HINT_T0);
#else
    __builtin_prefetch(p, 0, 3);
#endif
}

}  // namespace fastpool
