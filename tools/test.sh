#!/usr/bin/env bash
# Builds and runs the whole test suite with ctest (parallel over the machine's cores).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/build.sh "$@"
ctest --test-dir build -j"$(nproc)" --output-on-failure --timeout 600 --no-tests=error
