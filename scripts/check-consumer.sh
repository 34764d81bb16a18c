#!/usr/bin/env bash
# Checks that bitnet-swift works as a versioned SwiftPM dependency, as a user's project would take it: a throwaway
# package depending on a clone of this repository by version (a temporary tag, 99.0.0, in the clone only), built in
# release, generating a few greedy tokens on the default model. Fails on any SwiftPM diagnostic (`error:` or
# `warning:`), e.g. "contains unsafe build flags", which SwiftPM raises for versioned dependencies.
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

mkdir -p "$work/consumer/Sources/consumer"
cat > "$work/consumer/Package.swift" <<MANIFEST
// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "consumer",
    platforms: [.macOS(.v14)],
    dependencies: [.package(url: "file://$work/bitnet-swift", from: "99.0.0")],
    targets: [
        .executableTarget(name: "consumer", dependencies: [.product(name: "BitNetRuntime", package: "bitnet-swift")]),
    ]
)
MANIFEST
cat > "$work/consumer/Sources/consumer/main.swift" <<'SWIFT'
import BitNetRuntime

// A user's first program: load a model, continue a prompt greedily, print what came out.
let path = CommandLine.arguments[1]
let engine = try Engine(path: path)
let generator = Generator(session: engine.makeSession(), tokenizer: engine.tokenizer)
let prompt = engine.tokenizer.encode("The capital of France is")
let result = try generator.generate(prompt: prompt, maxTokens: 8, sampling: .greedy)
print("kernel level: \(engine.kernelLevel)")
print("tokens: \(result.tokens.count)")
print("text: \(result.text)")
if result.tokens.isEmpty { fatalError("no tokens generated") }
SWIFT

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
echo "check-consumer: consumer built in $(( $(date +%s) - started ))s" >&2
"$work/consumer/.build/release/consumer" "$model"
echo "check-consumer: passed" >&2
