import Testing
@testable import Kernels

/// F16/BF16 conversions against values whose bit patterns are known.
@Suite struct HalfFloatTests {
    @Test func knownF16Patterns() {
        #expect(HalfFloat.fromFloat(1) == 0x3C00)
        #expect(HalfFloat.fromFloat(-2) == 0xC000)
        #expect(HalfFloat.fromFloat(65504) == 0x7BFF)
        #expect(HalfFloat.fromFloat(65520) == 0x7C00)
        #expect(HalfFloat.fromFloat(0x1p-24) == 0x0001)
        #expect(HalfFloat.fromFloat(0x1p-25) == 0x0000)  // tie to even → 0
        #expect(HalfFloat.toFloat(0x0001) == 0x1p-24)
        #expect(HalfFloat.toFloat(0x3555) == Float(0.333251953125))
        #expect(HalfFloat.fromFloat(1 + 0x1p-11) == 0x3C00)  // tie to even (down)
        #expect(HalfFloat.fromFloat(1 + 3 * 0x1p-11) == 0x3C02)  // tie to even (up)
    }

    @Test func f16RoundTripsEveryPattern() {
        for bits in UInt16.min...UInt16.max where (bits & 0x7C00) != 0x7C00 || (bits & 0x3FF) == 0 {
            #expect(HalfFloat.fromFloat(HalfFloat.toFloat(bits)) == bits)
        }
    }

    /// The 8-lane narrowing (F16C on x86-64) gives `fromFloat`'s bits: every F16 value, the midpoints between
    /// neighbours (ties to even), their neighbours one ulp away, overflow, subnormals, signed zeros, infinities.
    @Test func vectorNarrowMatchesScalar() {
        var inputs: [Float] = [0, -0, .infinity, -.infinity, 65504, 65519.99, 65520, 1e9, -1e9, 0x1p-25, 0x1p-26, 1e-30]
        for bits in UInt16.min...0x7BFF {
            let a = HalfFloat.toFloat(bits), b = HalfFloat.toFloat(bits + 1), mid = (a + b) / 2
            inputs += [a, -a, mid, -mid, mid.nextUp, mid.nextDown]
        }
        var vector = [UInt16](repeating: 0, count: inputs.count)
        inputs.withUnsafeBufferPointer { x in
            vector.withUnsafeMutableBufferPointer { HalfVectorOps.narrow(x.baseAddress!, into: $0.baseAddress!, count: x.count) }
        }
        #expect(vector == inputs.map(HalfFloat.fromFloat))
    }

    @Test func bf16RoundsToNearestEven() {
        #expect(BFloat16.fromFloat(1) == 0x3F80)
        #expect(BFloat16.fromFloat(Float(bitPattern: 0x3F80_8000)) == 0x3F80)
        #expect(BFloat16.fromFloat(Float(bitPattern: 0x3F81_8000)) == 0x3F82)
        #expect(BFloat16.toFloat(0xC000) == -2)
    }
}
