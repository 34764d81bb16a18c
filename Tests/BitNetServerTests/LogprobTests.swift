import BitNetRuntime
import BitNetServer
import Foundation
import Testing
import TestSupport

/// `logprobs` on both endpoints, whole and streamed, against SmolLM2 with greedy decoding.
@Suite(.serialized) struct LogprobTests {
    static let prompt = "The three primary colors are"

    /// Completions (`logprobs: 5`): one entry per generated token; the greedy token's log-probability is the largest
    /// of its alternatives; values are ≤ 0 and the alternatives' probabilities sum to at most 1; the first token's
    /// values equal a log-softmax computed here from the session's own logits; streaming gives the same entries.
    @Test func completionLogprobsWholeAndStreamed() async throws {
        try await ServerHarness.withServer(ServerHarness.configuration()) { client, _ in
            let request: [String: Any] = ["prompt": Self.prompt, "temperature": 0, "max_tokens": 12, "logprobs": 5]
            let reply = try await client.post("/v1/completions", json: request)
            #expect(reply.status == 200, "\(reply.text)")
            let obj = try reply.json()
            let choice = try ((obj["choices"] as? [[String: Any]])?.first).unwrap("a choice")
            let lp = try (choice["logprobs"] as? [String: Any]).unwrap("choices[0].logprobs in \(reply.text)")
            let whole = try CompletionEntries(lp)
            let completionTokens = try ((obj["usage"] as? [String: Any])?["completion_tokens"] as? Int).unwrap("usage")
            #expect(whole.tokens.count == completionTokens)
            #expect(whole.tokens.joined() == choice["text"] as? String)
            #expect(whole.textOffset.first == 0)
            for i in whole.tokens.indices {
                let top = whole.top[i]
                #expect(top.count == 5, "token \(i): \(top)")
                #expect(whole.logprobs[i] <= 0)
                #expect(top.values.allSatisfy { $0 <= 0 })
                #expect(whole.logprobs[i] == top.values.max(), "greedy token \(i) is the most likely one")
                #expect(top.values.reduce(0) { $0 + exp($1) } <= 1 + 1e-5)
                if i > 0 { #expect(whole.textOffset[i] == whole.textOffset[i - 1] + whole.tokens[i - 1].unicodeScalars.count) }
            }

            // The first generated token from the model's logits, log-softmaxed here in Double.
            let engine = try Engine(path: try TestModels.smolLM2())
            let session = engine.makeSession(ServerHarness.sessionOptions())
            let logits = try session.evaluate(engine.tokenizer.encode(Self.prompt, addSpecial: true))
            let m = Double(logits.max()!)
            let lse = m + log(logits.reduce(0.0) { $0 + exp(Double($1) - m) })
            let ranked = logits.indices.sorted { logits[$0] > logits[$1] }.prefix(5)
            #expect(abs(Double(whole.logprobs[0]) - (Double(logits[ranked.first!]) - lse)) < 1e-4)
            let expectedTop = ranked.map { String(decoding: engine.tokenizer.tokenToPiece(Int32($0), renderSpecial: false), as: UTF8.self) }
            #expect(Set(expectedTop) == Set(whole.top[0].keys))

            var streamRequest = request
            streamRequest["stream"] = true
            let streamed = try await client.post("/v1/completions", json: streamRequest)
            var joined = CompletionEntries()
            for chunk in try ServerHarness.sseChunks(streamed.text) {
                guard let c = (chunk["choices"] as? [[String: Any]])?.first, let l = c["logprobs"] as? [String: Any] else { continue }
                joined.append(try CompletionEntries(l))
            }
            #expect(joined.tokens == whole.tokens)
            #expect(joined.textOffset == whole.textOffset)
            #expect(zip(joined.logprobs, whole.logprobs).allSatisfy { abs($0 - $1) < 1e-3 })
        }
    }

    /// Chat (`logprobs: true, top_logprobs: 3`): the same properties in the chat shape, with bytes; streaming gives the
    /// same entries; without `logprobs` the field is null, and `top_logprobs` defaults to none.
    @Test func chatLogprobsWholeAndStreamed() async throws {
        try await ServerHarness.withServer(ServerHarness.configuration()) { client, _ in
            let messages: [[String: Any]] = [["role": "user", "content": "What is the capital of France?"]]
            let request: [String: Any] = ["messages": messages, "temperature": 0, "max_tokens": 10,
                                          "logprobs": true, "top_logprobs": 3]
            let reply = try await client.post("/v1/chat/completions", json: request)
            #expect(reply.status == 200, "\(reply.text)")
            let obj = try reply.json()
            let choice = try ((obj["choices"] as? [[String: Any]])?.first).unwrap("a choice")
            let content = try ((choice["logprobs"] as? [String: Any])?["content"] as? [[String: Any]]).unwrap("logprobs.content")
            let completionTokens = try ((obj["usage"] as? [String: Any])?["completion_tokens"] as? Int).unwrap("usage")
            #expect(content.count == completionTokens)
            var text = ""
            for entry in content {
                let token = try (entry["token"] as? String).unwrap("token")
                let logprob = try (entry["logprob"] as? Double).unwrap("logprob")
                let bytes = try (entry["bytes"] as? [Int]).unwrap("bytes")
                let top = try (entry["top_logprobs"] as? [[String: Any]]).unwrap("top_logprobs")
                text += token
                #expect(String(decoding: bytes.map(UInt8.init), as: UTF8.self) == token)
                #expect(top.count == 3)
                let values = top.compactMap { $0["logprob"] as? Double }
                #expect(values.count == 3 && values == values.sorted(by: >), "alternatives come most likely first")
                #expect(logprob <= 0 && values.allSatisfy { $0 <= 0 })
                #expect(logprob == values.max(), "the greedy token is the most likely one")
                #expect(top.first?["token"] as? String == token)
                #expect(values.reduce(0) { $0 + exp($1) } <= 1 + 1e-5)
            }
            #expect(text == (choice["message"] as? [String: Any])?["content"] as? String)

            var streamRequest = request
            streamRequest["stream"] = true
            let streamed = try await client.post("/v1/chat/completions", json: streamRequest)
            var streamedContent: [[String: Any]] = []
            for chunk in try ServerHarness.sseChunks(streamed.text) {
                guard let c = (chunk["choices"] as? [[String: Any]])?.first,
                      let l = (c["logprobs"] as? [String: Any])?["content"] as? [[String: Any]] else { continue }
                streamedContent += l
            }
            #expect(streamedContent.map { $0["token"] as? String } == content.map { $0["token"] as? String })
            let pairs = zip(streamedContent, content).map { ($0["logprob"] as? Double ?? 1, $1["logprob"] as? Double ?? 0) }
            #expect(pairs.allSatisfy { abs($0 - $1) < 1e-3 })

            let plain = try await client.post("/v1/chat/completions",
                                              json: ["messages": messages, "temperature": 0, "max_tokens": 2])
            let plainChoice = try ((try plain.json()["choices"] as? [[String: Any]])?.first).unwrap("a choice")
            #expect(plainChoice["logprobs"] is NSNull)
            let noTop = try await client.post("/v1/chat/completions",
                                              json: ["messages": messages, "temperature": 0, "max_tokens": 2, "logprobs": true])
            let noTopChoice = try ((try noTop.json()["choices"] as? [[String: Any]])?.first).unwrap("a choice")
            let noTopContent = try ((noTopChoice["logprobs"] as? [String: Any])?["content"] as? [[String: Any]]).unwrap("content")
            #expect(noTopContent.count == 2)
            #expect(noTopContent.allSatisfy { ($0["top_logprobs"] as? [Any])?.isEmpty == true })
        }
    }

    /// `TokenLogprob` on hand-made logits: log-softmax values, ties broken by the lower id, counts clamped.
    @Test func tokenLogprobOnSmallLogits() {
        let logits: [Float] = [1, 3, 3, 0]
        let lse = log(exp(1.0) + 2 * exp(3.0) + exp(0.0))
        let lp = logits.withUnsafeBufferPointer { TokenLogprob(token: 2, logits: $0, topCount: 3) }
        #expect(lp.token == 2)
        #expect(abs(Double(lp.logprob) - (3 - lse)) < 1e-6)
        #expect(lp.top.map(\.token) == [1, 2, 0])
        #expect(zip(lp.top.map(\.logprob), [3 - lse, 3 - lse, 1 - lse]).allSatisfy { abs(Double($0) - $1) < 1e-6 })
        #expect(logits.withUnsafeBufferPointer { TokenLogprob(token: 0, logits: $0, topCount: 0) }.top.isEmpty)
        #expect(logits.withUnsafeBufferPointer { TokenLogprob(token: 3, logits: $0, topCount: 20) }.top.map(\.token) == [1, 2, 0, 3])
    }

    /// A stop string: the tokens that formed it are generated (and counted in usage) but their text is cut; whole and
    /// streamed replies list the same tokens, the held-back ones coming with the final chunk.
    @Test func stopStringTokensComeWithTheFinalChunk() async throws {
        try await ServerHarness.withServer(ServerHarness.configuration()) { client, _ in
            // Greedy SmolLM2 continues this prompt with " the primary colors of the RGB color model, …".
            let request: [String: Any] = ["prompt": Self.prompt, "temperature": 0, "max_tokens": 16, "logprobs": 1,
                                          "stop": [" RGB"]]
            let reply = try await client.post("/v1/completions", json: request)
            let obj = try reply.json()
            let choice = try ((obj["choices"] as? [[String: Any]])?.first).unwrap("a choice")
            try #require(choice["finish_reason"] as? String == "stop", "the stop string was not produced: \(reply.text)")
            let whole = try CompletionEntries(try (choice["logprobs"] as? [String: Any]).unwrap("logprobs"))
            let text = try (choice["text"] as? String).unwrap("text")
            #expect(whole.tokens.count == (obj["usage"] as? [String: Any])?["completion_tokens"] as? Int)
            #expect(whole.tokens.joined().hasPrefix(text) && whole.tokens.joined().count > text.count)

            var streamRequest = request
            streamRequest["stream"] = true
            let chunks = try ServerHarness.sseChunks(try await client.post("/v1/completions", json: streamRequest).text)
            var joined = CompletionEntries()
            var finalChunkTokens = 0
            for chunk in chunks {
                guard let c = (chunk["choices"] as? [[String: Any]])?.first, let l = c["logprobs"] as? [String: Any] else { continue }
                let entries = try CompletionEntries(l)
                if c["finish_reason"] is String { finalChunkTokens = entries.tokens.count }
                joined.append(entries)
            }
            #expect(joined.tokens == whole.tokens)
            #expect(finalChunkTokens > 0, "the stop string's tokens ride with the final chunk")
        }
    }

    /// Out-of-range or mistyped requests get 400 with an OpenAI-style error, and the server keeps serving.
    @Test func invalidLogprobRequestsGet400() async throws {
        try await ServerHarness.withServer(ServerHarness.configuration()) { client, _ in
            let hi: [[String: Any]] = [["role": "user", "content": "hi"]]
            let cases: [(String, [String: Any], String)] = [
                ("/v1/completions", ["prompt": "Hi", "logprobs": 21], "invalid_parameter"),
                ("/v1/completions", ["prompt": "Hi", "logprobs": -1], "invalid_parameter"),
                ("/v1/completions", ["prompt": "Hi", "logprobs": true], "invalid_json"),
                ("/v1/chat/completions", ["messages": hi, "logprobs": true, "top_logprobs": 21], "invalid_parameter"),
                ("/v1/chat/completions", ["messages": hi, "logprobs": true, "top_logprobs": -2], "invalid_parameter"),
                ("/v1/chat/completions", ["messages": hi, "top_logprobs": 2], "invalid_parameter"),
                ("/v1/chat/completions", ["messages": hi, "logprobs": false, "top_logprobs": 2], "invalid_parameter"),
                ("/v1/chat/completions", ["messages": hi, "logprobs": 5], "invalid_json"),
            ]
            for (path, body, code) in cases {
                for stream in [false, true] {
                    var body = body
                    body["stream"] = stream
                    let reply = try await client.post(path, json: body)
                    #expect(reply.status == 400, "\(path) \(body): \(reply.text)")
                    let error = try (try reply.json()["error"] as? [String: Any]).unwrap("error in \(reply.text)")
                    #expect(error["code"] as? String == code, "\(path) \(body)")
                    #expect((error["message"] as? String)?.contains("logprobs") == true, "\(error)")
                }
            }
            #expect(try await client.send("GET", "/health").status == 200)
        }
    }
}

/// The parallel arrays of a completion's `logprobs`, concatenable across stream chunks.
struct CompletionEntries {
    var tokens: [String] = []
    var logprobs: [Double] = []
    var top: [[String: Double]] = []
    var textOffset: [Int] = []

    init() {}

    init(_ lp: [String: Any]) throws {
        tokens = try (lp["tokens"] as? [String]).unwrap("tokens")
        logprobs = try (lp["token_logprobs"] as? [Double]).unwrap("token_logprobs")
        top = try (lp["top_logprobs"] as? [[String: Double]]).unwrap("top_logprobs")
        textOffset = try (lp["text_offset"] as? [Int]).unwrap("text_offset")
        guard logprobs.count == tokens.count, top.count == tokens.count, textOffset.count == tokens.count else {
            throw LoopbackHTTPClient.Failure(description: "logprobs arrays differ in length: \(lp)")
        }
    }

    mutating func append(_ other: CompletionEntries) {
        tokens += other.tokens
        logprobs += other.logprobs
        top += other.top
        textOffset += other.textOffset
    }
}
