#!/usr/bin/env python3
"""Loopback load test for `bitnet serve` (issue 11).

Starts `bitnet serve` on 127.0.0.1 (a free port), runs CLIENTS concurrent streaming chat clients for SECONDS, then
prints requests, deliberate 503s, failures, total generated tokens/s, p50/p99 time-to-first-token and the server's
RSS before and after. Bounded: at most 64 clients, at most 300 s, loopback only; the server is stopped at the end.

    swift build -c release
    scripts/server-load.py [--clients 32] [--seconds 60] [--parallel 2] [--max-queue 16] [--threads 1] [--max-tokens 48]
                           [--no-cont-batching]

Exit status 1 when any request failed other than a deliberate 503 (queue full), or the server died.
"""
import argparse, http.client, json, os, signal, socket, statistics, subprocess, sys, threading, time

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None

def one_request(port, max_tokens, stats, lock):
    body = json.dumps({"messages": [{"role": "user", "content": "Tell me about the sea."}], "stream": True,
                       "max_tokens": max_tokens, "stream_options": {"include_usage": True}})
    start = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
        r = conn.getresponse()
        if r.status == 503:
            r.read()
            with lock: stats["rejected"] += 1
            time.sleep(float(r.getheader("Retry-After", "1")) / 4)
            return
        if r.status != 200:
            with lock: stats["failed"] += 1; stats["errors"].append(f"HTTP {r.status}: {r.read()[:200]!r}")
            return
        first, tokens, done = None, 0, False
        for raw in r:
            line = raw.decode().strip()
            if not line.startswith("data: "): continue
            data = line[6:]
            if data == "[DONE]": done = True; break
            chunk = json.loads(data)
            if "error" in chunk:
                with lock: stats["failed"] += 1; stats["errors"].append(data[:200])
                return
            choices = chunk.get("choices") or []
            if choices and choices[0].get("delta", {}).get("content") and first is None:
                first = time.monotonic() - start
            if chunk.get("usage"): tokens = chunk["usage"]["completion_tokens"]
        with lock:
            if not done: stats["failed"] += 1; stats["errors"].append("stream ended without [DONE]"); return
            stats["ok"] += 1; stats["tokens"] += tokens
            if first is not None: stats["ttft"].append(first)
    except Exception as e:  # a refused or reset connection is a failure
        with lock: stats["failed"] += 1; stats["errors"].append(repr(e))
    finally:
        conn.close()

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bitnet", default=".build/release/bitnet")
    ap.add_argument("--model", default=None)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--parallel", type=int, default=2)
    ap.add_argument("--max-queue", type=int, default=16)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--max-tokens", type=int, default=48)
    ap.add_argument("--no-cont-batching", action="store_true", help="one thread per slot instead of batched decode steps")
    a = ap.parse_args()
    if not (1 <= a.clients <= 64 and 0 < a.seconds <= 300):
        sys.exit("bounded: 1..64 clients, at most 300 s")
    port = free_port()
    cmd = [a.bitnet, "serve", "--host", "127.0.0.1", "--port", str(port), "--parallel", str(a.parallel),
           "--max-queue", str(a.max_queue), "--threads", str(a.threads), "--ctx", "512"]
    if a.model: cmd += ["--model", a.model]
    if a.no_cont_batching: cmd += ["--no-cont-batching"]
    server = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2); c.request("GET", "/health")
                if c.getresponse().status == 200: break
            except OSError: pass
            time.sleep(0.1)
        else:
            sys.exit("the server did not become healthy")
        # Warm-up: fill every slot's KV cache and page in the weights, so RSS is compared warm to warm.
        warm = {"ok": 0, "rejected": 0, "failed": 0, "tokens": 0, "ttft": [], "errors": []}
        ws = [threading.Thread(target=one_request, args=(port, a.max_tokens, warm, threading.Lock())) for _ in range(a.parallel)]
        for t in ws: t.start()
        for t in ws: t.join()
        rss_before = rss_kib(server.pid)
        stats = {"ok": 0, "rejected": 0, "failed": 0, "tokens": 0, "ttft": [], "errors": []}
        lock, end = threading.Lock(), time.monotonic() + a.seconds
        def client():
            while time.monotonic() < end and server.poll() is None:
                one_request(port, a.max_tokens, stats, lock)
        t0 = time.monotonic()
        threads = [threading.Thread(target=client) for _ in range(a.clients)]
        for t in threads: t.start()
        for t in threads: t.join()
        elapsed = time.monotonic() - t0
        time.sleep(1)
        rss_after = rss_kib(server.pid)
        alive = server.poll() is None
        ttft = sorted(stats["ttft"])
        q = lambda p: ttft[min(len(ttft) - 1, int(p * len(ttft)))] if ttft else float("nan")
        mode = "one thread per slot" if a.no_cont_batching or a.parallel == 1 else "continuous batching"
        print(f"clients {a.clients}, {elapsed:.1f} s, slots {a.parallel} ({mode}), queue {a.max_queue}, threads {a.threads}")
        print(f"requests ok {stats['ok']}, deliberate 503 {stats['rejected']}, failed {stats['failed']}, server alive {alive}")
        print(f"generated {stats['tokens']} tokens, {stats['tokens'] / elapsed:.1f} tokens/s total")
        print(f"time to first token: p50 {q(0.5) * 1000:.0f} ms, p99 {q(0.99) * 1000:.0f} ms")
        print(f"server RSS (after warm-up): {rss_before} KiB before, {rss_after} KiB after")
        for e in stats["errors"][:5]: print("error:", e)
        sys.exit(0 if stats["failed"] == 0 and alive else 1)
    finally:
        server.send_signal(signal.SIGTERM)
        try: server.wait(10)
        except subprocess.TimeoutExpired: server.kill()

if __name__ == "__main__":
    main()
