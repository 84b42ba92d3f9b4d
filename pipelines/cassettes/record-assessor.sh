#!/bin/sh
# Records an HTTP cassette for a pipeline's assessor traffic against the fake assessor
# (tools/fixtures/assessor), keyed by the REAL county URL, so that
#   MARICOPA_API_KEY=offline flowrun run PIPELINE --replay pipelines/cassettes/NAME
# runs offline without editing the pipeline.
#   usage: pipelines/cassettes/record-assessor.sh pipelines/daily.yaml daily [build dir]
# Other hosts (listing sites) can be mapped the same way: add FROM=TO pairs to FLOWRUN_HTTP_MAP,
# comma-separated, before running this script.
set -eu
pipeline=${1:?pipeline file}
name=${2:?cassette name}
build=${3:-build}
port=${PORT:-18089}
out=pipelines/cassettes/$name

"$build/tools/fixtures/assessor/flowrun-fixture-assessor" --port "$port" --api-key fixture-key &
fixture=$!
trap 'kill $fixture 2>/dev/null || true' EXIT INT TERM
sleep 0.5

rm -rf "$out"
map="https://mcassessor.maricopa.gov=http://127.0.0.1:$port"
MARICOPA_API_KEY=fixture-key FLOWRUN_HTTP_MAP="${FLOWRUN_HTTP_MAP:+$FLOWRUN_HTTP_MAP,}$map" \
  "$build/flowrun" run "$pipeline" --record "$out" --quiet
echo "recorded $(ls "$out" | wc -l) exchanges into $out"
