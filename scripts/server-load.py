#!/usr/bin/env python3
"""Loopback load test for `bitnet serve` (issue 11).

Starts `bitnet serve` on 127.0.0.1 (a free port), runs CLIENTS concurrent streaming chat clients for SECONDS, then
prints requests, deliberate 503s, failures, total generated tokens/s, p50/p99 time-to-first-token and the server's
RSS before and after. Bounded: at most 64 clients, at most 300 s, loopback only; the server is stopped at the end.

With --llama-server PATH (built by scripts/setup-llama-server.sh), the same load then runs against llama.cpp's
llama-server on the same model file, slots (-np, continuous batching on), threads and per-slot context, and a
side-by-side table follows. Every request asks for exactly --max-tokens tokens (ignore_eos / an end-of-generation
token refused is not portable, so replies may end early; tokens/s counts what each server reports in usage).

    swift build -c release
    scripts/server-load.py [--clients 32] [--seconds 60] [--parallel 2] [--max-queue 16] [--threads 1] [--max-tokens 48]
                           [--no-cont-batching] [--model PATH] [--llama-server PATH]

Exit status 1 when any request failed other than a deliberate 503 (queue full), or a server died.
"""
import argparse, http.client, json, os, statistics, subprocess, sys, threading, time

from lib.serve import free_port, stop


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

def batching(port):
    """Mean sequences per batched decode step, from bitnet's /metrics (None for a server without those counters)."""
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5); c.request("GET", "/metrics")
        text = c.getresponse().read().decode()
    except OSError:
        return None
    found = {}
    for line in text.splitlines():
        for name in ("bitnet_batched_decode_steps_total", "bitnet_batched_decode_rows_total"):
            if line.startswith(name + " "): found[name] = float(line.split()[1])
    steps = found.get("bitnet_batched_decode_steps_total")
    return found["bitnet_batched_decode_rows_total"] / steps if steps else None

def run_load(name, cmd, port, a):
    """Starts one server, warms it up, runs the load, stops it; returns the figures."""
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(1200):
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2); c.request("GET", "/health")
                if c.getresponse().status == 200: break
            except OSError: pass
            if server.poll() is not None: sys.exit(f"{name} exited during start-up: {' '.join(cmd)}")
            time.sleep(0.1)
        else:
            sys.exit(f"{name} did not become healthy")
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
        stats["elapsed"] = time.monotonic() - t0
        stats["batching"] = batching(port)
        time.sleep(1)
        stats["rss"] = (rss_before, rss_kib(server.pid))
        stats["alive"] = server.poll() is None
        return stats
    finally:
        stop(server)

def report(name, stats):
    ttft = sorted(stats["ttft"])
    q = lambda p: ttft[min(len(ttft) - 1, int(p * len(ttft)))] if ttft else float("nan")
    stats["tps"] = stats["tokens"] / stats["elapsed"]
    stats["p50"], stats["p99"] = q(0.5) * 1000, q(0.99) * 1000
    print(f"[{name}] requests ok {stats['ok']}, deliberate 503 {stats['rejected']}, failed {stats['failed']}, "
          f"server alive {stats['alive']}")
    print(f"[{name}] generated {stats['tokens']} tokens, {stats['tps']:.1f} tokens/s total")
    print(f"[{name}] time to first token: p50 {stats['p50']:.0f} ms, p99 {stats['p99']:.0f} ms")
    if stats.get("batching"): print(f"[{name}] mean sequences per batched decode step: {stats['batching']:.2f}")
    print(f"[{name}] server RSS (after warm-up): {stats['rss'][0]} KiB before, {stats['rss'][1]} KiB after")
    for e in stats["errors"][:5]: print(f"[{name}] error:", e)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bitnet", default=".build/release/bitnet")
    ap.add_argument("--model", default=None, help="GGUF file (default: the bitnet default model from the cache)")
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--parallel", type=int, default=2)
    ap.add_argument("--max-queue", type=int, default=16)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--max-tokens", type=int, default=48)
    ap.add_argument("--no-cont-batching", action="store_true", help="one thread per slot instead of batched decode steps")
    ap.add_argument("--llama-server", default=None, help="also run the load against this llama-server binary")
    a = ap.parse_args()
    if not (1 <= a.clients <= 64 and 0 < a.seconds <= 300):
        sys.exit("bounded: 1..64 clients, at most 300 s")
    ctx = 512
    port = free_port()
    cmd = [a.bitnet, "serve", "--host", "127.0.0.1", "--port", str(port), "--parallel", str(a.parallel),
           "--max-queue", str(a.max_queue), "--threads", str(a.threads), "--ctx", str(ctx)]
    if a.model: cmd += ["--model", a.model]
    if a.no_cont_batching: cmd += ["--no-cont-batching"]
    mode = "one thread per slot" if a.no_cont_batching or a.parallel == 1 else "continuous batching"
    print(f"clients {a.clients}, {a.seconds:.0f} s, slots {a.parallel} ({mode}), queue {a.max_queue}, threads {a.threads}, "
          f"max_tokens {a.max_tokens}, ctx {ctx} per slot")
    results = {"bitnet": run_load("bitnet", cmd, port, a)}
    report("bitnet", results["bitnet"])
    if a.llama_server:
        model = a.model
        if model is None:
            listing = json.loads(subprocess.run([a.bitnet, "models", "--json"], check=True, capture_output=True).stdout)
            model = next(m["path"] for m in listing["models"] if m["name"] == "smollm2-135m-instruct" and m["cached"])
        port = free_port()
        # llama-server's -c is the whole KV cache, split among the -np slots.
        lcmd = [a.llama_server, "-m", model, "--host", "127.0.0.1", "--port", str(port), "-np", str(a.parallel), "-cb",
                "-t", str(a.threads), "-tb", str(a.threads), "-c", str(ctx * a.parallel), "--no-webui", "-lv", "0"]
        results["llama-server"] = run_load("llama-server", lcmd, port, a)
        report("llama-server", results["llama-server"])
        b, l = results["bitnet"], results["llama-server"]
        print(f"side by side: tokens/s bitnet {b['tps']:.1f} vs llama-server {l['tps']:.1f} "
              f"({b['tps'] / l['tps']:.2f}x); p99 TTFT {b['p99']:.0f} ms vs {l['p99']:.0f} ms")
    ok = all(r["failed"] == 0 and r["alive"] for r in results.values())
    sys.exit(0 if ok else 1)

if __name__ == "__main__":
    main()
