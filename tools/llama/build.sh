#!/usr/bin/env bash
# Builds llama.cpp's llama-server (and the llama2.c converter) from the source that the npm
# package node-llama-cpp bundles, because this machine has no internet beyond the npm/apt
# registries. The result is cached, so a second run costs nothing:
#   $FLOWRUN_LLAMA_CACHE (default ~/.cache/flowrun-llama)/bin/llama-server
# Then writes the random-weight test model with make_model.py (same cache dir).
#
# Usage: tools/llama/build.sh [-j N]     (default -j2; use -j1 when the machine is busy)
set -euo pipefail

JOBS=2
if [[ "${1:-}" == "-j" && -n "${2:-}" ]]; then JOBS="$2"; fi
if [[ "${1:-}" =~ ^-j([0-9]+)$ ]]; then JOBS="${BASH_REMATCH[1]}"; fi

VERSION="${NODE_LLAMA_CPP_VERSION:-3.22.1}"
CACHE="${FLOWRUN_LLAMA_CACHE:-$HOME/.cache/flowrun-llama}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$CACHE/bin"

if [[ -x "$CACHE/bin/llama-server" && -x "$CACHE/bin/llama-convert-llama2c-to-ggml" \
      && -f "$CACHE/src/models/ggml-vocab-llama-spm.gguf" ]]; then
  echo "llama-server already built: $CACHE/bin/llama-server"
else
  work="$CACHE/work"
  mkdir -p "$work"
  cd "$work"
  if [[ ! -f "package/llama/gitRelease.bundle" ]]; then
    echo "fetching node-llama-cpp@$VERSION from the npm registry"
    tarball="$(npm pack --silent "node-llama-cpp@$VERSION" | tail -n1)"
    # Only the bundled git repository is needed, not the prebuilt binaries.
    tar -xzf "$tarball" package/llama/gitRelease.bundle
    rm -f "$tarball"
  fi
  if [[ ! -d "$CACHE/src/.git" ]]; then
    rm -rf "$CACHE/src"
    git clone --quiet "$work/package/llama/gitRelease.bundle" "$CACHE/src"
  fi
  cmake -S "$CACHE/src" -B "$CACHE/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_UI=OFF -DLLAMA_OPENSSL=OFF \
    -DLLAMA_BUILD_TESTS=OFF -DBUILD_SHARED_LIBS=OFF -DLLAMA_CURL=OFF >/dev/null
  echo "building llama-server with -j$JOBS (about 4 minutes on 2 cores)"
  cmake --build "$CACHE/build" -j"$JOBS" --target llama-server llama-convert-llama2c-to-ggml
  cp "$CACHE/build/bin/llama-server" "$CACHE/bin/"
  cp "$CACHE/build/bin/llama-convert-llama2c-to-ggml" "$CACHE/bin/"
  echo "built: $CACHE/bin/llama-server"
fi

if [[ ! -f "$CACHE/model/random-64x2.gguf" ]]; then
  mkdir -p "$CACHE/model"
  python3 "$HERE/make_model.py" --out "$CACHE/model/random-64x2.bin"
  "$CACHE/bin/llama-convert-llama2c-to-ggml" \
    --copy-vocab-from-model "$CACHE/src/models/ggml-vocab-llama-spm.gguf" \
    --llama2c-model "$CACHE/model/random-64x2.bin" \
    --llama2c-output-model "$CACHE/model/random-64x2.gguf" >"$CACHE/model/convert.log" 2>&1 \
    || { cat "$CACHE/model/convert.log"; exit 1; }
  rm -f "$CACHE/model/random-64x2.bin"
fi
echo "model: $CACHE/model/random-64x2.gguf"
echo "export FLOWRUN_LLAMA_SERVER=$CACHE/bin/llama-server FLOWRUN_LLAMA_MODEL=$CACHE/model/random-64x2.gguf"
