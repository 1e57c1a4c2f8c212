#!/usr/bin/env bash
# Build a variant of fastpool into its own isolated venv and run tests on it.
#
#   tools/variant_tests.sh serial   [pytest args...]   no OpenMP runtime
#   tools/variant_tests.sh sanitize [pytest args...]   ASan + UBSan, -fno-sanitize-recover=all
#
# Without pytest args, the native-code tests run: the kernel's, and the model
# and tokenizer tests where they exist. The venv has no system site-packages,
# so no other installation of fastpool (an editable one, say) can shadow the
# variant; the script checks which build it imported before testing. Both variants
# also build fastpool._bench (the benchmarks' plain loops, never in the wheel), so
# tests/test_bench_helpers.py runs here.
set -euo pipefail
cd "$(dirname "$0")/.."
variant=${1:?usage: tools/variant_tests.sh serial|sanitize [pytest args...]}
shift
work=build/variant-$variant
case "$variant" in
  serial) defines=(-Ccmake.define.FASTPOOL_OPENMP=OFF) ;;
  sanitize) defines=(-Ccmake.define.FASTPOOL_SANITIZE=ON -Ccmake.build-type=RelWithDebInfo) ;;
  *) echo "unknown variant: $variant" >&2; exit 2 ;;
esac
defines+=(-Ccmake.define.FASTPOOL_BENCH_HELPERS=ON)

mkdir -p "$work"
rm -rf "$work/wheel"
pip wheel . --no-deps "${defines[@]}" -Cbuild-dir="$work/cmake" -w "$work/wheel" \
    >"$work/build.log" 2>&1 || { tail -30 "$work/build.log"; exit 1; }
[ -x "$work/venv/bin/python" ] || python -m venv "$work/venv"
wheel=$(ls "$work"/wheel/fastpool-*.whl)
tools/install_test_core.sh "$work/venv/bin/python"
"$work/venv/bin/pip" install -q --no-cache-dir --no-deps --force-reinstall "$wheel"

tests=("$@")
if [ ${#tests[@]} -eq 0 ]; then
  tests=(tests/test_encode.py tests/test_errors.py tests/test_invariance.py tests/test_properties.py
         tests/test_bench_helpers.py)
  for extra in tests/test_model_*.py tests/test_native_tokenizer*.py tests/test_concurrency.py \
               tests/test_malformed_files.py tests/test_arrow.py tests/test_load_once.py \
               tests/test_vectors_file.py; do
    [ -e "$extra" ] && tests+=("$extra")
  done
  # Under ASan the every-code-point parity tests spend tens of minutes in `tokenizers`'
  # reference side (1.1M code points per family); the main suite runs them, and here the
  # real-text, hypothesis and invalid-UTF-8 tests drive the native code.
  if [ "$variant" = sanitize ]; then tests+=(-k "not every_code_point"); fi
fi

if [ "$variant" = sanitize ]; then
  # CPython is not instrumented: preload the runtimes, let Python use malloc
  # so ASan sees every allocation, and skip leak checks (the interpreter keeps
  # its own allocations until exit by design). Any report aborts the process.
  export LD_PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
  export PYTHONMALLOC=malloc
  export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:halt_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
(cd "$work" && ./venv/bin/python - "$variant" <<'PY'
import pathlib, sys
import fastpool
core = pathlib.Path(fastpool._core.__file__).resolve()
assert pathlib.Path("venv").resolve() in core.parents, f"imported the wrong build: {core}"
import fastpool._bench  # built here (FASTPOOL_BENCH_HELPERS), so its tests cannot skip
info = fastpool.build_info()
assert info["openmp"] == (sys.argv[1] != "serial"), info
print(f"{sys.argv[1]} build: {info}")
PY
)
"$work/venv/bin/python" -m pytest -q -p no:cacheprovider -x "${tests[@]}"
