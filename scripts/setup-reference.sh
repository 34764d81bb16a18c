#!/usr/bin/env bash
# Builds the llama.cpp reference (libllama, llama-tokenize, llama-bench) and our C shim into
#   ${BITNET_CACHE_DIR:-$HOME/.cache/bitnet-swift}/reference/<llama.cpp commit>/{lib,bin,include,reference.json}
#
# Source, in order of preference:
#   BITNET_CPP_DIR    a llama.cpp checkout of your own (its git commit keys the cache directory)
#   otherwise         the PyPI sdist llama-cpp-python==0.3.36, verified by sha256, which vendors
#                     llama.cpp commit 0c1e570 (build b11312) under vendor/llama.cpp
#
# Idempotent: a completed install carries a stamp (written last), so a second run takes seconds and a
# killed run is redone. Every binary and library is linked with DT_RPATH (not RUNPATH) to the install's
# lib/ directory, so nothing needs LD_LIBRARY_PATH.
#
# Environment: BITNET_CACHE_DIR, BITNET_CPP_DIR, BITNET_REFERENCE_JOBS (default 2), BITNET_REFERENCE_FORCE=1
# (rebuild even when the stamp is present), BITNET_REFERENCE_FETCH_ONLY=1 (download and verify the source, then
# stop; useful to prepare an offline machine).
set -euo pipefail

readonly PINNED_COMMIT="0c1e570"
readonly PINNED_BUILD_NUMBER="11312"
readonly SDIST_NAME="llama_cpp_python-0.3.36.tar.gz"
readonly SDIST_PIN="llama-cpp-python==0.3.36"
readonly SDIST_SHA256="832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e"

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
SHIM_DIR="$REPO_ROOT/reference/shim"
CACHE="${BITNET_CACHE_DIR:-$HOME/.cache/bitnet-swift}"
JOBS="${BITNET_REFERENCE_JOBS:-2}"
START_SECONDS=$SECONDS

log() { printf '[setup-reference %3ds] %s\n' "$((SECONDS - START_SECONDS))" "$*" >&2; }
die() { printf '[setup-reference] error: %s\n' "$*" >&2; exit 1; }

[[ -f "$SHIM_DIR/bitnet_llama_shim.c" && -f "$SHIM_DIR/bitnet_llama_shim.h" ]] \
    || die "shim sources not found in $SHIM_DIR (run this script from a bitnet-swift checkout)"

SHIM_ABI="$(sed -n 's/^#define BITNET_LLAMA_SHIM_ABI_VERSION \([0-9][0-9]*\).*/\1/p' "$SHIM_DIR/bitnet_llama_shim.h")"
[[ -n "$SHIM_ABI" ]] || die "could not read BITNET_LLAMA_SHIM_ABI_VERSION from $SHIM_DIR/bitnet_llama_shim.h"
SHIM_HASH="$(cat "$SHIM_DIR/bitnet_llama_shim.c" "$SHIM_DIR/bitnet_llama_shim.h" | sha256sum | cut -c1-16)"

# --- tools -------------------------------------------------------------------------------------------------
ensure_build_tools() {
    local missing=()
    command -v cmake >/dev/null 2>&1 || missing+=(cmake)
    command -v ninja >/dev/null 2>&1 || missing+=(ninja-build)
    command -v cc >/dev/null 2>&1 || missing+=(gcc)
    command -v c++ >/dev/null 2>&1 || missing+=(g++)
    ((${#missing[@]} == 0)) && return 0
    command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]}; install them with your package manager"
    local sudo=""
    [[ "$(id -u)" == 0 ]] || sudo="sudo"
    log "installing ${missing[*]} with apt-get"
    if ! $sudo apt-get install -y "${missing[@]}"; then
        log "apt-get install failed; running apt-get update and retrying"
        $sudo apt-get update
        $sudo apt-get install -y "${missing[@]}"
    fi
}

# --- source ------------------------------------------------------------------------------------------------
verify_sdist() { # $1 = path; prints nothing, returns 0 when the sha256 matches the pin
    [[ "$(sha256sum "$1" | cut -d' ' -f1)" == "$SDIST_SHA256" ]]
}

fetch_sdist() { # prints the path of the extracted llama.cpp source tree
    local downloads="$CACHE/downloads" src_root="$CACHE/src" archive
    archive="$downloads/$SDIST_NAME"
    mkdir -p "$downloads" "$src_root"
    if [[ -f "$archive" ]] && ! verify_sdist "$archive"; then
        log "cached $SDIST_NAME does not match the pinned sha256; deleting it and downloading again" >&2
        rm -f "$archive"
    fi
    if [[ ! -f "$archive" ]]; then
        log "downloading $SDIST_PIN (sdist) from PyPI into $downloads" >&2
        python3 -c 'import scikit_build_core' 2>/dev/null \
            || python3 -m pip install --quiet scikit-build-core >&2 \
            || die "pip install scikit-build-core failed (needed by pip's metadata step for the sdist)"
        python3 -m pip download --quiet --no-deps --no-binary=:all: --no-build-isolation \
            "$SDIST_PIN" -d "$downloads" >&2 \
            || die "pip download $SDIST_PIN failed; check PyPI access, or point BITNET_CPP_DIR at a llama.cpp checkout"
        [[ -f "$archive" ]] || die "pip download did not produce $archive"
        if ! verify_sdist "$archive"; then
            local got
            got="$(sha256sum "$archive" | cut -d' ' -f1)"
            rm -f "$archive"
            die "sha256 mismatch for $SDIST_NAME: expected $SDIST_SHA256, got $got. The file was deleted; \
do not use it. Re-run this script, or set BITNET_CPP_DIR to a trusted llama.cpp checkout."
        fi
    fi
    log "sdist verified: sha256 $SDIST_SHA256" >&2
    local tree="$src_root/llama_cpp_python-0.3.36"
    if [[ ! -f "$tree/.extracted" ]]; then
        log "extracting $SDIST_NAME" >&2
        rm -rf "$tree" "$tree.partial"
        mkdir -p "$tree.partial"
        tar -xzf "$archive" -C "$tree.partial" --strip-components=1
        touch "$tree.partial/.extracted"
        mv "$tree.partial" "$tree"
    fi
    [[ -f "$tree/vendor/llama.cpp/include/llama.h" ]] || die "the sdist has no vendor/llama.cpp/include/llama.h"
    printf '%s\n' "$tree/vendor/llama.cpp"
}

# --- main --------------------------------------------------------------------------------------------------
SOURCE_KIND="sdist"
BUILD_NUMBER="$PINNED_BUILD_NUMBER"
if [[ -n "${BITNET_CPP_DIR:-}" ]]; then
    SOURCE_KIND="checkout"
    LLAMA_SRC="$(cd "$BITNET_CPP_DIR" && pwd)" || die "BITNET_CPP_DIR=$BITNET_CPP_DIR is not a directory"
    [[ -f "$LLAMA_SRC/include/llama.h" ]] || die "BITNET_CPP_DIR=$LLAMA_SRC has no include/llama.h (not a llama.cpp checkout?)"
    if COMMIT="$(git -C "$LLAMA_SRC" rev-parse --short=7 HEAD 2>/dev/null)"; then
        BUILD_NUMBER="$(git -C "$LLAMA_SRC" rev-list --count HEAD 2>/dev/null || echo 0)"
    else
        COMMIT="local-$(sha256sum "$LLAMA_SRC/include/llama.h" | cut -c1-12)"
        BUILD_NUMBER=0
    fi
else
    COMMIT="$PINNED_COMMIT"
fi

PREFIX="$CACHE/reference/$COMMIT"
STAMP="$PREFIX/.complete"
if [[ -f "$STAMP" && "${BITNET_REFERENCE_FORCE:-0}" != 1 ]] && [[ "$(cat "$STAMP")" == "$SHIM_HASH" ]]; then
    log "reference already installed at $PREFIX (llama.cpp $COMMIT, shim ABI $SHIM_ABI); nothing to do"
    exit 0
fi

ensure_build_tools
if [[ "$SOURCE_KIND" == sdist ]]; then
    LLAMA_SRC="$(fetch_sdist)"
fi
log "llama.cpp source: $LLAMA_SRC (commit $COMMIT, build $BUILD_NUMBER, from $SOURCE_KIND)"
if [[ "${BITNET_REFERENCE_FETCH_ONLY:-0}" == 1 ]]; then
    log "BITNET_REFERENCE_FETCH_ONLY=1: source ready, not building"
    exit 0
fi

rm -f "$STAMP"
mkdir -p "$PREFIX/lib" "$PREFIX/bin" "$PREFIX/include"
LIBDIR="$PREFIX/lib"
BUILD_DIR="$CACHE/build/$COMMIT"
RPATH_FLAGS="-Wl,--disable-new-dtags,-rpath,$LIBDIR"

LLAMA_STAMP="$PREFIX/.llama-built"
if [[ ! -f "$LLAMA_STAMP" || "${BITNET_REFERENCE_FORCE:-0}" == 1 ]]; then
    log "configuring (Release, shared, CPU) in $BUILD_DIR"
    # The binaries are linked with the install rpath from the start, so copying them into $PREFIX needs no
    # relinking; --disable-new-dtags makes that a DT_RPATH, which (unlike RUNPATH) also covers the
    # libraries' own dependencies.
    cmake -S "$LLAMA_SRC" -B "$BUILD_DIR" -G Ninja \
        -DCMAKE_BUILD_TYPE=Release \
        -DBUILD_SHARED_LIBS=ON \
        -DGGML_NATIVE=ON \
        -DLLAMA_BUILD_COMMON=ON \
        -DLLAMA_BUILD_TOOLS=ON \
        -DLLAMA_BUILD_TESTS=OFF \
        -DLLAMA_BUILD_EXAMPLES=OFF \
        -DLLAMA_BUILD_SERVER=OFF \
        -DLLAMA_BUILD_APP=OFF \
        -DLLAMA_OPENSSL=OFF \
        -DLLAMA_CURL=OFF \
        -DLLAMA_BUILD_COMMIT="$COMMIT" \
        -DLLAMA_BUILD_NUMBER="$BUILD_NUMBER" \
        -DCMAKE_SKIP_BUILD_RPATH=OFF \
        -DCMAKE_BUILD_WITH_INSTALL_RPATH=ON \
        -DCMAKE_INSTALL_RPATH="$LIBDIR" \
        -DCMAKE_EXE_LINKER_FLAGS="-Wl,--disable-new-dtags" \
        -DCMAKE_SHARED_LINKER_FLAGS="-Wl,--disable-new-dtags" \
        >"$PREFIX/cmake-configure.log" 2>&1 \
        || { tail -n 40 "$PREFIX/cmake-configure.log" >&2; die "cmake configure failed (full log: $PREFIX/cmake-configure.log)"; }

    log "building llama, llama-tokenize, llama-bench with -j$JOBS (first build: several minutes on 2 cores)"
    cmake --build "$BUILD_DIR" --parallel "$JOBS" --target llama llama-tokenize llama-bench \
        >"$PREFIX/cmake-build.log" 2>&1 \
        || { tail -n 40 "$PREFIX/cmake-build.log" >&2; die "build failed (full log: $PREFIX/cmake-build.log)"; }

    log "installing into $PREFIX"
    # Shared libraries (and their soname symlinks) land next to the executables in the build tree.
    find "$BUILD_DIR" -name '*.so*' \( -type f -o -type l \) -not -path '*/CMakeFiles/*' \
        -exec cp -P {} "$LIBDIR/" \;
    cp "$BUILD_DIR/bin/llama-tokenize" "$BUILD_DIR/bin/llama-bench" "$PREFIX/bin/"
    cp "$LLAMA_SRC/include/llama.h" "$LLAMA_SRC/ggml/include/"*.h "$PREFIX/include/"
    touch "$LLAMA_STAMP"
else
    log "libllama already built for $COMMIT; rebuilding only the shim"
fi

log "compiling the C shim (ABI $SHIM_ABI) against $PREFIX/include/llama.h"
cc -std=c11 -O2 -fPIC -shared -Wall -Wextra -Werror=implicit-function-declaration \
    -DBITNET_LLAMA_CPP_COMMIT="\"$COMMIT\"" -DBITNET_LLAMA_CPP_BUILD_NUMBER="$BUILD_NUMBER" \
    -I"$PREFIX/include" "$SHIM_DIR/bitnet_llama_shim.c" \
    -o "$LIBDIR/libbitnet_llama_shim.so.tmp" \
    -L"$LIBDIR" -lllama -lggml -lggml-base $RPATH_FLAGS -lpthread \
    || die "compiling the shim failed"
mv "$LIBDIR/libbitnet_llama_shim.so.tmp" "$LIBDIR/libbitnet_llama_shim.so"
cp "$SHIM_DIR/bitnet_llama_shim.h" "$PREFIX/include/"

log "verifying rpath and loadability"
for f in "$LIBDIR/libbitnet_llama_shim.so" "$LIBDIR/libllama.so" "$PREFIX/bin/llama-tokenize"; do
    readelf -d "$f" | grep -q 'RUNPATH' && die "$f carries a RUNPATH; expected DT_RPATH only"
    readelf -d "$f" | grep -q "(RPATH).*$LIBDIR" || die "$f has no RPATH to $LIBDIR"
done
env -u LD_LIBRARY_PATH "$PREFIX/bin/llama-tokenize" --help >/dev/null 2>&1 \
    || (env -u LD_LIBRARY_PATH ldd "$PREFIX/bin/llama-tokenize" | grep 'not found' >&2; die "llama-tokenize does not start")
if env -u LD_LIBRARY_PATH ldd "$LIBDIR/libbitnet_llama_shim.so" | grep -q 'not found'; then
    die "the shim has unresolved dependencies: $(ldd "$LIBDIR/libbitnet_llama_shim.so" | grep 'not found')"
fi

cat >"$PREFIX/reference.json" <<EOF
{
  "llama_cpp_commit": "$COMMIT",
  "llama_cpp_build_number": $BUILD_NUMBER,
  "source": "$SOURCE_KIND",
  "source_path": "$LLAMA_SRC",
  "sdist": "$SDIST_PIN",
  "sdist_sha256": "$( [[ $SOURCE_KIND == sdist ]] && echo "$SDIST_SHA256" )",
  "shim_abi_version": $SHIM_ABI,
  "shim_source_hash": "$SHIM_HASH",
  "built_at": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "host": "$(uname -sm)"
}
EOF
printf '%s\n' "$SHIM_HASH" >"$STAMP"
log "done: $PREFIX (shim: $LIBDIR/libbitnet_llama_shim.so)"
