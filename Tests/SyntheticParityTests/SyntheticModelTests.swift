import BitNetModels
import Foundation
import GGUF
import ModelMaker
import TestSupport
import Testing

/// The synthetic model writer on its own (no llama.cpp): determinism, layout, and that our engine accepts it.
struct SyntheticModelTests {
    @Test func sameSeedGivesIdenticalBytes() throws {
        for type in [GGMLType.q4_K, .q8_0, .bf16] {
            let a = try SyntheticModel(shape: .tiny, weightType: type, seed: 7).makeWriter().serialized()
            let b = try SyntheticModel(shape: .tiny, weightType: type, seed: 7).makeWriter().serialized()
            let c = try SyntheticModel(shape: .tiny, weightType: type, seed: 8).makeWriter().serialized()
            #expect(a == b, "\(type.name): same seed, different bytes")
            #expect(a.count == c.count && a != c, "\(type.name): another seed must change the weights, not the layout")
        }
    }

    @Test(arguments: SyntheticTensorEncoder.supportedTypes)
    func writtenFileLoadsWithExpectedLayout(_ type: GGMLType) throws {
        let dir = try TestModels.scratchDirectory("synthetic-layout-\(type.name)")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for tied in [false, true] {
            let path = dir + "/model-\(tied).gguf"
            let maker = SyntheticModel(shape: .tiny, weightType: type, seed: 1, tiedOutput: tied)
            try maker.write(to: path)
            let file = try GGUFFile(path: path)
            let s = SyntheticShape.tiny, vocab = file.metadata["tokenizer.ggml.tokens"]?.array?.count ?? 0
            #expect(vocab == 32000)
            #expect(file.tensors.count == 2 + 9 * s.blockCount + (tied ? 0 : 1))
            #expect(file.tensor(named: "token_embd.weight")?.shape == [256, vocab])
            #expect(file.tensor(named: "token_embd.weight")?.type == type)
            #expect(file.tensor(named: "output.weight")?.shape == (tied ? nil : [256, vocab]))
            #expect(file.tensor(named: "blk.1.attn_k.weight")?.shape == [256, 128])
            #expect(file.tensor(named: "blk.1.ffn_down.weight")?.shape == [512, 256])
            #expect(file.tensor(named: "blk.0.ffn_norm.weight")?.type == .f32)
            #expect(file.metadata.architecture == "llama")
            #expect(file.metadata["llama.rope.dimension_count"]?.int == 64)
            let report = Compatibility.check(file)
            #expect(report.runnable, "\(type.name): \(report.problems)")
            let model = try ModelRegistry.load(file)
            #expect(model.hyperParameters.vocabSize == vocab && model.hyperParameters.headCountKV == 2)
        }
    }

    /// The real SmolLM2-135M shape in Q4_K: 576-wide rows are not whole 256-element blocks, so those matrices fall
    /// back to Q5_0 (as llama.cpp's quantizer does) while 1536-wide `ffn_down` rows stay Q4_K.
    @Test func smolLMShapeFallsBackWhereRowsAreNotWholeBlocks() throws {
        let dir = try TestModels.scratchDirectory("synthetic-smollm")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/model.gguf"
        try SyntheticModel(shape: .smolLM135M, weightType: .q4_K, seed: 3).write(to: path)
        let file = try GGUFFile(path: path)
        #expect(file.metadata["tokenizer.ggml.tokens"]?.array?.count == 49152)
        #expect(file.tensors.count == 2 + 9 * 30)  // tied output
        #expect(file.tensor(named: "blk.29.ffn_down.weight")?.type == .q4_K)
        #expect(file.tensor(named: "blk.29.attn_q.weight")?.type == .q5_0)
        #expect(file.tensor(named: "token_embd.weight")?.shape == [576, 49152])
        let report = Compatibility.check(file)
        #expect(report.runnable, "\(report.problems)")
        let hp = try ModelRegistry.load(file).hyperParameters
        #expect(hp.blockCount == 30 && hp.headCount == 9 && hp.headCountKV == 3 && hp.feedForwardLength == 1536)
    }
}
