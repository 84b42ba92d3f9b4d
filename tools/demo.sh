#!/usr/bin/env bash
# Runs pipelines/daily.yaml end to end without the internet: the fixture servers play the county
# assessor (real API shape and quirks), the two listing sites and an Ollama server, all on
# 127.0.0.1; FLOWRUN_HTTP_MAP sends the county's URL to the local fake. Nothing else changes:
# same pipeline file, same nodes, real HTTP. Output lands in out/daily/ (store, report, metrics).
#   usage: tools/demo.sh [build dir]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
fixtures=$build/tools/fixtures
assessor_port=${ASSESSOR_PORT:-18089}
llm_port=${LLM_PORT:-18434}
listings_port=8082   # the site files under pipelines/sites/ name this port

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

"$fixtures/assessor/flowrun-fixture-assessor" --port "$assessor_port" --api-key demo-key --parcels-per-zip 25 >/dev/null 2>&1 &
pids+=($!)
"$fixtures/listings/flowrun-fixture-listings" --port "$listings_port" >/dev/null 2>&1 &
pids+=($!)
"$fixtures/llm/flowrun-fixture-llm" --port "$llm_port" --latency-ms 20 >/dev/null 2>&1 &
pids+=($!)

# Wait until all three answer (a few hundred ms normally).
for port in "$assessor_port" "$listings_port" "$llm_port"; do
  for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
done

mkdir -p out/daily
export MARICOPA_API_KEY=demo-key
export OLLAMA_URL="http://127.0.0.1:$llm_port"
export FLOWRUN_HTTP_MAP="https://mcassessor.maricopa.gov=http://127.0.0.1:$assessor_port"
rc=0
# The fixture sites are ours: no need for the polite delays the site files ask of real sites.
"$build/flowrun" run pipelines/daily.yaml --quiet --metrics-textfile out/daily/flowrun.prom \
  --dot-out out/daily/run.dot --set nodes.example_realty.delay=50ms --set nodes.grid_homes.delay=50ms \
  --set resources.rate_limits.assessor.min_delay=20ms || rc=$?
"$build/flowrun" report pipelines/daily.yaml --out out/daily/report.json || true
echo "demo: exit $rc; store out/daily/flowrun.db, report out/daily/report.html, metrics out/daily/flowrun.prom"
exit "$rc"
