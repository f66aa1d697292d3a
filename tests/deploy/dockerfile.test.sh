#!/usr/bin/env bash
# The Dockerfile against reality, without a Docker engine:
#   - the runtime stage installs packages that provide every shared library the built
#     binary resolves (ldd, dpkg -S), counting what they depend on and what
#     bookworm-slim already has (Priority: required), and each library package it names
#     provides a library burnrate itself links (readelf NEEDED): nothing unused;
#   - it runs as a numeric non-root USER, with ENTRYPOINT burnrate;
#   - the build stage installs every build dependency hack/setup.sh installs;
#   - the build context .dockerignore leaves is enough: the build stage's cmake commands
#     run in a copy of exactly that context, and that binary (a plain build, as in the
#     image, not the sanitizer build ctest may be testing) is the one checked above.
set -euo pipefail
src=${BURNRATE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v dpkg-query >/dev/null || { echo "not Debian (no dpkg): skipped"; exit 77; }
work=$(mktemp -d "${TMPDIR:-/tmp}/dockerfile-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$src"

# the build context: git's files less what .dockerignore drops
python3 "$src/tests/deploy/dockerfile_check.py" --context .dockerignore >"$work/context.txt"
mkdir -p "$work/ctx"
while IFS= read -r f; do
	mkdir -p "$work/ctx/$(dirname "$f")"
	cp "$f" "$work/ctx/$f"
done <"$work/context.txt"
cmake -S "$work/ctx" -B "$work/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$work/cmake.log" 2>&1 ||
	{ cat "$work/cmake.log"; echo "FAIL: cmake configure in the Docker build context"; exit 1; }
cmake --build "$work/build" -j2 --target burnrate >"$work/build.log" 2>&1 ||
	{ tail -n 30 "$work/build.log"; echo "FAIL: build in the Docker build context"; exit 1; }
"$work/build/cmd/burnrate/burnrate" version >/dev/null || { echo "FAIL: the binary built from the context does not run"; exit 1; }
echo "build context ($(wc -l <"$work/context.txt") files): builds"
python3 "$src/tests/deploy/dockerfile_check.py" Dockerfile hack/setup.sh "$work/build/cmd/burnrate/burnrate" || exit 1
echo "dockerfile: ok"
