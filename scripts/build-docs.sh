#!/usr/bin/env bash
# Builds the DocC archive of the Swift API (BitNetRuntime, which the `BitNet` product re-exports) with the
# swift-docc-plugin: docs/BitNetRuntime.doccarchive by default, or the directory given. Fails on a DocC warning about
# a broken symbol link, so the catalog's topics stay true to the code.
#   scripts/build-docs.sh [OUTPUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-.build/docs}
mkdir -p "$out"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
swift package --allow-writing-to-directory "$out" generate-documentation --target BitNetRuntime \
    --output-path "$out/BitNetRuntime.doccarchive" --warnings-as-errors 2>&1 | tee "$log" >&2
[[ -f "$out/BitNetRuntime.doccarchive/data/documentation/bitnetruntime.json" ]] \
    || { echo "build-docs: no archive at $out/BitNetRuntime.doccarchive" >&2; exit 1; }
echo "build-docs: $out/BitNetRuntime.doccarchive" >&2
