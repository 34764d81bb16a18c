import Foundation
import GGUF
import TestSupport
import Testing

/// Property test: whatever the writer writes, the reader reads back identically (metadata, shapes, bytes).
@Suite struct GGUFRoundTripTests {
    static func randomScalar(_ t: GGUFValueType, _ rng: inout SeededRandom) -> GGUFValue {
        switch t {
        case .uint8: .uint8(.random(in: .min ... .max, using: &rng))
        case .int8: .int8(.random(in: .min ... .max, using: &rng))
        case .uint16: .uint16(.random(in: .min ... .max, using: &rng))
        case .int16: .int16(.random(in: .min ... .max, using: &rng))
        case .uint32: .uint32(.random(in: .min ... .max, using: &rng))
        case .int32: .int32(.random(in: .min ... .max, using: &rng))
        case .float32: .float32(Float(bitPattern: .random(in: 0 ... 0x7f7f_ffff, using: &rng)))
        case .bool: .bool(.random(using: &rng))
        case .string: .string(randomString(&rng))
        case .uint64: .uint64(.random(in: .min ... .max, using: &rng))
        case .int64: .int64(.random(in: .min ... .max, using: &rng))
        case .float64: .float64(Double.random(in: -1e300 ... 1e300, using: &rng))
        case .array: .array(.uint8, [])
        }
    }

    static func randomString(_ rng: inout SeededRandom) -> String {
        let alphabet = Array("abcXYZ019 _.-\n\tÄé中文🙂\u{0}")
        return String((0..<Int.random(in: 0...24, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
    }

    static func randomValue(_ rng: inout SeededRandom, depth: Int) -> GGUFValue {
        let t = GGUFValueType.allCases.randomElement(using: &rng)!
        guard t == .array else { return randomScalar(t, &rng) }
        let elem = depth < 2 ? GGUFValueType.allCases.randomElement(using: &rng)! : .int32
        let n = Int.random(in: 0...40, using: &rng)
        let values = (0..<n).map { _ in elem == .array ? randomValue(&rng, depth: depth + 1) : randomScalar(elem, &rng) }
        // Nested arrays must all be arrays; randomValue may return a scalar, so wrap those.
        return .array(elem, values.map { v in elem == .array && v.type != .array ? .array(.int32, []) : v })
    }

    @Test(arguments: 0..<40)
    func writeThenReadIsIdentity(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        var w = GGUFWriter(alignment: [16, 32, 64, 128].randomElement(using: &rng)!)
        for i in 0..<Int.random(in: 0...30, using: &rng) {
            w.metadata["key.\(i).\(Self.randomString(&rng))"] = Self.randomValue(&rng, depth: 0)
        }
        let types: [GGMLType] = [.f32, .f16, .bf16, .q4_0, .q4_1, .q8_0, .q4_K, .q6_K, .tq1_0, .tq2_0, .i2_s]
        for i in 0..<Int.random(in: 0...12, using: &rng) {
            let type = types.randomElement(using: &rng)!
            let block = type.traits!.blockSize == 1 ? 4 : type.traits!.blockSize
            let shape = [block * Int.random(in: 1...3, using: &rng)] + (0..<Int.random(in: 0...2, using: &rng)).map { _ in
                Int.random(in: 1...3, using: &rng)
            }
            let n = type.byteCount(elementCount: shape.reduce(1, *), rowLength: shape[0])!
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            try w.addTensor(name: "t\(i)", type: type, shape: shape, bytes: bytes)
        }
        let written = w.serialized()
        let file = try GGUFFile(bytes: written, label: "seed-\(seed)")
        #expect(file.metadata == w.metadata)
        #expect(file.tensors.count == w.tensorCount)
        #expect(file.alignment == w.alignment)
        // Bytes: re-serialising what was read gives the same file.
        var again = GGUFWriter(alignment: file.alignment)
        again.metadata = file.metadata
        for t in file.tensors {
            try again.addTensor(name: t.name, type: t.type, shape: t.shape, bytes: Array(file.data(of: t)))
        }
        #expect(again.serialized() == written)
    }

    @Test func writeToDiskIsAtomicAndReadable() throws {
        let dir = try TestModels.scratchDirectory("gguf-write")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var w = GGUFWriter()
        w.metadata["general.architecture"] = .string("llama")
        try w.addTensor(name: "a", shape: [4, 2], f32: [1, 2, 3, 4, 5, 6, 7, 8])
        try w.addTensor(name: "b", shape: [3], f16: [0.5, -2, 65504])
        try w.addTensor(name: "c", shape: [2], bf16: [1.5, -3.25])
        try w.write(to: dir + "/m.gguf")
        #expect(!FileManager.default.fileExists(atPath: dir + "/m.gguf.partial"))
        let f = try GGUFFile(path: dir + "/m.gguf")
        #expect(f.metadata.architecture == "llama")
        let b = f.data(of: try f.requireTensor("b"))
        let halves = (0..<3).map { HalfConversion.f16ToF32(b.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)) }
        #expect(halves == [0.5, -2, 65504])
        let c = f.data(of: try f.requireTensor("c"))
        #expect(HalfConversion.bf16ToF32(c.loadUnaligned(fromByteOffset: 2, as: UInt16.self)) == -3.25)
    }

    @Test func writerRejectsWrongSizes() {
        var w = GGUFWriter()
        #expect(throws: GGUFError.self) { try w.addTensor(name: "q", type: .q4_0, shape: [33], bytes: []) }
        #expect(throws: GGUFError.self) { try w.addTensor(name: "q", type: .q4_0, shape: [32], bytes: [0]) }
        #expect(throws: GGUFError.self) { try w.addTensor(name: "x", shape: [1, 1, 1, 1, 1], f32: [0]) }
    }

    @Test func writeToUnwritablePathFailsCleanly() {
        var w = GGUFWriter()
        w.metadata["k"] = .uint8(1)
        #expect(throws: GGUFError.self) { try w.write(to: "/nonexistent-dir/x.gguf") }
    }

    @Test func typeTableKnowsEveryIdUpTo42() {
        let removed: Set<UInt32> = [4, 5, 31, 32, 33, 37, 38]
        for id in UInt32(0)...42 where !removed.contains(id) {
            #expect(GGMLType(rawValue: id).isKnown, "type id \(id)")
        }
        #expect(GGMLType.i2_s.byteCount(elementCount: 2560 * 2560, rowLength: 2560) == 2560 * 2560 / 4 + 32)
        #expect(GGMLType.tq2_0.traits?.blockBytes == 66)
        #expect(GGMLType.tq1_0.traits?.blockBytes == 54)
        #expect(GGMLType(rawValue: 99).name == "type#99")
    }
}
