#!/usr/bin/env bash
# Builds oneTBB with -fsanitize=thread from Debian's own source package (the same 2021.8 that
# libtbb-dev ships) and installs it under $FLOWRUN_TBB_TSAN (default ~/.cache/flowrun-tbb-tsan).
# Why: Debian's libtbb.so is not instrumented, so ThreadSanitizer cannot see oneTBB's
# synchronisation and reports hundreds of false races in every flow graph; against an
# instrumented oneTBB the engine tests run clean and a planted race is caught.
# Needs the Debian source repository; a private apt configuration is used, the system's is not
# touched. Prints the TBB_DIR to pass to CMake. Used by tools/sanitize.sh tsan.
set -euo pipefail
prefix=${FLOWRUN_TBB_TSAN:-$HOME/.cache/flowrun-tbb-tsan}
if [ -f "$prefix/lib/cmake/TBB/TBBConfig.cmake" ]; then echo "$prefix/lib/cmake/TBB"; exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/parts" "$work/lists/partial" "$work/src"
cat >"$work/parts/debian-src.sources" <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
apt_opts=(-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$work/parts" -o Dir::State::Lists="$work/lists")
apt-get "${apt_opts[@]}" update -qq >&2
(cd "$work/src" && apt-get "${apt_opts[@]}" source -qq --download-only onetbb >&2 && tar xf onetbb_*.orig.tar.*)
src=$(ls -d "$work"/src/oneTBB-*/ | head -1)
cmake -S "$src" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTBB_TEST=OFF \
  -DTBB_EXAMPLES=OFF -DTBB_STRICT=OFF -DTBB_SANITIZE=thread -DCMAKE_INSTALL_PREFIX="$prefix" >&2
cmake --build "$work/build" -j"${JOBS:-2}" >&2
cmake --install "$work/build" >&2
echo "$prefix/lib/cmake/TBB"
