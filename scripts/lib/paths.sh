# Sourced by the scripts under scripts/: model paths read from the bitnet CLI's --json output, never from its text
# or from hard-coded cache layouts. Needs $bitnet (the CLI binary).

# json_field KEY: the value of KEY in the JSON object on stdin (one object, or the last line of NDJSON).
json_field() {
    python3 -c 'import json, sys
lines = [l for l in sys.stdin.read().splitlines() if l.strip()]
try:
    value = json.loads("\n".join(lines))
except ValueError:
    value = json.loads(lines[-1])
print(value[sys.argv[1]])' "$1"
}

# model_path NAME [--no-fetch]: the cached path of the lockfile model NAME, fetched (and verified) first when
# missing (with --no-fetch: fails instead).
model_path() {
    local name=$1 no_fetch=${2:-} path
    path=$("$bitnet" models --json | python3 -c 'import json, sys
for m in json.load(sys.stdin)["models"]:
    if m["name"] == sys.argv[1] and m.get("cached") and m.get("path"): print(m["path"]); break' "$name")
    if [[ -z "$path" && "$no_fetch" != --no-fetch ]]; then
        "$bitnet" fetch-models --name "$name" >&2
        path=$("$bitnet" models --json | python3 -c 'import json, sys
for m in json.load(sys.stdin)["models"]:
    if m["name"] == sys.argv[1] and m.get("cached") and m.get("path"): print(m["path"]); break' "$name")
    fi
    [[ -n "$path" ]] || { echo "model $name is neither cached nor fetchable (see bitnet fetch-models)" >&2; return 1; }
    echo "$path"
}

# synthetic_path MAKE-MODEL-ARGS...: the path of a synthetic model, made (or found in its cache) by make-model.
synthetic_path() {
    "$bitnet" make-model "$@" --json | json_field path
}
