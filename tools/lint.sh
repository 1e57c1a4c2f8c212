#!/usr/bin/env bash
# Every linter, as a check (nothing is rewritten; CI runs this and fails on any finding):
# ruff (lint and format) and mypy over the Python, clang-format over the C++ (the repo's
# .clang-format) and cython-lint over the Cython.
# Needs the pinned tools: pip install ".[lint]". To fix formatting in place:
#   clang-format -i $(git ls-files 'csrc/*.h' 'csrc/*.cpp' 'fuzz/*.cc' 'benchmarks/native/*.h' 'benchmarks/native/*.cpp')
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== ruff $(ruff --version | cut -d' ' -f2): check and format"
ruff check src tests benchmarks scripts
ruff format --check src tests benchmarks scripts
echo "== mypy $(mypy --version | cut -d' ' -f2)"
mypy

mapfile -t cxx < <(git ls-files 'csrc/*.h' 'csrc/*.cpp' 'fuzz/*.cc' \
                                'benchmarks/native/*.h' 'benchmarks/native/*.cpp')
echo "== clang-format $(clang-format --version | grep -o '[0-9][0-9.]*' | head -1): ${#cxx[@]} files"
clang-format --dry-run -Werror "${cxx[@]}"

mapfile -t pyx < <(git ls-files 'src/fastpool/*.pyx' 'src/fastpool/*.pxd' 'benchmarks/native/*.pyx')
echo "== cython-lint: ${#pyx[@]} files"
cython-lint "${pyx[@]}"
