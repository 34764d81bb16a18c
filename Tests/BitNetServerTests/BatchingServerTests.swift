import BitNetRuntime
import BitNetServer
import Foundation
import Testing
import TestSupport

/// The server with four slots under continuous batching (`BatchScheduler`): concurrent requests each get what a
/// lone greedy run gives, streamed or not, and the slots free afterwards.
@Suite(.serialized) struct BatchingServerTests {
    static let prompts = ["The three primary colors are", "def fibonacci(n):", "Once upon a time", "The capital of Spain is",
                          "Water boils at", "My favourite fruit"]

    @Test func concurrentRequestsEqualLoneGreedy() async throws {
        let config = ServerHarness.configuration(parallel: 4, maxQueue: 8)
        #expect(config.continuousBatching)
        try await ServerHarness.withServer(config) { client, server in
            let engine = try Engine(path: try TestModels.smolLM2())
            let expected = try Self.prompts.map {
                try ServerHarness.expectedGreedy(engine.tokenizer.encode($0, addSpecial: true), engine: engine, maxTokens: 20).text
            }
            // Six requests on four slots: two wait and join as slots free; every other one streams.
            let texts = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for (i, prompt) in Self.prompts.enumerated() {
                    group.addTask {
                        let stream = i % 2 == 1
                        let reply = try await client.post("/v1/completions", json: [
                            "prompt": prompt, "temperature": 0, "max_tokens": 20, "stream": stream,
                        ])
                        guard reply.status == 200 else { return (i, "HTTP \(reply.status): \(reply.text)") }
                        if stream { return (i, try ServerHarness.sseText(reply.text).text) }
                        let choice = try ((try reply.json()["choices"] as? [[String: Any]])?.first).unwrap("a choice")
                        return (i, try (choice["text"] as? String).unwrap("text"))
                    }
                }
                var out = Array(repeating: "", count: Self.prompts.count)
                for try await (i, text) in group { out[i] = text }
                return out
            }
            for i in Self.prompts.indices {
                #expect(texts[i] == expected[i], "request \(i) '\(Self.prompts[i])'")
            }
            try await ServerHarness.waitUntil("the slots are free") { server.busySlots == 0 && server.queueDepth == 0 }
            // The decode steps really ran together: more rows than steps.
            let metrics = try await client.send("GET", "/metrics").text
            func value(_ name: String) -> Int? {
                metrics.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Int($0.split(separator: " ")[1]) }
            }
            let steps = try value("bitnet_batched_decode_steps_total").unwrap("batched steps")
            let rows = try value("bitnet_batched_decode_rows_total").unwrap("batched rows")
            #expect(rows > steps, "\(rows) rows in \(steps) steps: no step batched two sequences")
            print("continuous batching: \(rows) rows in \(steps) batched steps")
        }
    }

    /// A long prompt joining while another request streams is evaluated in chunks of --batch-size between the
    /// other's decode steps; both replies equal lone greedy runs.
    @Test func longPromptIsPrefilledInChunks() async throws {
        var config = ServerHarness.configuration(parallel: 2, maxQueue: 4)
        config.batchSize = 16
        try await ServerHarness.withServer(config) { client, server in
            let engine = try Engine(path: try TestModels.smolLM2())
            let long = Array(repeating: "The river runs past the old mill and the bridge.", count: 12).joined(separator: " ")
            let prompts = ["Once upon a time", long]
            let expected = try prompts.map {
                try ServerHarness.expectedGreedy(engine.tokenizer.encode($0, addSpecial: true), engine: engine, maxTokens: 24).text
            }
            let longTokens = engine.tokenizer.encode(long, addSpecial: true).count
            let texts = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for (i, prompt) in prompts.enumerated() {
                    group.addTask {
                        if i == 1 { try await Task.sleep(for: .milliseconds(150)) }  // join while the first decodes
                        let reply = try await client.post("/v1/completions", json: [
                            "prompt": prompt, "temperature": 0, "max_tokens": 24, "stream": true,
                        ])
                        guard reply.status == 200 else { return (i, "HTTP \(reply.status): \(reply.text)") }
                        return (i, try ServerHarness.sseText(reply.text).text)
                    }
                }
                var out = ["", ""]
                for try await (i, text) in group { out[i] = text }
                return out
            }
            #expect(texts == expected)
            try await ServerHarness.waitUntil("the slots are free") { server.busySlots == 0 && server.queueDepth == 0 }
            let metrics = try await client.send("GET", "/metrics").text
            let chunks = metrics.split(separator: "\n").first { $0.hasPrefix("bitnet_prefill_chunks_total ") }
                .flatMap { Int($0.split(separator: " ")[1]) } ?? 0
            // The long prompt alone needs ceil(n/16) chunks (the short one adds one or two).
            #expect(chunks >= (longTokens + 15) / 16, "\(chunks) chunks for a \(longTokens)-token prompt")
            print("chunked prefill: \(chunks) chunks of at most 16 tokens, long prompt \(longTokens) tokens")
        }
    }
}

/// `TokenIterator(deferPrefill:)`: chunks evaluate the prompt as one pass would, and a cancelled iterator stops
/// prefilling and ends at its next step (so a scheduler hands it back to `next()` instead of waiting forever).
struct DeferredPrefillTests {
    @Test func chunksEqualOnePassAndCancellationEnds() throws {
        let engine = try Engine(path: try TestModels.smolLM2())
        let prompt = engine.tokenizer.encode(String(repeating: "The river runs past the old mill. ", count: 6), addSpecial: true)
        let whole = try ServerHarness.expectedGreedy(prompt, engine: engine, maxTokens: 8)

        let session = engine.makeSession(ServerHarness.sessionOptions())
        var chunked = try TokenIterator(session: session, tokenizer: engine.tokenizer, prompt: prompt, maxTokens: 8,
                                        sampling: .greedy, deferPrefill: true)
        var chunks = 0
        while chunked.isPrefilling { try chunked.prefill(upTo: 7); chunks += 1 }
        #expect(chunks == (prompt.count + 6) / 7)
        while try chunked.next() != nil {}
        #expect(chunked.result.tokens == whole.tokens)

        let other = engine.makeSession(ServerHarness.sessionOptions())
        var cancelled = try TokenIterator(session: other, tokenizer: engine.tokenizer, prompt: prompt, maxTokens: 8,
                                          sampling: .greedy, deferPrefill: true)
        try cancelled.prefill(upTo: 7)
        cancelled.cancel()
        #expect(!cancelled.isPrefilling)
        #expect(try cancelled.next() == nil)
        #expect(cancelled.result.stopReason == .cancelled && cancelled.result.tokens.isEmpty)
        #expect(other.tokens.count == 7)  // nothing evaluated after the cancel
    }
}
