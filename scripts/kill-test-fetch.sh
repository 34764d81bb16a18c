#!/usr/bin/env bash
# Kill test for the model fetcher: serves a random file from a throttled HTTP server on 127.0.0.1, kills
# `bitnet fetch-models` at random moments (SIGKILL or SIGTERM) ROUNDS times, letting each new run resume
# the .partial file, then runs it to completion. After every kill the cache must not hold a model.gguf whose
# SHA-256 is wrong; the final run must succeed and `--verify-only` must pass.
#
# Usage: scripts/kill-test-fetch.sh [ROUNDS]   (default 20). BITNET_BIN=/path/to/bitnet skips the build.
# Only loopback traffic; everything lives in a temporary directory removed at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-20}"
size_mib="${KILL_TEST_SIZE_MIB:-48}"
rate_mib="${KILL_TEST_RATE_MIB:-3}"

log() { printf '[kill-test] %s\n' "$*" >&2; }

bin="${BITNET_BIN:-}"
if [[ -z "$bin" ]]; then
    build=(swift build -c release -Xswiftc -enable-testing)
    "${build[@]}" --product bitnet >&2
    bin="$("${build[@]}" --show-bin-path)/bitnet"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/bitnet-kill-test.XXXXXX")
server_pid=""
cleanup() {
    [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

head -c $((size_mib << 20)) /dev/urandom > "$work/model.bin"
sha=$(sha256sum "$work/model.bin" | cut -d' ' -f1)
size=$(stat -c %s "$work/model.bin")

# A throttled HTTP/1.1 server with Range support; counts the body bytes it sends.
cat > "$work/server.py" <<'PY'
import http.server, os, sys, threading, time
path, rate, portfile, countfile = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
data = open(path, "rb").read()
lock = threading.Lock()
sent = [0]
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args): pass
    def do_GET(self):
        start = 0
        r = self.headers.get("Range")
        if r and r.startswith("bytes="):
            start = int(r[6:].split("-")[0])
        if start >= len(data):
            self.send_response(416); self.send_header("Content-Range", f"bytes */{len(data)}")
            self.send_header("Content-Length", "0"); self.end_headers(); return
        self.send_response(206 if start else 200)
        if start: self.send_header("Content-Range", f"bytes {start}-{len(data)-1}/{len(data)}")
        self.send_header("Content-Length", str(len(data) - start)); self.send_header("Connection", "close")
        self.end_headers()
        chunk = 64 << 10
        try:
            for off in range(start, len(data), chunk):
                piece = data[off:off + chunk]
                self.wfile.write(piece)
                with lock:
                    sent[0] += len(piece)
                    open(countfile, "w").write(str(sent[0]))
                time.sleep(len(piece) / rate)
        except (BrokenPipeError, ConnectionResetError):
            pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
open(portfile, "w").write(str(server.server_address[1]))
server.serve_forever()
PY
python3 "$work/server.py" "$work/model.bin" $((rate_mib << 20)) "$work/port" "$work/sent" &
server_pid=$!
for _ in $(seq 50); do [[ -s "$work/port" ]] && break; sleep 0.1; done
port=$(cat "$work/port")

cat > "$work/models.lock.json" <<JSON
{"schema_version": 1, "models": [{"name": "kill-test", "tier": "ci", "sha256": "$sha", "size_bytes": $size,
  "license": "none", "description": "random bytes for the kill test",
  "sources": [{"url": "http://127.0.0.1:$port/model.gguf"}]}]}
JSON
export BITNET_MODEL_CACHE_DIR="$work/cache"
dest="$work/cache/$sha/model.gguf"
fetch=("$bin" fetch-models --lockfile "$work/models.lock.json" --name kill-test)

check_cache() {
    if [[ -f "$dest" ]]; then
        got=$(sha256sum "$dest" | cut -d' ' -f1)
        if [[ "$got" != "$sha" ]]; then
            log "FAIL: the cache holds model.gguf with sha256 $got, expected $sha (after $1)"
            exit 1
        fi
    fi
}

log "file: $size bytes, sha256 $sha; server on 127.0.0.1:$port at $rate_mib MiB/s; $rounds kills"
# (Not SIGINT: a non-interactive shell starts background jobs with SIGINT ignored.)
signals=(KILL TERM)
for round in $(seq "$rounds"); do
    "${fetch[@]}" >/dev/null 2>"$work/round.log" &
    pid=$!
    delay=$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.05 + (r % 1000) / 1000 * 0.95 }')
    sig=${signals[$((RANDOM % 2))]}
    sleep "$delay"
    kill -s "$sig" "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null && status=0 || status=$?
    partial=$(stat -c %s "$dest.partial" 2>/dev/null || echo 0)
    state=$([[ -f "$dest" ]] && echo "model.gguf present" || echo "partial $partial bytes")
    log "round $round: SIG$sig after ${delay}s (exit $status): $state"
    check_cache "round $round"
done

log "final run (no kill)"
"${fetch[@]}" 2>&1 | tail -n 3 >&2
check_cache "the final run"
[[ -f "$dest" ]] || { log "FAIL: the final run left no model.gguf"; exit 1; }
"$bin" fetch-models --lockfile "$work/models.lock.json" --name kill-test --verify-only 2>&1 | tail -n 1 >&2
sent=$(cat "$work/sent" 2>/dev/null || echo 0)
log "PASS: $rounds kills, cache never held a bad model.gguf; server sent $sent body bytes for a $size-byte file" \
    "($(awk -v s="$sent" -v n="$size" 'BEGIN { printf "%.1f", 100 * (s - n) / n }') % sent more than once)"
