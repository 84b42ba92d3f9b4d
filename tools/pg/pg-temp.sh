#!/bin/sh
# Start or stop a throwaway PostgreSQL 15 in a temp dir on 127.0.0.1, for tests and benchmarks.
#   pg-temp.sh start DIR PORT   -> prints the connection URL on stdout once the server accepts
#   pg-temp.sh stop DIR         -> stops it, waits for the postmaster to be gone, removes DIR
# When run as root the server runs as the `postgres` user (PostgreSQL refuses to run as root),
# so DIR is created and chowned to postgres. fsync is off: the data is disposable.
set -eu
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2; }

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
start)
  port=${3:?port required}
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
  chmod 700 "$dir"
  as_pg "$PGBIN/initdb" -D "$dir/data" -U postgres -A trust --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null || { cat "$dir/log" >&2; exit 1; }
  echo "postgresql://postgres@127.0.0.1:$port/postgres"
  ;;
stop)
  [ -d "$dir/data" ] || exit 0
  pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)
  as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  # pg_ctl stop -w can return before the postmaster process is gone: wait for the pid.
  if [ -n "$pid" ]; then
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  fi
  rm -rf "$dir"
  ;;
*)
  echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2 ;;
esac
