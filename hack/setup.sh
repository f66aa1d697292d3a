#!/usr/bin/env bash
# Installs what burnrate needs to build and test on Debian. Idempotent: it installs
# only the packages that are missing. Run as root (or with sudo available).
set -euo pipefail

packages=(
  build-essential cmake pkg-config clang libclang-rt-14-dev
  libcurl4-openssl-dev libjansson-dev libyaml-dev libssl-dev libcmocka-dev libmicrohttpd-dev zlib1g-dev
  prometheus prometheus-alertmanager victoria-metrics nginx-light
  python3 python3-yaml curl openssl ca-certificates time procps
  lua5.1
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# kubectl is not in Debian 12's archive; the tests use it when it is on PATH.
# Node.js and npm fetch the deployment tests' tools (helm, schema validators): the
# machine's own when present, else Debian's.
command -v npm >/dev/null || missing+=(nodejs npm)

if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# helm and the Kubernetes schema validators, pinned in hack/tools/package-lock.json
bash "$(dirname "$0")/tools.sh" >/dev/null
echo "setup: all build and test dependencies present"
