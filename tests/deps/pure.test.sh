#!/usr/bin/env bash
# The pure libraries link neither libcurl nor OpenSSL: not in what CMake gives
# their link line (the closure tests/CMakeLists.txt writes to
# tests/links/br_<name>.txt), and not in their unit test binaries (no libcurl,
# libssl or libcrypto loaded, no curl or OpenSSL symbol referenced). pkg/prom,
# the HTTP client, must link libcurl: that shows the check can see a link.
set -u
LINKS=${BURNRATE_BUILD_DIR:?}/tests/links
BIN=$BURNRATE_BUILD_DIR/tests
FORBIDDEN='PkgConfig::CURL|PkgConfig::OPENSSL|libcurl|libssl|libcrypto'
PURE="promdata budget rules backtest slo openslo yaml buf errors array text pace"
status=0

fail() { echo "FAIL: $*"; status=1; }

for lib in $PURE; do
	f=$LINKS/br_$lib.txt
	[ -f "$f" ] || { fail "$f: missing (reconfigure)"; continue; }
	if grep -Eq "$FORBIDDEN" "$f"; then
		fail "br_$lib links $(grep -E "$FORBIDDEN" "$f" | tr '\n' ' ')"
	fi
done
grep -q 'PkgConfig::CURL' "$LINKS/br_prom.txt" || fail "br_prom does not link libcurl: the check is blind"

for t in budget rules promdata; do
	exe=$BIN/test_$t
	[ -x "$exe" ] || { fail "$exe: not built"; continue; }
	if command -v ldd >/dev/null && ldd "$exe" | grep -Eq 'libcurl|libssl|libcrypto'; then
		fail "test_$t loads $(ldd "$exe" | grep -Eo 'lib(curl|ssl|crypto)[^ ]*' | tr '\n' ' ')"
	fi
	if command -v nm >/dev/null && nm -u "$exe" | grep -Eq ' (curl_|SSL_|EVP_|OPENSSL_)'; then
		fail "test_$t references $(nm -u "$exe" | grep -Eo '(curl_|SSL_|EVP_|OPENSSL_)[A-Za-z_]*' | head -3 | tr '\n' ' ')"
	fi
done

[ $status -eq 0 ] && echo "pure: $PURE link neither libcurl nor OpenSSL"
exit $status
