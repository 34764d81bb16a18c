#!/usr/bin/env bash
# `bitnet convert --from-hf` against llama.cpp's own converter (convert_hf_to_gguf.py from the pinned source):
# synthetic Hugging Face checkpoints (scripts/make-hf-checkpoint.py: random weights, tokenizers rebuilt from
# llama.cpp's vocab files) are converted by both, and the two GGUF files must hold the same tensors byte for byte
# and the same metadata (scripts/lib/compare_gguf.py). Then a BitNet b1.58 2B-4T-layout checkpoint (ReLU², bf16
# master weights) is converted to bitnet-25 I2_S and generates with `bitnet run`, and so does the released packed layout.
#
# The reference converter needs torch, transformers, sentencepiece, safetensors and numpy (PyPI; torch's Linux
# wheel brings its CUDA libraries, ~5 GB) in a virtualenv cached under
#   ${BITNET_CACHE_DIR:-~/.cache/bitnet-swift}/venv/convert-<hash of the pins>
# Needs the reference source (scripts/setup-reference.sh), the vocab files (scripts/fetch-vocab-suite.sh) and the
# built CLI (.build/release/bitnet). The test command runs this.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${BITNET_CACHE_DIR:-$HOME/.cache/bitnet-swift}"
bitnet="${BITNET_BIN:-.build/release/bitnet}"
log() { printf '[check-hf-convert] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

PINS="torch==2.15.0 transformers==4.57.6 sentencepiece==0.2.3 protobuf==4.25.9 safetensors==0.8.0 numpy==2.2.6"
venv="$CACHE/venv/convert-$(printf '%s' "$PINS" | sha256sum | cut -c1-12)"
commit="$(sed -n 's/^readonly PINNED_COMMIT="\(.*\)"/\1/p' scripts/setup-reference.sh)"
[[ -n "$commit" ]] || die "could not read PINNED_COMMIT from scripts/setup-reference.sh"
src=""
for level in x86-64-v3 native; do
    info="$CACHE/reference/$commit-$level/reference.json"
    [[ -f "$info" ]] && src="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["source_path"])' "$info")" && break
done
[[ -f "$src/convert_hf_to_gguf.py" ]] || die "no pinned llama.cpp source with convert_hf_to_gguf.py (run scripts/setup-reference.sh)"
vocab_dir="${BITNET_VOCAB_DIR:-$CACHE/vocab/$commit}"
[[ -f "$vocab_dir/ggml-vocab-llama-bpe.gguf" ]] || die "no vocab files in $vocab_dir (run scripts/fetch-vocab-suite.sh)"
[[ -x "$bitnet" ]] || die "no CLI at $bitnet (swift build -c release first)"

if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c "import torch, transformers, safetensors" 2>/dev/null; then
    log "creating $venv ($PINS from PyPI; about 5 GB with torch's CUDA libraries, a minute or two)"
    rm -rf "$venv.partial"
    python3 -m venv "$venv.partial"
    # shellcheck disable=SC2086
    "$venv.partial/bin/pip" install --quiet --disable-pip-version-check $PINS
    rm -rf "$venv"
    mv "$venv.partial" "$venv"
    python3 -m venv --upgrade "$venv" >/dev/null
fi
py() { PYTHONPATH="$src/gguf-py:$src" "$venv/bin/python" "$@"; }

work="$(mktemp -d "${TMPDIR:-/tmp}/hf-convert.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# name arch vocab dtype extra-flags outtypes
cases=(
    "llama llama llama-bpe bf16 - f32,f16,bf16,q8_0"
    "llama31 llama llama-bpe bf16 --rope-llama3 f16"
    "llama2 llama llama-spm bf16 - f16"
    "phi3 phi3 phi-3 bf16 --longrope f16,q8_0"
    "qwen2 qwen2 qwen2 bf16 --shards=2 bf16,q8_0"
    "qwen3 qwen3 qwen2 f16 --tied f16,q8_0"
    "bitnet bitnet llama-bpe bf16 --tied f32,tq2_0,tq1_0"
    "falcon3 llama llama-bpe bf16 --packed-ternary bf16,tq2_0,tq1_0"
    "ministral3 ministral3 llama-bpe bf16 - bf16,q8_0"
    "smollm3 smollm3 llama-bpe bf16 --tied f16"
    "granite granite llama-bpe bf16 - f16"
    "gemma3 gemma3 llama-spm bf16 --tied f16,q8_0"
    "gemma3-f16 gemma3 llama-spm f16 --tied f32"
)
jobs=()
for c in "${cases[@]}"; do
    read -r name arch vocab dtype extra outtypes <<<"$c"
    flags=(); [[ "$extra" != - ]] && flags=("${extra/=/ }")
    # shellcheck disable=SC2068
    py scripts/make-hf-checkpoint.py --arch "$arch" --vocab "$vocab_dir/ggml-vocab-$vocab.gguf" --dtype "$dtype" \
        --seed 3 --out "$work/$name" ${flags[@]} >&2
    for t in ${outtypes//,/ }; do jobs+=("$work/$name:$t:$work/$name-ref-$t.gguf"); done
done
log "llama.cpp's convert_hf_to_gguf.py: ${#jobs[@]} conversions"
py scripts/lib/hf_reference.py "${jobs[@]}" >"$work/reference.log" 2>&1 \
    || { tail -n 30 "$work/reference.log" >&2; die "the reference converter failed (log above)"; }

failed=0 compared=0
for job in "${jobs[@]}"; do
    IFS=: read -r dir t ref <<<"$job"
    ours="${ref/-ref-/-ours-}"
    arch_flag=()
    [[ "$(basename "$dir")" == bitnet ]] && arch_flag=(--arch bitnet)
    "$bitnet" convert --from-hf "$dir" --to "$t" "${arch_flag[@]}" "$ours" >&2
    if py scripts/lib/compare_gguf.py "$ours" "$ref"; then compared=$((compared + 1)); else failed=$((failed + 1)); fi
    # the files run against llama.cpp below are kept
    case "$(basename "$ours")" in
        phi3-ours-f16.gguf | ministral3-ours-q8_0.gguf | gemma3-ours-q8_0.gguf)
            mv "$ours" "$work/$(basename "$ours" | cut -d- -f1)-converted.gguf" ;;
    esac
    rm -f "$ours" "$ref"
done
[[ $failed -eq 0 ]] || die "$failed of ${#jobs[@]} conversions differ from llama.cpp's"
log "$compared/${#jobs[@]} conversions identical to llama.cpp's (tensors byte for byte, metadata key for key)"

# crossval_converted NAME STEPS PROMPT WHAT: the converted NAME file against llama.cpp (must pass).
crossval_converted() {
    log "the converted $4 file against llama.cpp: bitnet crossval"
    "$bitnet" crossval --model "$work/$1-converted.gguf" --steps "$2" --threads 2 --prompt "$3" >"$work/crossval.txt" 2>&1 \
        || { tail -n 20 "$work/crossval.txt" >&2; die "crossval of the converted $1 file failed"; }
    tail -n 3 "$work/crossval.txt" >&2
}
long_prompt="The capital of France is Paris, and the capital of Germany is Berlin; the capital of Italy is"
crossval_converted phi3 8 "The capital of France is" "Phi-3 (LongRoPE)"
crossval_converted ministral3 24 "$long_prompt" \
    "Ministral 3 (mistral3: YaRN x16 with its log multiplier, attention temperature over buckets of 16 positions)"
crossval_converted gemma3 16 "$long_prompt" "Gemma 3 (norms stored as w - 1, sliding window 8)"

# bitnet25_converts_and_runs DIR SEED [--packed-ternary]: a BitNet b1.58 2B-4T-layout checkpoint -> bitnet-25 I2_S
# (14 ternary matrices), then 8 tokens with bitnet run.
bitnet25_converts_and_runs() {
    local dir="$work/$1"
    py scripts/make-hf-checkpoint.py --arch bitnet-2b4t --vocab "$vocab_dir/ggml-vocab-llama-bpe.gguf" --seed "$2" \
        --tied "${@:3}" --out "$dir" >&2
    "$bitnet" convert --from-hf "$dir" --to i2_s --json "$dir.gguf" | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert s["architecture"] == "bitnet-25" and s["tensors_by_type"].get("i2_s") == 14, s
print("[check-hf-convert] convert --json:", s)' >&2
    "$bitnet" inspect "$dir.gguf" --json | python3 -c '
import json, sys
m = json.load(sys.stdin)
arch = m.get("architecture") or m.get("metadata", {}).get("general.architecture")
assert arch == "bitnet-25", f"architecture {arch!r}, expected bitnet-25"
print("[check-hf-convert] inspect: bitnet-25")' >&2
    "$bitnet" run --model "$dir.gguf" -n 8 --temp 0 --threads 2 "Hello" >"$work/run.txt" 2>"$work/run.err" \
        || { cat "$work/run.err" >&2; die "bitnet run failed on the converted $1 file"; }
    grep -q 'generated 8 tokens\|8 tokens' "$work/run.err" \
        || { cat "$work/run.err" >&2; die "bitnet run did not generate 8 tokens from $1"; }
    log "bitnet run on the converted $1 file: 8 tokens"
}
log "BitNet b1.58 2B-4T layout (ReLU², bf16 master weights) -> bitnet-25 I2_S, then bitnet run"
bitnet25_converts_and_runs b2b4t 5
log "BitNet b1.58 2B-4T's released layout (packed ternary U8 + weight_scale) -> bitnet-25 I2_S, then bitnet run"
bitnet25_converts_and_runs b2b4t-packed 6 --packed-ternary
