import BitNetRuntime
import BitNetServer
import Foundation
import Testing
import TestSupport

/// `POST /v1/embeddings` on SmolLM2 (whose file names no pooling, so the server is started with one).
@Suite(.serialized) struct EmbeddingServerTests {
    @Test func embeddingsEqualTheEmbedderAndBadInputIsRefused() async throws {
        var config = ServerHarness.configuration()
        config.pooling = .mean
        try await ServerHarness.withServer(config) { client, _ in
            let engine = try Engine(path: try TestModels.smolLM2())
            let embedder = Embedder(model: engine.model, metadata: engine.file.metadata, threads: 2)
            let texts = ["The capital of France is Paris.", "Embeddings map text to vectors."]
            let expected = try texts.map { try embedder.embed(engine.tokenizer.encode($0), pooling: .mean)[0] }

            let reply = try await client.post("/v1/embeddings", json: ["model": "smollm2", "input": texts])
            #expect(reply.status == 200)
            let obj = try reply.json()
            #expect(obj["object"] as? String == "list")
            let data = try (obj["data"] as? [[String: Any]]).unwrap("data")
            #expect(data.count == 2)
            for (i, item) in data.enumerated() {
                #expect(item["index"] as? Int == i && item["object"] as? String == "embedding")
                let values = try (item["embedding"] as? [Double]).unwrap("embedding").map(Float.init)
                #expect(values == expected[i], "input \(i) differs from Embedder.embed")
            }
            let tokens = texts.reduce(0) { $0 + engine.tokenizer.encode($1).count }
            #expect((obj["usage"] as? [String: Any])?["prompt_tokens"] as? Int == tokens)

            // base64: little-endian F32 of the same values; token-id input gives the same vector as its text.
            let ids = engine.tokenizer.encode(texts[0]).map(Int.init)
            let b64 = try await client.post("/v1/embeddings", json: ["input": [ids], "encoding_format": "base64"])
            #expect(b64.status == 200)
            let encoded = try ((b64.json()["data"] as? [[String: Any]])?.first?["embedding"] as? String).unwrap("base64")
            let bytes = try Data(base64Encoded: encoded).unwrap("valid base64")
            let raw = [UInt8](bytes)
            var decoded: [Float] = []
            for o in stride(from: 0, to: raw.count, by: 4) {
                var bits: UInt32 = 0
                for k in 0..<4 { bits |= UInt32(raw[o + k]) << UInt32(8 * k) }
                decoded.append(Float(bitPattern: bits))
            }
            #expect(decoded == expected[0])

            for (body, fragment) in [
                (["input": "x", "encoding_format": "int8"] as [String: Any], "encoding_format"),
                (["input": [[1, 999_999]]], "outside the vocabulary"),
                (["input": [String]()], "empty"),
                (["input": 42], "input"),
                (["input": "x", "dimensions": 7], "dimensions"),
            ] {
                let bad = try await client.post("/v1/embeddings", json: body)
                #expect(bad.status == 400, "\(body) → \(bad.status)")
                let message = ((try? bad.json()["error"]) as? [String: Any])?["message"] as? String ?? ""
                #expect(message.contains(fragment), "\(body): \(message)")
            }
        }
    }

    @Test func aModelWithoutPoolingNeedsTheOption() async throws {
        try await ServerHarness.withServer(ServerHarness.configuration()) { client, _ in
            let reply = try await client.post("/v1/embeddings", json: ["input": "Hello"])
            #expect(reply.status == 400)
            let message = try ((reply.json()["error"] as? [String: Any])?["message"] as? String).unwrap("message")
            #expect(message.contains("--pooling"))
        }
    }
}
