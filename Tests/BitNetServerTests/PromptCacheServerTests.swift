import BitNetRuntime
import BitNetServer
import Foundation
import Testing
import TestSupport

/// The prompt cache: a request sharing a prefix with a slot's cached tokens reuses them (reported as
/// `usage.prompt_tokens_details.cached_tokens`, counted in `/slots` and `/metrics`), unless `cache_prompt` is false.
@Suite(.serialized) struct PromptCacheServerTests {
    static let system = Array(repeating: "You answer questions about geography in one short sentence, without lists.", count: 6)
        .joined(separator: " ")

    static func chat(_ question: String, cache: Bool = true) -> [String: Any] {
        ["messages": [["role": "system", "content": system], ["role": "user", "content": question]],
         "temperature": 0, "max_tokens": 4, "cache_prompt": cache]
    }

    static func cachedTokens(_ reply: LoopbackHTTPClient.Reply) throws -> Int {
        let usage = try (try reply.json()["usage"] as? [String: Any]).unwrap("usage")
        return try ((usage["prompt_tokens_details"] as? [String: Any])?["cached_tokens"] as? Int).unwrap("cached_tokens")
    }

    @Test(arguments: [1, 2])
    func aSharedSystemPromptIsEvaluatedOnce(parallel: Int) async throws {
        try await ServerHarness.withServer(ServerHarness.configuration(parallel: parallel)) { client, server in
            let first = try await client.post("/v1/chat/completions", json: Self.chat("What is the capital of France?"))
            #expect(first.status == 200)
            #expect(try Self.cachedTokens(first) == 0)
            let second = try await client.post("/v1/chat/completions", json: Self.chat("What is the capital of Italy?"))
            let promptTokens = try ((try second.json()["usage"] as? [String: Any])?["prompt_tokens"] as? Int).unwrap("prompt_tokens")
            let cached = try Self.cachedTokens(second)
            // Everything up to the question is shared (the system turn alone is over 80 tokens).
            #expect(cached > 80 && cached < promptTokens, "\(cached) of \(promptTokens) prompt tokens reused")
            let off = try await client.post("/v1/chat/completions", json: Self.chat("What is the capital of Spain?", cache: false))
            #expect(try Self.cachedTokens(off) == 0)

            try await ServerHarness.waitUntil("the slots are idle") { server.busySlots == 0 }
            let slots = try await client.send("GET", "/slots")
            #expect(slots.status == 200)
            let entries = try (JSONSerialization.jsonObject(with: Data(slots.text.utf8)) as? [[String: Any]]).unwrap("array")
            #expect(entries.count == parallel)
            #expect(entries.reduce(0) { $0 + ($1["requests"] as? Int ?? 0) } == 3)
            #expect(entries.reduce(0) { $0 + ($1["cache_hits"] as? Int ?? 0) } == 1)
            #expect(entries.reduce(0) { $0 + ($1["reused_tokens"] as? Int ?? 0) } == cached)
            #expect(entries.allSatisfy { $0["state"] as? String == "idle" && $0["n_ctx"] as? Int == 512 })

            let metrics = try await client.send("GET", "/metrics").text
            #expect(metrics.contains("bitnet_prompt_cache_hits_total 1"))
            #expect(metrics.contains("vllm:prefix_cache_hits_total \(cached)"))
            for name in ["llamacpp:prompt_tokens_total", "llamacpp:tokens_predicted_total", "llamacpp:requests_processing",
                         "llamacpp:requests_deferred", "llamacpp:kv_cache_usage_ratio", "vllm:num_requests_running",
                         "vllm:num_requests_waiting", "vllm:generation_tokens_total"] {
                #expect(metrics.contains("\n\(name) ") || metrics.hasPrefix("\(name) "), "\(name) missing from /metrics")
            }
        }
    }
}

/// `response_format: {"type": "json_object"}`: the reply is one JSON object, streamed or not; unknown formats and
/// malformed grammars get a 400 saying what is wrong.
@Suite(.serialized) struct JSONModeServerTests {
    @Test func jsonObjectRepliesParse() async throws {
        try await ServerHarness.withServer(ServerHarness.configuration()) { client, _ in
            // Prompts whose greedy / seeded replies close their object well inside the budget.
            for (question, temperature, seed) in [("Give me a JSON object describing a cat with name and age.", 0.0, 1),
                                                  ("List three colours.", 0.8, 1)] {
                let request: [String: Any] = ["messages": [["role": "user", "content": question]], "temperature": temperature,
                                              "seed": seed, "max_tokens": 160, "response_format": ["type": "json_object"]]
                let reply = try await client.post("/v1/chat/completions", json: request)
                #expect(reply.status == 200)
                let choice = try ((try reply.json()["choices"] as? [[String: Any]])?.first).unwrap("a choice")
                let text = try ((choice["message"] as? [String: Any])?["content"] as? String).unwrap("content")
                #expect(choice["finish_reason"] as? String == "stop", "the object did not close within 160 tokens: \(text)")
                #expect((try? JSONSerialization.jsonObject(with: Data(text.utf8))) is [String: Any], "not a JSON object: \(text)")
                var streamed = request
                streamed["stream"] = true
                let sse = try ServerHarness.sseText(try await client.post("/v1/chat/completions", json: streamed).text)
                #expect(sse.text == text)
            }
            for (format, fragment) in [(["type": "json_schema", "json_schema": ["name": "x"]] as [String: Any], "json_schema"),
                                       (["type": "xml"], "xml")] {
                let bad = try await client.post("/v1/chat/completions", json: [
                    "messages": [["role": "user", "content": "Hi"]], "response_format": format])
                #expect(bad.status == 400)
                #expect(bad.text.contains(fragment))
            }
            let grammar = try await client.post("/v1/completions", json: ["prompt": "Hi", "grammar": "root ::= \"a"])
            #expect(grammar.status == 400 && grammar.text.contains("grammar line 1"))
        }
    }
}
