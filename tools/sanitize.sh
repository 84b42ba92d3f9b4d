#!/usr/bin/env bash
# Runs the test suite under the sanitizers (issue 8):
#   asan  build-asan/ with -DFLOWRUN_ASAN=ON (AddressSanitizer + UndefinedBehaviorSanitizer), all tests
#   tsan  build-tsan/ with -DFLOWRUN_TSAN=ON (ThreadSanitizer), the engine tests (test_engine),
#         against a oneTBB built with TSan from Debian's source (tools/tbb-tsan.sh)
#
#   tools/sanitize.sh [asan|tsan|all] [extra ctest args...]     (default: all)
# Env: JOBS (default 2), FLOWRUN_ONLY (a folder subset, as for the normal build),
#      CMAKE_CXX_COMPILER (default: the system c++).
# Any sanitizer report fails the run: UBSan and TSan are set to halt on the first error.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
which=${1:-all}
shift || true
jobs=${JOBS:-2}
only_args=()
[ -n "${FLOWRUN_ONLY:-}" ] && only_args=(-DFLOWRUN_ONLY="$FLOWRUN_ONLY")
compiler_args=()
[ -n "${CMAKE_CXX_COMPILER:-}" ] && compiler_args=(-DCMAKE_CXX_COMPILER="$CMAKE_CXX_COMPILER")

configure() {  # build-dir option [extra cmake args]
  local dir=$1 opt=$2
  shift 2
  cmake -S "$root" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -D"$opt"=ON \
    "${only_args[@]}" "${compiler_args[@]}" "$@" >/dev/null
}

run_asan() {
  local b=$root/build-asan
  configure "$b" FLOWRUN_ASAN
  cmake --build "$b" -j"$jobs"
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
  # tools/ubsan.supp: one known report inside oneTBB's headers (see the file), nothing of ours.
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:suppressions=$root/tools/ubsan.supp
  # The reliability suite runs the CLI as a child process: it is instrumented too and inherits these.
  (cd "$b" && ctest --output-on-failure -j"$jobs" "$@")
}

run_tsan() {
  local b=$root/build-tsan
  # TSan needs oneTBB itself instrumented, or it reports oneTBB's own hand-offs as races.
  local tbb_dir
  tbb_dir=$("$root/tools/tbb-tsan.sh")
  configure "$b" FLOWRUN_TSAN -DTBB_DIR="$tbb_dir"
  cmake --build "$b" -j"$jobs" --target test_engine
  export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
  local bin=$b/tests/engine/test_engine
  # Kernels with 32-bit mmap randomisation break TSan's memory layout; run without ASLR then.
  if "$bin" --list-tests >/dev/null 2>&1; then (cd "$root" && "$bin" "$@")
  else (cd "$root" && setarch "$(uname -m)" -R "$bin" "$@"); fi
}

case $which in
  asan) run_asan "$@" ;;
  tsan) run_tsan "$@" ;;
  all) run_asan "$@"; run_tsan ;;
  *) echo "usage: $0 [asan|tsan|all] [ctest args...]" >&2; exit 2 ;;
esac
