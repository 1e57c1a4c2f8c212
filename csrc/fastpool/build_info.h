// build_info.h - what this build of the kernel was compiled with.
// Pure, thread safe; the strings are static.
#pragma once

namespace fastpool {

// Instruction-set extensions the compiler was allowed to use for the whole
// kernel, space separated, e.g. "sse2" or "neon".
const char* compiled_isa() noexcept;

}  // namespace fastpool
