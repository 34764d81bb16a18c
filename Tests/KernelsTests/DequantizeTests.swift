import GGUF
import Testing
@testable import Kernels

/// Dequantizers against the `gguf` package (fixtures from scripts/gen-kernel-fixtures.py) and SIMD against scalar.
@Suite struct DequantizeTests {
    static let fixtureTypes: [(String, GGMLType)] = [
        ("f16", .f16), ("bf16", .bf16), ("q4_0", .q4_0), ("q4_1", .q4_1), ("q5_0", .q5_0), ("q8_0", .q8_0),
        ("q4_k", .q4_K), ("q6_k", .q6_K),
    ]

    @Test(arguments: fixtureTypes)
    func scalarAndSIMDMatchGGUFPackageBitForBit(name: String, type: GGMLType) throws {
        let quant = try Fixture.bytes("\(name).quant.bin")
        let expected = try Fixture.floats("\(name).dequant.f32.bin")
        #expect(sameBits(dequantizeScalar(type, quant, count: expected.count), expected))
        #expect(sameBits(dequantizeSIMD(type, quant, count: expected.count), expected))
    }

    @Test(arguments: DotKernel.supportedTypes)
    func simdEqualsScalarOnRandomBlocks(type: GGMLType) {
        var rng = SeededRNG(seed: 0xDE0 + UInt64(type.rawValue))
        let cols = 1024
        let bytes = RandomRows.weights(type, cols: cols, &rng)
        #expect(sameBits(dequantizeSIMD(type, bytes, count: cols), dequantizeScalar(type, bytes, count: cols)))
    }

    @Test func unsupportedTypeIsATypedError() {
        var out = [Float](repeating: 0, count: 256)
        let bytes = [UInt8](repeating: 0, count: 256)
        #expect(throws: KernelError.unsupportedType(.q5_1)) {
            try bytes.withUnsafeBytes { src in
                try out.withUnsafeMutableBufferPointer {
                    try Dequantize.checkedRow(.q5_1, src.baseAddress!, into: $0.baseAddress!, count: 256)
                }
            }
        }
    }
}
