#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/fuzz_*.c) with clang and runs each for
# the given number of seconds (default 60), starting from its seed corpus in
# tests/fuzz/corpus/<target>/. A crash, leak or timeout fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}

CC=clang cmake -S . -B build-fuzz -DBURNRATE_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug \
	-DBURNRATE_WERROR=ON >/dev/null
targets=$(ls tests/fuzz/fuzz_*.c 2>/dev/null | xargs -rn1 basename | sed 's/\.c$//')
[ -n "$targets" ] || { echo "fuzz: no targets"; exit 0; }
cmake --build build-fuzz -j"$(nproc)" --target $targets

for t in $targets; do
  work=build-fuzz/corpus-$t
  mkdir -p "$work"
  seeds=tests/fuzz/corpus/$t
  [ -d "$seeds" ] || seeds=""
  echo "fuzz: $t for ${seconds}s"
  # -rss_limit_mb keeps a runaway allocation a failure instead of a slow machine.
  (cd build-fuzz && ASAN_OPTIONS=detect_leaks=1 ./tests/$t -max_total_time="$seconds" \
      -rss_limit_mb=2048 -timeout=10 -print_final_stats=0 \
      "corpus-$t" ${seeds:+"../$seeds"} 2>"corpus-$t.log") || {
    tail -n 60 "build-fuzz/corpus-$t.log"; echo "fuzz: $t FAILED"; exit 1; }
  grep -E '^Done [0-9]+ runs' "build-fuzz/corpus-$t.log" | sed "s/^/fuzz: $t: /" || true
done
