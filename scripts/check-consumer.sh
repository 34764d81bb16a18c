#!/usr/bin/env bash
# Checks that bitnet-swift works as a versioned SwiftPM dependency, as a user's project would take it: the example
# program Examples/Chat, depending on a clone of this repository by version (a temporary tag, 99.0.0, in the clone
# only) through the `BitNet` product, built in release in Swift 6 language mode, then run on the default model: the
# synchronous API, a streamed chat reply, and a reply cancelled after 3 pieces. Fails on any SwiftPM or compiler
# diagnostic (`error:` or `warning:`), e.g. "contains unsafe build flags", which SwiftPM raises for versioned
# dependencies.
#   scripts/check-consumer.sh [MODEL.gguf]     (default: the lockfile's smollm2-135m-instruct, fetched if missing)
# Uses the committed HEAD (uncommitted changes are not in the clone). Build products stay in the temporary
# directory, which is removed at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
bitnet=.build/release/bitnet
source scripts/lib/paths.sh

model=${1:-}
if [[ -z "$model" ]]; then
    [[ -x "$bitnet" ]] || swift build -c release --product bitnet
    model=$(model_path smollm2-135m-instruct)
fi
[[ -f "$model" ]] || { echo "check-consumer: model not found: $model" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/bitnet-consumer.XXXXXX")
trap 'rm -rf "$work"' EXIT
git clone --quiet "$repo" "$work/bitnet-swift"
git -C "$work/bitnet-swift" tag 99.0.0
echo "check-consumer: bitnet-swift $(git -C "$work/bitnet-swift" rev-parse --short HEAD) tagged 99.0.0 in $work" >&2

# The example program (Examples/Chat), as a user's package takes it: its manifest's dependency pointed at the tagged
# clone by version (the only change), built in release in Swift 6 language mode.
cp -R "$work/bitnet-swift/Examples/Chat" "$work/consumer"
sed -i "s|.package(url: \"[^\"]*\", from: \"[^\"]*\")|.package(url: \"file://$work/bitnet-swift\", from: \"99.0.0\")|" \
    "$work/consumer/Package.swift"
grep -q "file://$work/bitnet-swift" "$work/consumer/Package.swift" || { echo "check-consumer: could not point Examples/Chat at the clone" >&2; exit 1; }

log="$work/build.log"
started=$(date +%s)
if ! (cd "$work/consumer" && swift build -c release 2>&1) | tee "$log" >&2; then
    echo "check-consumer: FAILED — the consumer package does not build (log above)" >&2
    exit 1
fi
if grep -E '(error|warning):' "$log" >&2; then
    echo "check-consumer: FAILED — SwiftPM printed the diagnostics above while building the consumer" >&2
    exit 1
fi
echo "check-consumer: Examples/Chat built in $(( $(date +%s) - started ))s" >&2
chat="$work/consumer/.build/release/Chat"

# The synchronous API (Engine + Generator), the async stream through ChatSession, and a cancelled reply.
"$chat" "$model" --sync "The capital of France is" | tee "$work/sync.txt"
grep -q '^tokens: [1-9]' "$work/sync.txt" || { echo "check-consumer: FAILED — the synchronous API generated nothing" >&2; exit 1; }
"$chat" "$model" "What is the capital of France?" | tee "$work/stream.txt"
[[ -n "$(tr -d '[:space:]' < "$work/stream.txt")" ]] || { echo "check-consumer: FAILED — no streamed reply" >&2; exit 1; }
"$chat" "$model" --cancel-after 3 "Tell me a long story about the sea." | tee "$work/cancel.txt"
grep -q '^\[cancelled after 3 pieces; the conversation keeps 1 messages\]' "$work/cancel.txt" \
    || { echo "check-consumer: FAILED — the cancelled reply did not stop after 3 pieces or changed the conversation" >&2; exit 1; }
echo "check-consumer: passed" >&2
