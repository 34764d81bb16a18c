import Foundation
import GGUF
import Kernels
import ModelMaker
import TestSupport
import Testing

/// `bitnet convert --to q8_0|q4_0|q4_1` (ModelRequantizer): every matrix becomes the target type with exactly the
/// bytes of llama.cpp's reference quantizer applied to the dequantized original, everything else is copied, and a
/// failure leaves no output behind.
struct RequantizationTests {
    @Test(arguments: [(GGMLType.q4_1, GGMLType.q8_0), (.q4_K, .q8_0), (.f16, .q4_0), (.q8_0, .q4_1)])
    func matricesAreReferenceQuantizedFromTheDequantizedOriginal(_ source: GGMLType, _ target: GGMLType) throws {
        let dir = try TestModels.scratchDirectory("requantize-\(source.name)-\(target.name)")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let input = dir + "/in.gguf", output = dir + "/out.gguf"
        try SyntheticModel(shape: .tiny, weightType: source, seed: 9).write(to: input)
        let summary = try ModelRequantizer(target: target).convert(input: input, output: output)
        let a = try GGUFFile(path: input), b = try GGUFFile(path: output)
        #expect(summary.requantized == a.tensors.filter { $0.shape.count == 2 }.count)
        #expect(summary.copied == a.tensors.filter { $0.shape.count == 1 }.count)
        #expect(b.metadata["general.file_type"]?.int == Int(SyntheticModel.fileType(for: target)))
        #expect(b.tensors.map(\.name) == a.tensors.map(\.name))
        for t in a.tensors {
            let u = try #require(b.tensor(named: t.name))
            #expect(u.shape == t.shape)
            guard t.shape.count == 2 else {
                #expect(u.type == t.type && Array(b.data(of: u)) == Array(a.data(of: t)), "\(t.name) not copied")
                continue
            }
            #expect(u.type == target)
            // Expected bytes: each row dequantized, then the reference quantizer (Q8_0: round half away from zero).
            let cols = t.shape[0], rows = t.shape[1], sourceRow = a.data(of: t).count / rows
            let targetRow = cols / 32 * target.traits!.blockBytes
            var x = [Float](repeating: 0, count: cols), expected = [UInt8](repeating: 0, count: rows * targetRow)
            for r in 0..<rows {
                x.withUnsafeMutableBufferPointer { x in
                    #expect(Dequantize.row(t.type, a.data(of: t).baseAddress! + r * sourceRow, into: x.baseAddress!,
                                           count: cols))
                    expected.withUnsafeMutableBytes { out in
                        let y = out.baseAddress! + r * targetRow
                        switch target {
                        case .q4_0: WeightQuantizer.quantizeQ4_0(x.baseAddress!, into: y, count: cols)
                        case .q4_1: WeightQuantizer.quantizeQ4_1(x.baseAddress!, into: y, count: cols)
                        default: ActivationQuantizer.quantizeQ8_0Scalar(x.baseAddress!, into: y, count: cols,
                                                                        rounding: .reference)
                        }
                    }
                }
            }
            #expect(Array(b.data(of: u)) == expected, "\(t.name): bytes differ from the reference quantizer")
        }
    }

    /// `--token-embedding-type q8_0` on a tied ternary model: only token_embd.weight changes type (to the bytes of
    /// the full requantization of that tensor), every other tensor and `general.file_type` are copied.
    @Test func tokenEmbeddingAloneIsRequantized() throws {
        let dir = try TestModels.scratchDirectory("requantize-embedding")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let input = dir + "/in.gguf", output = dir + "/out.gguf", full = dir + "/full.gguf"
        try SyntheticModel(architecture: .bitnet, shape: .tiny, weightType: .tq2_0, seed: 9).write(to: input)
        let summary = try ModelRequantizer(target: .q8_0, only: ModelRequantizer.tokenEmbeddingTensors)
            .convert(input: input, output: output)
        try ModelRequantizer(target: .q8_0).convert(input: input, output: full)
        let a = try GGUFFile(path: input), b = try GGUFFile(path: output), c = try GGUFFile(path: full)
        #expect(summary.requantized == 1, "a tied model has one embedding/output matrix")
        #expect(b.metadata["general.file_type"]?.int == a.metadata["general.file_type"]?.int)
        for t in a.tensors {
            let u = try #require(b.tensor(named: t.name))
            if t.name == "token_embd.weight" {
                let v = try #require(c.tensor(named: t.name))
                #expect(u.type == .q8_0 && Array(b.data(of: u)) == Array(c.data(of: v)))
            } else {
                #expect(u.type == t.type && Array(b.data(of: u)) == Array(a.data(of: t)), "\(t.name) not copied")
            }
        }
    }

    @Test func refusalsAreTypedAndLeaveNoOutput() throws {
        let dir = try TestModels.scratchDirectory("requantize-errors")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let input = dir + "/in.gguf"
        try SyntheticModel(shape: .tiny, weightType: .q4_1, seed: 9).write(to: input)
        #expect(throws: RequantizationError.unsupportedTarget("q5_K")) { try ModelRequantizer(target: .q5_K) }
        #expect(throws: RequantizationError.sameFile(input)) {
            try ModelRequantizer(target: .q8_0).convert(input: input, output: input)
        }
        let missing = dir + "/no-such-dir/out.gguf"
        #expect { try ModelRequantizer(target: .q8_0).convert(input: input, output: missing) } throws: { error in
            guard case .output = error as? RequantizationError else { return false }
            return true
        }
        #expect(!FileManager.default.fileExists(atPath: missing))
        #expect(!FileManager.default.fileExists(atPath: missing + ".partial"))
        let truncated = dir + "/cut.gguf", out = dir + "/out.gguf"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: input))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: truncated))
        #expect { try ModelRequantizer(target: .q8_0).convert(input: truncated, output: out) } throws: { error in
            guard case .input = error as? RequantizationError else { return false }
            return true
        }
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}
