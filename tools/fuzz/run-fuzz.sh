#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan, coverage on every library) into
# build-fuzz/, fuzzes each for SECONDS (default 120), then merges what it found into the kept
# corpus tests/reliability/fuzz-corpus/<target>/ (libFuzzer -merge=1 keeps only inputs that add
# coverage, so the corpus stays small). Crashes are written to build-fuzz/fuzz-artifacts/.
#
#   tools/fuzz/run-fuzz.sh [SECONDS] [TARGET...]
#   targets: pipeline_loader csv_reader html_extract normalizer address llm_reply (default: all built)
# Needs: apt-get install clang libclang-rt-14-dev (Debian 12).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-120}
shift || true
build=${FLOWRUN_FUZZ_BUILD:-$root/build-fuzz}
jobs=${JOBS:-2}
all=(pipeline_loader csv_reader html_extract normalizer address llm_reply)
targets=("${@:-${all[@]}}")

cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DFLOWRUN_FUZZ=ON -DFLOWRUN_ASAN=ON \
  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link -fno-sanitize-recover=undefined" \
  -DFLOWRUN_ONLY="file;flowrun;fuzz" >/dev/null
built=()
for t in "${targets[@]}"; do
  if cmake --build "$build" -j"$jobs" --target "fuzz_$t" >"$build/build-$t.log" 2>&1; then built+=("$t")
  else echo "fuzz_$t: build failed (see $build/build-$t.log), skipped"; fi
done

export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS=detect_leaks=1
status=0
mkdir -p "$build/fuzz-artifacts"
for t in "${built[@]}"; do
  corpus=$root/tests/reliability/fuzz-corpus/$t
  work=$build/fuzz-work/$t
  mkdir -p "$corpus" "$work"
  log=$build/fuzz-$t.log
  echo "== fuzz_$t for ${secs}s (corpus: $(ls "$corpus" | wc -l) files)"
  # New inputs go to $work; the kept corpus is only read here and replaced by the merge below.
  if ! "$build/tools/fuzz/fuzz_$t" -max_total_time="$secs" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/$t-" "$work" "$corpus" >"$log" 2>&1; then
    echo "fuzz_$t: FOUND A CRASH (see $log and $build/fuzz-artifacts/)"
    grep -m3 -E "ERROR|runtime error|SUMMARY" "$log" || true
    status=1
  fi
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|DONE|INITED" "$log" | tr '\n' ' '
  echo
  merged=$build/fuzz-merged/$t
  rm -rf "$merged" && mkdir -p "$merged"
  "$build/tools/fuzz/fuzz_$t" -merge=1 -max_len=16384 "$merged" "$corpus" "$work" >"$build/merge-$t.log" 2>&1
  if [ "$(ls "$merged" | wc -l)" -gt 0 ]; then
    # Keep the hand-written seeds (readable names) and add the merged finds (hash names).
    find "$corpus" -type f -regextype posix-extended -regex '.*/[0-9a-f]{40}' -delete
    have=$(cd "$corpus" && sha1sum -- * 2>/dev/null | cut -c1-40 | sort -u)
    for f in "$merged"/*; do
      h=$(sha1sum "$f" | cut -c1-40)
      grep -qx "$h" <<<"$have" || cp "$f" "$corpus/$h"
    done
  fi
  echo "   kept corpus: $(ls "$corpus" | wc -l) files, $(du -sh "$corpus" | cut -f1)"
done
exit $status
