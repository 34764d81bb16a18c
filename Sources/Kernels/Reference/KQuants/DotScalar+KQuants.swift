/// The K-quants (Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS) and IQ4_NL against their activations: per (super-)block the
/// exact integer sums (`DotScalar+BlockSums`), then `(d·d_x)·S` (minus `(dmin·d_x)·M`) added in block order.
extension DotScalar {
    /// Q4_K · Q8_K: per super-block `d·d_x·Σ_s sc_s·Σ q·q_x − dmin·d_x·Σ_s m_s·Σ q_x` (the second sum from bsums).
    public static func q4_K(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        superBlocks(w, x, count, blockBytes: BlockLayout.q4_KBytes) { wb, xb, dx in
            let (isum, minSum) = q4_KBlockSums(wb, xb)
            return (wb.f16(at: 0) * dx) * Float(isum) - (wb.f16(at: 2) * dx) * Float(minSum)
        }
    }

    /// Q5_K · Q8_K: as Q4_K with 5-bit quants.
    public static func q5_K(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        superBlocks(w, x, count, blockBytes: BlockLayout.q5_KBytes) { wb, xb, dx in
            let (isum, minSum) = q5_KBlockSums(wb, xb)
            return (wb.f16(at: 0) * dx) * Float(isum) - (wb.f16(at: 2) * dx) * Float(minSum)
        }
    }

    /// Q2_K · Q8_K: as Q4_K over 16 sub-blocks of 16 with 4-bit scales and mins.
    public static func q2_K(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        superBlocks(w, x, count, blockBytes: BlockLayout.q2_KBytes) { wb, xb, dx in
            let (isum, minSum) = q2_KBlockSums(wb, xb)
            return (wb.f16(at: 80) * dx) * Float(isum) - (wb.f16(at: 82) * dx) * Float(minSum)
        }
    }

    /// Q3_K · Q8_K: per super-block `d·d_x·Σ_s sc_s·Σ (q − 4)·q_x` over 16 sub-blocks of 16.
    public static func q3_K(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        superBlocks(w, x, count, blockBytes: BlockLayout.q3_KBytes) { wb, xb, dx in
            (wb.f16(at: 108) * dx) * Float(q3_KBlockSum(wb, xb))
        }
    }

    /// Q6_K · Q8_K: per super-block `d·d_x·Σ_g sc_g·Σ (q−32)·q_x` over 16 groups of 16.
    public static func q6_K(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        superBlocks(w, x, count, blockBytes: BlockLayout.q6_KBytes) { wb, xb, dx in
            (wb.f16(at: 208) * dx) * Float(q6_KBlockSum(wb, xb))  // exact: the same integer every Q6_K route uses
        }
    }

    /// IQ4_XS · Q8_K: per super-block `d·d_x·Σ_s sc_s·Σ v·q_x` over 8 sub-blocks of 32, v the non-linear levels.
    public static func iq4_xs(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        superBlocks(w, x, count, blockBytes: BlockLayout.iq4_xsBytes) { wb, xb, dx in
            (wb.f16(at: 0) * dx) * Float(iq4_xsBlockSum(wb, xb))
        }
    }

    /// IQ4_NL · Q8_0: per block `d·d_x·Σ v·q_x`.
    public static func iq4_nl(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        var sum: Float = 0
        for b in 0..<count / 32 {
            let wb = w + b * BlockLayout.iq4_nlBytes, xb = x + b * BlockLayout.q8_0Bytes
            sum += (wb.f16(at: 0) * xb.f16(at: 0)) * Float(iq4_nlBlockSum(wb, xb))
        }
        return sum
    }

    /// Σ over a row's super-blocks of `term(weight block, Q8_K block, d_x)`, added in block order.
    @inline(__always)
    static func superBlocks(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int, blockBytes: Int,
                            _ term: (UnsafeRawPointer, UnsafeRawPointer, Float) -> Float) -> Float {
        var sum: Float = 0
        for b in 0..<count / 256 {
            let wb = w + b * blockBytes, xb = x + b * BlockLayout.q8_KBytes
            sum += term(wb, xb, xb.loadUnaligned(as: Float.self))
        }
        return sum
    }
}
