import GGUF

/// Scalar reference dequantizers: one block format → `Float`, element by element, in the same arithmetic order as
/// ggml's `dequantize_row_*` (so results equal the `gguf` Python package's bit for bit).
///
/// Every function reads `count / blockSize` whole blocks from `src` and writes `count` floats to `dst`; the caller
/// guarantees both buffers are that large (`WeightMatrix` checks tensor sizes once at load time).
public enum DequantizeScalar {
    /// Dequantizes one row of `type`; returns false when `type` has no dequantizer here.
    public static func row(
        _ type: GGMLType, _ src: UnsafeRawPointer, into dst: UnsafeMutablePointer<Float>, count: Int
    ) -> Bool {
        switch type {
        case .f32: dst.update(from: src.assumingMemoryBound(to: Float.self), count: count)
        case .f16: for j in 0..<count { dst[j] = src.f16(at: 2 * j) }
        case .bf16: for j in 0..<count { dst[j] = BFloat16.toFloat(src.loadUnaligned(fromByteOffset: 2 * j, as: UInt16.self)) }
        case .q4_0: q4_0(src, dst, count)
        case .q4_1: q4_1(src, dst, count)
        case .q5_0: q5_0(src, dst, count)
        case .q8_0: q8_0(src, dst, count)
        case .q4_K: q4_K(src, dst, count)
        case .q6_K: q6_K(src, dst, count)
        case .tq1_0: tq1_0(src, dst, count)
        case .tq2_0: tq2_0(src, dst, count)
        case .q8_1: q8_1(src, dst, count)
        case .q8_K: q8_K(src, dst, count)
        default: return false
        }
        return true
    }

    static func q4_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        for b in 0..<count / 32 {
            let block = src + b * BlockLayout.q4_0Bytes, out = dst + b * 32
            let d = block.f16(at: 0)
            for j in 0..<16 {
                let byte = block.u8(at: 2 + j)
                out[j] = Float(Int(byte & 0xF) - 8) * d
                out[j + 16] = Float(Int(byte >> 4) - 8) * d
            }
        }
    }

    static func q4_1(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        for b in 0..<count / 32 {
            let block = src + b * BlockLayout.q4_1Bytes, out = dst + b * 32
            let d = block.f16(at: 0), m = block.f16(at: 2)
            for j in 0..<16 {
                let byte = block.u8(at: 4 + j)
                out[j] = Float(byte & 0xF) * d + m
                out[j + 16] = Float(byte >> 4) * d + m
            }
        }
    }

    static func q5_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        for b in 0..<count / 32 {
            let block = src + b * BlockLayout.q5_0Bytes, out = dst + b * 32
            let d = block.f16(at: 0)
            let qh = block.loadUnaligned(fromByteOffset: 2, as: UInt32.self)
            for j in 0..<16 {
                let byte = block.u8(at: 6 + j)
                let lo = Int(byte & 0xF) | Int((qh >> UInt32(j)) & 1) << 4
                let hi = Int(byte >> 4) | Int((qh >> UInt32(j + 16)) & 1) << 4
                out[j] = Float(lo - 16) * d
                out[j + 16] = Float(hi - 16) * d
            }
        }
    }

    static func q8_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        for b in 0..<count / 32 {
            let block = src + b * BlockLayout.q8_0Bytes, out = dst + b * 32
            let d = block.f16(at: 0)
            for j in 0..<32 { out[j] = Float(block.i8(at: 2 + j)) * d }
        }
    }

    static func q8_1(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        for b in 0..<count / 32 {
            let block = src + b * BlockLayout.q8_1Bytes, out = dst + b * 32
            let d = block.f16(at: 0)
            for j in 0..<32 { out[j] = Float(block.i8(at: 4 + j)) * d }
        }
    }

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
