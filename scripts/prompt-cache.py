#!/usr/bin/env python3
"""Prompt-cache check for `bitnet serve` (issue "Serving at scale"): time to first token of two chat requests that
share a long system prompt (about 500 tokens), then of a third with `cache_prompt: false`.

Starts `bitnet serve` on a free loopback port, sends the requests one after the other (streaming, temperature 0,
4 tokens), prints each one's time to first token and cached prompt tokens, and the ratio second / first.

    swift build -c release
    scripts/prompt-cache.py [--model NAME|FILE] [--threads 2] [--parallel 1]

Exit status 1 when a request fails or the second request reused no tokens.
"""
import argparse, http.client, json, subprocess, sys, time

from lib.serve import free_port, stop

SENTENCE = ("The river delta supports farms, fisheries and towns, and its channels shift with every flood season, "
            "so maps drawn a decade apart rarely agree on where the main stream runs. ")


def ask(port, system, question, cache):
    body = json.dumps({"messages": [{"role": "system", "content": system}, {"role": "user", "content": question}],
                       "temperature": 0, "max_tokens": 4, "stream": True, "cache_prompt": cache,
                       "stream_options": {"include_usage": True}})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    start = time.monotonic()
    conn.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
    r = conn.getresponse()
    if r.status != 200:
        sys.exit(f"HTTP {r.status}: {r.read()[:300]!r}")
    first, usage = None, None
    for raw in r:
        line = raw.decode().strip()
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        chunk = json.loads(line[6:])
        choices = chunk.get("choices") or []
        if first is None and choices and choices[0].get("delta", {}).get("content"):
            first = time.monotonic() - start
        if chunk.get("usage"):
            usage = chunk["usage"]
    conn.close()
    return first, usage

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bitnet", default=".build/release/bitnet")
    ap.add_argument("--model", default=None)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--parallel", type=int, default=1)
    ap.add_argument("--sentences", type=int, default=13, help="system prompt length (13 ≈ 500 tokens for SmolLM2)")
    a = ap.parse_args()
    port = free_port()
    cmd = [a.bitnet, "serve", "--host", "127.0.0.1", "--port", str(port), "--threads", str(a.threads),
           "--parallel", str(a.parallel), "--ctx", "1024"]
    if a.model:
        cmd += ["--model", a.model]
    server = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                c.request("GET", "/health")
                if c.getresponse().status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        else:
            sys.exit("the server did not become healthy")
        system = SENTENCE * a.sentences
        runs = [("first", "Where do the farms get water?", True), ("second", "What do the fisheries catch?", True),
                ("no cache", "Why do the maps disagree?", False)]
        results = {}
        for label, question, cache in runs:
            ttft, usage = ask(port, system, question, cache)
            cached = (usage or {}).get("prompt_tokens_details", {}).get("cached_tokens")
            print(f"{label:9s} time to first token {ttft * 1000:8.1f} ms, prompt {usage['prompt_tokens']} tokens, "
                  f"cached {cached}")
            results[label] = (ttft, cached)
        ratio = results["second"][0] / results["first"][0]
        print(f"second / first time to first token: {ratio:.3f}")
        sys.exit(0 if results["second"][1] else 1)
    finally:
        stop(server)

if __name__ == "__main__":
    main()
