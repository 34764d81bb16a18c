#!/usr/bin/env bash
# Runs the C API's C test (Tests/CAPI/capi_test.c: greedy stream, every error path, lifetimes) and the C example
# (examples/c/generate.c) under valgrind memcheck, and fails unless both report 0 bytes definitely lost and no
# memory errors.
#   scripts/valgrind-capi.sh [N_TOKENS]        (default 4; valgrind runs the model ~50x slower)
# Needs: valgrind, cc, the test model (scripts/fetch-test-models.sh). Builds the BitNetC product in release.
#
# valgrind 3.19 cannot parse the DWARF 5 debug info Swift 6 emits ("unknown DW_FORM"), so the script runs against
# a copy of libBitNetC.so with its debug info stripped (objcopy --strip-debug), adds --read-var-info=no, and
# suppresses nothing else. Swift's runtime keeps metadata caches for the whole process: those show as
# "still reachable" / "possibly lost", which the script reports but does not fail on.
set -euo pipefail
cd "$(dirname "$0")/.."
tokens="${1:-4}"

swift build -c release --product bitnet >&2
bitnet=.build/release/bitnet
source scripts/lib/paths.sh
model="${BITNET_TEST_MODEL:-$(model_path smollm2-135m-instruct --no-fetch || true)}"
[[ -f "$model" ]] || { echo "SmolLM2 not found at $model; run scripts/fetch-test-models.sh first" >&2; exit 1; }

swift build -c release --product BitNetC >&2
lib_dir="$(swift build -c release --show-bin-path)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
objcopy --strip-debug "$lib_dir/libBitNetC.so" "$work/libBitNetC.so"

build() { cc -std=c99 -Wall -Wextra -pedantic -Werror -g -Iinclude "$1" -o "$2" -L"$work" -lBitNetC -Wl,-rpath,"$work"; }
build Tests/CAPI/capi_test.c "$work/capi_test"
build examples/c/generate.c "$work/generate"

status=0
check() {  # name, command...
    local name="$1"; shift
    local log="$work/$name.valgrind"
    echo "== valgrind: $name ==" >&2
    valgrind --tool=memcheck --leak-check=full --read-var-info=no --error-exitcode=99 \
        --errors-for-leak-kinds=definite --log-file="$log" "$@" > "$work/$name.out" || status=1
    grep -E "definitely lost|indirectly lost|possibly lost|still reachable|ERROR SUMMARY" "$log" >&2 || true
    if ! grep -qE "definitely lost: 0 bytes|All heap blocks were freed|no leaks are possible" "$log"; then
        grep -q "definitely lost" "$log" && status=1
    fi
    grep -q "ERROR SUMMARY: 0 errors" "$log" || { status=1; sed -n '1,80p' "$log" >&2; }
}
check capi_test "$work/capi_test" "$model" "The capital of France is" "$tokens"
check example "$work/generate" "$model" "The capital of France is" "$tokens"
[[ $status == 0 ]] && echo "[valgrind-capi] 0 bytes definitely lost, 0 errors" >&2
exit $status
