import Foundation
import Testing
@testable import Kernels

/// `GGMLMath` (the SIMD paths) against scalar references written lane by lane from the same formulas, bit for bit,
/// plus sanity bounds against libm so a wrong constant cannot hide behind a matching reference.
@Suite struct GGMLMathTests {
    /// The 8-lane maximum equals a scalar running maximum, with masked (−∞) positions anywhere, all masked, and
    /// the largest value in every lane position.
    @Test func maximumMatchesScalarRunningMaximum() {
        var rng = SystemRandomNumberGenerator()
        for trial in 0..<200 {
            var x = (0..<64).map { _ in Float.random(in: -50...50, using: &rng) }
            for j in 0..<64 where (j + trial) % 5 == 0 { x[j] = -.infinity }
            if trial == 0 { x = [Float](repeating: -.infinity, count: 64) }
            if trial < 64 { x[trial] = 1000 }
            let expected = x.reduce(-Float.infinity) { $0 > $1 ? $0 : $1 }
            #expect(x.withUnsafeBufferPointer { GGMLMath.maximum($0.baseAddress!, count: 64) } == expected)
        }
    }

    /// One lane of ggml's vector exp, in scalar code.
    static func scalarExp(_ x: Float) -> Float {
        let r: Float = 0x1.8p23
        let z = r.addingProduct(x, 0x1.715476p+0)
        let n = z - r
        let b = x.addingProduct(-n, 0x1.62e4p-1).addingProduct(-n, 0x1.7f7d1cp-20)
        let e = z.bitPattern &<< 23
        let k = Float(bitPattern: e &+ Float(1).bitPattern)
        let u = b * b
        let inner = Float(0x1.573e2ep-5).addingProduct(0x1.0e4020p-7, b)
        let outer = Float(0x1.fffdb6p-2).addingProduct(0x1.555e66p-3, b)
        let j = (Float(0x1.ffffecp-1) * b).addingProduct(outer.addingProduct(inner, u), u)
        let magnitude = abs(n)
        guard magnitude > 126 else { return k.addingProduct(j, k) }
        let g: UInt32 = n <= 0 ? 0x8200_0000 : 0
        let s1 = Float(bitPattern: g &+ 0x7F00_0000), s2 = Float(bitPattern: e &- g)
        if magnitude > 192 { return s1 * s1 }
        return s2.addingProduct(s2, j) * s1
    }

    static func lanes(_ x: [Float], _ i: Int) -> SIMD8<Float> { SIMD8(x[i..<(i + 8)]) }

    @Test func vectorExpEqualsScalarLaneByLaneAndStaysNearLibm() {
        var rng = SeededRNG(seed: 0xE7)
        var inputs: [Float] = (0..<4096).map { _ in Float.random(in: -110...95, using: &rng) }
        inputs += [0, -0, 1, -1, 88.3, 88.4, -87.3, -103.9, -104, 126.5, -150, 200, -.infinity, .infinity]
        while inputs.count % 8 != 0 { inputs.append(0.5) }
        for i in stride(from: 0, to: inputs.count, by: 8) {
            let v = GGMLMath.exp(Self.lanes(inputs, i))
            for l in 0..<8 {
                let x = inputs[i + l], s = Self.scalarExp(x)
                #expect(v[l].bitPattern == s.bitPattern, "x = \(x): SIMD \(v[l]) vs scalar \(s)")
                if x > -87, x < 88 {  // normal results: within 2 ulp of libm (ggml states ≤ 1.5)
                    let libm = Foundation.exp(x)
                    #expect(abs(v[l] - libm) <= 2 * libm.ulp, "x = \(x): \(v[l]) vs libm \(libm)")
                }
            }
        }
        #expect(GGMLMath.exp(SIMD8(repeating: -.infinity)) == SIMD8(repeating: 0))
        #expect(GGMLMath.exp(SIMD8(repeating: 0)) == SIMD8(repeating: 1))
    }

    @Test(arguments: [1, 7, 8, 13, 256, 259])
    func softmaxEqualsScalarReference(count: Int) {
        var rng = SeededRNG(seed: 0x50F + UInt64(count))
        var x: [Float] = (0..<count).map { _ in Float.random(in: -12...12, using: &rng) }
        if count > 4 { x[3] = -.infinity }  // a masked position
        var expected = x
        let maximum = x.max()!
        var sum = 0.0, i = 0
        while i + 8 <= count {
            let e = (0..<8).map { Self.scalarExp(x[i + $0] - maximum) }
            for l in 0..<8 { expected[i + l] = e[l] }
            sum += Double(((e[0] + e[4]) + (e[2] + e[6])) + ((e[1] + e[5]) + (e[3] + e[7])))
            i += 8
        }
        while i < count { expected[i] = expf(x[i] - maximum); sum += Double(expected[i]); i += 1 }
        let inverse = Float(1 / sum)
        expected = expected.map { $0 * inverse }
        x.withUnsafeMutableBufferPointer { GGMLMath.softmax($0.baseAddress!, count: count) }
        #expect(sameBits(x, expected))
        let total = x.reduce(0.0) { $0 + Double($1) }
        #expect(abs(total - 1) < 1e-5, "softmax sums to \(total)")
    }

    @Test(arguments: [(64, 3), (13, 2), (1536, 1), (8, 5)])
    func swigluEqualsScalarReferencePerRow(width: Int, rows: Int) {
        var rng = SeededRNG(seed: 0x5C + UInt64(width))
        let count = width * rows
        let gate = RandomRows.floats(count, &rng, scale: 9), up = RandomRows.floats(count, &rng, scale: 3)
        var expected = [Float](repeating: 0, count: count)
        for r in 0..<rows {
            let vectorEnd = r * width + width / 8 * 8
            for j in (r * width)..<((r + 1) * width) {
                let x = gate[j]
                let silu = j < vectorEnd ? x / (1 + Self.scalarExp(0 - x)) : x / (1 + expf(-x))
                expected[j] = silu * up[j]
            }
        }
        var y = [Float](repeating: .nan, count: count)
        gate.withUnsafeBufferPointer { g in up.withUnsafeBufferPointer { u in y.withUnsafeMutableBufferPointer { o in
            GGMLMath.swiglu(gate: g.baseAddress!, up: u.baseAddress!, into: o.baseAddress!, count: count, width: width)
        } } }
        #expect(sameBits(y, expected))
        // And close to the textbook formula.
        for j in 0..<count {
            let plain = gate[j] / (1 + Foundation.exp(-gate[j])) * up[j]
            #expect(abs(y[j] - plain) <= 1e-5 * max(1, abs(plain)), "element \(j): \(y[j]) vs \(plain)")
        }
    }

    @Test(arguments: [64, 256, 40, 7])
    func dotVecFollowsGGMLOrder(count: Int) {
        var rng = SeededRNG(seed: 0xD07 + UInt64(count))
        let x = RandomRows.floats(count, &rng), y = RandomRows.floats(count, &rng)
        // Reference: 32 scalar accumulators (4 registers × 8 lanes), each a chain of fused multiply-adds.
        var acc = [Float](repeating: 0, count: 32)
        let whole = count / 32 * 32
        for i in 0..<whole { acc[i % 32] = acc[i % 32].addingProduct(x[i], y[i]) }
        var v = [Float](repeating: 0, count: 8)
        for l in 0..<8 {
            let even: Float = acc[l] + acc[16 + l], odd: Float = acc[8 + l] + acc[24 + l]
            v[l] = even + odd
        }
        var t = [Float](repeating: 0, count: 4)
        for l in 0..<4 { t[l] = v[l] + v[4 + l] }
        let front: Float = t[0] + t[1], back: Float = t[2] + t[3]
        // The tail in Float, as gcc compiled ggml's `sumf += x[i]*y[i]`: rounded products, the last count % 4 fused.
        var expected = front + back
        for i in whole..<count {
            if i < count - count % 4 { expected += x[i] * y[i] } else { expected = expected.addingProduct(x[i], y[i]) }
        }
        let got = x.withUnsafeBufferPointer { a in y.withUnsafeBufferPointer { b in
            GGMLMath.dotVec(a.baseAddress!, b.baseAddress!, count: count) } }
        #expect(got.bitPattern == expected.bitPattern)
        let exact = zip(x, y).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        #expect(abs(Double(got) - exact) < 1e-5)
    }
}
