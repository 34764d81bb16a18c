/// The K-quants (Q2_K, Q3_K, Q4_K, Q5_K, Q6_K) against Q8_K activations.
extension DotScalar {
    /// Q4_K · Q8_K: per super-block `d·d_x·Σ_s sc_s·Σ q·q_x − dmin·d_x·Σ_s m_s·Σ q_x` (the second sum from bsums).
    public static func q4_K(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        var sum: Float = 0
        for b in 0..<count / 256 {
            let wb = w + b * BlockLayout.q4_KBytes, xb = x + b * BlockLayout.q8_KBytes
            let scales = wb + 4, qs = wb + 16
            var isum = 0, minSum = 0
            for sub in 0..<8 {
                let (sc, m) = DequantizeScalar.scaleMinK4(sub, scales)
                let shift: UInt8 = sub % 2 == 0 ? 0 : 4
                var dot = 0
                for l in 0..<32 {
                    let q = Int((qs.u8(at: 32 * (sub / 2) + l) >> shift) & 0xF)
                    dot += q * Int(xb.i8(at: 4 + 32 * sub + l))
                }
                isum += Int(sc) * dot
                let bsums = Int(xb.loadUnaligned(fromByteOffset: 260 + 4 * sub, as: Int16.self))
                    + Int(xb.loadUnaligned(fromByteOffset: 262 + 4 * sub, as: Int16.self))
                minSum += Int(m) * bsums
            }
            let dx = xb.loadUnaligned(as: Float.self)
            sum += (wb.f16(at: 0) * dx) * Float(isum) - (wb.f16(at: 2) * dx) * Float(minSum)
        }
        return sum
    }

    /// IQ4_NL · Q8_0: per block `d·d_x·Σ v·q_x`, v the non-linear level of each nibble.
    public static func iq4_nl(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        var sum: Float = 0
        for b in 0..<count / 32 {
            let wb = w + b * BlockLayout.iq4_nlBytes, xb = x + b * BlockLayout.q8_0Bytes
            sum += (wb.f16(at: 0) * xb.f16(at: 0)) * Float(iq4_nlBlockSum(wb, xb))
        }
        return sum
    }

    /// IQ4_XS · Q8_K: per super-block `d·d_x·Σ_s sc_s·Σ v·q_x` over 8 sub-blocks of 32.
    public static func iq4_xs(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        var sum: Float = 0
        for b in 0..<count / 256 {
            let wb = w + b * BlockLayout.iq4_xsBytes, xb = x + b * BlockLayout.q8_KBytes
            sum += (wb.f16(at: 0) * xb.loadUnaligned(as: Float.self)) * Float(iq4_xsBlockSum(wb, xb))
        }
        return sum
    }

    /// Q2_K · Q8_K: per super-block `d·d_x·Σ_s sc_s·Σ q·q_x − dmin·d_x·Σ_s m_s·Σ q_x` over 16 sub-blocks of 16.
    public static func q2_K(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        var sum: Float = 0
        for b in 0..<count / 256 {
            let wb = w + b * BlockLayout.q2_KBytes, xb = x + b * BlockLayout.q8_KBytes
            let (isum, minSum) = q2_KBlockSums(wb, xb)
            let dx = xb.loadUnaligned(as: Float.self)
            sum += (wb.f16(at: 80) * dx) * Float(isum) - (wb.f16(at: 82) * dx) * Float(minSum)
        }
        return sum
    }

    /// Q3_K · Q8_K: per super-block `d·d_x·Σ_s sc_s·Σ (q − 4)·q_x` over 16 sub-blocks of 16.
    public static func q3_K(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        var sum: Float = 0
        for b in 0..<count / 256 {
            let wb = w + b * BlockLayout.q3_KBytes, xb = x + b * BlockLayout.q8_KBytes
            sum += (wb.f16(at: 108) * xb.loadUnaligned(as: Float.self)) * Float(q3_KBlockSum(wb, xb))
        }
        return sum
    }

    /// Q5_K · Q8_K: as Q4_K with 5-bit quants, `d·d_x·Σ_s sc_s·Σ q·q_x − dmin·d_x·Σ_s m_s·Σ q_x`.
    public static func q5_K(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        var sum: Float = 0
        for b in 0..<count / 256 {
            let wb = w + b * BlockLayout.q5_KBytes, xb = x + b * BlockLayout.q8_KBytes
            let (isum, minSum) = q5_KBlockSums(wb, xb)
            let dx = xb.loadUnaligned(as: Float.self)
            sum += (wb.f16(at: 0) * dx) * Float(isum) - (wb.f16(at: 2) * dx) * Float(minSum)
        }
        return sum
    }

    /// Q6_K · Q8_K: per super-block `d·d_x·Σ_g sc_g·Σ (q−32)·q_x` over 16 groups of 16.
    public static func q6_K(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        var sum: Float = 0
        for b in 0..<count / 256 {
            let wb = w + b * BlockLayout.q6_KBytes, xb = x + b * BlockLayout.q8_KBytes
            let isum = q6_KBlockSum(wb, xb)  // exact: the same integer every Q6_K route uses
            sum += (wb.f16(at: 208) * xb.loadUnaligned(as: Float.self)) * Float(isum)
        }
        return sum
    }
}
