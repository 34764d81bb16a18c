import Foundation
import GGUF
import Kernels
import ModelMaker
import TestSupport
import Testing

/// `bitnet convert` (TernaryModelConverter): round trips between the ternary formats are bit-identical where the
/// formats allow, and every conversion that would change a value is refused with a typed error and no output.
struct TernaryConversionTests {
    static func convert(_ input: String, _ target: GGMLType, _ output: String,
                        roundScales: Bool = false) throws -> TernaryModelConverter.Summary {
        try TernaryModelConverter(target: target, roundScales: roundScales).convert(input: input, output: output)
    }

    /// Tensor name → raw data bytes.
    static func tensorData(_ path: String) throws -> [String: [UInt8]] {
        let file = try GGUFFile(path: path)
        return Dictionary(uniqueKeysWithValues: file.tensors.map { ($0.name, Array(file.data(of: $0))) })
    }

    @Test(arguments: [(GGMLType.tq2_0, GGMLType.i2_s), (.i2_s, .tq2_0), (.tq2_0, .tq1_0), (.tq1_0, .tq2_0),
                      (.i2_s, .tq1_0), (.tq1_0, .i2_s)])
    func roundTripIsBitIdentical(_ source: GGMLType, _ via: GGMLType) throws {
        let dir = try TestModels.scratchDirectory("convert-\(source.name)-\(via.name)")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let original = dir + "/original.gguf", middle = dir + "/middle.gguf", back = dir + "/back.gguf"
        try SyntheticModel(architecture: .bitnet25, shape: .tiny, weightType: source, seed: 5).write(to: original)
        let there = try Self.convert(original, via, middle), again = try Self.convert(middle, source, back)
        #expect(there.converted == 14 && there.copied == 11 && again.converted == 14)
        #expect(try GGUFFile(path: middle).tensor(named: "blk.1.ffn_up.weight")?.type == via)
        // Whole files: the metadata is copied and general.file_type goes back to the original's.
        #expect(try Data(contentsOf: URL(fileURLWithPath: back)) == Data(contentsOf: URL(fileURLWithPath: original)))
    }

    /// For one seed the generator writes the same ternary values in every format, so converting its TQ2_0 file
    /// gives exactly the tensors of its I2_S file.
    @Test func convertedTensorsEqualGeneratedOnes() throws {
        let dir = try TestModels.scratchDirectory("convert-vs-generated")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try SyntheticModel(architecture: .bitnet25, shape: .tiny, weightType: .tq2_0, seed: 9).write(to: dir + "/tq2.gguf")
        try SyntheticModel(architecture: .bitnet25, shape: .tiny, weightType: .i2_s, seed: 9).write(to: dir + "/i2s.gguf")
        _ = try Self.convert(dir + "/tq2.gguf", .i2_s, dir + "/converted.gguf")
        #expect(try Self.tensorData(dir + "/converted.gguf") == Self.tensorData(dir + "/i2s.gguf"))
    }

    /// F32 projections holding 0/±s convert (and then equal the generated ternary tensors).
    @Test func ternaryValuedF32ProjectionsConvert() throws {
        let dir = try TestModels.scratchDirectory("convert-f32")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let source = try GGUFFile(path: { () throws -> String in
            let p = dir + "/tq2.gguf"
            try SyntheticModel(architecture: .bitnet25, shape: .tiny, weightType: .tq2_0, seed: 3).write(to: p)
            return p
        }())
        var w = GGUFWriter()
        for (k, v) in source.metadata.entries { w.metadata[k] = v }
        for t in source.tensors {
            guard t.type == .tq2_0 else { try w.addTensor(name: t.name, type: t.type, shape: t.shape, bytes: Array(source.data(of: t))); continue }
            let codes = try TernaryCodes.decode(.tq2_0, source.data(of: t), count: t.elementCount)
            let values = codes.codes.enumerated().map { Float(Int($0.element) - 1) * codes.scales[$0.offset / 256] }
            try w.addTensor(name: t.name, shape: t.shape, f32: values)
        }
        try w.write(to: dir + "/f32.gguf")
        let s = try Self.convert(dir + "/f32.gguf", .tq2_0, dir + "/back.gguf")
        #expect(s.converted == 14 && s.roundedScales == 0)
        let back = try Self.tensorData(dir + "/back.gguf"), original = try Self.tensorData(dir + "/tq2.gguf")
        #expect(back == original)
    }

    @Test func lossyConversionsAreRefusedWithoutOutput() throws {
        let dir = try TestModels.scratchDirectory("convert-refused")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let source = dir + "/tq2.gguf"
        try SyntheticModel(architecture: .bitnet25, shape: .tiny, weightType: .tq2_0, seed: 4).write(to: source)
        let file = try GGUFFile(path: source)
        let name = "blk.0.attn_k.weight"

        func variant(_ label: String, edit: (String, inout [UInt8]) throws -> (GGMLType, [UInt8])?) throws -> String {
            var w = GGUFWriter()
            for (k, v) in file.metadata.entries { w.metadata[k] = v }
            for t in file.tensors {
                var bytes = Array(file.data(of: t))
                let (type, data) = try edit(t.name, &bytes) ?? (t.type, bytes)
                try w.addTensor(name: t.name, type: type, shape: t.shape, bytes: data)
            }
            let path = dir + "/\(label).gguf"
            try w.write(to: path)
            return path
        }
        func expectRefusal(_ input: String, from: GGMLType, _ target: GGMLType, _ expected: TernaryCodecError) {
            let out = dir + "/out.gguf"
            #expect(throws: TernaryConversionError.tensor(name: name, from: from.name, to: target.name, expected)) {
                try Self.convert(input, target, out)
            }
            #expect(!FileManager.default.fileExists(atPath: out) && !FileManager.default.fileExists(atPath: out + ".partial"))
        }

        // Block 1 of one tensor gets another scale (F16 1.0 = 0x3C00): fine for TQ1_0, refused for I2_S.
        let scales = try variant("scales") { n, b in
            guard n == name else { return nil }
            b[66 + 64] = 0x00
            b[66 + 65] = 0x3C
            return (.tq2_0, b)
        }
        let first = HalfConversion.f16ToF32(UInt16(file.data(of: file.tensor(named: name)!)[64])
                                            | UInt16(file.data(of: file.tensor(named: name)!)[65]) << 8)
        expectRefusal(scales, from: .tq2_0, .i2_s, .scalesDiffer(block: 1, scale: 1, first: first))
        _ = try Self.convert(scales, .tq1_0, dir + "/ok.gguf")

        // A non-ternary F32 projection.
        let nonTernary = try variant("f32") { n, _ in
            guard n == name else { return nil }
            var values = [Float](repeating: 0, count: 256 * 128)
            values[0] = 0.5
            values[7] = -0.25
            var bytes = [UInt8](repeating: 0, count: values.count * 4)
            for (i, v) in values.enumerated() { for k in 0..<4 { bytes[4 * i + k] = UInt8(truncatingIfNeeded: v.bitPattern >> (8 * k)) } }
            return (.f32, bytes)
        }
        expectRefusal(nonTernary, from: .f32, .tq2_0, .notTernary(index: 7, value: -0.25, magnitude: 0.5))

        // An I2_S scale with no exact F16 form: refused for TQ2_0 unless rounding is allowed.
        let i2s = dir + "/i2s.gguf"
        _ = try Self.convert(source, .i2_s, i2s)
        let i2sFile = try GGUFFile(path: i2s)
        let odd = try variant("odd-scale") { n, b in
            guard n == name else { return nil }
            var i2 = Array(i2sFile.data(of: i2sFile.tensor(named: name)!))
            withUnsafeBytes(of: Float(0.1).bitPattern.littleEndian) { for k in 0..<4 { i2[i2.count - 32 + k] = $0[k] } }
            return (.i2_s, i2)
        }
        expectRefusal(odd, from: .i2_s, .tq2_0, .scaleNotExactInF16(scale: 0.1))
        let rounded = try Self.convert(odd, .tq2_0, dir + "/rounded.gguf", roundScales: true)
        #expect(rounded.roundedScales == 1)

        #expect(throws: TernaryConversionError.unsupportedTarget("q4_0", supported: ["tq1_0", "tq2_0", "i2_s"])) {
            _ = try TernaryModelConverter.target(named: "q4_0")
        }
    }
}
