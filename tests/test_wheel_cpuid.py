"""The CPUID/XCR0 detection that MSVC builds use, checked here against __builtin_cpu_supports.

Windows wheels cannot be built on Linux, but their run-time choice of
instruction set can be: csrc/fastpool/dispatch.cpp compiled with
FASTPOOL_CPUID_TEST takes the MSVC code path (reading CPUID and XCR0 itself,
through GCC's <cpuid.h> instead of <intrin.h>). Both builds must pick the same
ISA on this CPU. Needs g++ on an x86-64 Linux machine; skipped elsewhere.
"""

from __future__ import annotations

import platform
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CXX = shutil.which("g++") or shutil.which("c++") or ""

pytestmark = pytest.mark.skipif(
    not CXX or platform.machine() not in ("x86_64", "AMD64"), reason="needs g++ on x86-64"
)

# Stand-ins for the kernels: only the ISA choice is under test.
MAIN = r"""
#include <cstdio>
#include "fastpool/dispatch.h"
namespace fastpool {
template <class T> void pool_baseline(const KernelArgs&, const T*, float*) noexcept {}
template <class T> void pool_avx2(const KernelArgs&, const T*, float*) noexcept {}
template <class T> void pool_avx512(const KernelArgs&, const T*, float*) noexcept {}
#define FASTPOOL_STUBS(T) \
  template void pool_baseline<T>(const KernelArgs&, const T*, float*) noexcept; \
  template void pool_avx2<T>(const KernelArgs&, const T*, float*) noexcept; \
  template void pool_avx512<T>(const KernelArgs&, const T*, float*) noexcept;
FASTPOOL_STUBS(float) FASTPOOL_STUBS(double) FASTPOOL_STUBS(half_t) FASTPOOL_STUBS(bfloat16_t)
FASTPOOL_STUBS(std::int8_t)
}  // namespace fastpool
int main() { std::puts(fastpool::isa_name(fastpool::best_isa())); }
"""


def _best_isa(tmp_path: Path, *defines: str) -> str:
    main = tmp_path / "main.cpp"
    main.write_text(MAIN)
    exe = tmp_path / ("isa" + "".join(defines).replace("-D", "_"))
    flags = ["-std=c++17", "-O1", "-Wall", "-Wextra", "-Werror", f"-I{ROOT / 'csrc'}"]
    have = ["-DFASTPOOL_HAVE_AVX2", "-DFASTPOOL_HAVE_AVX512"]
    subprocess.run(
        [CXX, *flags, *have, *defines, str(ROOT / "csrc/fastpool/dispatch.cpp"), str(main), "-o",
         str(exe)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout.strip()


def test_msvc_cpuid_path_agrees_with_builtin_cpu_supports(tmp_path):
    builtin = _best_isa(tmp_path)
    cpuid = _best_isa(tmp_path, "-DFASTPOOL_CPUID_TEST")
    assert cpuid == builtin
    assert builtin in ("baseline", "avx2", "avx512")
