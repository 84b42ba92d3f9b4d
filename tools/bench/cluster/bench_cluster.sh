#!/usr/bin/env bash
# Scale-out benchmark (docs/benchmarks/cluster.md): records/s of `file -> llm_enricher (group llm)
# -> jsonl`, the enricher being the real node against the fake LLM server (tools/fixtures/llm) at
# a fixed latency per request, run by `flowrun run` with 1, 2 and 4 `flowrun worker` processes
# over a real nats-server, against `flowrun run` of the same pipeline without `cluster:` at the
# same total concurrency; and the per-record cost of a NATS hop (latency 0, one worker vs one
# process). All ratios come from one invocation, on one machine, under the same load.
#   tools/bench/cluster/bench_cluster.sh [--tiny] [BUILD_DIR]
#   env: RECORDS (800), LATENCY_MS (100), CONCURRENCY per worker (4), HOP_RECORDS (2000)
# --tiny: a few records, so that a ctest keeps the script from rotting.
set -euo pipefail
tiny=0
if [[ "${1:-}" == "--tiny" ]]; then tiny=1; shift; fi
root="$(cd "$(dirname "$0")/../../.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
flowrun="$build/flowrun"
fake="$build/tools/fixtures/llm/flowrun-fixture-llm"
for b in "$flowrun" "$fake"; do
  [[ -x "$b" ]] || { echo "no $b: build flowrun and flowrun-fixture-llm (FLOWRUN_ONLY with nats, llm, http, store, fixtures, flowrun)"; exit 2; }
done
command -v nats-server >/dev/null || { echo "no nats-server: apt-get install nats-server"; exit 2; }
records=${RECORDS:-800}; latency=${LATENCY_MS:-100}; per_worker=${CONCURRENCY:-4}; hop_records=${HOP_RECORDS:-2000}
if ((tiny)); then records=16; latency=5; hop_records=20; fi

work="$(mktemp -d /tmp/flowrun-bench-cluster-XXXXXX)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return; sleep 0.1; done; echo "nothing on port $1" >&2; exit 1; }
nats_port=$(free_port)
nats-server -js -sd "$work/js" -a 127.0.0.1 -p "$nats_port" >"$work/nats.log" 2>&1 &
nats_pid=$!
# Two fakes, one per latency, so that neither is reconfigured between runs.
slow_port=$(free_port); fast_port=$(free_port)
"$fake" --port "$slow_port" --latency-ms "$latency" >"$work/fake-slow.log" 2>&1 &
slow_pid=$!
"$fake" --port "$fast_port" --latency-ms 0 >"$work/fake-fast.log" 2>&1 &
fast_pid=$!
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  kill "$nats_pid" "$slow_pid" "$fast_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
wait_port "$nats_port"; wait_port "$slow_port"; wait_port "$fast_port"

# in-N.jsonl: N listing-like records for the enricher's prompt.
python3 - "$work" "$records" "$hop_records" <<'PY'
import json, sys
work = sys.argv[1]
for n in map(int, sys.argv[2:]):
    with open(f"{work}/in-{n}.jsonl", "w") as f:
        for i in range(n):
            f.write(json.dumps({"id": f"apn:{i}", "address": f"{100 + i} W Main St, Phoenix, AZ 8503{i % 3}",
                                "property_type": "single_family", "price": 250000 + 1000 * i, "beds": 3,
                                "baths": 2, "sqft": 1400 + i}) + "\n")
PY

# pipeline NAME RECORDS LLM_PORT CONCURRENCY CLUSTERED -> path
pipeline() {
  local dir="$work/$1"; mkdir -p "$dir"
  {
    echo "name: bench"
    if [[ "$5" == 1 ]]; then
      echo "cluster: {nats: \"nats://127.0.0.1:$nats_port\", groups: {llm: {max_ack_pending: 1024}}}"
    fi
    echo "nodes:"
    echo "  src: {type: file, path: $work/in-$2.jsonl}"
    echo "  enrich: {type: llm_enricher, inputs: [src], base_url: \"http://127.0.0.1:$3\", cache: false, concurrency: $4$([[ "$5" == 1 ]] && echo ', group: llm')}"
    echo "  lines: {type: jsonl, inputs: [enrich], path: out.jsonl}"
  } >"$dir/p.yaml"
  echo "$dir/p.yaml"
}

# rate FILE WORKERS -> records/s (from the run's own duration), after checking that every record
# was enriched by one LLM call and written once.
rate() {
  local file="$1" n="$2" dir; dir="$(dirname "$1")"
  pids=()
  for i in $(seq "$n"); do
    "$flowrun" worker "$file" --group llm --once >"$dir/w$i.log" 2>&1 & pids+=($!)
  done
  for i in $(seq "$n"); do
    for _ in $(seq 200); do grep -q "waiting for runs" "$dir/w$i.log" && break; sleep 0.05; done
  done
  (cd "$dir" && "$flowrun" run "$file" --json -q >"$dir/summary.json" 2>"$dir/run.log") || { cat "$dir/run.log" >&2; exit 1; }
  for p in "${pids[@]}"; do wait "$p" || { echo "$file: a worker failed" >&2; cat "$dir"/w*.log >&2; exit 1; }; done
  pids=()
  local lines expect calls; lines=$(wc -l <"$dir/out.jsonl"); expect=$(jq .source_records "$dir/summary.json")
  calls=$(jq '.counters["llm.calls"] // 0' "$dir/summary.json")
  [[ "$lines" == "$expect" && "$calls" == "$expect" ]] || { echo "$file: $expect records, $lines lines out, $calls LLM calls" >&2; exit 1; }
  jq -r --argjson n "$lines" '$n / (.duration_ms / 1000)' "$dir/summary.json"
}

declare -A r
for n in 1 2 4; do
  r[single$n]=$(rate "$(pipeline single$n "$records" "$slow_port" $((n * per_worker)) 0)" 0)
  r[cluster$n]=$(rate "$(pipeline cluster$n "$records" "$slow_port" "$per_worker" 1)" "$n")
done
hop_single=$(rate "$(pipeline hop_single "$hop_records" "$fast_port" "$per_worker" 0)" 0)
hop_cluster=$(rate "$(pipeline hop_cluster "$hop_records" "$fast_port" "$per_worker" 1)" 1)

echo "Measured $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "llm_enricher against the fake LLM server at ${latency} ms per request, $records records, concurrency $per_worker per worker" \
     "(ideal per worker: $((per_worker * 1000 / (latency > 0 ? latency : 1))) r/s)"
printf "%-10s %12s %12s %18s %22s\n" workers "cluster r/s" "single r/s" "cluster/single" "cluster/(N x 1 worker)"
for n in 1 2 4; do
  python3 - "$n" "${r[cluster$n]}" "${r[single$n]}" "${r[cluster1]}" <<'PY'
import sys
n, c, s, c1 = int(sys.argv[1]), *map(float, sys.argv[2:])
print(f"{n:<10} {c:12.1f} {s:12.1f} {c/s:18.2f} {c/(n*c1):22.2f}")
PY
done
python3 - "$hop_single" "$hop_cluster" "$hop_records" "$per_worker" <<'PY'
import sys
s, c, n, conc = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
print(f"NATS hop overhead ({n} records, LLM latency 0, concurrency {conc}): one process {s:.0f} r/s, "
      f"1 worker {c:.0f} r/s: {1000/c - 1000/s:.3f} ms per record (two hops: to the worker and back)")
PY
