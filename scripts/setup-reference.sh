#!/usr/bin/env bash
# Builds the llama.cpp reference (libllama, llama-tokenize, llama-bench) and our C shim, once per ISA level, into
#   ${BITNET_CACHE_DIR:-$HOME/.cache/bitnet-swift}/reference/<llama.cpp commit>-<level>/{lib,bin,include,reference.json}
#
# Usage: scripts/setup-reference.sh [--level v3|native|all]      (default: all)
#        scripts/setup-reference.sh --print-source                  (fetch and verify the source; print
#                                                                    "<commit> <path of the llama.cpp tree>")
#
# Levels (x86-64; on other CPUs only `native` exists and `all` means `native`):
#   x86-64-v3 (`v3`)  GGML_NATIVE=OFF with SSE4.2, AVX, AVX2, FMA, F16C and BMI2 on and every AVX-512, AVX-VNNI and
#                     AMX option explicitly off: the kernel routes our AVX2 kernels follow, on any x86-64 host. The
#                     bit-exact tests compare against this build.
#   native            GGML_NATIVE=ON (-march=native): what a user's own llama.cpp build does on this machine
#                     (AVX-512/VNNI on the Intel hosts). `bitnet bench --reference` and the tolerance tier use it.
# On an AVX2-only host both builds take the same ggml routes; both are still built, so the measured distance
# between them (docs/parity.md) comes from data, not from an assumption.
#
# Source, in order of preference:
#   BITNET_CPP_DIR    a llama.cpp checkout of your own (its git commit keys the cache directory)
#   otherwise         the PyPI sdist llama-cpp-python==0.3.36, verified by sha256, which vendors
#                     llama.cpp commit 0c1e570 (build b11312) under vendor/llama.cpp
#
# Idempotent: a completed install carries a stamp (written last), so a second run takes seconds and a
# killed run is redone. An install from before the per-level layout (reference/<commit>/, built with
# GGML_NATIVE=ON) is migrated to <commit>-native in place, not rebuilt. Libraries and binaries find each other
# through a DT_RPATH relative to $ORIGIN, so an install can be moved and nothing needs LD_LIBRARY_PATH.
#
# Environment: BITNET_CACHE_DIR, BITNET_CPP_DIR, BITNET_REFERENCE_JOBS (default 2), BITNET_REFERENCE_FORCE=1
# (rebuild even when the stamp is present), BITNET_REFERENCE_FETCH_ONLY=1 (download and verify the source, then
# stop; useful to prepare an offline machine), BITNET_REFERENCE_NATIVE_CMAKE_ARGS (extra cmake arguments for the
# `native` build only, appended last, e.g. "-DGGML_NATIVE=OFF -DGGML_AVX512=OFF" to force an AVX-512 host's native
# build down to AVX2 and so check the tolerance tier's AVX2-host path there; the flags are recorded in
# reference.json and the install is rebuilt when they change).
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

# --- arguments ---------------------------------------------------------------------------------------------
LEVEL_ARG="all"
PRINT_SOURCE=0
while (($#)); do
    case "$1" in
        --print-source) PRINT_SOURCE=1; shift ;;
        --level) [[ $# -ge 2 ]] || die "--level needs a value: v3, native or all"; LEVEL_ARG="$2"; shift 2 ;;
        --level=*) LEVEL_ARG="${1#--level=}"; shift ;;
        -h | --help) sed -n '2,34p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (usage: scripts/setup-reference.sh [--level v3|native|all])" ;;
    esac
done
IS_X86=0
[[ "$(uname -m)" == x86_64 ]] && IS_X86=1
case "$LEVEL_ARG" in
    v3 | x86-64-v3)
        ((IS_X86)) || die "level x86-64-v3 exists on x86-64 only (this machine is $(uname -m)); use --level native"
        LEVELS=(x86-64-v3) ;;
    native) LEVELS=(native) ;;
    all) if ((IS_X86)); then LEVELS=(x86-64-v3 native); else LEVELS=(native); fi ;;
    *) die "unknown level '$LEVEL_ARG': expected v3 (x86-64-v3), native or all" ;;
esac

# The cmake arguments that make a level (printed one per line).
level_cmake_args() {
    case "$1" in
        x86-64-v3)
            printf '%s\n' -DGGML_NATIVE=OFF -DGGML_CPU_ALL_VARIANTS=OFF -DGGML_BACKEND_DL=OFF \
                -DGGML_SSE42=ON -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON \
                -DGGML_AVX_VNNI=OFF -DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF -DGGML_AVX512_VNNI=OFF \
                -DGGML_AVX512_BF16=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF ;;
        native)
            printf '%s\n' -DGGML_NATIVE=ON
            # shellcheck disable=SC2086  # word splitting is the point: a list of cmake arguments
            [[ -z "${BITNET_REFERENCE_NATIVE_CMAKE_ARGS:-}" ]] || printf '%s\n' $BITNET_REFERENCE_NATIVE_CMAKE_ARGS ;;
    esac
}

# --- source ------------------------------------------------------------------------------------------------
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

# Fingerprint of a level's build: its cmake arguments. A change (e.g. of BITNET_REFERENCE_NATIVE_CMAKE_ARGS)
# rebuilds that level.
level_key() { level_cmake_args "$1" | sha256sum | cut -c1-16; }

# The layout before per-level installs: reference/<commit>/, always built with GGML_NATIVE=ON, so it is this
# host's native build. It is moved, not rebuilt; a symlink keeps the absolute DT_RPATH its libraries carry valid.
migrate_legacy_install() {
    local old="$CACHE/reference/$COMMIT" new="$CACHE/reference/$COMMIT-native"
    [[ -d "$old" && ! -L "$old" ]] || return 0
    if [[ -e "$new" || ! -f "$old/.llama-built" || -n "${BITNET_REFERENCE_NATIVE_CMAKE_ARGS:-}" ]]; then
        log "removing the old-layout install $old (superseded or unfinished)"
        rm -rf "$old"
        return 0
    fi
    log "migrating the old-layout install $old (GGML_NATIVE=ON) to $new; llama.cpp is not rebuilt"
    mv "$old" "$new"
    ln -s "$COMMIT-native" "$old"
    level_key native >"$new/.llama-built"
    printf 'migrated from %s\n' "$old" >"$new/.migrated"
    rm -f "$new/.complete"   # the shim and reference.json are redone below (seconds)
}

# The -m flags ggml-cpu was compiled with (from the generated build file).
compile_flags() { # $1 = build dir
    awk '/^build .*ggml-cpu\.c\.o:/ { inside = 1; next }
         inside && /^ *FLAGS = / { print; exit }
         /^build / { inside = 0 }' "$1/build.ninja" | grep -o -- '-m[a-z0-9.=_-]*' | sort -u | tr '\n' ' ' | sed 's/ $//'
}

# ggml's own feature report (llama_print_system_info) of an installed libllama.
system_info() { # $1 = lib dir
    env -u LD_LIBRARY_PATH python3 - "$1/libllama.so" <<'PY'
import ctypes, sys
lib = ctypes.CDLL(sys.argv[1])
lib.llama_print_system_info.restype = ctypes.c_char_p
print(lib.llama_print_system_info().decode().strip())
PY
}

build_level() { # $1 = level
    local level="$1"
    local prefix="$CACHE/reference/$COMMIT-$level"
    local stamp="$prefix/.complete" key want
    key="$(level_key "$level")"
    want="$SHIM_HASH $key"
    if [[ -f "$stamp" && "${BITNET_REFERENCE_FORCE:-0}" != 1 && "$(cat "$stamp")" == "$want" ]]; then
        log "[$level] already installed at $prefix (llama.cpp $COMMIT, shim ABI $SHIM_ABI); nothing to do"
        return 0
    fi
    ensure_build_tools
    if [[ -z "${LLAMA_SRC:-}" ]]; then LLAMA_SRC="$(fetch_sdist)"; fi

    rm -f "$stamp"
    mkdir -p "$prefix/lib" "$prefix/bin" "$prefix/include"
    local libdir="$prefix/lib" build_dir="$CACHE/build/$COMMIT-$level"
    local -a args
    mapfile -t args < <(level_cmake_args "$level")
    local llama_stamp="$prefix/.llama-built"
    if [[ ! -f "$llama_stamp" || "$(cat "$llama_stamp")" != "$key" || "${BITNET_REFERENCE_FORCE:-0}" == 1 ]]; then
        rm -f "$llama_stamp"
        [[ -f "$build_dir/CMakeCache.txt" ]] && rm -rf "$build_dir"   # a level's options never mix with stale ones
        log "[$level] configuring (Release, shared, CPU: ${args[*]}) in $build_dir"
        # $ORIGIN-relative rpaths: libraries find each other in lib/, binaries in ../lib, wherever the install is.
        cmake -S "$LLAMA_SRC" -B "$build_dir" -G Ninja \
            -DCMAKE_BUILD_TYPE=Release \
            -DBUILD_SHARED_LIBS=ON \
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
            '-DCMAKE_INSTALL_RPATH=$ORIGIN/../lib;$ORIGIN' \
            -DCMAKE_EXE_LINKER_FLAGS="-Wl,--disable-new-dtags" \
            -DCMAKE_SHARED_LINKER_FLAGS="-Wl,--disable-new-dtags" \
            "${args[@]}" \
            >"$prefix/cmake-configure.log" 2>&1 \
            || { tail -n 40 "$prefix/cmake-configure.log" >&2; die "[$level] cmake configure failed (full log: $prefix/cmake-configure.log)"; }

        log "[$level] building llama, llama-tokenize, llama-bench with -j$JOBS (several minutes on 2 cores)"
        cmake --build "$build_dir" --parallel "$JOBS" --target llama llama-tokenize llama-bench \
            >"$prefix/cmake-build.log" 2>&1 \
            || { tail -n 40 "$prefix/cmake-build.log" >&2; die "[$level] build failed (full log: $prefix/cmake-build.log)"; }

        log "[$level] installing into $prefix"
        rm -f "$libdir"/*.so*
        # Shared libraries (and their soname symlinks) land next to the executables in the build tree.
        find "$build_dir" -name '*.so*' \( -type f -o -type l \) -not -path '*/CMakeFiles/*' \
            -exec cp -P {} "$libdir/" \;
        cp "$build_dir/bin/llama-tokenize" "$build_dir/bin/llama-bench" "$prefix/bin/"
        cp "$LLAMA_SRC/include/llama.h" "$LLAMA_SRC/ggml/include/"*.h "$prefix/include/"
        compile_flags "$build_dir" >"$prefix/.compile-flags"
        printf '%s\n' "$key" >"$llama_stamp"
    else
        log "[$level] libllama already built for $COMMIT; rebuilding only the shim"
    fi

    log "[$level] compiling the C shim (ABI $SHIM_ABI) against $prefix/include/llama.h"
    cc -std=c11 -O2 -fPIC -shared -Wall -Wextra -Werror=implicit-function-declaration \
        -DBITNET_LLAMA_CPP_COMMIT="\"$COMMIT\"" -DBITNET_LLAMA_CPP_BUILD_NUMBER="$BUILD_NUMBER" \
        -I"$prefix/include" "$SHIM_DIR/bitnet_llama_shim.c" \
        -o "$libdir/libbitnet_llama_shim.so.tmp" \
        -L"$libdir" -lllama -lggml -lggml-base '-Wl,--disable-new-dtags,-rpath,$ORIGIN' -lpthread \
        || die "[$level] compiling the shim failed"
    mv "$libdir/libbitnet_llama_shim.so.tmp" "$libdir/libbitnet_llama_shim.so"
    cp "$SHIM_DIR/bitnet_llama_shim.h" "$prefix/include/"

    log "[$level] verifying rpath and loadability"
    for f in "$libdir/libbitnet_llama_shim.so" "$libdir/libllama.so" "$prefix/bin/llama-tokenize"; do
        readelf -d "$f" | grep -q 'RUNPATH' && die "$f carries a RUNPATH; expected DT_RPATH only"
        readelf -d "$f" | grep -q '(RPATH)' || die "$f has no RPATH"
    done
    env -u LD_LIBRARY_PATH "$prefix/bin/llama-tokenize" --help >/dev/null 2>&1 \
        || (env -u LD_LIBRARY_PATH ldd "$prefix/bin/llama-tokenize" | grep 'not found' >&2; die "[$level] llama-tokenize does not start")
    if env -u LD_LIBRARY_PATH ldd "$libdir/libbitnet_llama_shim.so" | grep -q 'not found'; then
        die "[$level] the shim has unresolved dependencies: $(ldd "$libdir/libbitnet_llama_shim.so" | grep 'not found')"
    fi
    local info flags
    info="$(system_info "$libdir")" || die "[$level] could not read llama_print_system_info from $libdir/libllama.so"
    flags="$(cat "$prefix/.compile-flags" 2>/dev/null || true)"
    if [[ "$level" == x86-64-v3 ]] && grep -Eq 'AVX512[A-Z_0-9]* = 1|AVX_VNNI = 1|AMX[A-Z_0-9]* = 1' <<<"$info"; then
        die "[$level] the build reports wider features than x86-64-v3: $info"
    fi

    python3 - "$prefix/reference.json" <<PY
import json, sys
cpu_model, flags = "unknown", set()
try:
    for line in open("/proc/cpuinfo"):
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "model name" and cpu_model == "unknown": cpu_model = value.strip()
        if key in ("flags", "Features"): flags.update(value.split())
except OSError:
    pass
interesting = ["sse4_2", "avx", "avx2", "fma", "f16c", "bmi2", "avx512f", "avx512bw", "avx512vl", "avx512_vnni",
               "avx512_bf16", "avx512_fp16", "avx_vnni", "amx_tile", "asimd", "asimddp", "i8mm"]
record = {
    "level": "$level",
    "llama_cpp_commit": "$COMMIT",
    "llama_cpp_build_number": $BUILD_NUMBER,
    "source": "$SOURCE_KIND",
    "source_path": "$LLAMA_SRC",
    "sdist": "$SDIST_PIN",
    "sdist_sha256": "$( [[ $SOURCE_KIND == sdist ]] && echo "$SDIST_SHA256" )",
    "cmake_args": """$(level_cmake_args "$level")""".split(),
    "compile_flags": """$flags""".split(),
    "system_info": """$info""",
    "shim_abi_version": $SHIM_ABI,
    "shim_source_hash": "$SHIM_HASH",
    "built_at": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
    "host": "$(uname -sm)",
    "host_cpu": cpu_model,
    "host_cpu_features": [f for f in interesting if f in flags],
}
json.dump(record, open(sys.argv[1], "w"), indent=2)
open(sys.argv[1], "a").write("\n")
PY
    printf '%s\n' "$want" >"$stamp"
    log "[$level] done: $prefix (ggml: $info)"
}

# --- main --------------------------------------------------------------------------------------------------
if ((PRINT_SOURCE)); then
    [[ "$SOURCE_KIND" == sdist ]] && LLAMA_SRC="$(fetch_sdist)"
    printf '%s %s\n' "$COMMIT" "$LLAMA_SRC"
    exit 0
fi
migrate_legacy_install
if [[ "${BITNET_REFERENCE_FETCH_ONLY:-0}" == 1 ]]; then
    [[ "$SOURCE_KIND" == sdist ]] && LLAMA_SRC="$(fetch_sdist)"
    log "llama.cpp source: $LLAMA_SRC (commit $COMMIT, build $BUILD_NUMBER, from $SOURCE_KIND)"
    log "BITNET_REFERENCE_FETCH_ONLY=1: source ready, not building"
    exit 0
fi
[[ "$SOURCE_KIND" == checkout ]] && log "llama.cpp source: $LLAMA_SRC (commit $COMMIT, build $BUILD_NUMBER, from $SOURCE_KIND)"
for level in "${LEVELS[@]}"; do build_level "$level"; done
