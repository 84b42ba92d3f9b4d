#!/usr/bin/env bash
# Normalize benchmark: N generated raw records (half assessor rows, half Redfin rows) normalised
# file to file by flowrun, a single-threaded Python script, jq and Miller, one after the other in
# one run. Prints a Markdown table (records/s, CPU seconds, records per CPU-second and flowrun's
# ratio to each on both), issue 15's P2 ratios against their targets, the CPU per record of the
# normalizer and the JSONL sink on their own (bench_normalize_stages), the floor (passthrough.yaml:
# the same rows read and written again, no normalizer), and an agreement check
# between the outputs, field by field.
# usage: tools/bench/normalize/run.sh [N=1000000] [WORKDIR=/tmp/flowrun-bench-normalize]
#        FLOWRUN=path/to/flowrun overrides the binary (default: build/flowrun),
#        BENCH_STAGES=path/to/bench_normalize_stages (default: build/tools/bench/normalize/...).
#        BASE_FLOWRUN / BASE_STAGES: a second build (e.g. main's) measured in the same run, for a
#        before/after ratio.
set -euo pipefail
N=${1:-1000000}
WORK=${2:-/tmp/flowrun-bench-normalize}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
FLOWRUN=${FLOWRUN:-$ROOT/build/flowrun}
STAGES=${BENCH_STAGES:-$ROOT/build/tools/bench/normalize/bench_normalize_stages}
[ -x "$FLOWRUN" ] || { echo "flowrun binary not found at $FLOWRUN (set FLOWRUN=...)" >&2; exit 2; }
[ -x "$STAGES" ] || { echo "bench_normalize_stages not found at $STAGES (set BENCH_STAGES=...)" >&2; exit 2; }
# The interpreter itself, not a wrapper (a pyenv shim costs a few tenths of a CPU-second per start).
PYTHON=${PYTHON:-$(python3 -c 'import sys; print(sys.executable)')}
mkdir -p "$WORK"
RAW="$WORK/raw-$N.jsonl"
[ -s "$RAW" ] || python3 "$HERE/generate.py" "$N" "$RAW"

echo "$(date -u '+%F %H:%M') UTC; machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); $("$PYTHON" --version); $(jq --version); $(mlr --version); N=$N" >&2
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
if [ -n "${BASE_FLOWRUN:-}" ]; then
  measure base "$WORK/base.jsonl" "$BASE_FLOWRUN" run --quiet --var "input=$RAW" --var "output=$WORK/base.jsonl" "$HERE/pipeline.yaml"
fi
# The floor: the same rows read and written again without the normalizer.
measure passthrough "$WORK/passthrough.jsonl" "$FLOWRUN" run --quiet --var "input=$RAW" --var "output=$WORK/passthrough.jsonl" "$HERE/passthrough.yaml"
measure python "$WORK/python.jsonl" sh -c "'$PYTHON' '$HERE/normalize.py' '$RAW' > '$WORK/python.jsonl'"
measure jq "$WORK/jq.jsonl" sh -c "jq -c -f '$HERE/normalize.jq' '$RAW' > '$WORK/jq.jsonl'"
measure mlr "$WORK/mlr.jsonl" sh -c "mlr --ijsonl --ojsonl put -f '$HERE/normalize.mlr' '$RAW' > '$WORK/mlr.jsonl'"

rate() { printf "%.0f" "$(echo "$N / ${WALL[$1]}" | bc -l)"; }
echo
per_cpu() { printf "%.0f" "$(echo "$N / ${CPU[$1]}" | bc -l)"; }
echo "| tool | wall s | CPU s | records/s | records/CPU-s | flowrun ratio (wall) | flowrun ratio (CPU) |"
echo "|---|---:|---:|---:|---:|---:|---:|"
TOOLS="flowrun ${BASE_FLOWRUN:+base} python jq mlr"
for t in $TOOLS; do
  printf "| %s | %.2f | %.2f | %s | %s | %.1fx | %.1fx |\n" "$t" "${WALL[$t]}" "${CPU[$t]}" "$(rate $t)" "$(per_cpu $t)" \
    "$(echo "${WALL[$t]} / ${WALL[flowrun]}" | bc -l)" "$(echo "${CPU[$t]} / ${CPU[flowrun]}" | bc -l)"
done
echo
ratio() { echo "${CPU[$1]} / ${CPU[flowrun]}" | bc -l; }  # flowrun's records per CPU-second / $1's
verdict() { if [ "$(echo "$1" | bc -l)" = 1 ]; then echo met; else echo "not met"; fi; }  # a bc comparison
echo "P2 (issue 15), records per CPU-second, whole process:"
printf "  flowrun / python: %5.1fx (target >= 5x: %s)\n" "$(ratio python)" "$(verdict "$(ratio python) >= 5")"
printf "  flowrun / jq    : %5.1fx (target >= 30x: %s)\n" "$(ratio jq)" "$(verdict "$(ratio jq) >= 30")"
printf "  flowrun / mlr   : %5.1fx\n" "$(ratio mlr)"
[ -z "${BASE_FLOWRUN:-}" ] || printf "  flowrun / base  : %5.2fx (base: %s)\n" "$(ratio base)" "$BASE_FLOWRUN"
# The stages on their own, on one thread, timed with its CPU clock (outside the engine).
read -r sn parse_us norm_us sink_us < <("$STAGES" "$RAW" "$WORK/stages.jsonl" \
  "$ROOT/pipelines/mappings/maricopa.yaml" "$ROOT/pipelines/mappings/redfin_csv.yaml")
[ "$sn" -eq "$N" ] || { echo "bench_normalize_stages read $sn records, expected $N" >&2; exit 1; }
[ "$(wc -l < "$WORK/stages.jsonl")" -eq "$N" ] || { echo "bench_normalize_stages wrote a short file" >&2; exit 1; }
if [ -n "${BASE_STAGES:-}" ]; then
  read -r _ bparse bnorm bsink < <("$BASE_STAGES" "$RAW" "$WORK/base-stages.jsonl" \
    "$ROOT/pipelines/mappings/maricopa.yaml" "$ROOT/pipelines/mappings/redfin_csv.yaml")
  echo "CPU per record, base build's stages: parse $bparse us, normalizer $bnorm us, jsonl sink $bsink us"
fi
echo "CPU per record, each stage alone (one thread):"
printf "  parse (file source's JSON parse): %6.2f us\n" "$parse_us"
printf "  normalizer                      : %6.2f us (target <= 4 us: %s)\n" "$norm_us" "$(verdict "$norm_us <= 4")"
printf "  jsonl sink                      : %6.2f us (target <= 2 us: %s)\n" "$sink_us" "$(verdict "$sink_us <= 2")"
printf "  flowrun whole process           : %6.2f us\n" "$(echo "${CPU[flowrun]} * 1000000 / $N" | bc -l)"
printf "  floor, file -> jsonl without the normalizer (whole process): %.2f us; 5x python allows %.2f us\n" \
  "$(echo "${CPU[passthrough]} * 1000000 / $N" | bc -l)" "$(echo "${CPU[python]} * 1000000 / $N / 5" | bc -l)"
echo
python3 "$HERE/compare.py" "$WORK/flowrun.jsonl" ${BASE_FLOWRUN:+"$WORK/base.jsonl"} "$WORK/python.jsonl" "$WORK/jq.jsonl" "$WORK/mlr.jsonl"
