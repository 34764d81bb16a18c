import GGUF
import Testing
import TestSupport
@testable import Kernels

/// The multi-row kernels (`DotKernel.rows`) against the single-row kernels, bit for bit, and the hot single-row
/// AVX2 kernels against a scalar emulation of ggml-cpu's AVX2 accumulation order, bit for bit.
///
/// Bit equality is the contract (docs/parity.md): a last-bit change in one dot product can flip a downstream
/// 8-bit activation code and move the logits, so a faster kernel must return exactly the same Float.
@Suite struct DotRowsTests {
    /// 1…9 rows covers the 4-row passes and every remainder; 576 and 1536 are SmolLM2's row lengths, 2560 the
    /// BitNet 2B shape's (256-element formats), 600 a row with an F16 scalar tail.
    @Test(arguments: DotKernel.supportedTypes)
    func rowsKernelEqualsSingleRowKernelBitForBit(type: GGMLType) {
        guard let kernel = DotKernel.kernel(for: type), let rowsDot = kernel.rows else { return }
        var rng = SeededRNG(seed: 0xD07 + UInt64(type.rawValue))
        let block = max(type.traits?.blockSize ?? 1, kernel.activation.blockSize)
        let lengths = block >= 128 ? [256, 1536, 2560] : type == .f16 ? [256, 576, 600, 1536] : [256, 576, 1536]
        for cols in lengths {
            for rows in 1...9 {
                let w = RandomRows.weights(type, cols: cols, rows: rows, &rng)
                let x = RandomRows.activations(RandomRows.floats(cols, &rng, scale: 4), kernel.activation)
                let stride = w.count / rows
                var multi = [Float](repeating: .nan, count: rows), single = multi
                w.withUnsafeBytes { wp in
                    x.withUnsafeBytes { xp in
                        let w0 = wp.baseAddress!, x0 = xp.baseAddress!
                        multi.withUnsafeMutableBufferPointer { rowsDot(w0, stride, x0, cols, $0.baseAddress!, rows) }
                        for r in 0..<rows { single[r] = kernel.dot(w0 + r * stride, x0, cols) }
                    }
                }
                #expect(sameBits(multi, single), "\(kernel.id) cols \(cols) rows \(rows): \(multi) vs \(single)")
            }
        }
    }

    /// The ternary pair kernels (prefill: two activation rows per pass) against the multi-row decode kernels, for
    /// 1…7 rows (the 2-row passes and the odd last row), bit for bit.
    @Test(.needsAVX2Level, arguments: [GGMLType.tq2_0, .i2_s])
    func ternaryRowPairsEqualRowsKernelBitForBit(type: GGMLType) throws {
        let kernel = try #require(DotKernel.kernel(for: type)), rowsDot = try #require(kernel.rows)
        let pairs = try #require(kernel.prefill?.rowPairs)
        var rng = SeededRNG(seed: 0x9A1 + UInt64(type.rawValue))
        for cols in [256, 2560] {
            for rows in 1...7 {
                // I2_S: codes 0…2 and the 32-byte tensor trailer after rows of cols / 4 bytes.
                let w = type == .i2_s ? I2SKernelTests.tensor(rows: rows, cols: cols, scale: 1, &rng)
                    : RandomRows.weights(type, cols: cols, rows: rows, &rng)
                let stride = type == .i2_s ? cols / 4 : w.count / rows
                let x0 = RandomRows.activations(RandomRows.floats(cols, &rng, scale: 4), kernel.activation)
                let x1 = RandomRows.activations(RandomRows.floats(cols, &rng, scale: 0.5), kernel.activation)
                var p0 = [Float](repeating: .nan, count: rows), p1 = p0, e0 = p0, e1 = p0
                w.withUnsafeBytes { wp in
                    x0.withUnsafeBytes { xp0 in
                        x1.withUnsafeBytes { xp1 in
                            let w0 = wp.baseAddress!, a = xp0.baseAddress!, b = xp1.baseAddress!
                            p0.withUnsafeMutableBufferPointer { o0 in
                                p1.withUnsafeMutableBufferPointer { o1 in
                                    pairs(w0, stride, a, b, cols, o0.baseAddress!, o1.baseAddress!, rows)
                                }
                            }
                            e0.withUnsafeMutableBufferPointer { rowsDot(w0, stride, a, cols, $0.baseAddress!, rows) }
                            e1.withUnsafeMutableBufferPointer { rowsDot(w0, stride, b, cols, $0.baseAddress!, rows) }
                        }
                    }
                }
                #expect(sameBits(p0, e0) && sameBits(p1, e1), "\(kernel.id) cols \(cols) rows \(rows)")
            }
        }
    }

    /// `DotAVX2.q8_0` / `.q4_1` / `.q4_0` equal `GGMLOrder.dot` (an independent scalar model of the order) exactly.
    @Test(.needsV3Bits, arguments: [GGMLType.q8_0, .q4_1, .q4_0])
    func avx2KernelsFollowGGMLOrderBitForBit(type: GGMLType) {
        var rng = SeededRNG(seed: 0x66D1 + UInt64(type.rawValue))
        let kernel = DotKernel.kernel(for: type)!
        for cols in [32, 576, 1536] {
            for _ in 0..<20 {
                let w = RandomRows.weights(type, cols: cols, &rng)
                let x = RandomRows.activations(RandomRows.floats(cols, &rng, scale: 4), kernel.activation)
                let got = w.withUnsafeBytes { wp in x.withUnsafeBytes { kernel.dot(wp.baseAddress!, $0.baseAddress!, cols) } }
                let want = GGMLOrder.dot(type, w, x, cols)
                #expect(got.bitPattern == want.bitPattern, "\(kernel.id) cols \(cols): \(got) vs \(want)")
            }
        }
    }
}

/// Scalar model of ggml-cpu's AVX2 32-block dot products: per block, 8 int32 lanes each summing 4 consecutive
/// products (lane l: elements 4l..<4l+4, with Q4 nibbles unpacked low half then high half); each lane accumulates
/// `fma(d_w·d_x, lane, acc)` in block order; then the 8 lanes are summed as a tree (4 + 4, 2 + 2, 1 + 1), and Q4_1
/// adds its min terms Σ m_w·s_x, accumulated with fused multiply-adds in block order.
enum GGMLOrder {
    static func dot(_ type: GGMLType, _ w: [UInt8], _ x: [UInt8], _ cols: Int) -> Float {
        let wBytes = type.traits!.blockBytes, xBytes = type == .q4_1 ? 36 : 34, xq = type == .q4_1 ? 4 : 2
        var acc = [Float](repeating: 0, count: 8)
        var mins: Float = 0
        for b in 0..<cols / 32 {
            let wb = b * wBytes, xb = b * xBytes
            let quants: [Int32] = (0..<32).map { j in
                switch type {
                case .q8_0: Int32(Int8(bitPattern: w[wb + 2 + j]))
                case .q4_0: Int32(j < 16 ? w[wb + 2 + j] & 0x0F : w[wb + 2 + j - 16] >> 4) - 8
                default: Int32(j < 16 ? w[wb + 4 + j] & 0x0F : w[wb + 4 + j - 16] >> 4)
                }
            }
            let d = half(w, wb) * half(x, xb)
            if type == .q4_1 { mins = mins.addingProduct(half(w, wb + 2), half(x, xb + 2)) }
            for lane in 0..<8 {
                let sum = (4 * lane..<4 * lane + 4).reduce(Int32(0)) { $0 + quants[$1] * Int32(Int8(bitPattern: x[xb + xq + $1])) }
                acc[lane] = acc[lane].addingProduct(d, Float(sum))
            }
        }
        let quad = (0..<4).map { acc[$0] + acc[$0 + 4] }
        let pair = [quad[0] + quad[2], quad[1] + quad[3]]
        return pair[0] + pair[1] + mins
    }

    static func half(_ bytes: [UInt8], _ offset: Int) -> Float {
        HalfFloat.toFloat(UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8)
    }
}
