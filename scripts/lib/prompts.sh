# Sourced by scripts/parity-table.sh and scripts/parity-levels.sh: the parity prompts (those of
# Tests/CrossValTests/ParitySuiteTests.swift) — a short, a long and a multilingual one.

# parity_prompts FILE REPEATS: writes them as a JSON array; the long prompt repeats one sentence REPEATS times.
parity_prompts() {
    python3 - "$1" "$2" <<'PY'
import json, sys
sentence = "The history of the city began with a small settlement on the river, where traders exchanged grain, salt and cloth."
json.dump(["The capital of France is", " ".join([sentence] * int(sys.argv[2])),
           "Le château de Versailles est situé à l'ouest de Paris. 東京は日本の首都です。 Москва — столица России."],
          open(sys.argv[1], "w"), ensure_ascii=False)
PY
}
