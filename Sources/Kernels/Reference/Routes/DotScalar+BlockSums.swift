/// The exact integer part of one block's dot product, for the kernels that combine blocks in ggml's other float
/// orders (`GGMLTiledKQuant`, `GGMLRepack8x8`). Integer sums are exact, so every ggml kernel (vec_dot, tiled,
/// repacked) agrees on them; the kernels differ only in how the per-block floats are combined.
extension DotScalar {
    /// Q4_0 block `wb` · Q8_0 block `xb`: Σ (q − 8)·q_x over 32 elements.
    static func q4_0BlockSum(_ wb: UnsafeRawPointer, _ xb: UnsafeRawPointer) -> Int32 {
        var isum = 0
        for j in 0..<16 {
            let byte = wb.u8(at: 2 + j)
            isum += (Int(byte & 0xF) - 8) * Int(xb.i8(at: 2 + j))
            isum += (Int(byte >> 4) - 8) * Int(xb.i8(at: 18 + j))
        }
        return Int32(isum)
    }

    /// Q4_K super-block · Q8_K block: (Σ_s sc_s·Σ q·q_x, Σ_s m_s·Σ q_x) over the 8 sub-blocks of 32.
    static func q4_KBlockSums(_ wb: UnsafeRawPointer, _ xb: UnsafeRawPointer) -> (Int32, Int32) {
        var isum: Int32 = 0, minSum: Int32 = 0
        for pair in 0..<4 {
            let (s, m) = q4_KPairSums(wb, xb, pair)
            isum += s
            minSum += m
        }
        return (isum, minSum)
    }

    /// The same sums over sub-blocks 2·pair and 2·pair+1 only (64 elements), Σ q_x from the activation's bsums.
    static func q4_KPairSums(_ wb: UnsafeRawPointer, _ xb: UnsafeRawPointer, _ pair: Int) -> (Int32, Int32) {
        let scales = wb + 4, qs = wb + 16
        var isum = 0, minSum = 0
        for sub in 2 * pair ..< 2 * pair + 2 {
            let (sc, m) = DequantizeScalar.scaleMinK4(sub, scales)
            let shift: UInt8 = sub % 2 == 0 ? 0 : 4
            var dot = 0
            for l in 0..<32 {
                dot += Int((qs.u8(at: 32 * (sub / 2) + l) >> shift) & 0xF) * Int(xb.i8(at: 4 + 32 * sub + l))
            }
            isum += Int(sc) * dot
            let xsum = Int(xb.loadUnaligned(fromByteOffset: 260 + 4 * sub, as: Int16.self))
                + Int(xb.loadUnaligned(fromByteOffset: 262 + 4 * sub, as: Int16.self))
            minSum += Int(m) * xsum
        }
        return (Int32(isum), Int32(minSum))
    }

    /// IQ4_NL block · Q8_0 block: Σ v·q_x over 32 elements.
    static func iq4_nlBlockSum(_ wb: UnsafeRawPointer, _ xb: UnsafeRawPointer) -> Int32 {
        var isum = 0
        for j in 0..<16 {
            let byte = wb.u8(at: 2 + j)
            isum += Int(BlockLayout.iq4Values[Int(byte & 0xF)]) * Int(xb.i8(at: 2 + j))
            isum += Int(BlockLayout.iq4Values[Int(byte >> 4)]) * Int(xb.i8(at: 18 + j))
        }
        return Int32(isum)
    }

    /// IQ4_XS super-block · Q8_K block: Σ_s sc_s·Σ v·q_x over the 8 sub-blocks of 32.
    static func iq4_xsBlockSum(_ wb: UnsafeRawPointer, _ xb: UnsafeRawPointer) -> Int32 {
        var isum = 0
        for ib in 0..<8 {
            var dot = 0
            for j in 0..<16 {
                let byte = wb.u8(at: 8 + 16 * ib + j)
                dot += Int(BlockLayout.iq4Values[Int(byte & 0xF)]) * Int(xb.i8(at: 4 + 32 * ib + j))
                dot += Int(BlockLayout.iq4Values[Int(byte >> 4)]) * Int(xb.i8(at: 4 + 32 * ib + 16 + j))
            }
            isum += DequantizeScalar.iq4_xsScale(wb, ib) * dot
        }
        return Int32(isum)
    }

    /// Q2_K super-block · Q8_K block: (Σ_s sc_s·Σ q·q_x, Σ_s m_s·Σ q_x) over the 16 sub-blocks of 16, Σ q_x from the
    /// activation's bsums.
    static func q2_KBlockSums(_ wb: UnsafeRawPointer, _ xb: UnsafeRawPointer) -> (Int32, Int32) {
        var isum = 0, minSum = 0
        for s in 0..<16 {
            let sc = wb.u8(at: s)
            var dot = 0
            for e in 16 * s ..< 16 * s + 16 {
                let q = (wb.u8(at: 16 + 32 * (e / 128) + e % 32) >> (2 * ((e / 32) % 4))) & 3
                dot += Int(q) * Int(xb.i8(at: 4 + e))
            }
            isum += Int(sc & 0xF) * dot
            minSum += Int(sc >> 4) * Int(xb.loadUnaligned(fromByteOffset: 260 + 2 * s, as: Int16.self))
        }
        return (Int32(isum), Int32(minSum))
    }

    /// Q3_K super-block · Q8_K block: Σ_s (sc_s − 32)·Σ (q − 4)·q_x over the 16 sub-blocks of 16.
    static func q3_KBlockSum(_ wb: UnsafeRawPointer, _ xb: UnsafeRawPointer) -> Int32 {
        let scales = DequantizeScalar.q3_KScales(wb)
        var isum = 0
        for s in 0..<16 {
            var dot = 0
            for e in 16 * s ..< 16 * s + 16 {
                let low = (wb.u8(at: 32 + 32 * (e / 128) + e % 32) >> (2 * ((e / 32) % 4))) & 3
                let high = (wb.u8(at: e % 32) >> (e / 32)) & 1
                dot += (Int(low) + 4 * Int(high) - 4) * Int(xb.i8(at: 4 + e))
            }
            isum += scales[s] * dot
        }
        return Int32(isum)
    }

    /// Q5_K super-block · Q8_K block: (Σ_s sc_s·Σ q·q_x, Σ_s m_s·Σ q_x) over the 8 sub-blocks of 32, q the 5-bit
    /// quant (low nibble from `qs`, fifth bit from `qh`).
    static func q5_KBlockSums(_ wb: UnsafeRawPointer, _ xb: UnsafeRawPointer) -> (Int32, Int32) {
        q5_KSums(wb, xb, subBlocks: 0..<8)
    }

    /// `q5_KBlockSums` over sub-blocks 2·pair and 2·pair + 1 only.
    static func q5_KPairSums(_ wb: UnsafeRawPointer, _ xb: UnsafeRawPointer, _ pair: Int) -> (Int32, Int32) {
        q5_KSums(wb, xb, subBlocks: 2 * pair ..< 2 * pair + 2)
    }

    static func q5_KSums(_ wb: UnsafeRawPointer, _ xb: UnsafeRawPointer, subBlocks: Range<Int>) -> (Int32, Int32) {
        let scales = wb + 4, qh = wb + 16, qs = wb + 48
        var isum = 0, minSum = 0
        for sub in subBlocks {
            let (sc, m) = DequantizeScalar.scaleMinK4(sub, scales)
            let shift: UInt8 = sub % 2 == 0 ? 0 : 4
            var dot = 0
            for l in 0..<32 {
                let q = Int((qs.u8(at: 32 * (sub / 2) + l) >> shift) & 0xF) | Int((qh.u8(at: l) >> sub) & 1) << 4
                dot += q * Int(xb.i8(at: 4 + 32 * sub + l))
            }
            isum += Int(sc) * dot
            let xsum = Int(xb.loadUnaligned(fromByteOffset: 260 + 4 * sub, as: Int16.self))
                + Int(xb.loadUnaligned(fromByteOffset: 262 + 4 * sub, as: Int16.self))
            minSum += Int(m) * xsum
        }
        return (Int32(isum), Int32(minSum))
    }

    /// Q6_K super-block · Q8_K block: Σ_g sc_g·Σ (q − 32)·q_x over the 16 groups of 16.
    static func q6_KBlockSum(_ wb: UnsafeRawPointer, _ xb: UnsafeRawPointer) -> Int32 {
        var isum = 0
        for half in 0..<2 {
            let ql = wb + 64 * half, qh = wb + 128 + 32 * half, sc = wb + 192 + 8 * half
            let qx = xb + 4 + 128 * half
            for l in 0..<32 {
                let h = qh.u8(at: l), s = l / 16
                let q1 = Int((ql.u8(at: l) & 0xF) | ((h & 3) << 4)) - 32
                let q2 = Int((ql.u8(at: l + 32) & 0xF) | (((h >> 2) & 3) << 4)) - 32
                let q3 = Int((ql.u8(at: l) >> 4) | (((h >> 4) & 3) << 4)) - 32
                let q4 = Int((ql.u8(at: l + 32) >> 4) | (((h >> 6) & 3) << 4)) - 32
                isum += Int(sc.i8(at: s)) * q1 * Int(qx.i8(at: l))
                isum += Int(sc.i8(at: s + 2)) * q2 * Int(qx.i8(at: l + 32))
                isum += Int(sc.i8(at: s + 4)) * q3 * Int(qx.i8(at: l + 64))
                isum += Int(sc.i8(at: s + 6)) * q4 * Int(qx.i8(at: l + 96))
            }
        }
        return Int32(isum)
    }
}
