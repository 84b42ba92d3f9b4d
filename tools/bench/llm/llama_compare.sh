#!/usr/bin/env bash
# The enricher against a real llama-server --parallel 4 (docs/benchmarks/llm.md): records/s of a
# flowrun pipeline (llm_enricher, provider openai, concurrency 4, no cache) vs the server's own
# best for the very same requests, replayed straight at it by 4 parallel curl workers (the
# requests come from the pipeline's own --record cassette, so prompts, schema and max_tokens are
# identical). Both runs happen back to back on one server; only their ratio means anything.
#   usage: tools/bench/llm/llama_compare.sh [records=40] [build dir]
# Needs tools/llama/build.sh first (llama-server and the random-weight model).
set -euo pipefail
cd "$(dirname "$0")/../../.."
n=${1:-40}
build=${2:-build}
cache=${FLOWRUN_LLAMA_CACHE:-$HOME/.cache/flowrun-llama}
server=${FLOWRUN_LLAMA_SERVER:-$cache/bin/llama-server}
model=${FLOWRUN_LLAMA_MODEL:-$cache/model/random-64x2.gguf}
[ -x "$server" ] && [ -f "$model" ] || { echo "no llama-server or model: run tools/llama/build.sh" >&2; exit 2; }
port=${PORT:-18555}
tmp=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT INT TERM

# --override-kv: the converted model says its context is 128 tokens (see llama_server.hpp).
"$server" -m "$model" --host 127.0.0.1 --port "$port" -t 2 --parallel 4 -c 8192 \
  --override-kv llama.context_length=int:2048 --chat-template llama2 --alias flowrun-test --log-disable >"$tmp/server.log" 2>&1 &
pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/v1/models" >/dev/null && break; sleep 0.2; done

python3 - "$n" >"$tmp/in.jsonl" <<'EOF'
import json, sys
for i in range(int(sys.argv[1])):
    print(json.dumps({"id": f"p{i}", "address": {"street": f"{100 + i} W Campbell Ave", "city": "Phoenix", "zip": "85031"},
                      "property_type": "single_family", "price": 250000 + 1000 * i, "beds": 3, "baths": 2,
                      "sqft": 1400 + i, "year_built": 1980 + i % 30,
                      "description": "Single-storey home with a covered patio and a two-car garage."}))
EOF
cat >"$tmp/p.yaml" <<EOF
name: llama-compare
nodes:
  src: {type: file, path: $tmp/in.jsonl}
  enrich: {type: llm_enricher, inputs: [src], provider: openai, base_url: "http://127.0.0.1:$port",
           model: flowrun-test, concurrency: 4, cache: false, timeout: 300s}
  out: {type: jsonl, inputs: [enrich], path: $tmp/out.jsonl}
EOF

# 1. The pipeline, recording every exchange.
t0=$(date +%s.%N)
"$build/flowrun" run "$tmp/p.yaml" --quiet --json --record "$tmp/cassette" >"$tmp/summary.json" 2>"$tmp/run.log"
t1=$(date +%s.%N)

# 2. The same chat requests straight at the server, 4 at a time.
mkdir -p "$tmp/bodies"
python3 - "$tmp/cassette" "$tmp/bodies" <<'EOF'
import glob, json, os, sys
for f in glob.glob(os.path.join(sys.argv[1], "post-*.json")):
    ex = json.load(open(f))
    if ex.get("url", "").endswith("/v1/chat/completions"):
        open(os.path.join(sys.argv[2], os.path.basename(f)), "w").write(ex["request_body"])
EOF
t2=$(date +%s.%N)
ls "$tmp"/bodies/*.json | xargs -P4 -I{} curl -sf -o /dev/null -H 'Content-Type: application/json' \
  --data-binary @{} "http://127.0.0.1:$port/v1/chat/completions"
t3=$(date +%s.%N)

python3 - "$n" "$t0" "$t1" "$t2" "$t3" "$tmp" <<'EOF'
import json, os, sys
n, t0, t1, t2, t3, tmp = int(sys.argv[1]), *map(float, sys.argv[2:6]), sys.argv[6]
s = json.load(open(os.path.join(tmp, "summary.json")))
calls = s["counters"].get("llm.calls", 0)
direct = len(os.listdir(os.path.join(tmp, "bodies")))
p_rate, d_rate = n / (t1 - t0), direct / (t3 - t2)
enrich = next(x for x in s["nodes"] if x["id"] == "enrich")
c_rate = calls / (t1 - t0)
print("| records | enriched / errors | LLM calls | pipeline s | records/s | calls/s | direct requests | direct s | direct req/s | records/s / direct | calls/s / direct |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
print(f"| {n} | {enrich['out']} / {enrich['errors']} | {calls:.0f} | {t1 - t0:.2f} | {p_rate:.2f} | {c_rate:.2f} | {direct} | "
      f"{t3 - t2:.2f} | {d_rate:.2f} | {p_rate / d_rate:.2f} | {c_rate / d_rate:.2f} |")
EOF
