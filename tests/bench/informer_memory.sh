#!/usr/bin/env bash
# Benchmark (not run by ctest): heap per object of an informer's cache at COUNT SLO-like
# objects of about 1.3 kB, the store (pkg/informer/store.h) against the json object of json
# strings it replaced, holding the same deflated entries. See informer_memory.c.
# With BENCH_HEAPTRACK=1 and heaptrack installed, also each layout's peak heap as
# heaptrack counts it (the bytes asked for, without malloc's chunk headers), and that of a
# run of 0 objects (the codec and the program).
#   usage: [BENCH_HEAPTRACK=1] tests/bench/informer_memory.sh [COUNT]
set -euo pipefail
src="$(cd "$(dirname "$0")/../.." && pwd)"
COUNT="${1:-10000}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

cc -std=c11 -O2 -D_GNU_SOURCE -I"$src/pkg" -o "$tmp/informer_memory" \
	"$src/tests/bench/informer_memory.c" "$src/pkg/informer/entry.c" \
	"$src/pkg/informer/store.c" "$src/pkg/buf/buf.c" $(pkg-config --cflags --libs jansson zlib)
"$tmp/informer_memory" both "$COUNT"
if [ "${BENCH_HEAPTRACK:-0}" = 1 ] && command -v heaptrack >/dev/null; then
	for run in "store $COUNT" "jansson $COUNT" "store 0"; do
		set -- $run
		heaptrack -o "$tmp/$1-$2" "$tmp/informer_memory" "$1" "$2" >/dev/null 2>&1
		peak=$(heaptrack_print -f "$tmp/$1-$2".*zst 2>/dev/null |
		       sed -n 's/^peak heap memory consumption: //p')
		echo "heaptrack $1, $2 objects: peak heap $peak (the whole run)"
	done
fi
