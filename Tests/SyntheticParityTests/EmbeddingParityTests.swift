import BitNetModels
import BitNetRuntime
import Foundation
import GGUF
import LlamaReference
import ModelMaker
import TestSupport
import Testing

/// Embeddings against llama.cpp's embedding mode (the exact tier's build, default configuration: flash attention,
/// F16 cache): the hidden states after the final norm, pooled mean / cls / last / none, must be identical before
/// normalisation — max |Δ| 0 — on synthetic models of several architectures and on SmolLM2.
@Suite(.serialized, .enabled(if: ParityMetrics.referenceEnabled, "BITNET_SKIP_REFERENCE_TESTS=1 opts out of the reference tier"))
struct EmbeddingParityTests {
    static let texts = [
        "The quick brown fox jumps over the lazy dog, and then it runs far away.",
        "Embeddings map text to vectors.",
        "A",
        // More than 32 tokens, so the mean's F32 dot product runs its SIMD loop as well as the tail.
        "The history of the city began with a small settlement on the river, where traders exchanged grain, salt and "
            + "cloth; later a bridge, a market hall and a cathedral were built, and the town grew along both banks.",
    ]

    static let models: [(SyntheticArchitecture, SyntheticShape, GGMLType)] = [
        (.llama, .tiny, .q4_0), (.qwen3, .tinyWideHeads, .q8_0), (.bitnet, .tiny, .tq2_0), (.phi3, .tinyNarrowHeads, .q6_K),
    ]

    @Test(arguments: 0..<models.count)
    func syntheticModelsMatch(_ index: Int) throws {
        let (arch, shape, type) = Self.models[index]
        let dir = try TestModels.scratchDirectory("embed-\(arch.rawValue)")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/model.gguf"
        try SyntheticModel(architecture: arch, shape: shape, weightType: type, seed: 11).write(to: path)
        try compare(path: path, label: "\(arch.rawValue) \(type.name)", poolings: Pooling.allCases)
    }

    @Test func smolLM2Matches() throws {
        try compare(path: try TestModels.smolLM2(), label: "smollm2", poolings: [.mean, .last])
    }

    /// `<arch>.pooling_type` picks the pooling when none is asked for, in llama.cpp and here.
    @Test func modelPoolingComesFromMetadata() throws {
        var writer = try SyntheticModel(architecture: .qwen3, shape: .tinyWideHeads, weightType: .q8_0, seed: 11).makeWriter()
        writer.metadata["qwen3.pooling_type"] = .uint32(3)
        let dir = try TestModels.scratchDirectory("embed-metadata")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writer.write(to: dir + "/model.gguf")
        let engine = try Engine(path: dir + "/model.gguf")
        let embedder = Embedder(model: engine.model, metadata: engine.file.metadata, threads: 2)
        #expect(embedder.modelPooling == .last)
        let ref = try LlamaReference.LlamaModel(path: dir + "/model.gguf", library: try ExactReference.library())
        let tokens = try ref.tokenize(Self.texts[1], addSpecial: true)
        let theirs = try ref.embed(tokens, pooling: nil)
        #expect(theirs.pooling == .last)
        #expect(try embedder.embed(tokens, normalize: false) == [theirs.values])
    }

    func compare(path: String, label: String, poolings: [Pooling]) throws {
        let engine = try Engine(path: path)
        let embedder = Embedder(model: engine.model, metadata: engine.file.metadata, threads: 2)
        let ref = try LlamaReference.LlamaModel(path: path, library: try ExactReference.library())
        let d = embedder.dimension
        for pooling in poolings {
            var worst: Float = 0
            for text in Self.texts {
                let tokens = try ref.tokenize(text, addSpecial: true)
                #expect(engine.tokenizer.encode(text, addSpecial: true) == tokens)
                let theirs = try ref.embed(tokens, pooling: ReferencePooling(rawValue: Self.code(pooling)))
                let ours = try embedder.embed(tokens, pooling: pooling, normalize: false)
                try #require(theirs.rows == ours.count && ours.allSatisfy { $0.count == d },
                             "\(label) \(pooling): \(ours.count) rows of ours vs \(theirs.rows)")
                let flat = ours.flatMap { $0 }
                let delta = zip(flat, theirs.values).map { abs($0 - $1) }.max() ?? 0
                worst = max(worst, delta)
                #expect(delta == 0, "\(label) \(pooling) '\(text.prefix(20))': max |Δ| \(delta)")
                // Normalised vectors have unit length.
                for v in try embedder.embed(tokens, pooling: pooling) {
                    let norm = v.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
                    #expect(abs(norm - 1) < 1e-5, "\(label) \(pooling): norm \(norm)")
                }
            }
            print("TABLE | embeddings \(label) | \(pooling) | \(Self.texts.count) texts | max |Δ| \(worst)")
        }
    }

    static func code(_ p: Pooling) -> Int32 {
        switch p {
        case .none: 0
        case .mean: 1
        case .cls: 2
        case .last: 3
        }
    }
}
