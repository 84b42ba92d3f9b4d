#!/usr/bin/env bash
# A county-sized assessor crawl against the fixture (issue 20): peak memory of `flowrun run` as
# the county grows, and what the crawl checkpoints cost, measured in one run of this script.
#   tools/bench/crawl/run.sh BUILD_DIR [PARCELS...]   (default 17000 170000 1700000)
# Each size is 100 ZIPs of PARCELS/100 parcels, searched 25 to a page (search rows only), run
# twice: with checkpoints (every answer and page mark written to the SQLite store) and without.
# Then a detail crawl (valuations per parcel) of the smallest size, with and without. The rate
# limit is off (the county's would make a full crawl take days); the ratios are what matter.
set -eEuo pipefail
# A step that fails says which; `set -e` alone ends the script without a word (a read at EOF, a
# grep that finds nothing), as the 1.7M row's first attempt did.
trap 'echo "run.sh: line $LINENO: \"$BASH_COMMAND\" failed" >&2' ERR
build=$(cd "${1:?build dir}" && pwd)
shift
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(17000 170000 1700000)
flowrun=${FLOWRUN:-$build/flowrun}
fixture=${FLOWRUN_ASSESSOR_FIXTURE:-$build/tools/fixtures/assessor/flowrun-fixture-assessor}
tmp=$(mktemp -d /tmp/flowrun-bench-crawl-XXXXXX)
fixture_pid=
trap '[ -n "$fixture_pid" ] && kill $fixture_pid 2>/dev/null; rm -rf "$tmp"' EXIT
export MARICOPA_API_KEY=bench

zips=$(seq 85001 85100 | paste -sd, -)

start_fixture() {  # parcels per ZIP
  "$fixture" --port 0 --api-key bench --parcels-per-zip "$1" >"$tmp/fixture.out" 2>"$tmp/fixture.err" &
  fixture_pid=$!
  for _ in $(seq 600); do grep -q listening "$tmp/fixture.out" 2>/dev/null && break; sleep 0.1; done
  url=$(grep -o 'http://127.0.0.1:[0-9]*' "$tmp/fixture.out") || {
    echo "the assessor fixture ($1 parcels per ZIP) did not start within 60 s:" >&2
    tail -5 "$tmp/fixture.err" >&2
    exit 1
  }
}

stop_fixture() { kill $fixture_pid; wait $fixture_pid 2>/dev/null || true; fixture_pid=; }

# run NAME CHECKPOINTS DETAILS -> prints "seconds peak_kib records"
run() {
  local name=$1 checkpoints=$2 details=$3 dir=$tmp/$1
  mkdir -p "$dir"
  cat >"$dir/p.yaml" <<YAML
name: crawl-bench
store: sqlite:store.db
nodes:
  county: {type: maricopa_api, base_url: "$url", api_key: "\${env.MARICOPA_API_KEY}", zips: [$zips],
           details: [$details], checkpoints: $checkpoints, retries: 0}
  out: {type: jsonl, inputs: [county], path: out.jsonl}
YAML
  (cd "$dir" && /usr/bin/time -f "%e %M" -o time.txt "$flowrun" run p.yaml --quiet >run.log 2>&1) || {
    echo "run $name failed:" >&2
    tail -5 "$dir/run.log" >&2
    exit 1
  }
  echo "$(cat "$dir/time.txt") $(wc -l <"$dir/out.jsonl")"
  rm -f "$dir/out.jsonl"
}

echo "# crawl benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores"
echo "| parcels | pages | checkpoints | seconds | peak RSS MiB | records | s per 1000 pages | checkpoint cost per page (ms) |"
echo "|---|---|---|---|---|---|---|---|"
for n in "${sizes[@]}"; do
  start_fixture $((n / 100))
  pages=$(( (n / 100 + 24) / 25 * 100 ))
  read -r s_off m_off r_off < <(run "search-$n-off" false "")
  read -r s_on m_on r_on < <(run "search-$n-on" true "")
  stop_fixture
  cost=$(echo "scale=3; ($s_on - $s_off) * 1000 / $pages" | bc)
  printf '| %s | %s | off | %s | %s | %s | %s | |\n' "$n" "$pages" "$s_off" $((m_off / 1024)) "$r_off" \
    "$(echo "scale=2; $s_off * 1000 / $pages" | bc)"
  printf '| %s | %s | on | %s | %s | %s | %s | %s |\n' "$n" "$pages" "$s_on" $((m_on / 1024)) "$r_on" \
    "$(echo "scale=2; $s_on * 1000 / $pages" | bc)" "$cost"
  [ "$r_on" -eq "$r_off" ] || { echo "records differ with checkpoints: $r_on vs $r_off" >&2; exit 1; }
  [ -z "${first_m_on:-}" ] && first_m_on=$m_on
done

n=${sizes[0]}
start_fixture $((n / 100))
read -r d_off dm_off dr_off < <(run "detail-$n-off" false valuations)
read -r d_on dm_on dr_on < <(run "detail-$n-on" true valuations)
stop_fixture
echo
echo "| detail crawl | requests | checkpoints | seconds | peak RSS MiB | checkpoint cost per request (ms) |"
echo "|---|---|---|---|---|---|"
requests=$(( (n / 100 + 24) / 25 * 100 + n ))
printf '| %s parcels + valuations | %s | off | %s | %s | |\n' "$n" "$requests" "$d_off" $((dm_off / 1024))
printf '| %s parcels + valuations | %s | on | %s | %s | %s |\n' "$n" "$requests" "$d_on" $((dm_on / 1024)) \
  "$(echo "scale=3; ($d_on - $d_off) * 1000 / $requests" | bc)"
echo
echo "peak RSS, largest / smallest county (checkpoints on): $(echo "scale=2; $m_on / $first_m_on" | bc)"
