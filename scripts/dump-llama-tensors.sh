#!/usr/bin/env bash
# Dumps llama.cpp's intermediate tensors for a prompt (see scripts/llama-dump/dump.c), the tool docs/parity.md
# describes for finding the first operation where our forward pass and llama.cpp's differ.
#
# Usage: PROMPT="text" scripts/dump-llama-tensors.sh MODEL.gguf default|precise OUTDIR [NAME_SUFFIX] [EXTRA_TOKENS]
# Needs the pinned reference (scripts/setup-reference.sh) and a C compiler.
set -euo pipefail
cd "$(dirname "$0")/.."
ref="${BITNET_REFERENCE_DIR:-$(ls -d "${BITNET_CACHE_DIR:-$HOME/.cache/bitnet-swift}"/reference/*/ 2>/dev/null | head -1)}"
[ -n "$ref" ] && [ -f "$ref/include/llama.h" ] || { echo "no llama.cpp reference found: run scripts/setup-reference.sh" >&2; exit 2; }
[ $# -ge 3 ] || { sed -n 5p "$0" >&2; exit 2; }
mkdir -p "$3"
bin="$3/.dump"
cc -O2 -o "$bin" scripts/llama-dump/dump.c -I"$ref/include" -L"$ref/lib" -lllama -lggml -lggml-base -Wl,-rpath,"$ref/lib"
"$bin" "$@"
