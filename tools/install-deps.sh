#!/usr/bin/env bash
# Installs everything flowrun needs to build, run and test on Debian 12 (run as root).
set -euo pipefail
# --no-install-recommends keeps CI lean; fonts-liberation is chromium's one recommendation the
# report test needs (headless Chromium renders the HTML report and takes a screenshot). prometheus:
# the dashboards test runs every Grafana query in a real Prometheus against flowrun's metrics.
# libhowardhinnant-date-dev + tzdata: the report writes dates in the reader's IANA time zone
# (GCC 12 has no std::chrono time zones).
# libluajit-5.1-dev: the filter/route/map nodes' expression language (nodes/transform); libjq-dev:
# only the benchmark that chose LuaJIT over it (tools/bench/transform), run by ctest at a tiny size.
# libnats-dev + nats-server: the NATS JetStream transport of clustered runs (docs/cluster.md) and
# the real server its tests start on loopback.
# libmimalloc-dev: the allocator flowrun links (CMake option FLOWRUN_MALLOC; measured in
# docs/benchmarks/allocator.md).
# bc + time: tools/bench/*/run.sh measure CPU seconds with /usr/bin/time and do their sums with bc.
packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libtbb-dev libyaml-cpp-dev libboost-json1.81-dev catch2
  libcurl4-openssl-dev libssl-dev libsqlite3-dev sqlite3 libxml2-dev libpq-dev postgresql
  libspdlog-dev libfmt-dev libcli11-dev libcpp-httplib-dev zlib1g-dev libmimalloc-dev
  libhowardhinnant-date-dev tzdata
  libluajit-5.1-dev libjq-dev
  graphviz jq miller chromium fonts-liberation python3 bc time
  prometheus
  libnats-dev nats-server
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "dependencies ok"
