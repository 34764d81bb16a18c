#!/usr/bin/env bash
# Builds the GGUF parser with libFuzzer + AddressSanitizer and fuzzes it.
#   scripts/fuzz-gguf.sh [SECONDS]     (default 300)
# Seeds: small GGUF files written by the `gguf` PyPI package, plus the header of the real SmolLM2 model when cached.
# Crashes land in .fuzz/crashes/; the summary line "Done N runs in S second(s)" is the crash-free execution count.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-300}"
out=.fuzz
mkdir -p "$out/corpus" "$out/crashes"

echo "[fuzz-gguf] building fuzzer" >&2
swiftc -sanitize=fuzzer,address -parse-as-library -O -module-name GGUF \
    Sources/GGUF/*.swift Fuzz/GGUFFuzzTarget.swift -o "$out/gguf-fuzz"

if [[ -z "$(ls -A "$out/corpus")" ]]; then
    echo "[fuzz-gguf] writing seed corpus" >&2
    python3 -m pip show gguf >/dev/null 2>&1 || python3 -m pip install --quiet gguf==0.19.0
    python3 - "$out/corpus" <<'PY'
import sys
import numpy as np
from gguf import GGUFWriter, GGMLQuantizationType as T
out = sys.argv[1]
for i, (arch, types) in enumerate([("llama", [T.F32]), ("bitnet", [T.F16, T.F32]), ("gemma3", [T.F32, T.F16])]):
    w = GGUFWriter(f"{out}/seed{i}.gguf", arch)
    w.add_block_count(1); w.add_context_length(64); w.add_string("tokenizer.ggml.model", "llama")
    w.add_array("tokenizer.ggml.tokens", ["<s>", "a", "b"]); w.add_array("nested", [[1, 2], [3]])
    for j, t in enumerate(types):
        w.add_tensor(f"t{j}", np.arange(64, dtype=np.float32 if t == T.F32 else np.float16).reshape(2, 32))
    w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
PY
    model=""
    if [[ -x .build/release/bitnet ]]; then
        bitnet=.build/release/bitnet
        source scripts/lib/paths.sh
        model=$(model_path smollm2-135m-instruct --no-fetch 2>/dev/null || true)
    fi
    [[ -n "$model" && -f "$model" ]] && head -c 200000 "$model" > "$out/corpus/smollm2-head.gguf"
fi

echo "[fuzz-gguf] fuzzing for ${seconds}s" >&2
"$out/gguf-fuzz" "$out/corpus" -max_total_time="$seconds" -max_len=262144 -rss_limit_mb=4096 \
    -artifact_prefix="$out/crashes/" -print_final_stats=1 2>&1 | tee "$out/last-run.log" | grep -E "^#[0-9]+.*(NEW|pulse|DONE)|Done|ERROR|stat::" >&2
grep -q "ERROR: " "$out/last-run.log" && { echo "[fuzz-gguf] CRASH: see $out/crashes/" >&2; exit 1; }
echo "[fuzz-gguf] no crash" >&2
