#!/usr/bin/env bash
# Runs every test: installs dependencies, builds burnrate plainly (warnings are
# errors) and with ASan+UBSan, runs the fuzz targets briefly, then the whole
# ctest suite (unit, golden, promtool/amtool, end-to-end) under the sanitizers.
#   FUZZ_SECONDS=N   seconds per fuzz target (default 15; 0 skips fuzzing)
#   CTEST_ARGS=...   extra ctest arguments, e.g. "-R unit/"
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

bash hack/setup.sh

echo "== build (plain)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs"

echo "== build (ASan+UBSan)"
cmake -S . -B build-asan -DBURNRATE_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$jobs"

if [ "${FUZZ_SECONDS:-15}" != 0 ]; then
  echo "== fuzz (${FUZZ_SECONDS:-15}s per target)"
  bash hack/fuzz.sh "${FUZZ_SECONDS:-15}"
fi

echo "== tests (ASan+UBSan)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cd build-asan
ctest --output-on-failure -j"$jobs" ${CTEST_ARGS:-}
