#!/usr/bin/env bash
# Prints the tables of docs/benchmarks/llm.md, measured now on this machine:
#   tools/bench/llm/run.sh [build dir]
# 1. flowrun-bench-llm scaling: a plain client vs the enricher at C = 1, 4, 16, 64 (L = 100 ms).
# 2. flowrun-bench-llm capacity: fixed C vs adaptive on a fake with K = 2, 8, 32 slots that
#    queues or answers 429 beyond them (L = 20 ms).
# 3. With tools/llama/build.sh done: fixed vs adaptive against a real llama-server --parallel 4.
set -euo pipefail
cd "$(dirname "$0")/../../.."
build=${1:-build}
bench="$build/tools/bench/llm/flowrun-bench-llm"
[ -x "$bench" ] || { echo "no $bench: cmake --build $build --target flowrun-bench-llm" >&2; exit 2; }
echo "Measured $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "### Scaling: the fake keeps up, and what flowrun adds"
"$bench" scaling
echo
echo "### Fixed concurrency vs adaptive on a server with K slots"
"$bench" capacity
echo
echo "### Against llama-server --parallel 4"
"$bench" llama --settle-s 5 --measure-s 8
