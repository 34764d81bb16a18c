#!/usr/bin/env bash
# The tolerance tier: how far llama.cpp's own x86-64-v3 and native builds are from each other, and how far our
# engine is from each, on the parity models and prompts (those of scripts/parity-table.sh: synthetic tiny models of
# every weight type, SmolLM2, and Gemma3 when cached; a short, a long and a multilingual prompt; 16 greedy steps).
#
# Each side runs in its own process (`bitnet logits`: two llama.cpp builds cannot share one, their sonames
# collide) and `bitnet logit-distance --json` compares the dumps. Per model, the engine passes when
#   - it is identical to the reference level of its own kernel routes (the exact tier: today x86-64-v3), and
#   - its distance to `native` is within MARGIN (2) times llama.cpp's own v3<->native distance, in each of
#     1 - min cosine, max |delta logit|, top-1 disagreements and greedy tokens lost.
# On a host where both builds take the same routes (AVX2 only), v3<->native is 0 and both tiers are exact.
#
# Usage: scripts/parity-levels.sh [--update] [--check]
#   --update   rewrite the table between the parity-levels markers in docs/parity.md
#   --check    exit 1 when a model fails (the test command runs this)
# Needs: both reference levels (scripts/setup-reference.sh --level all) and the test models (scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

update=0 check=0
for arg in "$@"; do
    case "$arg" in
        --update) update=1 ;;
        --check) check=1 ;;
        *) echo "usage: scripts/parity-levels.sh [--update] [--check]" >&2; exit 2 ;;
    esac
done
margin=2

swift build -c release -Xswiftc -enable-testing --product bitnet >&2   # the test command's flags: no rebuild
bitnet=.build/release/bitnet
source scripts/lib/paths.sh
work=$(mktemp -d "${TMPDIR:-/tmp}/parity-levels.XXXXXX")
trap 'rm -rf "$work"' EXIT
log() { printf '[parity-levels] %s\n' "$*" >&2; }

source scripts/lib/prompts.sh
parity_prompts "$work/tiny.json" 18   # tiny: n_ctx 512, 469 tokens + 16 steps
parity_prompts "$work/real.json" 10   # real models: --ctx 256

"$bitnet" preflight --json > "$work/preflight.json" || true   # exit 1 = something to fix; the JSON is still whole
kernel_level=$(json_field kernelLevel < "$work/preflight.json")
exact=$(json_field exactReferenceLevel < "$work/preflight.json")
log "engine kernel level $kernel_level; its exact reference level $exact"

cases=()
run() {  # run LABEL MODEL PROMPTS CTX
    local label=$1 model=$2 file=$3 ctx=$4 slug
    slug=$(tr -c 'A-Za-z0-9_\n-' '_' <<<"$label")
    log "$label"
    "$bitnet" logits --model "$model" --prompts "$file" --steps 16 --ctx "$ctx" --threads 2 --out "$work/$slug.engine" >&2
    "$bitnet" logits --model "$model" --prompts "$file" --steps 16 --ctx "$ctx" --reference v3 --out "$work/$slug.v3" >&2
    "$bitnet" logits --model "$model" --prompts "$file" --steps 16 --ctx "$ctx" --reference native --out "$work/$slug.native" >&2
    "$bitnet" logit-distance --json "$work/$slug.v3" "$work/$slug.native" > "$work/$slug.v3-native.json"
    "$bitnet" logit-distance --json "$work/$slug.engine" "$work/$slug.v3" > "$work/$slug.engine-v3.json"
    "$bitnet" logit-distance --json "$work/$slug.engine" "$work/$slug.native" > "$work/$slug.engine-native.json"
    rm -f "$work/$slug".{engine,v3,native}{,.f32}
    cases+=("$label|$slug")
}

for q in f32 f16 bf16 q8_0 q4_0 q4_1 q5_0 q4_k q6_k; do
    tiny=$(synthetic_path --quant "$q" --seed 20250601 --out "$work/tiny-$q.gguf")
    run "synthetic tiny $q" "$tiny" "$work/tiny.json" 512
    rm -f "$work/tiny-$q.gguf"
done
smol=$(model_path smollm2-135m-instruct)
run "SmolLM2-135M-Instruct Q4_1" "$smol" "$work/real.json" 256
gemma=$(model_path gemma3-270m --no-fetch 2>/dev/null || true)
if [[ -n "$gemma" ]]; then run "Gemma-3-270M Q4_K_M" "$gemma" "$work/real.json" 256; else log "Gemma3 not cached: skipped (scripts/fetch-test-models.sh gemma3)"; fi

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || uname -m)
flags=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|avx512[a-z0-9_]*|avx_vnni|amx[a-z0-9_]*)$' | sort -u | tr '\n' ' ' || true)
native_info=$(python3 -c 'import json, sys
for l in json.load(sys.stdin).get("levels", []):
    if l.get("level") == "native": print(l.get("systemInfo") or ""); break' < "$work/preflight.json")

set +e
result=$(python3 - "$work" "$margin" "$exact" "$cpu" "$flags" "$native_info" "$(git rev-parse --short HEAD)" "${cases[@]}" <<'PY'
import json, os, sys
work, margin, exact, cpu, flags, native_info, commit = sys.argv[1:8]
margin = float(margin)
def load(slug, pair): return json.load(open(os.path.join(work, f"{slug}.{pair}.json")))
def cell(d):
    return (f"{1 - d['min_cosine']:.2e} / {d['max_abs_diff']:.3g} / {d['top1_disagreements']}/{d['positions']} / "
            f"{d['greedy_tokens_lost']}/{d['steps']}")
rows = [f"| model | v3 ↔ native | engine ↔ {exact} | engine ↔ native | verdict |", "| --- | --- | --- | --- | --- |"]
passed = failed = 0
for case in sys.argv[8:]:
    label, slug = case.split("|")
    vn, ev, en = load(slug, "v3-native"), load(slug, "engine-v3"), load(slug, "engine-native")
    exact_pair = ev if exact == "x86-64-v3" else en
    problems = []
    if not exact_pair["identical"]: problems.append(f"not identical to {exact}")
    for key, name in (("min_cosine", "1 - cosine"), ("max_abs_diff", "max |Δ|"),
                      ("top1_disagreements", "top-1"), ("greedy_tokens_lost", "greedy lost")):
        a = 1 - en[key] if key == "min_cosine" else en[key]
        b = 1 - vn[key] if key == "min_cosine" else vn[key]
        if a > margin * b: problems.append(f"{name} {a:.3g} > {margin:g} × {b:.3g}")
    verdict = "pass" if not problems else "FAIL: " + "; ".join(problems)
    passed, failed = (passed + 1, failed) if not problems else (passed, failed + 1)
    rows.append(f"| {label} | {cell(vn)}{' (identical)' if vn['identical'] else ''} | {cell(ev)}"
                f"{' (identical)' if ev['identical'] else ''} | {cell(en)}{' (identical)' if en['identical'] else ''} | {verdict} |")
head = [f"Generated by `scripts/parity-levels.sh --update` at {commit} on {cpu} (flags: {flags.strip() or 'none of avx2/avx512*/avx_vnni/amx'};",
        f"native build: `{native_info.strip() or '?'}`). Each cell: 1 − min cosine / max |Δlogit| / positions whose",
        "top-1 differs / greedy tokens lost after the first divergence, over the short, long and multilingual prompts.",
        ""]
print("\n".join(head + rows))
print(f"{passed} passed, {failed} failed", file=sys.stderr)
sys.exit(1 if failed else 0)
PY
)
status=$?
set -e
echo "$result"
if (( update )); then
    python3 - docs/parity.md "$result" <<'PY'
import sys
path, table = sys.argv[1], sys.argv[2]
text = open(path).read()
begin, end = "<!-- parity-levels:begin -->", "<!-- parity-levels:end -->"
if begin not in text: sys.exit(f"{path} has no {begin} marker")
head, rest = text.split(begin)
_, tail = rest.split(end)
open(path, "w").write(head + begin + "\n" + table + "\n" + end + tail)
PY
    log "docs/parity.md updated"
fi
if (( check && status != 0 )); then log "failed (see the table)"; exit 1; fi
exit 0
