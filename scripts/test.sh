#!/usr/bin/env bash
# The test command: sets up everything the tests need, then runs the whole suite in release mode.
#   1. Debian cmake + ninja-build and the pinned llama.cpp reference builds, x86-64-v3 and native (cached under
#      ~/.cache/bitnet-swift)
#   2. the release build of the package and its tests
#   3. the real test models (`bitnet fetch-models`, models.lock.json) and llama.cpp's tokenizer vectors (cached,
#      verified by SHA-256)
#   4. qemu-user and the AArch64 C library for the ARM64 kernel test (scripts/setup-arm-emulation.sh) and its
#      reference, llama.cpp's ARM dot products built by Debian's AArch64 GCC (scripts/setup-arm-reference.sh, cached),
#      then swift test in release (model-level tests are 10-100x slower in debug)
#   5. scripts/parity-levels.sh --check: the engine against both reference levels (the tolerance tier)
#   6. the scalar kernel level end to end: `bitnet crossval --isa scalar` against llama.cpp (tolerance tier)
#   7. `bitnet convert --from-hf` against llama.cpp's convert_hf_to_gguf.py on synthetic checkpoints
#      (scripts/check-hf-convert.sh; torch & co. from PyPI in a cached virtualenv)
#   8. structured output from the CLI (`bitnet run --grammar`, `--json-schema`) and the OpenAI Python client against
#      `bitnet serve` (scripts/openai-client-test.sh)
#   9. scripts/check-consumer.sh: Examples/Chat, depending on this package by version, builds and generates
#  10. scripts/build-docs.sh: the DocC archive of the Swift API
# Environment: BITNET_CACHE_DIR moves the cache; BITNET_SKIP_REFERENCE_TESTS=1 skips (with a printed reason) the
# tests that need llama.cpp, for machines that cannot build it. Extra arguments go to `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s ==\n' "$*" >&2; }
started=$(date +%s)

if [[ "${BITNET_SKIP_REFERENCE_TESTS:-0}" != "1" ]]; then
    step "reference: llama.cpp (pinned) + shim, levels x86-64-v3 and native"
    scripts/setup-reference.sh --level all
fi

step "build (release, with tests)"
# First, so the model fetcher (the bitnet CLI, built with these same flags) is ready for the next step.
swift build -c release -Xswiftc -enable-testing --build-tests

step "test models"
scripts/fetch-test-models.sh all

step "tokenizer vectors"
scripts/fetch-vocab-suite.sh

step "ARM64 emulation: qemu-aarch64, the AArch64 C library and llama.cpp's ARM dot products (NEONEmulationTests)"
if scripts/setup-arm-emulation.sh && arm_reference=$(scripts/setup-arm-reference.sh); then
    # installed: the ARM kernel test must run, not skip
    export BITNET_REQUIRE_ARM_EMULATION=1 BITNET_ARM_REFERENCE="$arm_reference"
else
    echo "[test.sh] ARM64 emulation or llama.cpp's ARM reference could not be set up: NEONEmulationTests will skip and say so" >&2
fi

step "swift test (release)"
swift test -c release -Xswiftc -enable-testing --skip-build "$@"

if [[ "${BITNET_SKIP_REFERENCE_TESTS:-0}" != "1" ]]; then
    step "tolerance tier: engine vs llama.cpp x86-64-v3 and native (docs/parity.md)"
    scripts/parity-levels.sh --check

    # The scalar level sums in its own order (not ggml's), so it is in the tolerance class: the cosine floor 0.99 is
    # below the 0.9913 llama.cpp's own x86-64-v3 and native builds were apart on the AVX-512 host (issue 20);
    # greedy tokens must still match (near-ties excepted, as crossval always allows).
    step "scalar level end to end: bitnet crossval --isa scalar on SmolLM2 (tolerance tier), receipt verified"
    scalar_receipt=$(mktemp "${TMPDIR:-/tmp}/scalar-crossval.XXXXXX.json")
    trap 'rm -f "$scalar_receipt"' EXIT   # also when crossval fails
    .build/release/bitnet crossval --isa scalar --model smollm2-135m-instruct --steps 16 --threads 2 --cos-min 0.99 \
        --prompt "The capital of France is" --prompt "Write a haiku about the sea." --receipt "$scalar_receipt"
    .build/release/bitnet verify-receipt "$scalar_receipt"

    step "Hugging Face conversion: bitnet convert --from-hf vs llama.cpp's convert_hf_to_gguf.py, tensor for tensor"
    scripts/check-hf-convert.sh
fi

step "structured output from the CLI: bitnet run --grammar / --json-schema on SmolLM2, a malformed grammar refused"
colour=$(.build/release/bitnet run --model smollm2-135m-instruct --temp 0 -n 16 \
    --grammar 'root ::= "Colour: " ("red" | "green" | "blue")' "My favourite colour is" 2>/dev/null)
[[ "$colour" =~ ^Colour:\ (red|green|blue)$ ]] || { echo "grammar output '$colour' does not match" >&2; exit 1; }
person=$(.build/release/bitnet run --model smollm2-135m-instruct --temp 0 -n 60 --json-schema \
    '{"type":"object","properties":{"name":{"type":"string","maxLength":20},"born":{"type":"string","format":"date"}},"required":["name","born"]}' \
    "A famous scientist as JSON:" 2>/dev/null)
python3 -c 'import json, re, sys; d = json.loads(sys.argv[1]); assert list(d) == ["name", "born"] and re.fullmatch(r"\d{4}-\d\d-\d\d", d["born"]), d' "$person"
grammar_err=$(mktemp "${TMPDIR:-/tmp}/grammar-err.XXXXXX")
if .build/release/bitnet run --model smollm2-135m-instruct -n 4 --grammar 'root ::= "a' x 2>"$grammar_err" >/dev/null; then
    echo "a malformed grammar was accepted" >&2; exit 1
fi
grep -q "grammar line 1, column" "$grammar_err" || { cat "$grammar_err" >&2; exit 1; }
rm -f "$grammar_err"
echo "grammar: '$colour'; schema: $person" >&2

step "OpenAI Python client (PyPI openai, pinned) against bitnet serve"
scripts/openai-client-test.sh

step "versioned dependency: Examples/Chat builds against a tagged clone with no diagnostics and runs"
scripts/check-consumer.sh

step "documentation: the DocC archive of the Swift API builds with no warnings"
scripts/build-docs.sh

printf '\n[test.sh] finished in %ss\n' "$(( $(date +%s) - started ))" >&2
