#!/usr/bin/env bash
# Normalize benchmark: N generated raw records (half assessor rows, half Redfin rows) normalised
# file to file by flowrun, a single-threaded Python script, jq and Miller, one after the other in
# one run. Prints a Markdown table (records/s, CPU seconds, records per CPU-second and flowrun's
# ratio to each on both) and an agreement check between the outputs.
# usage: tools/bench/normalize/run.sh [N=1000000] [WORKDIR=/tmp/flowrun-bench-normalize]
#        FLOWRUN=path/to/flowrun overrides the binary (default: build/flowrun).
set -euo pipefail
N=${1:-1000000}
WORK=${2:-/tmp/flowrun-bench-normalize}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
FLOWRUN=${FLOWRUN:-$ROOT/build/flowrun}
[ -x "$FLOWRUN" ] || { echo "flowrun binary not found at $FLOWRUN (set FLOWRUN=...)" >&2; exit 2; }
mkdir -p "$WORK"
RAW="$WORK/raw-$N.jsonl"
[ -s "$RAW" ] || python3 "$HERE/generate.py" "$N" "$RAW"

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $(jq --version); $(mlr --version); N=$N" >&2
declare -A WALL CPU
measure() {  # name, output file, command...
  local name=$1 out=$2; shift 2
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -f "%U %S %M" -o "$WORK/$name.time" "$@" > "$out.stdout"
  end=$(date +%s.%N)
  WALL[$name]=$(echo "$end - $start" | bc -l)
  read -r user sys rss < "$WORK/$name.time"
  CPU[$name]=$(echo "$user + $sys" | bc -l)
  local lines
  lines=$(wc -l < "$out")
  echo "$name: ${WALL[$name]} s wall, ${CPU[$name]} s CPU, max RSS ${rss} KB, $lines lines" >&2
  [ "$lines" -eq "$N" ] || { echo "$name wrote $lines lines, expected $N" >&2; exit 1; }
}

measure flowrun "$WORK/flowrun.jsonl" "$FLOWRUN" run --quiet --var "input=$RAW" --var "output=$WORK/flowrun.jsonl" "$HERE/pipeline.yaml"
measure python "$WORK/python.jsonl" sh -c "python3 '$HERE/normalize.py' '$RAW' > '$WORK/python.jsonl'"
measure jq "$WORK/jq.jsonl" sh -c "jq -c -f '$HERE/normalize.jq' '$RAW' > '$WORK/jq.jsonl'"
measure mlr "$WORK/mlr.jsonl" sh -c "mlr --ijsonl --ojsonl put -f '$HERE/normalize.mlr' '$RAW' > '$WORK/mlr.jsonl'"

rate() { printf "%.0f" "$(echo "$N / ${WALL[$1]}" | bc -l)"; }
echo
per_cpu() { printf "%.0f" "$(echo "$N / ${CPU[$1]}" | bc -l)"; }
echo "| tool | wall s | CPU s | records/s | records/CPU-s | flowrun ratio (wall) | flowrun ratio (CPU) |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for t in flowrun python jq mlr; do
  printf "| %s | %.2f | %.2f | %s | %s | %.1fx | %.1fx |\n" "$t" "${WALL[$t]}" "${CPU[$t]}" "$(rate $t)" "$(per_cpu $t)" \
    "$(echo "${WALL[$t]} / ${WALL[flowrun]}" | bc -l)" "$(echo "${CPU[$t]} / ${CPU[flowrun]}" | bc -l)"
done
echo
python3 "$HERE/compare.py" "$WORK/flowrun.jsonl" "$WORK/python.jsonl" "$WORK/jq.jsonl" "$WORK/mlr.jsonl"
