#!/usr/bin/env bash
# Allocator benchmark (issue 15): one flowrun build configured with -DFLOWRUN_MALLOC=system, run
# under each allocator Debian ships (LD_PRELOAD replaces malloc for the whole process, oneTBB and
# Boost.JSON included) on the engine chain and on the normalize pipeline, interleaved, best of
# ROUNDS. Prints records per CPU-second, each allocator's ratio to glibc's and the normalize run's
# peak RSS. (flowrun against raw tbb::flow is tools/bench/engine/run.sh's job.)
# usage: tools/bench/allocator/run.sh [N=100000] [ROUNDS=3] [BUILD=build-sysmalloc]
#        configures and builds BUILD (flowrun, bench_engine_chain) when it is missing.
set -euo pipefail
N=${1:-100000}
ROUNDS=${2:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
BUILD=${3:-$ROOT/build-sysmalloc}
WORK=${WORK:-/tmp/flowrun-bench-allocator}
if [ ! -x "$BUILD/flowrun" ] || [ ! -x "$BUILD/tools/bench/engine/bench_engine_chain" ]; then
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFLOWRUN_ONLY= -DFLOWRUN_MALLOC=system >/dev/null
  cmake --build "$BUILD" --target flowrun bench_engine_chain >/dev/null
fi
if ldd "$BUILD/flowrun" | grep -qE 'jemalloc|mimalloc|tbbmalloc_proxy'; then
  echo "$BUILD/flowrun links an allocator of its own: configure it with -DFLOWRUN_MALLOC=system" >&2
  exit 2
fi
mkdir -p "$WORK"
RAW="$WORK/raw-$N.jsonl"
[ -s "$RAW" ] || python3 "$ROOT/tools/bench/normalize/generate.py" "$N" "$RAW"
LIB=/usr/lib/$(gcc -print-multiarch)
declare -A PRELOAD=([glibc]="" [jemalloc]="$LIB/libjemalloc.so.2" [mimalloc]="$LIB/libmimalloc.so.2"
                    [tbbmalloc]="$LIB/libtbbmalloc_proxy.so.2")
NAMES=()
for a in glibc jemalloc mimalloc tbbmalloc; do
  [ -z "${PRELOAD[$a]}" ] || [ -e "${PRELOAD[$a]}" ] && NAMES+=("$a")
done
echo "$(date -u '+%F %H:%M') UTC; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); N=$N, best of $ROUNDS; allocators: ${NAMES[*]}"

declare -A CHAIN1 CHAINU NORM RSS
best() { awk -v a="${1:-0}" -v b="$2" 'BEGIN { print (b > a ? b : a) }'; }
chain() {  # allocator concurrency -> flowrun's records per CPU-second (the flowrun side only)
  LD_PRELOAD=${PRELOAD[$1]} "$BUILD/tools/bench/engine/bench_engine_chain" "$((N * 2))" "$2" 1 flowrun |
    awk '/flowrun      :/ { print $5 }'
}
for ((round = 0; round < ROUNDS; ++round)); do
  for a in "${NAMES[@]}"; do
    CHAIN1[$a]=$(best "${CHAIN1[$a]:-}" "$(chain "$a" 1)")
    CHAINU[$a]=$(best "${CHAINU[$a]:-}" "$(chain "$a" unlimited)")
    LD_PRELOAD=${PRELOAD[$a]} /usr/bin/time -f "%U %S %M" -o "$WORK/time" "$BUILD/flowrun" run --quiet \
      --var "input=$RAW" --var "output=$WORK/out.jsonl" "$ROOT/tools/bench/normalize/pipeline.yaml" 2>/dev/null
    [ "$(wc -l < "$WORK/out.jsonl")" -eq "$N" ] || { echo "normalize under $a wrote a short file" >&2; exit 1; }
    read -r user sys rss < "$WORK/time"
    NORM[$a]=$(best "${NORM[$a]:-}" "$(awk -v n="$N" -v u="$user" -v s="$sys" 'BEGIN { printf "%.0f", n / (u + s) }')")
    RSS[$a]=$(( ${RSS[$a]:-0} > rss ? ${RSS[$a]:-0} : rss ))
  done
done
echo
echo "| allocator | chain c=1 rec/CPU-s | vs glibc | chain unlimited rec/CPU-s | vs glibc | normalize rec/CPU-s | vs glibc | normalize peak RSS MiB |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
for a in "${NAMES[@]}"; do
  awk -v a="$a" -v c1="${CHAIN1[$a]}" -v g1="${CHAIN1[glibc]}" -v cu="${CHAINU[$a]}" -v gu="${CHAINU[glibc]}" \
      -v nm="${NORM[$a]}" -v gn="${NORM[glibc]}" -v rss="${RSS[$a]}" \
      'BEGIN { printf "| %s | %.0f | %.2f | %.0f | %.2f | %.0f | %.2f | %.1f |\n",
               a, c1, c1 / g1, cu, cu / gu, nm, nm / gn, rss / 1024 }'
done
