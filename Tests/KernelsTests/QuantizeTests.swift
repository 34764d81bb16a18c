import GGUF
import Testing
@testable import Kernels

/// Quantizers against llama.cpp's reference (via the `gguf` package fixtures) and SIMD against scalar.
@Suite struct QuantizeTests {
    func quantize(
        _ x: [Float], bytes: Int, _ body: (UnsafePointer<Float>, UnsafeMutableRawPointer, Int) -> Void
    ) -> [UInt8] {
        var out = [UInt8](repeating: 0xAA, count: bytes)
        x.withUnsafeBufferPointer { src in out.withUnsafeMutableBytes { body(src.baseAddress!, $0.baseAddress!, x.count) } }
        return out
    }

    @Test func q8_0ReferenceMatchesGGUFBitForBit() throws {
        let x = try Fixture.floats("source.f32.bin")
        let expected = try Fixture.bytes("q8_0.quant.bin")
        let scalar = quantize(x, bytes: expected.count) { ActivationQuantizer.quantizeQ8_0Scalar($0, into: $1, count: $2, rounding: .reference) }
        let simd = quantize(x, bytes: expected.count) { ActivationQuantizer.quantizeQ8_0($0, into: $1, count: $2, rounding: .reference) }
        #expect(scalar == expected)
        #expect(simd == expected)
    }

    /// The prefill layout holds `quantizeQ8_0`'s quants and scales, rearranged: quants 32 bytes per block, then each
    /// block's F16 scale widened to F32, zero padding to a multiple of 32 bytes.
    @Test func q8_0SplitHoldsTheSameQuantsAndScales() throws {
        let x = try Fixture.floats("source.f32.bin")
        for count in [x.count / 32 * 32, 288, 96] {  // 512 elements: 16 blocks; 9 and 3 blocks pad their scales
            let row = Array(x[0..<count]), blocks = count / 32
            let q8 = quantize(row, bytes: blocks * 34) { ActivationQuantizer.quantizeQ8_0($0, into: $1, count: $2) }
            let split = quantize(row, bytes: ActivationFormat.q8_0Split.rowBytes(count)) {
                ActivationQuantizer.quantizeQ8_0Split($0, into: $1, count: $2)
            }
            #expect(split.count % 32 == 0)
            for b in 0..<blocks {
                #expect(split[32 * b ..< 32 * b + 32].elementsEqual(q8[34 * b + 2 ..< 34 * b + 34]))
                let half = UInt16(q8[34 * b]) | UInt16(q8[34 * b + 1]) << 8
                let scale = split.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: count + 4 * b, as: Float.self) }
                #expect(scale.bitPattern == HalfFloat.toFloat(half).bitPattern)
            }
            #expect(split[(count + 4 * blocks)...].allSatisfy { $0 == 0 })
        }
    }

    @Test func q8_1ReferenceMatchesScriptBitForBit() throws {
        let x = try Fixture.floats("source.f32.bin")
        let expected = try Fixture.bytes("q8_1.quant.bin")
        let scalar = quantize(x, bytes: expected.count) { ActivationQuantizer.quantizeQ8_1Scalar($0, into: $1, count: $2, rounding: .reference) }
        let simd = quantize(x, bytes: expected.count) { ActivationQuantizer.quantizeQ8_1($0, into: $1, count: $2, rounding: .reference) }
        #expect(scalar == expected)
        #expect(simd == expected)
    }

    @Test func q4_0AndQ4_1MatchGGUFBitForBit() throws {
        let x = try Fixture.floats("source.f32.bin")
        let q4_0 = try Fixture.bytes("q4_0.quant.bin"), q4_1 = try Fixture.bytes("q4_1.quant.bin")
        #expect(quantize(x, bytes: q4_0.count) { WeightQuantizer.quantizeQ4_0($0, into: $1, count: $2) } == q4_0)
        #expect(quantize(x, bytes: q4_1.count) { WeightQuantizer.quantizeQ4_1($0, into: $1, count: $2) } == q4_1)
    }

    @Test func f16AndBF16RoundingMatchGGUF() throws {
        let x = try Fixture.floats("source.f32.bin")
        for (name, format) in [("f16", ActivationFormat.f16), ("bf16", .bf16)] {
            #expect(RandomRows.activations(x, format) == (try Fixture.bytes("\(name).quant.bin")), "\(name)")
        }
    }

    @Test func ggmlCPURoundingDiffersOnlyOnTies() throws {
        // The fixture's block 3 holds exact half-way cases (amax 127 → d = 1).
        let x = try Fixture.floats("source.f32.bin")
        let reference = RandomRows.activations(x, .q8_0)  // .ggmlCPU
        let ties = Array(x[96..<128])
        let q = reference[3 * 34 + 2 ..< 4 * 34].map { Int8(bitPattern: $0) }
        #expect(q[0] == 127)
        for j in 1..<32 { #expect(Float(q[j]) == ties[j].rounded(.toNearestOrEven)) }
    }

    @Test(arguments: [Q8Rounding.reference, .ggmlCPU])
    func simdEqualsScalarOnRandomRows(rounding: Q8Rounding) {
        var rng = SeededRNG(seed: 7)
        for trial in 0..<20 {
            let x = RandomRows.floats(1024, &rng, scale: Float(trial + 1) * 0.37)
            let a = quantize(x, bytes: 32 * 34) { ActivationQuantizer.quantizeQ8_0Scalar($0, into: $1, count: $2, rounding: rounding) }
            let b = quantize(x, bytes: 32 * 34) { ActivationQuantizer.quantizeQ8_0($0, into: $1, count: $2, rounding: rounding) }
            #expect(a == b)
            let c = quantize(x, bytes: 32 * 36) { ActivationQuantizer.quantizeQ8_1Scalar($0, into: $1, count: $2, rounding: rounding) }
            let d = quantize(x, bytes: 32 * 36) { ActivationQuantizer.quantizeQ8_1($0, into: $1, count: $2, rounding: rounding) }
            #expect(c == d)
        }
    }

    @Test func q8_KScaleSumsAndZeroBlock() throws {
        var x = try Fixture.floats("source.f32.bin")
        x.replaceSubrange(256..<512, with: repeatElement(0, count: 256))
        let q = RandomRows.activations(x, .q8_K)
        q.withUnsafeBytes { raw in
            // Block 0: the element of largest magnitude maps to −127 (scale is −max/127), bsums are sums of 16.
            let d = raw.loadUnaligned(fromByteOffset: 0, as: Float.self)
            let quants = (0..<256).map { Int(Int8(bitPattern: raw[4 + $0])) }
            let big = x[0..<256].indices.max { abs(x[$0]) < abs(x[$1]) }!
            #expect(quants[big] == -127)
            #expect(d == 1 / (-127 / x[big]))
            for g in 0..<16 {
                #expect(Int(raw.loadUnaligned(fromByteOffset: 260 + 2 * g, as: Int16.self)) == quants[16 * g ..< 16 * g + 16].reduce(0, +))
            }
            for j in 0..<256 { #expect(abs(d * Float(quants[j]) - x[j]) <= abs(d) * 0.5001) }
            // Block 1 is all zero: d, quants and sums all zero.
            #expect(raw[292..<584].allSatisfy { $0 == 0 })
        }
    }
}
