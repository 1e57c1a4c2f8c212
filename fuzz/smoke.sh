#!/usr/bin/env bash
# A short run of every fuzz target (CI): the five libFuzzer targets (ASan +
# UBSan), the three atheris harnesses, the ThreadSanitizer driver of the OpenMP
# paths, and the kill -9 trials' smoke version.
# Installs clang/libFuzzer and atheris when missing (Debian, root). Under 3 minutes.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v clang++ >/dev/null || ! command -v make >/dev/null || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 \
    || ! ls /usr/lib/llvm-*/lib/libarcher.so >/dev/null 2>&1; then
  # The same languages as .ci/run's update: a plain update drops the translated Debian
  # descriptions that the tests (and the wheel test after this) read.
  apt-get update -qq -o Acquire::Languages=en,de,fr,es,ja,ru,zh_CN \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq make clang libclang-rt-14-dev libomp-14-dev >/dev/null \
    || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq make clang >/dev/null
fi
python -c "import atheris" 2>/dev/null || pip install -q atheris
export HF_HUB_OFFLINE=1
make -s -j2 build >/dev/null
run() {  # name, command...: run, print the execution count, fail on any finding
  local name=$1; shift
  local log=../build/fuzz/smoke-$name.log
  if ! "$@" >"$log" 2>&1; then tail -40 "$log"; echo "fuzz smoke: $name FAILED"; exit 1; fi
  echo "fuzz smoke: $name: $(grep -o 'Done [0-9]* runs in [0-9]* second(s)\|tsan: .*' "$log" | tail -1)"
}
run kernel       make -s kernel RUNS=20000
run check        make -s check RUNS=200000
run tokenizer    make -s tokenizer RUNS=30000
run json-vocab   make -s json-vocab RUNS=100000
run vectors      make -s vectors RUNS=100000
run py-encode    make -s py-encode RUNS=20000
run py-model     make -s py-model RUNS=1500
run py-tokenizer make -s py-tokenizer RUNS=20000
run tsan         make -s tsan ROUNDS=3
python ../tools/kill_trials.py --trials 3 --small
