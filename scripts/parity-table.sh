#!/usr/bin/env bash
# Regenerates the parity table in docs/parity.md: `bitnet crossval --json` on every synthetic weight type (tiny
# shape, fixed seed), the real SmolLM2 and (when cached) Gemma3, each with a short, a long (near the run's n_ctx)
# and a multilingual prompt — the same cases as Tests/CrossValTests/ParitySuiteTests.swift.
#
# Usage: scripts/parity-table.sh [--update]   (prints the table; --update rewrites it in docs/parity.md)
# Needs: the reference (scripts/setup-reference.sh), the vocab suite and models (scripts/test.sh fetches them).
set -euo pipefail
cd "$(dirname "$0")/.."

swift build -c release -Xswiftc -enable-testing --product bitnet >&2   # the test command's flags: no rebuild
bitnet=.build/release/bitnet
source scripts/lib/paths.sh
work=$(mktemp -d "${TMPDIR:-/tmp}/parity-table.XXXXXX")
trap 'rm -rf "$work"' EXIT

source scripts/lib/prompts.sh
parity_prompts "$work/tiny.json" 18   # tiny: n_ctx 512, 469 tokens + 16 steps
parity_prompts "$work/real.json" 10   # real models: --ctx 256

run() {  # run LABEL MODEL PROMPTS [extra crossval flags...]
    local label=$1 model=$2 file=$3
    shift 3
    echo "[parity-table] $label" >&2
    "$bitnet" crossval --model "$model" --prompts "$file" --steps 16 --threads 2 --json "$@" > "$work/$label.json" || true
}

for q in f32 f16 bf16 q8_0 q4_0 q4_1 q5_0 q4_k q6_k; do
    tiny=$(synthetic_path --quant "$q" --seed 20250601 --out "$work/tiny-$q.gguf")
    run "synthetic tiny $q" "$tiny" "$work/tiny.json"
done
smol=$(model_path smollm2-135m-instruct)
run "SmolLM2-135M-Instruct" "$smol" "$work/real.json" --ctx 256
gemma=$(model_path gemma3-270m || true)
[[ -n "$gemma" && -f "$gemma" ]] && run "Gemma-3-270M Q4_K_M" "$gemma" "$work/real.json" --ctx 256

table=$(python3 - "$work" <<'PY'
import glob, json, os, sys
rows = ["| model | weight type | prompts passed (short, long, multilingual) | min prefill cosine | threshold | greedy exact / steps (near-ties) | status |",
        "| --- | --- | --- | --- | --- | --- | --- |"]
order = lambda p: (not os.path.basename(p).startswith("synthetic"), os.path.getmtime(p))
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.json")), key=order):
    if path.endswith(("tiny.json", "real.json")): continue
    label = os.path.basename(path)[:-5]
    try: r = json.load(open(path))
    except ValueError: rows.append(f"| {label} | | | | | | no receipt (see stderr) |"); continue
    s = r["summary"]
    marks = ", ".join("✓" if p["status"] == "pass" else "✗ " + p.get("failed_rung", "?") for p in r["prompts"])
    cos = s.get("min_prefill_cosine")
    rows.append(f"| {label} | {r['model']['weight_type']} | {s['prompts_passed']}/{s['prompts']} ({marks}) | "
                f"{cos:.10f} | {r['thresholds']['prefill_cosine_min']} | {s['decode_exact']}/{s['decode_steps']} ({s['decode_near_ties']}) | {r['status']} |")
print("\n".join(rows))
PY
)
echo "$table"
if [[ "${1:-}" == "--update" ]]; then
    python3 - docs/parity.md "$table" <<'PY'
import sys
path, table = sys.argv[1], sys.argv[2]
text = open(path).read()
begin, end = "<!-- parity-table:begin -->", "<!-- parity-table:end -->"
head, rest = text.split(begin)
_, tail = rest.split(end)
open(path, "w").write(head + begin + "\n" + table + "\n" + end + tail)
PY
    echo "[parity-table] docs/parity.md updated" >&2
fi
