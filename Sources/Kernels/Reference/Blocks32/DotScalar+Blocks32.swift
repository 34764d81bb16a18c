/// The 32-element block formats (Q4_0, Q4_1, Q5_0, Q8_0) against Q8_0 / Q8_1 activations.
extension DotScalar {
    /// Q4_0 · Q8_0.
    public static func q4_0(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        var sum: Float = 0
        for b in 0..<count / 32 {
            let wb = w + b * BlockLayout.q4_0Bytes, xb = x + b * BlockLayout.q8_0Bytes
            var isum = 0
            for j in 0..<16 {
                let byte = wb.u8(at: 2 + j)
                isum += (Int(byte & 0xF) - 8) * Int(xb.i8(at: 2 + j))
                isum += (Int(byte >> 4) - 8) * Int(xb.i8(at: 18 + j))
            }
            sum += Float(isum) * (wb.f16(at: 0) * xb.f16(at: 0))
        }
        return sum
    }

    /// Q4_1 · Q8_1: `d_w·d_x·Σ q_w q_x + m_w·s_x` per block, where `s_x = d_x·Σ q_x`.
    public static func q4_1(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        var sum: Float = 0
        for b in 0..<count / 32 {
            let wb = w + b * BlockLayout.q4_1Bytes, xb = x + b * BlockLayout.q8_1Bytes
            var isum = 0
            for j in 0..<16 {
                let byte = wb.u8(at: 4 + j)
                isum += Int(byte & 0xF) * Int(xb.i8(at: 4 + j))
                isum += Int(byte >> 4) * Int(xb.i8(at: 20 + j))
            }
            sum += (wb.f16(at: 0) * xb.f16(at: 0)) * Float(isum) + wb.f16(at: 2) * xb.f16(at: 2)
        }
        return sum
    }

    /// Q5_0 · Q8_0.
    public static func q5_0(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        var sum: Float = 0
        for b in 0..<count / 32 {
            let wb = w + b * BlockLayout.q5_0Bytes, xb = x + b * BlockLayout.q8_0Bytes
            let qh = wb.loadUnaligned(fromByteOffset: 2, as: UInt32.self)
            var isum = 0
            for j in 0..<16 {
                let byte = wb.u8(at: 6 + j)
                let lo = Int(byte & 0xF) | Int((qh >> UInt32(j)) & 1) << 4
                let hi = Int(byte >> 4) | Int((qh >> UInt32(j + 16)) & 1) << 4
                isum += (lo - 16) * Int(xb.i8(at: 2 + j)) + (hi - 16) * Int(xb.i8(at: 18 + j))
            }
            sum += (wb.f16(at: 0) * xb.f16(at: 0)) * Float(isum)
        }
        return sum
    }

    /// Q8_0 · Q8_0.
    public static func q8_0(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        var sum: Float = 0
        for b in 0..<count / 32 {
            let wb = w + b * BlockLayout.q8_0Bytes, xb = x + b * BlockLayout.q8_0Bytes
            var isum = 0
            for j in 0..<32 { isum += Int(wb.i8(at: 2 + j)) * Int(xb.i8(at: 2 + j)) }
            sum += Float(isum) * (wb.f16(at: 0) * xb.f16(at: 0))
        }
        return sum
    }
}
