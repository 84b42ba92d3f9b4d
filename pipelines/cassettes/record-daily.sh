#!/bin/sh
# Records the HTTP cassette that lets pipelines/daily.yaml run offline:
#   MARICOPA_API_KEY=replay flowrun run pipelines/daily.yaml --replay pipelines/cassettes/daily
# It starts the assessor, listing-site and LLM fixtures on loopback and runs the real pipeline
# with --record; FLOWRUN_HTTP_MAP sends each default URL to its fake, and the cassette keeps the
# real URLs, so replay needs no edit of the pipeline. Re-record after changing the pipeline's
# requests (queries, details, prompts, model).
#   usage: pipelines/cassettes/record-daily.sh [build dir]
set -eu
cd "$(dirname "$0")/../.."
build=${1:-build}
fx=$build/tools/fixtures
out=pipelines/cassettes/daily
tmp=$(mktemp -d)

"$fx/assessor/flowrun-fixture-assessor" --port 18089 --api-key fixture-key --parcels-per-zip 25 >/dev/null 2>&1 &
a=$!
"$fx/listings/flowrun-fixture-listings" --port 18082 >/dev/null 2>&1 &
l=$!
"$fx/llm/flowrun-fixture-llm" --port 18434 >/dev/null 2>&1 &
m=$!
trap 'kill $a $l $m 2>/dev/null || true; rm -rf "$tmp"' EXIT INT TERM
sleep 1

rm -rf "$out"
# Every server is reached at the URL the pipeline names by default (the county, the site files'
# 127.0.0.1:8082, Ollama's 127.0.0.1:11434): the map rewrites them on the wire only.
map="https://mcassessor.maricopa.gov=http://127.0.0.1:18089"
map="$map,http://127.0.0.1:8082=http://127.0.0.1:18082,http://127.0.0.1:11434=http://127.0.0.1:18434"
env -u OLLAMA_URL MARICOPA_API_KEY=fixture-key FLOWRUN_STORE="sqlite:$tmp/record.db" FLOWRUN_HTTP_MAP="$map" \
  "$build/flowrun" run pipelines/daily.yaml --quiet --record "$out" \
    --set nodes.example_realty.delay=0ms --set nodes.grid_homes.delay=0ms \
    --set resources.rate_limits.assessor.min_delay=0ms --set resources.rate_limits.listing_sites.min_delay=0ms \
    --set "nodes.report.path=$tmp/report.html"
echo "recorded $(ls "$out" | wc -l) exchanges into $out"
