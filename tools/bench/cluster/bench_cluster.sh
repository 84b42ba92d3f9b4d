#!/usr/bin/env bash
# Scale-out benchmark (docs/benchmarks/cluster.md): records/s of a pipeline whose slow stage
# (test_slow: a fixed latency per record, like an LLM call: waiting, not CPU) runs in 1, 2 and 4
# `worker` processes over a real nats-server, against one process with the same total
# concurrency; and the per-record cost of a NATS hop (latency 0, one worker vs one process).
#   tools/bench/cluster/bench_cluster.sh [--tiny] [BUILD_DIR]
# --tiny: a few records, so that a ctest keeps the script from rotting.
set -euo pipefail
tiny=0
if [[ "${1:-}" == "--tiny" ]]; then tiny=1; shift; fi
root="$(cd "$(dirname "$0")/../../.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
proc="$build/tests/cluster/cluster_proc"
[[ -x "$proc" ]] || { echo "no $proc: build the cluster tests first (FLOWRUN_ONLY with nats, store, cluster)"; exit 2; }
records=${RECORDS:-1200}; delay=${DELAY_MS:-50}; per_worker=${CONCURRENCY:-4}; hop_records=${HOP_RECORDS:-3000}
if ((tiny)); then records=24; delay=5; hop_records=50; fi

work="$(mktemp -d /tmp/flowrun-bench-cluster-XXXXXX)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
nats-server -js -sd "$work/js" -a 127.0.0.1 -p "$port" >"$work/nats.log" 2>&1 &
nats_pid=$!
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  kill "$nats_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done

# pipeline NAME RECORDS DELAY CONCURRENCY CLUSTERED -> path
pipeline() {
  local dir="$work/$1"; mkdir -p "$dir"
  {
    echo "name: bench"
    if [[ "$5" == 1 ]]; then
      echo "cluster: {nats: \"nats://127.0.0.1:$port\", groups: {llm: {max_ack_pending: 1024}}}"
    fi
    echo "nodes:"
    echo "  gen: {type: test_gen, count: $2}"
    echo "  enrich: {type: test_slow, inputs: [gen], delay_ms: $3, concurrency: $4$([[ "$5" == 1 ]] && echo ', group: llm')}"
    echo "  lines: {type: jsonl, inputs: [enrich], path: out.jsonl}"
  } >"$dir/p.yaml"
  echo "$dir/p.yaml"
}

# run FILE WORKERS -> records/s (from the run's own duration)
rate() {
  local file="$1" n="$2" dir; dir="$(dirname "$1")"
  pids=()
  for i in $(seq "$n"); do
    "$proc" worker "$file" llm --once >"$dir/w$i.log" 2>&1 & pids+=($!)
  done
  for i in $(seq "$n"); do
    for _ in $(seq 200); do grep -q "waiting for runs" "$dir/w$i.log" && break; sleep 0.05; done
  done
  "$proc" run "$file" >"$dir/summary.json" 2>"$dir/run.log" || { cat "$dir/run.log" >&2; exit 1; }
  for p in "${pids[@]}"; do wait "$p"; done
  pids=()
  local lines; lines=$(wc -l <"$dir/out.jsonl")
  [[ "$lines" == "$(jq .source_records "$dir/summary.json")" ]] || { echo "$file: $lines lines out" >&2; exit 1; }
  jq -r --argjson n "$lines" '$n / (.duration_ms / 1000)' "$dir/summary.json"
}

declare -A r
for n in 1 2 4; do
  r[single$n]=$(rate "$(pipeline single$n "$records" "$delay" $((n * per_worker)) 0)" 0)
  r[cluster$n]=$(rate "$(pipeline cluster$n "$records" "$delay" "$per_worker" 1)" "$n")
done
hop_single=$(rate "$(pipeline hop_single "$hop_records" 0 "$per_worker" 0)" 0)
hop_cluster=$(rate "$(pipeline hop_cluster "$hop_records" 0 "$per_worker" 1)" 1)

echo "records $records, latency ${delay} ms, concurrency $per_worker per worker (ideal per worker: $((per_worker * 1000 / (delay > 0 ? delay : 1)))/s)"
printf "%-10s %12s %12s %18s %20s\n" workers "cluster r/s" "single r/s" "cluster/single" "cluster/(N x 1 worker)"
for n in 1 2 4; do
  python3 - "$n" "${r[cluster$n]}" "${r[single$n]}" "${r[cluster1]}" <<'PY'
import sys
n, c, s, c1 = int(sys.argv[1]), *map(float, sys.argv[2:])
print(f"{n:<10} {c:12.1f} {s:12.1f} {c/s:18.2f} {c/(n*c1):20.2f}")
PY
done
python3 - "$hop_single" "$hop_cluster" "$hop_records" <<'PY'
import sys
s, c, n = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
print(f"NATS hop overhead ({n} records, latency 0, concurrency 4): one process {s:.0f} r/s, "
      f"1 worker {c:.0f} r/s: {1000/c - 1000/s:.3f} ms per record (two hops: to the worker and back)")
PY
