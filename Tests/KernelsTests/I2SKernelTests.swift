import GGUF
import Testing
@testable import Kernels

/// I2_S (bitnet.cpp, 2-bit codes, per-tensor F32 scale) × per-token I8 activations: dequantizer against the packed
/// fixture (scripts/gen-ternary-fixtures.py), SIMD against scalar, the activation quantizer, and `WeightMatrix` /
/// `matmul` handling of the trailing scale.
@Suite struct I2SKernelTests {
    /// A rows × cols I2_S tensor of random codes 0…2 with `scale` in its 32-byte trailer.
    static func tensor(rows: Int, cols: Int, scale: Float, _ rng: inout SeededRNG) -> [UInt8] {
        var bytes = (0..<rows * cols / 4).map { _ in
            (0..<4).reduce(UInt8(0)) { b, _ in b << 2 | UInt8.random(in: 0...2, using: &rng) }
        }
        bytes += withUnsafeBytes(of: scale) { Array($0) } + [UInt8](repeating: 0, count: 28)
        return bytes
    }

    func dequantize(_ bytes: [UInt8], count: Int, scale: Float, simd: Bool) -> [Float] {
        var out = [Float](repeating: .nan, count: count)
        bytes.withUnsafeBytes { src in
            out.withUnsafeMutableBufferPointer {
                if simd {
                    Dequantize.i2_s(src.baseAddress!, into: $0.baseAddress!, count: count, scale: scale)
                } else {
                    DequantizeScalar.i2_s(src.baseAddress!, into: $0.baseAddress!, count: count, scale: scale)
                }
            }
        }
        return out
    }

    @Test func dequantizersMatchPackedFixture() throws {
        let quant = try Fixture.bytes("i2_s.quant.bin")
        let expected = try Fixture.floats("i2_s.dequant.f32.bin")
        #expect(quant.count == expected.count / 4 + 32)
        let scale = quant.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: expected.count / 4, as: Float.self) }
        #expect(scale == 0.0375)
        #expect(sameBits(dequantize(quant, count: expected.count, scale: scale, simd: false), expected))
        #expect(sameBits(dequantize(quant, count: expected.count, scale: scale, simd: true), expected))
        let matrix = try quant.withUnsafeBytes { try WeightMatrix(type: .i2_s, rows: 2, cols: 256, bytes: $0) }
        #expect(matrix.tensorScale == scale)
        var row = [Float](repeating: .nan, count: 256)
        row.withUnsafeMutableBufferPointer { matrix.dequantizeRow(1, into: $0.baseAddress!) }
        #expect(sameBits(row, Array(expected[256...])))
    }

    @Test func activationQuantizerUsesPerTokenAbsMax() {
        var x = [Float](repeating: 0, count: 128)
        x[0] = 2; x[1] = -2; x[2] = 1; x[3] = 1 / 127; x[4] = -0.5 * 2 / 127  // x[4]·s = −0.5 → −1 (away from 0)
        let row = RandomRows.activations(x, .i8)
        #expect(row.count == 136)
        let q = row[0..<128].map { Int8(bitPattern: $0) }
        #expect(Array(q[0..<5]) == [127, -127, 64, 1, -1])
        let s = row.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 128, as: Float.self) }
        let sum = row.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 132, as: Int32.self) }
        #expect(s == Float(127 / 2.0))
        #expect(sum == Int32(q.reduce(0) { $0 + Int($1) }))
        let zero = RandomRows.activations([Float](repeating: 0, count: 128), .i8)
        #expect(zero[0..<128].allSatisfy { $0 == 0 })
        #expect(zero.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 128, as: Float.self) }.isFinite)
    }

    /// Both kernels compute the same exact integer Σ (c − 1)·q and then one division, so they agree bit for bit;
    /// and they equal the dequantized dot (codes − 1, quants / s) to float rounding.
    @Test func simdEqualsScalarAndDequantizedDot() {
        for (trial, cols) in [128, 256, 2560, 6912].enumerated() {
            var rng = SeededRNG(seed: 0x125 + UInt64(trial))
            let w = Self.tensor(rows: 1, cols: cols, scale: 1, &rng)
            let x = RandomRows.activations(RandomRows.floats(cols, &rng, scale: 3), .i8)
            let scalar = DotKernel.kernel(for: .i2_s, path: .scalar)!, simd = DotKernel.kernel(for: .i2_s)!
            let (s, v) = w.withUnsafeBytes { wp in
                x.withUnsafeBytes { xp in
                    (scalar.dot(wp.baseAddress!, xp.baseAddress!, cols), simd.dot(wp.baseAddress!, xp.baseAddress!, cols))
                }
            }
            #expect(s.bitPattern == v.bitPattern, "cols \(cols): \(s) vs \(v)")
            let codes = dequantize(w, count: cols, scale: 1, simd: false)
            let multiplier = x.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: cols, as: Float.self) }
            let exact = (0..<cols).reduce(0.0) { $0 + Double(codes[$1]) * Double(Int8(bitPattern: x[$1])) }
            #expect(abs(Double(s) - exact / Double(multiplier)) <= 1e-6 * max(1, abs(exact / Double(multiplier))))
        }
    }

    @Test func matmulAppliesTensorScaleOnEveryThreadCount() throws {
        var rng = SeededRNG(seed: 0x1251)
        let rows = 19, cols = 384, scale: Float = 0.03125
        let bytes = Self.tensor(rows: rows, cols: cols, scale: scale, &rng)
        let x = RandomRows.floats(2 * cols, &rng, scale: 2)
        try bytes.withUnsafeBytes { raw in
            let w = try WeightMatrix(type: .i2_s, rows: rows, cols: cols, bytes: raw)
            #expect(w.kernel.activation == .i8)
            var results: [[Float]] = []
            for threads in [1, 2] {
                var y = [Float](repeating: .nan, count: 2 * rows)
                x.withUnsafeBufferPointer { xp in
                    y.withUnsafeMutableBufferPointer {
                        matmul(w, input: xp.baseAddress!, count: 2, output: $0.baseAddress!,
                               pool: ThreadPool(threadCount: threads), scratch: KernelScratch())
                    }
                }
                results.append(y)
            }
            #expect(sameBits(results[0], results[1]))
            for t in 0..<2 {
                let a = RandomRows.activations(Array(x[t * cols ..< (t + 1) * cols]), .i8)
                for r in 0..<rows {
                    let dot = a.withUnsafeBytes { w.kernel.dot(w.row(r), $0.baseAddress!, cols) }
                    #expect(results[0][t * rows + r].bitPattern == (dot * scale).bitPattern)
                }
            }
        }
    }

    @Test func weightMatrixChecksTheTrailerAndRowAlignment() {
        let bytes = [UInt8](repeating: 0x55, count: 2 * 128 / 4 + 32)
        bytes.withUnsafeBytes { raw in
            #expect(throws: KernelError.sizeMismatch(type: .i2_s, rows: 2, cols: 128, expected: 96, found: 95)) {
                try WeightMatrix(type: .i2_s, rows: 2, cols: 128, bytes: UnsafeRawBufferPointer(rebasing: raw[0..<95]))
            }
            #expect(throws: KernelError.rowNotBlockAligned(type: .i2_s, cols: 64, blockSize: 128)) {
                try WeightMatrix(type: .i2_s, rows: 4, cols: 64, bytes: raw)
            }
        }
        var nan = bytes
        withUnsafeBytes(of: Float.nan) { for k in 0..<4 { nan[64 + k] = $0[k] } }
        _ = nan.withUnsafeBytes { raw in
            #expect(throws: KernelError.invalidTensorScale(type: .i2_s, value: "nan")) {
                try WeightMatrix(type: .i2_s, rows: 2, cols: 128, bytes: raw)
            }
        }
    }
}
