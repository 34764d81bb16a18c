import BitNetModels
import BitNetRuntime
import Foundation
import GGUF
import Kernels
import LlamaReference
import ModelMaker
import TestSupport
import Testing

/// Synthetic tiny `bitnet` models (ternary TQ1_0 / TQ2_0 matrices, F16 tied embedding, fixed seed) against
/// llama.cpp's upstream `bitnet` architecture, with the method of `SyntheticParityTests`: (a) prefill logits of
/// the 20-token prompt against the `precise` configuration at every position, (b) 32 greedy steps against the
/// `default` configuration, teacher-forced, failing on any disagreement where llama.cpp's top-two margin is at
/// least 0.1. Each case prints a `TABLE` row.
@Suite(.serialized, .enabled(if: ParityMetrics.referenceEnabled, "BITNET_SKIP_REFERENCE_TESTS=1 opts out of the reference tier"))
struct BitNetParityTests {
    static let seed: UInt64 = 20_261_123

    /// Issue 9 asks for cosine ≥ 0.999 at every position. Measured (seed 20261123): 1 − cosine ~3e-14 at most
    /// positions and ≤ 5e-10 at three (the ternary dot products follow ggml's x86 order bit for bit; what is left
    /// comes from the F16 output projection and attention), so the bar is the llama tests' 0.99999.
    static let minCosine = 0.99999

    @Test(arguments: [GGMLType.tq1_0, .tq2_0])
    func matchesLlamaCpp(_ type: GGMLType) throws {
        let dir = try TestModels.scratchDirectory("synthetic-bitnet-\(type.name)")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/model.gguf"
        try SyntheticModel(architecture: .bitnet, shape: .tiny, weightType: type, seed: Self.seed).write(to: path)
        try compareWithLlamaCpp(path: path, label: "bitnet \(type.name)")
    }

    /// The optional one-element `.scale` tensors (upstream multiplies each projection's output by them): one per
    /// projection, values 0.9…1.3 (distinct, and large enough that greedy output stays varied), added to the
    /// TQ2_0 model.
    @Test func perTensorScalesMatchLlamaCpp() throws {
        let dir = try TestModels.scratchDirectory("synthetic-bitnet-scales")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/model.gguf"
        var writer = try SyntheticModel(architecture: .bitnet, shape: .tiny, weightType: .tq2_0, seed: Self.seed).makeWriter()
        let projections = ["attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"]
        for i in 0..<SyntheticShape.tiny.blockCount {
            for (k, p) in projections.enumerated() {
                try writer.addTensor(name: "blk.\(i).\(p).scale", shape: [1], f32: [0.9 + Float(k) / 20 + Float(i) / 10])
            }
        }
        try writer.write(to: path)
        try compareWithLlamaCpp(path: path, label: "bitnet tq2_0+scale")
    }

    /// Prefill cosine against `precise` and teacher-forced greedy against `default`, as the llama synthetic tests.
    func compareWithLlamaCpp(path: String, label: String) throws {
        let library = try ExactReference.library()
        let refModel = try LlamaReference.LlamaModel(path: path, library: library)
        let prompt = try refModel.tokenize(SyntheticParityTests.prompt, addSpecial: true)
        let model = try ModelRegistry.load(try GGUFFile(path: path))
        #expect(model is BitNetLanguageModel)

        // (a) prefill logits, precise reference vs our F32 cache.
        let precise = try LlamaContext(model: refModel, contextLength: 128, threads: 1, precision: .precise)
        var options = SessionOptions()
        options.contextLength = 128
        options.kvCacheType = .f32
        let preciseSession = InferenceSession(model: model, options: options)
        let ours = try preciseSession.evaluate(prompt, allLogits: true)
        let theirs = try precise.eval(prompt, logits: .all)
        let v = preciseSession.vocabSize
        try #require(theirs.rows == prompt.count && ours.count == prompt.count * v)
        let cosines = (0..<prompt.count).map { ParityMetrics.cosine(ours[($0 * v)..<(($0 + 1) * v)], theirs.row($0)) }
        for (p, cos) in cosines.enumerated() where cos < Self.minCosine {
            Issue.record("\(label) position \(p): cosine \(cos), need \(Self.minCosine)")
        }
        print("\(label) 1 − cosine by position: " + cosines.map { String(format: "%.1e", 1 - $0) }.joined(separator: " "))
        try precise.close()

        // (b) greedy, default reference vs our default F16 cache, teacher-forced.
        let ref = try LlamaContext(model: refModel, contextLength: 128, threads: 1)
        options.kvCacheType = .f16
        let session = InferenceSession(model: model, options: options)
        var refRow = try ref.eval(prompt, logits: .last).values[...]
        var ourRow = try session.evaluate(prompt)[...]
        var exact = 0, ties = 0, mismatches = 0, tokens: [Int32] = []
        for step in 0..<SyntheticParityTests.steps {
            let verdict = ParityMetrics.greedyStep(reference: refRow, ours: ourRow, tieMargin: SyntheticParityTests.tieMargin)
            switch verdict {
            case .exact: exact += 1
            case .nearTie(let t, let o, let margin):
                ties += 1
                print("\(label) step \(step): near-tie, llama.cpp \(t) vs ours \(o), llama.cpp margin \(margin)")
            case .mismatch(let t, let o, let margin):
                mismatches += 1
                Issue.record("\(label) step \(step): llama.cpp chose \(t), we chose \(o); llama.cpp margin \(margin)")
            }
            let t = verdict.referenceToken
            tokens.append(t)
            refRow = try ref.eval([t], logits: .last).values[...]
            ourRow = try session.evaluate([t])[...]
        }
        try ref.close()
        #expect(Set(tokens).count > 4, "\(label): greedy output degenerate (\(tokens))")
        let kernels = Set(session.executedKernels).sorted().joined(separator: " ")
        print("TABLE | \(label) | tied f16 | \(prompt.count) positions | min cosine \(cosines.min() ?? 1) "
            + "(need \(Self.minCosine)) | greedy \(exact)/\(SyntheticParityTests.steps) exact, \(ties) near-ties, "
            + "\(mismatches) mismatches, \(Set(tokens).count) distinct tokens | kernels \(kernels)")
    }

    /// The writer's ternary blocks decode to exactly {−d, 0, +d} with about a third zeros, and the file has the
    /// upstream `bitnet` layout (sub-norms, no output.weight, F16 embedding) our registry loads.
    @Test(arguments: [GGMLType.tq1_0, .tq2_0])
    func writerProducesTernaryBitNetLayout(_ type: GGMLType) throws {
        let dir = try TestModels.scratchDirectory("synthetic-bitnet-layout-\(type.name)")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/model.gguf"
        try SyntheticModel(architecture: .bitnet, shape: .tiny, weightType: type, seed: 1).write(to: path)
        let file = try GGUFFile(path: path)
        #expect(file.metadata.architecture == "bitnet")
        #expect(file.tensors.count == 2 + 11 * SyntheticShape.tiny.blockCount)
        #expect(file.tensor(named: "output.weight") == nil)
        #expect(file.tensor(named: "token_embd.weight")?.type == .f16)
        #expect(file.tensor(named: "blk.0.ffn_sub_norm.weight")?.shape == [512])
        #expect(file.tensor(named: "blk.1.attn_sub_norm.weight")?.shape == [256])
        let info = try #require(file.tensor(named: "blk.0.ffn_up.weight"))
        #expect(info.type == type && info.shape == [256, 512])
        let w = try WeightMatrix(type: type, rows: 512, cols: 256, bytes: file.data(of: info))
        var values = [Float](repeating: .nan, count: 512 * 256)
        values.withUnsafeMutableBufferPointer { out in for r in 0..<512 { w.dequantizeRow(r, into: out.baseAddress! + 256 * r) } }
        let d = values.map(abs).max() ?? 0
        #expect(d > 0 && values.allSatisfy { $0 == 0 || abs($0) == d })
        let zeros = Double(values.filter { $0 == 0 }.count) / Double(values.count)
        #expect(zeros > 0.28 && zeros < 0.34, "fraction of zero weights \(zeros)")
        #expect(Compatibility.check(file).runnable)
    }
}
