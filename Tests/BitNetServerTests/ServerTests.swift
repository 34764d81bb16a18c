import BitNetRuntime
import BitNetServer
import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The server on a loopback port against the real SmolLM2 model.
@Suite(.serialized) struct ServerTests {
    static let question = "What is the capital of France?"

    @Test func healthTurnsReadyAndChatMatchesGenerator() async throws {
        let gate = DispatchSemaphore(value: 0)
        try await ServerHarness.withServer(ServerHarness.configuration(), gate: gate) { client, server in
            let loading = try await client.send("GET", "/health")
            #expect(loading.status == 503)
            #expect(try loading.json()["error"] != nil)
            let early = try await client.post("/v1/completions", json: ["prompt": "Hi"])
            #expect(early.status == 503)
            gate.signal()
            try await ServerHarness.waitUntil("health is 200") { try await client.send("GET", "/health").status == 200 }
            #expect(try await client.send("GET", "/health").text == #"{"status":"ok"}"#)

            // The expectation: the rendered prompt through a fresh Generator, greedily.
            let engine = try Engine(path: try TestModels.smolLM2())
            let template = try engine.chatTemplate.get()
            let rendered = template.render([ChatMessage(role: "user", content: Self.question)], addGenerationPrompt: true)
            let ids = engine.tokenizer.encode(rendered, addSpecial: false, parseSpecial: true)
            let expected = try ServerHarness.expectedGreedy(ids, engine: engine, maxTokens: 24)
            #expect(!expected.text.isEmpty)

            let request: [String: Any] = ["model": "smollm2", "messages": [["role": "user", "content": Self.question]],
                                          "temperature": 0, "max_tokens": 24, "seed": 7]
            let reply = try await client.post("/v1/chat/completions", json: request)
            #expect(reply.status == 200)
            let obj = try reply.json()
            let choice = try ((obj["choices"] as? [[String: Any]])?.first).unwrap("a choice")
            #expect((choice["message"] as? [String: Any])?["content"] as? String == expected.text)
            let usage = try (obj["usage"] as? [String: Any]).unwrap("usage")
            #expect(usage["prompt_tokens"] as? Int == ids.count)
            #expect(usage["completion_tokens"] as? Int == expected.tokens.count)
            #expect(obj["object"] as? String == "chat.completion")

            var streamRequest = request
            streamRequest["stream"] = true
            let streamed = try await client.post("/v1/chat/completions", json: streamRequest)
            #expect(streamed.status == 200)
            #expect(streamed.headers["content-type"] == "text/event-stream")
            let sse = try ServerHarness.sseText(streamed.text)
            #expect(sse.text == expected.text)
            #expect(sse.finishReason == (choice["finish_reason"] as? String))
            // The slot frees just after the last byte is sent.
            try await ServerHarness.waitUntil("the slot is free") { server.busySlots == 0 }
        }
    }

    @Test func completionMatchesGeneratorAndSmallEndpointsAnswer() async throws {
        try await ServerHarness.withServer(ServerHarness.configuration()) { client, server in
            let engine = try Engine(path: try TestModels.smolLM2())
            let prompt = "The three primary colors are"
            let ids = engine.tokenizer.encode(prompt, addSpecial: true)
            let expected = try ServerHarness.expectedGreedy(ids, engine: engine, maxTokens: 16)
            let reply = try await client.post("/v1/completions", json: ["prompt": prompt, "temperature": 0, "max_tokens": 16])
            #expect(reply.status == 200)
            let choice = try ((try reply.json()["choices"] as? [[String: Any]])?.first).unwrap("a choice")
            #expect(choice["text"] as? String == expected.text)
            let streamed = try await client.post("/v1/completions",
                                                 json: ["prompt": prompt, "temperature": 0, "max_tokens": 16, "stream": true])
            #expect(try ServerHarness.sseText(streamed.text).text == expected.text)

            // /metrics counters moved: one predicted-token total of 32 (two requests of 16) and the requests counted.
            // The slot's thread marks itself free just after the reply's last byte, so wait for that first.
            try await ServerHarness.waitUntil("the slot is free") { server.busySlots == 0 }
            let metrics = try await client.send("GET", "/metrics")
            #expect(metrics.status == 200)
            let predicted = metrics.text.split(separator: "\n").first { $0.hasPrefix("bitnet_predicted_tokens_total ") }
            #expect(predicted.flatMap { Int($0.split(separator: " ")[1]) } == 2 * expected.tokens.count)
            #expect(metrics.text.contains(#"bitnet_requests_total{endpoint="/v1/completions",status="200"} 2"#))
            #expect(metrics.text.contains("bitnet_busy_slots 0"))

            let models = try await client.send("GET", "/v1/models")
            #expect(models.status == 200)
            #expect(((try models.json()["data"] as? [[String: Any]])?.first?["id"] as? String) == "smollm2")
            let tok = try await client.post("/tokenize", json: ["content": "Hello world"])
            let tokens = try (try tok.json()["tokens"] as? [Int]).unwrap("tokens")
            #expect(tokens == engine.tokenizer.encode("Hello world", addSpecial: false, parseSpecial: true).map(Int.init))
            let detok = try await client.post("/detokenize", json: ["tokens": tokens])
            #expect(try detok.json()["content"] as? String == "Hello world")
        }
    }

    /// Each class of bad input gets its 4xx and an OpenAI-style error object.
    @Test func badInputGetsFourHundreds() async throws {
        var config = ServerHarness.configuration()
        config.maxBodyBytes = 8192
        try await ServerHarness.withServer(config) { client, _ in
            func expectError(_ reply: LoopbackHTTPClient.Reply, _ status: Int, _ code: String,
                             sourceLocation: SourceLocation = #_sourceLocation) throws {
                #expect(reply.status == status, "\(reply.text)", sourceLocation: sourceLocation)
                let error = try (try reply.json()["error"] as? [String: Any]).unwrap("error object in \(reply.text)")
                #expect(error["code"] as? String == code, sourceLocation: sourceLocation)
                #expect(error["message"] is String && error["type"] is String, sourceLocation: sourceLocation)
            }
            let chat = "/v1/chat/completions"
            let hi: [[String: Any]] = [["role": "user", "content": "hi"]]
            try expectError(try await client.send("POST", chat, body: Data("{\"messages\": [".utf8)), 400, "invalid_json")
            try expectError(try await client.post(chat, json: ["messages": "hi"]), 400, "invalid_json")
            try expectError(try await client.post(chat, json: ["messages": hi, "max_tokens": "ten"]), 400, "invalid_json")
            try expectError(try await client.post(chat, json: ["prompt": "no messages"]), 400, "invalid_json")
            try expectError(try await client.post(chat, json: ["model": "gpt-4", "messages": hi]), 404, "model_not_found")
            try expectError(try await client.post(chat, json: ["messages": hi, "max_tokens": -1]), 400, "invalid_parameter")
            try expectError(try await client.post(chat, json: ["messages": hi, "temperature": -0.5]), 400, "invalid_parameter")
            try expectError(try await client.post(chat, json: ["messages": hi, "temperature": 1e9]), 400, "invalid_parameter")
            try expectError(try await client.post(chat, json: ["messages": hi, "top_p": 0]), 400, "invalid_parameter")
            try expectError(try await client.post(chat, json: ["messages": hi, "n": 5]), 400, "invalid_parameter")
            try expectError(try await client.post(chat, json: ["messages": hi, "max_tokens": 1_000_000]), 400,
                            "context_length_exceeded")
            let long = String(repeating: "hello ", count: 1000)  // ~1000 tokens > 512 context, < 8192 bytes
            try expectError(try await client.post("/v1/completions", json: ["prompt": long, "max_tokens": 4]), 400,
                            "context_length_exceeded")
            try expectError(try await client.post("/v1/completions", json: ["prompt": long, "stream": true]), 400,
                            "context_length_exceeded")
            let huge = String(repeating: "x", count: 10_000)
            try expectError(try await client.post("/v1/completions", json: ["prompt": huge]), 413, "body_too_large")
            try expectError(try await client.post("/detokenize", json: ["tokens": [-3]]), 400, "invalid_parameter")
            // The server still serves after all of that.
            #expect(try await client.send("GET", "/health").status == 200)
        }
    }

    /// A request that cannot finish within the per-request timeout ends with 504 (whole) or an error event (SSE).
    @Test func timeoutEndsTheRequest() async throws {
        var config = ServerHarness.configuration()
        config.timeoutSeconds = 0.3
        try await ServerHarness.withServer(config) { client, server in
            let story: [String: Any] = ["prompt": "Once upon a time", "max_tokens": 400, "temperature": 0.8]
            let whole = try await client.post("/v1/completions", json: story)
            #expect(whole.status == 504)
            let error = try whole.json()["error"] as? [String: Any]
            #expect(error?["code"] as? String == "timeout")
            var streaming = story
            streaming["stream"] = true
            let streamed = try await client.post("/v1/completions", json: streaming)
            #expect(streamed.status == 200)
            #expect(streamed.text.contains(#""code":"timeout""#))
            #expect(streamed.text.hasSuffix("data: [DONE]\n\n"))
            try await ServerHarness.waitUntil("the slot is free") { server.busySlots == 0 }
        }
    }

    @Test func apiKeyIsRequired() async throws {
        var config = ServerHarness.configuration()
        config.apiKey = "s3cret"
        try await ServerHarness.withServer(config) { client, _ in
            let missing = try await client.send("GET", "/v1/models")
            let wrong = try await client.send("GET", "/v1/models", headers: ["Authorization": "Bearer wrong"])
            let right = try await client.send("GET", "/v1/models", headers: ["Authorization": "Bearer s3cret"])
            let health = try await client.send("GET", "/health")
            #expect(missing.status == 401)
            #expect(wrong.status == 401)
            #expect(right.status == 200)
            #expect(health.status == 200)
        }
    }

    /// One slot busy and one request queued: the next gets 503 + Retry-After; the streaming client hanging up
    /// frees the slot for the queued request.
    @Test func queueOverflowAnd503ThenDisconnectFreesSlot() async throws {
        try await ServerHarness.withServer(ServerHarness.configuration(parallel: 1, maxQueue: 1)) { client, server in
            let long: [String: Any] = ["messages": [["role": "user", "content": "Tell me a very long story."]],
                                       "max_tokens": 400, "temperature": 0.8, "stream": true]
            let fd = try await client.openStream("/v1/chat/completions", json: long, until: "\"content\"")
            #expect(server.busySlots == 1)
            let queued = Task { try await client.post("/v1/completions", json: ["prompt": "Hello", "max_tokens": 4]) }
            try await ServerHarness.waitUntil("a request is queued") { server.queueDepth == 1 }
            let rejected = try await client.post("/v1/completions", json: ["prompt": "Hello", "max_tokens": 4])
            #expect(rejected.status == 503)
            #expect(rejected.headers["retry-after"] != nil)
            let rejection = try rejected.json()["error"] as? [String: Any]
            #expect(rejection?["code"] as? String == "queue_full")
            close(fd)
            let served = try await queued.value
            #expect(served.status == 200)
            try await ServerHarness.waitUntil("the stream's slot is released") { server.busySlots == 0 && server.queueDepth == 0 }
            #expect(server.cancelledRequests == 1)
        }
    }
}
