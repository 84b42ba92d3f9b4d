#!/bin/sh
# Prints the report benchmark's figures (docs/benchmarks/report.md).
#   tools/bench/report/run.sh BUILD_DIR [PROPERTIES] [DAYS]
set -eu
bin=${1:?build dir}/$(cd "$1" && find . -name flowrun-bench-report -type f | head -n 1)
"$bin" --properties "${2:-5000}" --days "${3:-30}" --repeat 5
