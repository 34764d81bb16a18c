import BitNetModels
import BitNetRuntime
import Foundation
import GGUF
import Kernels
@testable import ModelMaker
import TestSupport
import Testing

/// Microsoft's `bitnet-25` architecture on synthetic models (no bitnet.cpp here, so the checks are internal: the
/// published layout, the activation, determinism, and the same ternary weights as TQ2_0 and as I2_S).
struct BitNet25Tests {
    static let seed: UInt64 = 20_261_123

    static func tinyModel(_ type: GGMLType, in dir: String) throws -> String {
        let path = dir + "/bitnet25-\(type.name).gguf"
        try SyntheticModel(architecture: .bitnet25, shape: .tiny, weightType: type, seed: seed).write(to: path)
        return path
    }

    @Test func tinyI2SModelLoadsAndGenerates() throws {
        let dir = try TestModels.scratchDirectory("bitnet25-tiny")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = try GGUFFile(path: try Self.tinyModel(.i2_s, in: dir))
        let blocks = SyntheticShape.tiny.blockCount
        #expect(file.metadata.architecture == "bitnet-25")
        #expect(file.tensors.count == 3 + 11 * blocks)
        #expect(file.tensors.filter { $0.type == .i2_s }.count == 7 * blocks)
        #expect(file.tensors.prefix(2).map(\.name) == ["output.weight", "token_embd.weight"])
        #expect(Array(file.data(of: file.tensor(named: "output.weight")!))
            == Array(file.data(of: file.tensor(named: "token_embd.weight")!)))
        #expect(Compatibility.check(file).runnable)

        let model = try ModelRegistry.load(file)
        let bitnet = try #require(model as? BitNetLanguageModel)
        #expect(bitnet.variant == BitNet25Architecture.variant)
        var options = SessionOptions()
        options.contextLength = 64
        let session = InferenceSession(model: model, options: options)
        var logits = try session.evaluate([1, 450, 4996, 17354])
        var generated: [Int32] = []
        for _ in 0..<16 {
            #expect(logits.allSatisfy { $0.isFinite })
            let next = ParityMetrics.argmax(logits[...])
            generated.append(next)
            logits = try session.evaluate([next])
        }
        #expect(Set(generated).count > 1, "greedy output repeats one token: \(generated)")
        #expect(session.executedKernels.contains { $0.contains("i2_s") }, "\(session.executedKernels)")
    }

    /// The activation is what separates bitnet-25 from bitnet: the same file run with SiLU gives other logits.
    @Test func reluSquaredIsTheActivation() throws {
        var gate: [Float] = [-2, -0.5, 0, 0.5, 3], up: [Float] = [1, 2, 3, 4, -2], y = [Float](repeating: .nan, count: 5)
        VectorOps.reluSquaredGated(gate: &gate, up: &up, into: &y, count: 5)
        #expect(y == [0, 0, 0, 1, -18])

        let dir = try TestModels.scratchDirectory("bitnet25-activation")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = try GGUFFile(path: try Self.tinyModel(.tq2_0, in: dir))
        let relu = InferenceSession(model: try ModelRegistry.load(file))
        let silu = InferenceSession(model: try BitNetLanguageModel(
            file: file, variant: BitNetVariant(architecture: "bitnet-25", activation: .silu)))
        let prompt: [Int32] = [1, 450, 4996]
        let a = try relu.evaluate(prompt), b = try silu.evaluate(prompt)
        #expect(ParityMetrics.cosine(a[...], b[...]) < 0.999)
    }

    /// Issue 9's must-show: the same weights converted TQ2_0 → I2_S give the same greedy token at every step
    /// (teacher-forced on the TQ2_0 run; a disagreement is allowed only where TQ2_0's own top-two margin is under
    /// the parity tests' 0.1), and cosine ≥ 0.999 at every position — the activation-quantization tolerance derived
    /// in `BitNetI2SEquivalenceTests`.
    @Test func convertedI2SMatchesTQ2ArgmaxAtEveryStep() throws {
        let dir = try TestModels.scratchDirectory("bitnet25-i2s-vs-tq2")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let tq2Path = try Self.tinyModel(.tq2_0, in: dir), i2sPath = dir + "/converted-i2_s.gguf"
        let summary = try TernaryModelConverter(target: .i2_s).convert(input: tq2Path, output: i2sPath)
        #expect(summary.converted == 7 * SyntheticShape.tiny.blockCount && summary.roundedScales == 0)

        var options = SessionOptions()
        options.contextLength = 128
        let a = InferenceSession(model: try ModelRegistry.load(try GGUFFile(path: tq2Path)), options: options)
        let b = InferenceSession(model: try ModelRegistry.load(try GGUFFile(path: i2sPath)), options: options)
        let prompt: [Int32] = [1] + (0..<19).map { Int32(300 + 1_237 * $0 % 31_000) }
        let v = a.vocabSize
        let la = try a.evaluate(prompt, allLogits: true), lb = try b.evaluate(prompt, allLogits: true)
        var cosines = (0..<prompt.count).map {
            ParityMetrics.cosine(la[($0 * v)..<(($0 + 1) * v)], lb[($0 * v)..<(($0 + 1) * v)])
        }
        var rowA = la[((prompt.count - 1) * v)...], rowB = lb[((prompt.count - 1) * v)...]
        var exact = 0, ties = 0
        for step in 0..<SyntheticParityTests.steps {
            switch ParityMetrics.greedyStep(reference: rowA, ours: rowB, tieMargin: SyntheticParityTests.tieMargin) {
            case .exact: exact += 1
            case .nearTie: ties += 1
            case .mismatch(let t, let o, let margin):
                Issue.record("step \(step): TQ2_0 chose \(t), I2_S chose \(o); TQ2_0 margin \(margin)")
            }
            let t = ParityMetrics.argmax(rowA)
            rowA = try a.evaluate([t])[...]
            rowB = try b.evaluate([t])[...]
            cosines.append(ParityMetrics.cosine(rowA, rowB))
        }
        for (p, cos) in cosines.enumerated() where cos < 0.999 { Issue.record("position \(p): cosine \(cos) < 0.999") }
        print("TABLE | bitnet-25 i2_s (converted) vs tq2_0 (ours) | min cosine \(cosines.min() ?? 1) | greedy "
            + "\(exact)/\(SyntheticParityTests.steps) same, \(ties) near-ties | kernels \(b.executedKernels.joined(separator: " "))")
    }

    /// `convert --to tq2_0 --arch bitnet` turns a bitnet-25 I2_S file into one upstream llama.cpp loads; run as
    /// upstream `bitnet` (SiLU), it matches llama.cpp with the method of `BitNetParityTests` — the layout, the
    /// tensors and the attention agree; only the activation (documented) differs from bitnet-25.
    @Test(.enabled(if: ParityMetrics.referenceEnabled, "BITNET_SKIP_REFERENCE_TESTS=1 opts out of the reference tier"))
    func relabelledAsBitnetLoadsInLlamaCpp() throws {
        let dir = try TestModels.scratchDirectory("bitnet25-as-bitnet")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let source = try Self.tinyModel(.i2_s, in: dir), path = dir + "/as-bitnet-tq2_0.gguf"
        let s = try TernaryModelConverter(target: .tq2_0, architecture: "bitnet").convert(input: source, output: path)
        #expect(s.converted == 7 * SyntheticShape.tiny.blockCount)
        let file = try GGUFFile(path: path)
        #expect(file.metadata.architecture == "bitnet" && file.tensor(named: "output.weight") == nil)
        #expect(file.metadata["bitnet.rope.freq_base"]?.float == 10_000)
        try BitNetParityTests().compareWithLlamaCpp(path: path, label: "bitnet-25 → bitnet tq2_0")

        #expect(throws: TernaryConversionError.unsupportedRelabel(from: "bitnet", to: "bitnet-25", supported: ["bitnet-25 → bitnet"])) {
            try TernaryModelConverter(target: .i2_s, architecture: "bitnet-25").convert(input: path, output: dir + "/x.gguf")
        }
    }

    @Test func sameSeedGivesIdenticalFiles() throws {
        let dir = try TestModels.scratchDirectory("bitnet25-determinism")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func bytes(_ seed: UInt64, _ name: String) throws -> Data {
            let path = dir + "/" + name
            try SyntheticModel(architecture: .bitnet25, shape: .tiny, weightType: .i2_s, seed: seed).write(to: path)
            return try Data(contentsOf: URL(fileURLWithPath: path))
        }
        let a = try bytes(7, "a.gguf"), b = try bytes(7, "b.gguf"), c = try bytes(8, "c.gguf")
        #expect(a == b, "same seed, different bytes (so different sha256)")
        #expect(a.count == c.count && a != c, "another seed must change the weights, not the layout")
        // The streamed file is the in-memory writer's bytes.
        let memory = try SyntheticModel(architecture: .bitnet25, shape: .tiny, weightType: .i2_s, seed: 7).makeWriter()
        #expect(Data(memory.serialized()) == a)
        #expect(!FileManager.default.fileExists(atPath: dir + "/a.gguf.partial"))
    }

    /// The 2B-4T shape plans the published file's 333 tensors (names, order, types, shapes) without writing it.
    @Test func bitnet2BPlanHasThePublishedLayout() throws {
        let model = SyntheticModel(architecture: .bitnet25, shape: .bitnet2B, weightType: .i2_s, seed: 1)
        let (metadata, tensors) = try model.layout()
        let plans = tensors.map(\.plan)
        #expect(plans.count == 333)
        #expect(metadata["bitnet-25.vocab_size"]?.int == 128_256)
        #expect(metadata["general.file_type"]?.int == 40)
        #expect(plans.filter { $0.type == .f32 }.count == 121)
        #expect(plans.filter { $0.type == .f16 }.count == 2)
        #expect(plans.filter { $0.type == .i2_s }.count == 210)
        #expect(plans[0] == GGUFTensorPlan(name: "output.weight", type: .f16, shape: [2560, 128_256]))
        #expect(plans[1] == GGUFTensorPlan(name: "token_embd.weight", type: .f16, shape: [2560, 128_256]))
        #expect(plans[2...12].map(\.name) == ["attn_norm", "ffn_down", "ffn_sub_norm", "ffn_gate", "ffn_up", "ffn_norm",
                                               "attn_sub_norm", "attn_k", "attn_output", "attn_q", "attn_v"].map { "blk.0.\($0).weight" })
        #expect(plans[13].name == "blk.1.attn_norm.weight" && plans[24].name == "blk.10.attn_norm.weight")
        #expect(plans[332] == GGUFTensorPlan(name: "output_norm.weight", type: .f32, shape: [2560]))
        let find = { (n: String) in plans.first { $0.name == n } }
        #expect(find("blk.29.ffn_down.weight")?.shape == [6912, 2560])
        #expect(find("blk.29.ffn_gate.weight")?.shape == [2560, 6912])
        #expect(find("blk.29.attn_k.weight")?.shape == [2560, 640])
        #expect(find("blk.29.attn_q.weight")?.shape == [2560, 2560])
        #expect(find("blk.29.ffn_sub_norm.weight")?.shape == [6912])
        #expect(find("blk.29.ffn_down.weight")?.byteCount == 6912 * 2560 / 4 + 32)
    }
}
