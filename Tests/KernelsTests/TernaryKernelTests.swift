import GGUF
import Testing
@testable import Kernels

/// TQ1_0 / TQ2_0 (× Q8_K) kernels: dequantizers against the `gguf` package (fixtures from
/// scripts/gen-ternary-fixtures.py), SIMD against scalar, and dot products against exact integer sums.
@Suite struct TernaryKernelTests {
    @Test(arguments: [("tq1_0", GGMLType.tq1_0), ("tq2_0", .tq2_0)])
    func dequantizersMatchGGUFPackageBitForBit(name: String, type: GGMLType) throws {
        let quant = try Fixture.bytes("\(name).quant.bin")
        let expected = try Fixture.floats("\(name).dequant.f32.bin")
        #expect(expected.count == 1024)
        #expect(sameBits(dequantizeScalar(type, quant, count: expected.count), expected))
        #expect(sameBits(dequantizeSIMD(type, quant, count: expected.count), expected))
    }


    /// A Q8_K row of random quants in −127…127 with `d = 1` and consistent bsums.
    static func unitActivations(_ cols: Int, _ rng: inout SeededRNG) -> (bytes: [UInt8], quants: [Int]) {
        var bytes = [UInt8](), quants = [Int]()
        for _ in 0..<cols / 256 {
            let q = (0..<256).map { _ in Int.random(in: -127...127, using: &rng) }
            bytes += withUnsafeBytes(of: Float(1)) { Array($0) }
            bytes += q.map { UInt8(bitPattern: Int8($0)) }
            for g in 0..<16 {
                bytes += withUnsafeBytes(of: Int16(q[16 * g ..< 16 * g + 16].reduce(0, +))) { Array($0) }
            }
            quants += q
        }
        return (bytes, quants)
    }

    /// With weight and activation scales of 1 every float step is exact, so scalar, SIMD and the integer sum of
    /// dequantized codes × quants must agree exactly — including TQ1_0 bytes ≥ 243 and TQ2_0 code 3.
    @Test(arguments: [GGMLType.tq1_0, .tq2_0])
    func dotsEqualExactIntegerSumsWithUnitScales(type: GGMLType) {
        let blockBytes = type.traits!.blockBytes, scaleAt = type == .tq1_0 ? 52 : 64
        for (trial, cols) in [256, 1024, 2816].enumerated() {
            var rng = SeededRNG(seed: 0x7E7 + UInt64(type.rawValue) << 8 + UInt64(trial))
            var w = RandomRows.weights(type, cols: cols, &rng)
            for b in 0..<cols / 256 { w[b * blockBytes + scaleAt] = 0x00; w[b * blockBytes + scaleAt + 1] = 0x3C }
            let (x, q) = Self.unitActivations(cols, &rng)
            let codes = dequantizeScalar(type, w, count: cols)  // c − 1 exactly, since d = 1
            let exact = zip(codes, q).reduce(0) { $0 + Int($1.0) * $1.1 }
            let scalar = DotKernel.kernel(for: type, path: .scalar)!, simd = DotKernel.kernel(for: type)!
            let (s, v) = w.withUnsafeBytes { wp in
                x.withUnsafeBytes { xp in
                    (scalar.dot(wp.baseAddress!, xp.baseAddress!, cols), simd.dot(wp.baseAddress!, xp.baseAddress!, cols))
                }
            }
            #expect(s == Float(exact), "\(scalar.id) cols \(cols)")
            #expect(v == Float(exact), "\(simd.id) cols \(cols)")
        }
    }

    @Test func kernelsPairTernaryWeightsWithQ8K() {
        #expect(DotKernel.kernel(for: .tq1_0)?.activation == .q8_K)
        #expect(DotKernel.kernel(for: .tq2_0, path: .scalar)?.id == "tq2_0×q8_K.scalar")
        if KernelLevel.active.givesX86V3Bits { #expect(DotKernel.kernel(for: .tq1_0)?.id == "tq1_0×q8_K.\(KernelLevel.active)") }
    }
}
