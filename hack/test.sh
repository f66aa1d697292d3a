#!/usr/bin/env bash
# Runs every test: installs dependencies, builds burnrate plainly, as packagers
# do (Release: gcc -O3) and with clang, all with warnings as errors
# (BURNRATE_WERROR), runs the clang build's unit tests, builds with ASan+UBSan,
# runs the fuzz targets briefly, then the whole ctest suite (unit, golden,
# promtool/amtool, end-to-end) under the sanitizers.
#   FUZZ_SECONDS=N   seconds per fuzz target (default 8: ten targets; 0 skips fuzzing)
#   CTEST_ARGS=...   extra ctest arguments, e.g. "-R unit/"
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

bash hack/setup.sh

echo "== build (plain)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBURNRATE_WERROR=ON >/dev/null
cmake --build build -j"$jobs"

# What packagers build: -O3 finds warnings (maybe-uninitialized, format-truncation)
# the other builds do not, and clang has warnings of its own. Built, not re-tested:
# only the clang build's unit tests run, as they are cheap.
echo "== build (Release, gcc)"
CC=gcc cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DBURNRATE_WERROR=ON >/dev/null
cmake --build build-release -j"$jobs"

echo "== build (clang) and its unit tests"
CC=clang cmake -S . -B build-clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBURNRATE_WERROR=ON >/dev/null
cmake --build build-clang -j"$jobs"
(cd build-clang && ctest --output-on-failure -j"$jobs" -R '^unit/')

echo "== build (ASan+UBSan)"
cmake -S . -B build-asan -DBURNRATE_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DBURNRATE_WERROR=ON >/dev/null
cmake --build build-asan -j"$jobs"

if [ "${FUZZ_SECONDS:-8}" != 0 ]; then
  echo "== fuzz (${FUZZ_SECONDS:-8}s per target)"
  bash hack/fuzz.sh "${FUZZ_SECONDS:-8}"
fi

echo "== tests (ASan+UBSan)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cd build-asan
# one more than the cores: most script tests spend their time waiting on servers
ctest --output-on-failure -j"$((jobs + 1))" ${CTEST_ARGS:-}
