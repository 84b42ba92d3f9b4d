#!/bin/sh
# Runs the store benchmark against a SQLite file and a throwaway PostgreSQL (tools/pg/pg-temp.sh).
#   tools/bench/store/run.sh BUILD_DIR [RECORDS]
set -eu
bin=${1:?build dir}/$(cd "$1" && find . -name flowrun-bench-store -type f | head -n 1)
n=${2:-1000000}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/flowrun-bench-store-XXXXXX)
chmod 711 "$tmp"  # the postgres user must reach its data dir inside
trap '"$here/../../pg/pg-temp.sh" stop "$tmp/pg" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
"$bin" "sqlite:$tmp/bench.db" --records "$n"
ls -l "$tmp/bench.db" | awk '{print "sqlite file bytes:", $5}'
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url=$("$here/../../pg/pg-temp.sh" start "$tmp/pg" "$port")
"$bin" "$url" --records "$n"
