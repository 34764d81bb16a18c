#!/usr/bin/env bash
# Provides llama.cpp's own tokenizer test vectors (test-tokenizer-0): models/ggml-vocab-*.gguf with their
# .gguf.inp / .gguf.out pairs, taken from the pinned PyPI sdist llama-cpp-python==0.3.36 (llama.cpp 0c1e570).
#
# Result: ${BITNET_CACHE_DIR:-$HOME/.cache/bitnet-swift}/vocab/0c1e570/ggml-vocab-*
# The Tokenizers tests read that directory (or $BITNET_VOCAB_DIR). These files are never committed.
#
# Idempotent: reuses the sdist in $CACHE/downloads (setup-reference.sh downloads it there too), verifies its
# sha256, extracts only the vocab files, and writes a stamp last, so a second run does nothing and a killed run
# is redone.
set -euo pipefail

readonly COMMIT="0c1e570"
readonly SDIST_NAME="llama_cpp_python-0.3.36.tar.gz"
readonly SDIST_PIN="llama-cpp-python==0.3.36"
readonly SDIST_SHA256="832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e"

CACHE="${BITNET_CACHE_DIR:-$HOME/.cache/bitnet-swift}"
DOWNLOADS="$CACHE/downloads"
DEST="$CACHE/vocab/$COMMIT"
STAMP="$DEST/.complete"

log() { printf '[fetch-vocab-suite] %s\n' "$*" >&2; }
die() { printf '[fetch-vocab-suite] error: %s\n' "$*" >&2; exit 1; }

if [[ -f "$STAMP" ]]; then
    log "present: $DEST"
    exit 0
fi

mkdir -p "$DOWNLOADS"
SDIST="$DOWNLOADS/$SDIST_NAME"

verify() { [[ "$(sha256sum "$1" | cut -d' ' -f1)" == "$SDIST_SHA256" ]]; }

if [[ -f "$SDIST" ]] && ! verify "$SDIST"; then
    log "cached $SDIST has the wrong sha256; downloading again"
    rm -f "$SDIST"
fi

if [[ ! -f "$SDIST" ]]; then
    command -v pip >/dev/null 2>&1 || die "pip not found; install Python's pip, then rerun"
    log "downloading $SDIST_PIN (sdist) into $DOWNLOADS"
    pip install --quiet scikit-build-core
    pip download --no-deps --no-binary=:all: --no-build-isolation "$SDIST_PIN" -d "$DOWNLOADS"
    [[ -f "$SDIST" ]] || die "pip did not produce $SDIST"
    verify "$SDIST" || die "sha256 of $SDIST does not match $SDIST_SHA256"
fi

TMP="$(mktemp -d "${TMPDIR:-/tmp}/bitnet-vocab.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

log "extracting ggml-vocab-* from $SDIST_NAME"
tar -xzf "$SDIST" -C "$TMP" --wildcards '*/vendor/llama.cpp/models/ggml-vocab-*'
shopt -s nullglob
files=("$TMP"/*/vendor/llama.cpp/models/ggml-vocab-*)
((${#files[@]} > 0)) || die "no ggml-vocab-* files found in $SDIST_NAME"

rm -rf "$DEST"
mkdir -p "$DEST"
cp "${files[@]}" "$DEST/"
printf '%s %s\n' "$SDIST_PIN" "$SDIST_SHA256" > "$STAMP"
log "installed ${#files[@]} files into $DEST"
