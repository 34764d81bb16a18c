import GGUF

/// Q8_K activations and the K-quants.
extension DequantizeScalar {
    static func q8_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        for b in 0..<count / 256 {
            let block = src + b * BlockLayout.q8_KBytes, out = dst + b * 256
            let d = block.loadUnaligned(as: Float.self)
            for j in 0..<256 { out[j] = d * Float(block.i8(at: 4 + j)) }
        }
    }

    /// The 6-bit scale and min of sub-block `j` (0..<8) of a Q4_K block's 12 packed scale bytes.
    @inline(__always)
    static func scaleMinK4(_ j: Int, _ scales: UnsafeRawPointer) -> (scale: UInt8, min: UInt8) {
        if j < 4 { return (scales.u8(at: j) & 63, scales.u8(at: j + 4) & 63) }
        let scale = (scales.u8(at: j + 4) & 0xF) | ((scales.u8(at: j - 4) >> 6) << 4)
        let min = (scales.u8(at: j + 4) >> 4) | ((scales.u8(at: j) >> 6) << 4)
        return (scale, min)
    }

    static func q4_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        for b in 0..<count / 256 {
            let block = src + b * BlockLayout.q4_KBytes, out = dst + b * 256
            let d = block.f16(at: 0), dmin = block.f16(at: 2)
            let scales = block + 4, qs = block + 16
            for chunk in 0..<4 {  // 64 elements: low nibbles of 32 bytes, then their high nibbles
                let (s0, m0) = scaleMinK4(2 * chunk, scales), (s1, m1) = scaleMinK4(2 * chunk + 1, scales)
                let d0 = d * Float(s0), min0 = dmin * Float(m0), d1 = d * Float(s1), min1 = dmin * Float(m1)
                for l in 0..<32 {
                    let byte = qs.u8(at: 32 * chunk + l)
                    out[64 * chunk + l] = d0 * Float(byte & 0xF) - min0
                    out[64 * chunk + 32 + l] = d1 * Float(byte >> 4) - min1
                }
            }
        }
    }

    /// IQ4_NL (18 bytes / 32): d, 16 bytes of nibbles (element j low, j + 16 high) indexing `BlockLayout.iq4Values`.
    static func iq4_nl(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        for b in 0..<count / 32 {
            let block = src + b * BlockLayout.iq4_nlBytes, out = dst + b * 32
            let d = block.f16(at: 0)
            for j in 0..<16 {
                let byte = block.u8(at: 2 + j)
                out[j] = d * Float(BlockLayout.iq4Values[Int(byte & 0xF)])
                out[j + 16] = d * Float(BlockLayout.iq4Values[Int(byte >> 4)])
            }
        }
    }

    /// The signed 6-bit scale (ls − 32) of sub-block `ib` (0..<8) of an IQ4_XS block: low nibble from
    /// `scales_l[ib / 2]`, top two bits from `scales_h`.
    static func iq4_xsScale(_ block: UnsafeRawPointer, _ ib: Int) -> Int {
        let low = (block.u8(at: 4 + ib / 2) >> (4 * (ib % 2))) & 0xF
        let high = (block.loadUnaligned(fromByteOffset: 2, as: UInt16.self) >> (2 * ib)) & 3
        return Int(low) | Int(high) << 4 - 32
    }

    /// IQ4_XS (136 bytes / 256): d, 2 + 4 bytes of 6-bit sub-block scales, then per sub-block of 32 IQ4_NL's nibbles.
    static func iq4_xs(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        for b in 0..<count / 256 {
            let block = src + b * BlockLayout.iq4_xsBytes, out = dst + b * 256
            let d = block.f16(at: 0)
            for ib in 0..<8 {
                let dl = d * Float(iq4_xsScale(block, ib))
                for j in 0..<16 {
                    let byte = block.u8(at: 8 + 16 * ib + j)
                    out[32 * ib + j] = dl * Float(BlockLayout.iq4Values[Int(byte & 0xF)])
                    out[32 * ib + j + 16] = dl * Float(BlockLayout.iq4Values[Int(byte >> 4)])
                }
            }
        }
    }

    /// Q2_K (84 bytes / 256): 16 bytes of (scale, min) nibbles per sub-block of 16, 64 bytes of 2-bit quants
    /// (bits 2i of byte 32h + l hold element 128h + 32i + l), d, dmin; value d·sc·q − dmin·m.
    static func q2_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        for b in 0..<count / 256 {
            let block = src + b * BlockLayout.q2_KBytes, out = dst + b * 256
            let d = block.f16(at: 80), dmin = block.f16(at: 82)
            for e in 0..<256 {
                let sc = block.u8(at: e / 16), q = (block.u8(at: 16 + 32 * (e / 128) + e % 32) >> (2 * ((e / 32) % 4))) & 3
                out[e] = (d * Float(sc & 0xF)) * Float(q) - dmin * Float(sc >> 4)
            }
        }
    }

    /// The 16 signed 6-bit sub-block scales (raw − 32) of a Q3_K block, from the 12 packed bytes at offset 96:
    /// low nibbles of bytes 0…7 then their high nibbles, each with two more bits from bytes 8…11.
    static func q3_KScales(_ block: UnsafeRawPointer) -> [Int] {
        (0..<16).map { s in
            let b = s % 4, part = s / 4  // parts: low nibble of 0…3, of 4…7, high nibble of 0…3, of 4…7
            let byte = block.u8(at: 96 + b + 4 * (part % 2))
            let low = part < 2 ? byte & 0xF : byte >> 4
            let high = (block.u8(at: 96 + 8 + b) >> (2 * part)) & 3
            return Int(low | high << 4) - 32
        }
    }

    /// Q3_K (110 bytes / 256): 32 bytes of high bits (bit g of byte l for element 32g + l), 64 bytes of low bit
    /// pairs laid out as Q2_K's, 12 bytes of packed 6-bit scales, d; value d·(sc − 32)·(q − 4), q the 3-bit quant.
    static func q3_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        for b in 0..<count / 256 {
            let block = src + b * BlockLayout.q3_KBytes, out = dst + b * 256
            let d = block.f16(at: 108), scales = q3_KScales(block)
            for e in 0..<256 {
                let low = (block.u8(at: 32 + 32 * (e / 128) + e % 32) >> (2 * ((e / 32) % 4))) & 3
                let high = (block.u8(at: e % 32) >> (e / 32)) & 1
                out[e] = (d * Float(scales[e / 16])) * Float(Int(low) - (high == 1 ? 0 : 4))
            }
        }
    }

    /// Q5_K (176 bytes / 256): d, dmin, the Q4_K scale packing, 32 bytes of fifth bits (bit 2c of byte l for element
    /// 64c + l, bit 2c + 1 for 64c + 32 + l), 128 bytes of low nibbles as Q4_K's.
    static func q5_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        for b in 0..<count / 256 {
            let block = src + b * BlockLayout.q5_KBytes, out = dst + b * 256
            let d = block.f16(at: 0), dmin = block.f16(at: 2)
            let scales = block + 4, qh = block + 16, qs = block + 48
            for chunk in 0..<4 {
                let (s0, m0) = scaleMinK4(2 * chunk, scales), (s1, m1) = scaleMinK4(2 * chunk + 1, scales)
                let d0 = d * Float(s0), min0 = dmin * Float(m0), d1 = d * Float(s1), min1 = dmin * Float(m1)
                for l in 0..<32 {
                    let byte = qs.u8(at: 32 * chunk + l), high = qh.u8(at: l) >> (2 * chunk)
                    out[64 * chunk + l] = d0 * Float((byte & 0xF) | ((high & 1) << 4)) - min0
                    out[64 * chunk + 32 + l] = d1 * Float((byte >> 4) | ((high & 2) << 3)) - min1
                }
            }
        }
    }

    static func q6_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        for b in 0..<count / 256 {
            let block = src + b * BlockLayout.q6_KBytes
            let d = block.f16(at: 208)
            for half in 0..<2 {  // 128 elements from ql[64], qh[32], scales[8]
                let ql = block + 64 * half, qh = block + 128 + 32 * half, sc = block + 192 + 8 * half
                let out = dst + b * 256 + 128 * half
                for l in 0..<32 {
                    let h = qh.u8(at: l), s = l / 16
                    let q1 = Int((ql.u8(at: l) & 0xF) | ((h & 3) << 4)) - 32
                    let q2 = Int((ql.u8(at: l + 32) & 0xF) | (((h >> 2) & 3) << 4)) - 32
                    let q3 = Int((ql.u8(at: l) >> 4) | (((h >> 4) & 3) << 4)) - 32
                    let q4 = Int((ql.u8(at: l + 32) >> 4) | (((h >> 6) & 3) << 4)) - 32
                    out[l] = d * Float(sc.i8(at: s)) * Float(q1)
                    out[l + 32] = d * Float(sc.i8(at: s + 2)) * Float(q2)
                    out[l + 64] = d * Float(sc.i8(at: s + 4)) * Float(q3)
                    out[l + 96] = d * Float(sc.i8(at: s + 6)) * Float(q4)
                }
            }
        }
    }
}
