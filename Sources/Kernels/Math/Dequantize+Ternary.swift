/// SIMD dequantizers for the ternary formats: the same `Float(c − 1) · d` per element as `DequantizeScalar`, so
/// bit-identical to it. Bounds as for the rest of `Dequantize`.
extension Dequantize {
    @inline(__always) static func storeCodes(_ codes: SIMD16<UInt8>, _ d: Float, _ out: UnsafeMutablePointer<Float>) {
        store(SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: codes) &- 1) * d, out)
    }

    /// Top base-3 digit of each byte scaled by `power` (see `DequantizeScalar.tq1Code`).
    @inline(__always) static func tq1Codes(_ bytes: SIMD16<UInt8>, _ power: UInt8) -> SIMD16<UInt8> {
        SIMD16<UInt8>(truncatingIfNeeded: (SIMD16<UInt16>(truncatingIfNeeded: bytes &* power) &* 3) &>> 8)
    }

    /// Powers of three for the 16 qh elements 240 + 4n + m (lane 4n + m holds qh[m] · 3ⁿ).
    static let qhPowers = SIMD16<UInt8>(1, 1, 1, 1, 3, 3, 3, 3, 9, 9, 9, 9, 27, 27, 27, 27)

    static func tq1_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        for b in 0..<count / 256 {
            let block = src + b * BlockLayout.tq1_0Bytes, out = dst + b * 256
            let d = block.f16(at: 52)
            let lo = bytes16(block, 0), hi = bytes16(block, 16), tail = bytes16(block, 32)
            var power: UInt8 = 1
            for n in 0..<5 {
                storeCodes(tq1Codes(lo, power), d, out + 32 * n)
                storeCodes(tq1Codes(hi, power), d, out + 32 * n + 16)
                storeCodes(tq1Codes(tail, power), d, out + 160 + 16 * n)
                power &*= 3
            }
            let qh = block.loadUnaligned(fromByteOffset: 48, as: SIMD4<UInt8>.self)
            let spread = SIMD16<UInt8>(lowHalf: SIMD8(lowHalf: qh, highHalf: qh), highHalf: SIMD8(lowHalf: qh, highHalf: qh))
            storeCodes(SIMD16<UInt8>(truncatingIfNeeded: (SIMD16<UInt16>(truncatingIfNeeded: spread &* qhPowers) &* 3) &>> 8),
                       d, out + 240)
        }
    }

    static func tq2_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        for b in 0..<count / 256 {
            let block = src + b * BlockLayout.tq2_0Bytes, out = dst + b * 256
            let d = block.f16(at: 64)
            for half in 0..<2 {
                for part in 0..<2 {  // bytes 32·half + 16·part ..< +16 → elements 128·half + 32·l + 16·part + m
                    let raw = bytes16(block, 32 * half + 16 * part)
                    for l in 0..<4 {
                        storeCodes((raw &>> UInt8(2 * l)) & 3, d, out + 128 * half + 32 * l + 16 * part)
                    }
                }
            }
        }
    }

    /// Dequantizes one I2_S row of `count` elements (a multiple of 128) with the tensor's scale.
    public static func i2_s(_ src: UnsafeRawPointer, into dst: UnsafeMutablePointer<Float>, count: Int, scale: Float) {
        for b in 0..<count / 128 {  // row bytes 32b ..< 32b+32 → elements 128b + 32k + m, bits 6 − 2k of byte m
            for part in 0..<2 {
                let raw = bytes16(src, 32 * b + 16 * part)
                for k in 0..<4 {
                    storeCodes((raw &>> UInt8(6 - 2 * k)) & 3, scale, dst + 128 * b + 32 * k + 16 * part)
                }
            }
        }
    }
}
