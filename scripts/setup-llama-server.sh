#!/usr/bin/env bash
# Builds llama.cpp's llama-server from the pinned source, for side-by-side serving benchmarks
# (scripts/server-load.py --llama-server). Not part of the test command: it adds minutes of C++ on 2 cores and
# only a benchmark uses it.
#
#   scripts/setup-llama-server.sh        # prints the path of the binary on its last line
#
# It reuses the native reference build (scripts/setup-reference.sh --level native, run first if needed): the same
# build directory, configured with LLAMA_BUILD_SERVER=ON, so libllama/ggml are not compiled again. The binary is
# installed as ${BITNET_CACHE_DIR:-~/.cache/bitnet-swift}/reference/<commit>-native/bin/llama-server, next to the
# libraries it links (rpath $ORIGIN/../lib); a second run finds it and does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${BITNET_CACHE_DIR:-$HOME/.cache/bitnet-swift}"
JOBS="${BITNET_REFERENCE_JOBS:-2}"
log() { printf '[setup-llama-server] %s\n' "$*" >&2; }
die() { printf '[setup-llama-server] error: %s\n' "$*" >&2; exit 1; }

commit="$(sed -n 's/^readonly PINNED_COMMIT="\(.*\)"/\1/p' scripts/setup-reference.sh)"
[[ -n "$commit" ]] || die "could not read PINNED_COMMIT from scripts/setup-reference.sh"
prefix="$CACHE/reference/$commit-native"
build_dir="$CACHE/build/$commit-native"
binary="$prefix/bin/llama-server"

if [[ -x "$binary" ]] && "$binary" --version >/dev/null 2>&1; then
    log "already built: $binary"
    echo "$binary"
    exit 0
fi

scripts/setup-reference.sh --level native
[[ -f "$build_dir/CMakeCache.txt" ]] || die "no native build directory at $build_dir (scripts/setup-reference.sh keeps it)"
src="$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$build_dir/CMakeCache.txt")"
[[ -d "$src/tools/server" ]] || die "the pinned source at '$src' has no tools/server"

log "configuring $build_dir with LLAMA_BUILD_SERVER=ON"
cmake -S "$src" -B "$build_dir" -DLLAMA_BUILD_SERVER=ON >"$prefix/cmake-server-configure.log" 2>&1 \
    || { tail -n 30 "$prefix/cmake-server-configure.log" >&2; die "configure failed (log: $prefix/cmake-server-configure.log)"; }
log "building llama-server with -j$JOBS (several minutes on 2 cores)"
cmake --build "$build_dir" --parallel "$JOBS" --target llama-server >"$prefix/cmake-server-build.log" 2>&1 \
    || { tail -n 30 "$prefix/cmake-server-build.log" >&2; die "build failed (log: $prefix/cmake-server-build.log)"; }
# Libraries only the server links (libmtmd) go next to the others; the reference's own libraries are left as
# installed (the parity tests load them).
while IFS= read -r lib; do
    [[ -e "$prefix/lib/$(basename "$lib")" ]] || cp -P "$lib" "$prefix/lib/"
done < <(find "$build_dir" -name '*.so*' \( -type f -o -type l \) -not -path '*/CMakeFiles/*')
cp "$build_dir/bin/llama-server" "$binary.partial"
mv "$binary.partial" "$binary"
"$binary" --version >/dev/null 2>&1 || die "$binary does not start (ldd: $(ldd "$binary" | grep 'not found' || true))"
log "done: $binary"
echo "$binary"
