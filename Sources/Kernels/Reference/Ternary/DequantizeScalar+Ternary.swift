/// Scalar reference dequantizers for the ternary formats (weights in {−1, 0, +1} times a scale).
///
/// | format | elements | bytes | layout |
/// |--------|----------|-------|--------|
/// | TQ1_0  | 256 | 54 | qs[48] (five base-3 digits a byte), qh[4] (four digits a byte), d (F16) |
/// | TQ2_0  | 256 | 66 | qs[64] (four 2-bit codes a byte), d (F16) |
/// | I2_S   | 128 | 32 | four 2-bit codes a byte, high bits first; one F32 scale after the whole tensor |
///
/// In every format a code c ∈ 0…2 stands for the weight c − 1; the value is `Float(c − 1) · d` as in ggml's
/// `dequantize_row_tq*` (the `gguf` package reproduces these bit for bit).
extension DequantizeScalar {
    /// The digit a TQ1_0 byte holds at `power` = 3ⁿ: the byte scaled by 3ⁿ (mod 256) is a fixed-point fraction
    /// of 3⁵ = 243 whose top base-3 digit is `(q·3) >> 8`. Valid for any byte, so random bytes decode too.
    @inline(__always)
    static func tq1Code(_ byte: UInt8, _ power: UInt8) -> Int {
        Int((UInt16(byte &* power) &* 3) >> 8)
    }

    /// Calls `body(element, code)` for the 256 elements of the TQ1_0 block at `block` (54 readable bytes).
    ///
    /// Element order: bytes 0..<32 give elements 32n + m (digit n of byte m), bytes 32..<48 give 160 + 16n + m,
    /// and the four qh bytes give 240 + 4n + m.
    @inline(__always)
    static func forEachTQ1Code(_ block: UnsafeRawPointer, _ body: (Int, Int) -> Void) {
        var power: UInt8 = 1
        for n in 0..<5 {
            for m in 0..<32 { body(32 * n + m, tq1Code(block.u8(at: m), power)) }
            for m in 0..<16 { body(160 + 16 * n + m, tq1Code(block.u8(at: 32 + m), power)) }
            if n < 4 { for m in 0..<4 { body(240 + 4 * n + m, tq1Code(block.u8(at: 48 + m), power)) } }
            power &*= 3
        }
    }

    /// The 2-bit code of TQ2_0 element `e` (0..<256) in `block`: byte 32·(e / 128) + e % 32, bits 2·((e / 32) % 4).
    @inline(__always)
    static func tq2Code(_ block: UnsafeRawPointer, _ e: Int) -> Int {
        Int((block.u8(at: 32 * (e / 128) + e % 32) >> UInt8(2 * ((e / 32) % 4))) & 3)
    }

    /// The 2-bit code of I2_S element `e` of a row that starts on a block boundary: block e / 128, byte e % 32 of
    /// it, bits 7:6 for e % 128 < 32, 5:4 below 64, 3:2 below 96, 1:0 otherwise.
    @inline(__always)
    static func i2sCode(_ row: UnsafeRawPointer, _ e: Int) -> Int {
        let r = e % 128
        return Int((row.u8(at: 32 * (e / 128) + r % 32) >> UInt8(6 - 2 * (r / 32))) & 3)
    }

    static func tq1_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        for b in 0..<count / 256 {
            // Block b is bytes 54b ..< 54b+54 of src and elements 256b ..< 256b+256 of dst.
            let block = src + b * BlockLayout.tq1_0Bytes, out = dst + b * 256
            let d = block.f16(at: 52)
            forEachTQ1Code(block) { e, code in out[e] = Float(code - 1) * d }
        }
    }

    static func tq2_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        for b in 0..<count / 256 {
            let block = src + b * BlockLayout.tq2_0Bytes, out = dst + b * 256
            let d = block.f16(at: 64)
            for e in 0..<256 { out[e] = Float(tq2Code(block, e) - 1) * d }
        }
    }

    /// Dequantizes one I2_S row of `count` elements (a multiple of 128) with the tensor's scale.
    public static func i2_s(
        _ src: UnsafeRawPointer, into dst: UnsafeMutablePointer<Float>, count: Int, scale: Float
    ) {
        // The row holds count / 4 bytes; i2sCode(e) reads byte 32·(e/128) + e%32 < count / 4.
        for e in 0..<count { dst[e] = Float(i2sCode(src, e) - 1) * scale }
    }
}
