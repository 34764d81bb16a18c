#!/usr/bin/env bash
# Builds llama.cpp's own ARM64 dot products as the known-answer reference of NEONEmulationTests: ggml's CPU sources
# from the pinned llama.cpp (arch/arm/quants.c, arch/arm/repack.cpp, llamafile/sgemm.cpp, quants.c, vec.cpp,
# ggml-quants.c; the tree from
# `scripts/setup-reference.sh --print-source`) linked with Tests/NEONDriver/ggml_reference.c, compiled by Debian's
# AArch64 GCC 12 — the compiler of the x86-64 reference builds, so the same floating-point contraction — at -O3
# -DNDEBUG with the -march of two of llama.cpp's ARM variants (GGML_CPU_ALL_VARIANTS on Linux):
#   armv8.0_1  -march=armv8-a               (Advanced SIMD only: our `neon` level)
#   armv8.2_1  -march=armv8.2-a+dotprod     (SDOT: our `dotprod` level)
# Static binaries, run under qemu-aarch64 (natively on an ARM64 host, with its own gcc/g++).
#
# Usage: scripts/setup-arm-reference.sh     prints the reference directory (<dir>/<variant>/ggml_reference) on stdout
# Cached under ${BITNET_CACHE_DIR:-$HOME/.cache/bitnet-swift}/arm-reference/<llama.cpp commit>-<hash of the driver,
# the flags and the compiler version>; a completed build carries a stamp, so a second run takes a second.
# Installs gcc-aarch64-linux-gnu and g++-aarch64-linux-gnu on x86-64 Debian when missing. Exit 1 (with the reason on
# stderr) when the compiler cannot be installed or the build fails.
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE="${BITNET_CACHE_DIR:-$HOME/.cache/bitnet-swift}"
log() { printf '[setup-arm-reference] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

if [[ "$(uname -m)" == aarch64 ]]; then
    CC=gcc CXX=g++ NM=nm
else
    CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ NM=aarch64-linux-gnu-nm
    missing=()
    for p in gcc-aarch64-linux-gnu g++-aarch64-linux-gnu; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
    if ((${#missing[@]})); then
        log "installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
            || { apt-get update >/dev/null 2>&1 || true; apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1; } \
            || die "could not install ${missing[*]}"
    fi
fi
command -v "$CC" >/dev/null && command -v "$CXX" >/dev/null || die "$CC / $CXX not found"

read -r commit src < <(scripts/setup-reference.sh --print-source) || die "no llama.cpp source (scripts/setup-reference.sh --print-source)"
ggml="$src/ggml"
[[ -f "$ggml/src/ggml-cpu/arch/arm/quants.c" ]] || die "$ggml has no src/ggml-cpu/arch/arm/quants.c"

variants=("armv8.0_1 -march=armv8-a" "armv8.2_1 -march=armv8.2-a+dotprod")
key=$( { cat Tests/NEONDriver/ggml_reference.c "$0"; printf '%s\n' "${variants[@]}"; "$CC" --version | head -1; } | sha256sum | cut -c1-12)
dir="$CACHE/arm-reference/$commit-$key"
if [[ -f "$dir/.built" ]]; then
    printf '%s\n' "$dir"
    exit 0
fi
rm -rf "$dir.partial"
mkdir -p "$dir.partial"
includes=(-I "$ggml/include" -I "$ggml/src" -I "$ggml/src/ggml-cpu")
for v in "${variants[@]}"; do
    read -r name march <<<"$v"
    out="$dir.partial/$name"
    mkdir -p "$out"
    log "building $name ($march) with $("$CC" --version | head -1)"
    flags=(-O3 -DNDEBUG "$march" "${includes[@]}")
    "$CC" "${flags[@]}" -c "$ggml/src/ggml-cpu/arch/arm/quants.c" -o "$out/arm-quants.o" \
        && "$CC" "${flags[@]}" -c "$ggml/src/ggml-cpu/quants.c" -o "$out/quants.o" \
        && "$CC" "${flags[@]}" -c "$ggml/src/ggml-quants.c" -o "$out/ggml-quants.o" \
        && "$CXX" "${flags[@]}" -c "$ggml/src/ggml-cpu/vec.cpp" -o "$out/vec.o" \
        && "$CXX" "${flags[@]}" -c "$ggml/src/ggml-cpu/arch/arm/repack.cpp" -o "$out/arm-repack.o" \
        && "$CXX" "${flags[@]}" -c "$ggml/src/ggml-cpu/llamafile/sgemm.cpp" -o "$out/sgemm.o" \
        && "$CC" "${flags[@]}" -c Tests/NEONDriver/ggml_reference.c -o "$out/ggml_reference.o" \
        || die "compiling the $name reference failed"
    # arch/arm/repack.cpp falls back to ggml-cpu/repack.cpp's generic kernels for the forms a variant lacks; the
    # driver calls none of them (and that file needs the rest of ggml-cpu), so each gets a stub that aborts.
    { echo '#include <stdlib.h>'; "$NM" -u "$out/arm-repack.o" | awk '$2 ~ /_generic$/ { print "void " $2 "(void) { abort(); }" }'; } \
        >"$out/generic-stubs.c"
    "$CC" -O2 -c "$out/generic-stubs.c" -o "$out/generic-stubs.o" \
        && "$CXX" -static "$out"/*.o -o "$out/ggml_reference" -lm \
        || die "building the $name reference failed"
    rm -f "$out"/*.o "$out/generic-stubs.c"
done
printf '%s %s\n' "$commit" "$("$CC" --version | head -1)" >"$dir.partial/.built"
rm -rf "$dir"
mv "$dir.partial" "$dir"
log "ready: $dir"
printf '%s\n' "$dir"
