#!/usr/bin/env bash
# Times tokenizing 1 MB of mixed text (English, code, eight scripts, emoji, digits, whitespace runs) with
# `bitnet tokenize --bench` and, when the pinned reference is installed, with llama.cpp's llama-tokenize on the
# same file (its model-load time, measured on a one-byte file, is subtracted). Prints both and the ratio.
#
# Usage: scripts/bench-tokenizer.sh [MODEL.gguf]   (default: the cached SmolLM2-135M-Instruct Q4_1)
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${BITNET_CACHE_DIR:-$HOME/.cache/bitnet-swift}"
swift build -c release --product bitnet >/dev/null
bitnet=.build/release/bitnet
source scripts/lib/paths.sh
MODEL="${1:-${BITNET_TEST_MODEL:-$(model_path smollm2-135m-instruct)}}"
[[ -f "$MODEL" ]] || { echo "model not found: $MODEL (run scripts/fetch-test-models.sh smollm2)" >&2; exit 1; }
TEXT="$CACHE/bench/tokenizer-mixed-1mb.txt"
mkdir -p "$(dirname "$TEXT")"

python3 - "$TEXT" <<'PY'
import random, sys
rng = random.Random(20261123)
words = "the of and to in is that for it with as was on be by this are from at or an which have not but were we they all their has one there can more been if would so will what about when who out up into some than them its only other new could time these two may then do first any my now such like our over man me even most made after also did many before must through back years where much your way well down should because each just those people how too little state good very make world still own see men work long get here between both life being under never day same another know while last might us great old year off come since against go came right used take three".split()
code = ["def f(x):\n    return x * 2\n", "for (int i = 0; i < n; ++i) { sum += a[i]; }\n", "let s = \"Hello, \\(name)!\"\n",
        "SELECT id, name FROM users WHERE age >= 21;\n", "#include <stdio.h>\n", "if err != nil { return err }\n",
        "    // TODO: handle the edge case\n", "const x = arr.map((v) => v ** 2);\n"]
scripts = ["Съединените щати са федерална република.", "Η γλώσσα είναι όμορφη.", "人工智能正在改变世界。",
           "東京は日本の首都です。", "한국어는 아름다운 언어입니다.", "اللغة العربية جميلة جدا.", "हिन्दी एक सुंदर भाषा है।",
           "ภาษาไทยเป็นภาษาที่สวยงาม", "Tiếng Việt rất phong phú.", "Straße, Äpfel, naïve café."]
emoji = ["🦙", "🚀", "👍🏽", "👨‍👩‍👧‍👦", "🇫🇷", "❤️", "☕", "😀"]
out, size = [], 0
while size < 1_000_000:
    r = rng.random()
    if r < 0.55: piece = " ".join(rng.choice(words) for _ in range(rng.randint(5, 30))).capitalize() + rng.choice([". ", "! ", "? ", ", ", ".\n", ".\n\n"])
    elif r < 0.70: piece = rng.choice(code)
    elif r < 0.85: piece = rng.choice(scripts) + " "
    elif r < 0.90: piece = rng.choice(emoji) + " "
    elif r < 0.95: piece = str(rng.randint(0, 10**rng.randint(1, 12))) + rng.choice([" ", ", ", ".5 "])
    else: piece = rng.choice(["    ", "\t", "\n", "\r\n", "  \n  ", " " * 12]) + rng.choice(words) + " "
    out.append(piece); size += len(piece.encode())
data = "".join(out).encode()[:1_000_000]
data = data.decode("utf-8", "ignore").encode()
open(sys.argv[1], "wb").write(data)
PY
printf 'x' > "$TEXT.tiny"
echo "text: $TEXT ($(wc -c < "$TEXT") bytes)"

echo "bitnet tokenize --bench (release):"
OURS_LINE="$("$bitnet" tokenize --model "$MODEL" --file "$TEXT" --bench --no-bos --repeat 5)"
echo "  $OURS_LINE"
OURS_MS="$(sed -n 's/.*runs \([0-9.]*\) ms.*/\1/p' <<<"$OURS_LINE")"

LT="$(ls "$CACHE"/reference/*/bin/llama-tokenize 2>/dev/null | head -1 || true)"
if [[ -z "$LT" ]]; then
    echo "llama-tokenize not installed (scripts/setup-reference.sh); no reference timing"
    exit 0
fi
best_ms() {  # best wall time of 5 runs, in ms
    local best=999999999 s e t
    for _ in 1 2 3 4 5; do
        s=$(date +%s%N); "$LT" -m "$MODEL" -f "$1" --no-bos --show-count --log-disable >/dev/null 2>&1; e=$(date +%s%N)
        t=$(( (e - s) / 1000 )); (( t < best )) && best=$t
    done
    echo "$best"
}
FULL_US="$(best_ms "$TEXT")"
LOAD_US="$(best_ms "$TEXT.tiny")"
REF_MS="$(awk -v f="$FULL_US" -v l="$LOAD_US" 'BEGIN { printf "%.2f", (f - l) / 1000 }')"
echo "llama-tokenize ($LT): best of 5 $(awk -v f="$FULL_US" 'BEGIN{printf "%.2f", f/1000}') ms wall, minus load $(awk -v l="$LOAD_US" 'BEGIN{printf "%.2f", l/1000}') ms = $REF_MS ms tokenizing"
awk -v o="$OURS_MS" -v r="$REF_MS" 'BEGIN { printf "ratio llama.cpp / bitnet = %.2fx (higher means bitnet is faster)\n", r / o }'
