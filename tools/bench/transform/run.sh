#!/usr/bin/env bash
# Transform benchmark: N generated canonical records (the daily pipeline's shape) through
# file -> jsonl, file -> filter -> jsonl, file -> map -> jsonl (and, as the control for the
# map, the same map without an expression) in flowrun, and the same filter
# and map in the jq command line, one after the other in one run. Prints a Markdown table
# (records/s, CPU s, ratios) and what the filter and map cost per record over the baseline.
# usage: tools/bench/transform/run.sh [N=1000000] [WORKDIR=/tmp/flowrun-bench-transform]
#   FLOWRUN=path/to/flowrun (default build/flowrun)
#   FLOWRUN_BENCH_GENERATOR=path/to/flowrun-bench-transform-languages (writes the records)
set -euo pipefail
N=${1:-1000000}
WORK=${2:-/tmp/flowrun-bench-transform}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
FLOWRUN=${FLOWRUN:-$ROOT/build/flowrun}
GEN=${FLOWRUN_BENCH_GENERATOR:-$ROOT/build/tools/bench/transform/flowrun-bench-transform-languages}
[ -x "$FLOWRUN" ] || { echo "flowrun binary not found at $FLOWRUN (set FLOWRUN=...)" >&2; exit 2; }
[ -x "$GEN" ] || { echo "generator not found at $GEN (set FLOWRUN_BENCH_GENERATOR=...)" >&2; exit 2; }
mkdir -p "$WORK"
IN="$WORK/records-$N.jsonl"
[ -s "$IN" ] || "$GEN" --generate "$N" "$IN"
JQ_FILTER='select(.property_type == "single_family" and .price != null and .price < 600000)'
JQ_MAP='.price_to_assessed = (if .price != null and .assessed_value > 0 then .price / .assessed_value else null end) | del(.provenance)'

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $(jq --version); N=$N, best of ${FLOWRUN_BENCH_REPEAT:-3}" >&2
REPEAT=${FLOWRUN_BENCH_REPEAT:-3}
declare -A WALL CPU LINES
# Each command runs REPEAT times; the least wall and CPU time count (the machine is shared, and
# other people's work only ever adds time).
measure() {  # name, output file, command...
  local name=$1 out=$2; shift 2
  local start end user sys rss wall cpu i
  for ((i = 0; i < REPEAT; i++)); do
    start=$(date +%s.%N)
    /usr/bin/time -f "%U %S %M" -o "$WORK/$name.time" "$@" > "$WORK/$name.stdout" 2> "$WORK/$name.stderr"
    end=$(date +%s.%N)
    read -r user sys rss < "$WORK/$name.time"
    wall=$(echo "$end - $start" | bc -l)
    cpu=$(echo "$user + $sys" | bc -l)
    if [ -z "${WALL[$name]:-}" ] || (($(echo "$wall < ${WALL[$name]}" | bc -l))); then WALL[$name]=$wall; fi
    if [ -z "${CPU[$name]:-}" ] || (($(echo "$cpu < ${CPU[$name]}" | bc -l))); then CPU[$name]=$cpu; fi
  done
  LINES[$name]=$(wc -l < "$out")
  echo "$name: best of $REPEAT: ${WALL[$name]} s wall, ${CPU[$name]} s CPU, max RSS ${rss} KB, ${LINES[$name]} lines" >&2
}
flowrun_run() {  # name
  measure "$1" "$WORK/$1.jsonl" "$FLOWRUN" run --quiet --var "input=$IN" --var "output=$WORK/$1.jsonl" "$HERE/$1.yaml"
}

flowrun_run base
flowrun_run filter
flowrun_run hop
flowrun_run map
measure jq_filter "$WORK/jq_filter.jsonl" sh -c "jq -c '$JQ_FILTER' '$IN' > '$WORK/jq_filter.jsonl'"
measure jq_map "$WORK/jq_map.jsonl" sh -c "jq -c '$JQ_MAP' '$IN' > '$WORK/jq_map.jsonl'"

# Same answers: the filter keeps the same records, the map writes every record.
[ "${LINES[filter]}" -eq "${LINES[jq_filter]}" ] || { echo "filter kept ${LINES[filter]}, jq ${LINES[jq_filter]}" >&2; exit 1; }
[ "${LINES[map]}" -eq "$N" ] && [ "${LINES[jq_map]}" -eq "$N" ] || { echo "map wrote ${LINES[map]}, jq ${LINES[jq_map]}, expected $N" >&2; exit 1; }

rate() { printf "%.0f" "$(echo "$N / ${WALL[$1]}" | bc -l)"; }
ratio() { printf "%.2f" "$(echo "$(rate "$1") / $(rate "$2")" | bc -l)"; }
echo
echo "| run | wall s | CPU s | records/s | vs file -> jsonl | vs jq doing the same |"
echo "|---|---:|---:|---:|---:|---:|"
printf "| file -> jsonl | %.2f | %.2f | %s | 1.00 | |\n" "${WALL[base]}" "${CPU[base]}" "$(rate base)"
printf "| file -> filter -> jsonl | %.2f | %.2f | %s | %s | %sx |\n" "${WALL[filter]}" "${CPU[filter]}" "$(rate filter)" "$(ratio filter base)" "$(ratio filter jq_filter)"
printf "| file -> map (delete only, no expression) -> jsonl | %.2f | %.2f | %s | %s | |\n" "${WALL[hop]}" "${CPU[hop]}" "$(rate hop)" "$(ratio hop base)"
printf "| file -> map -> jsonl | %.2f | %.2f | %s | %s | %sx |\n" "${WALL[map]}" "${CPU[map]}" "$(rate map)" "$(ratio map base)" "$(ratio map jq_map)"
printf "| jq filter | %.2f | %.2f | %s | | |\n" "${WALL[jq_filter]}" "${CPU[jq_filter]}" "$(rate jq_filter)"
printf "| jq map | %.2f | %.2f | %s | | |\n" "${WALL[jq_map]}" "${CPU[jq_map]}" "$(rate jq_map)"
echo
us_over() { printf "%.2f" "$(echo "(${CPU[$1]} - ${CPU[$2]}) * 1000000 / $N" | bc -l)"; }
echo "CPU per record: filter node $(us_over filter base) us over file -> jsonl; map node $(us_over map base) us over file -> jsonl,"
echo "of which the expression (map over map without one) $(us_over map hop) us; the expression alone: flowrun-bench-transform-languages"
