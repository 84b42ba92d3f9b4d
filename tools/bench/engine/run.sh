#!/usr/bin/env bash
# Engine benchmark, one run: the 5-node pass-through chain in flowrun vs raw tbb::flow at
# concurrency 1 and unlimited (records/s and records per CPU-second, flowrun's ratio to tbb), then
# peak RSS of `source -> pass -> slow sink` for 100k and 1M records with the default buffers.
# usage: tools/bench/engine/run.sh [RECORDS=200000] [ROUNDS=3]
#        BENCH_DIR=build/tools/bench/engine overrides where the binaries are.
set -euo pipefail
N=${1:-200000}
ROUNDS=${2:-3}
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
DIR=${BENCH_DIR:-$ROOT/build/tools/bench/engine}
for b in bench_engine_chain bench_engine_memory; do
  [ -x "$DIR/$b" ] || { echo "$DIR/$b not built (cmake --build build --target $b)" >&2; exit 2; }
done
echo "$(date -u +%F) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
serial=$("$DIR/bench_engine_chain" "$N" 1 "$ROUNDS")
unlimited=$("$DIR/bench_engine_chain" "$N" unlimited "$ROUNDS")
printf '%s\n%s\n' "$serial" "$unlimited"
# bench_engine_memory RECORDS BUFFER SPIN_NS prints: records buffer spin rss0 peak max_queue seconds
small=$("$DIR/bench_engine_memory" 100000 1024 2000)
large=$("$DIR/bench_engine_memory" 1000000 1024 2000)
echo "peak RSS, source -> pass -> sink spinning 2 us per record, buffer 1024:"
awk -v s="$small" -v l="$large" 'BEGIN {
  split(s, a); split(l, b);
  printf "  100k records: %.1f MiB (max queue %d)\n  1M records  : %.1f MiB (max queue %d)\n  1M / 100k   : %.2f\n", a[5], a[6], b[5], b[6], b[5] / a[5] }'
verdict() { awk -v r="$1" 'BEGIN { print (r >= 0.8 ? "met" : "not met") }'; }
ratio() { awk '/flowrun\/tbb/ { print $3 }' <<< "$1"; }  # the wall-clock ratio
echo "P1 (issue 15), flowrun / raw tbb::flow records/s, target >= 0.8:"
echo "  concurrency 1        : $(ratio "$serial") ($(verdict "$(ratio "$serial")"))"
echo "  concurrency unlimited: $(ratio "$unlimited") ($(verdict "$(ratio "$unlimited")"))"
awk -v s="$small" -v l="$large" 'BEGIN { split(s, a); split(l, b); r = b[5] / a[5];
  printf "  peak RSS 1M / 100k   : %.2f (%s)\n", r, (r <= 1.10 ? "flat: met" : "not flat: not met") }'
