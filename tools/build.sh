#!/usr/bin/env bash
# Configures and builds flowrun into build/ (Release with debug info, Ninja, ccache when present).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFLOWRUN_ONLY= "$@" >/dev/null
cmake --build build
