import GGUF

/// Dequantizes rows with Swift SIMD vectors (F16 widens through the active level, `HalfVectorOps.widen`). Each
/// function performs the same float operations per element as `DequantizeScalar`, so results are bit-identical to it.
///
/// Bounds: every function reads `count / blockSize` whole blocks from `src` and writes `count` floats to `dst`;
/// callers guarantee both buffers are that large.
public enum Dequantize {
    /// Dequantizes one row of `type`; returns false when `type` has no dequantizer here.
    public static func row(
        _ type: GGMLType, _ src: UnsafeRawPointer, into dst: UnsafeMutablePointer<Float>, count: Int
    ) -> Bool {
        switch type {
        case .f16: f16(src, dst, count)
        case .bf16: bf16(src, dst, count)
        case .q4_0: q4_0(src, dst, count)
        case .q4_1: q4_1(src, dst, count)
        case .q5_0: q5_0(src, dst, count)
        case .q8_0: q8_0(src, dst, count)
        case .q4_K: q4_K(src, dst, count)
        case .q6_K: q6_K(src, dst, count)
        case .tq1_0: tq1_0(src, dst, count)
        case .tq2_0: tq2_0(src, dst, count)
        default: return DequantizeScalar.row(type, src, into: dst, count: count)
        }
        return true
    }

    /// Throwing form for callers that hold an arbitrary tensor type.
    /// - Throws: `KernelError.unsupportedType` when no dequantizer exists, `.rowNotBlockAligned` for a partial block.
    public static func checkedRow(
        _ type: GGMLType, _ src: UnsafeRawPointer, into dst: UnsafeMutablePointer<Float>, count: Int
    ) throws(KernelError) {
        guard let traits = type.traits else { throw .unsupportedType(type) }
        guard count % traits.blockSize == 0 else {
            throw .rowNotBlockAligned(type: type, cols: count, blockSize: traits.blockSize)
        }
        guard row(type, src, into: dst, count: count) else { throw .unsupportedType(type) }
    }

    @inline(__always) static func store(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
    }

    @inline(__always) static func bytes16(_ p: UnsafeRawPointer, _ offset: Int) -> SIMD16<UInt8> {
        p.loadUnaligned(fromByteOffset: offset, as: SIMD16<UInt8>.self)
    }

    static func f16(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        HalfVectorOps.widen(src, into: dst, count: count)
    }

    static func bf16(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        var j = 0
        while j + 8 <= count {
            let h = SIMD8<UInt32>(truncatingIfNeeded: src.loadUnaligned(fromByteOffset: 2 * j, as: SIMD8<UInt16>.self))
            UnsafeMutableRawPointer(dst + j).storeBytes(of: unsafeBitCast(h &<< 16, to: SIMD8<Float>.self),
                                                       as: SIMD8<Float>.self)
            j += 8
        }
        while j < count { dst[j] = BFloat16.toFloat(src.loadUnaligned(fromByteOffset: 2 * j, as: UInt16.self)); j += 1 }
    }

    static func q4_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        for b in 0..<count / 32 {
            let block = src + b * BlockLayout.q4_0Bytes, out = dst + b * 32
            let d = block.f16(at: 0), qs = bytes16(block, 2)
            store(SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: qs & 0xF) &- 8) * d, out)
            store(SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: qs &>> 4) &- 8) * d, out + 16)
        }
    }

    static func q4_1(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        for b in 0..<count / 32 {
            let block = src + b * BlockLayout.q4_1Bytes, out = dst + b * 32
            let d = block.f16(at: 0), m = block.f16(at: 2), qs = bytes16(block, 4)
            store(SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: qs & 0xF)) * d + m, out)
            store(SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: qs &>> 4)) * d + m, out + 16)
        }
    }

    static let laneShifts = SIMD16<UInt32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)

    static func q5_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        for b in 0..<count / 32 {
            let block = src + b * BlockLayout.q5_0Bytes, out = dst + b * 32
            let d = block.f16(at: 0), qs = bytes16(block, 6)
            let qh = block.loadUnaligned(fromByteOffset: 2, as: UInt32.self)
            let hiLow = ((SIMD16<UInt32>(repeating: qh) &>> laneShifts) & 1) &<< 4
            let hiHigh = ((SIMD16<UInt32>(repeating: qh >> 16) &>> laneShifts) & 1) &<< 4
            let lo = SIMD16<Int32>(truncatingIfNeeded: SIMD16<UInt32>(truncatingIfNeeded: qs & 0xF) | hiLow) &- 16
            let hi = SIMD16<Int32>(truncatingIfNeeded: SIMD16<UInt32>(truncatingIfNeeded: qs &>> 4) | hiHigh) &- 16
            store(SIMD16<Float>(lo) * d, out)
            store(SIMD16<Float>(hi) * d, out + 16)
        }
    }

    static func q8_0(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        for b in 0..<count / 32 {
            let block = src + b * BlockLayout.q8_0Bytes, out = dst + b * 32
            let d = block.f16(at: 0)
            for half in 0..<2 {
                let q = block.loadUnaligned(fromByteOffset: 2 + 16 * half, as: SIMD16<Int8>.self)
                store(SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: q)) * d, out + 16 * half)
            }
        }
    }

    static func q4_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        for b in 0..<count / 256 {
            let block = src + b * BlockLayout.q4_KBytes, out = dst + b * 256
            let d = block.f16(at: 0), dmin = block.f16(at: 2)
            for chunk in 0..<4 {
                let (s0, m0) = DequantizeScalar.scaleMinK4(2 * chunk, block + 4)
                let (s1, m1) = DequantizeScalar.scaleMinK4(2 * chunk + 1, block + 4)
                let d0 = d * Float(s0), min0 = dmin * Float(m0), d1 = d * Float(s1), min1 = dmin * Float(m1)
                for half in 0..<2 {
                    let qs = bytes16(block, 16 + 32 * chunk + 16 * half)
                    let o = out + 64 * chunk + 16 * half
                    store(d0 * SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: qs & 0xF)) - min0, o)
                    store(d1 * SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: qs &>> 4)) - min1, o + 32)
                }
            }
        }
    }

    static func q6_K(_ src: UnsafeRawPointer, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        for b in 0..<count / 256 {
            let block = src + b * BlockLayout.q6_KBytes
            let d = block.f16(at: 208)
            for part in 0..<2 {
                let sc = block + 192 + 8 * part
                for half in 0..<2 {  // l in 16·half ..< 16·half+16 uses scale index `half` (+2, +4, +6)
                    let l = 16 * half
                    let qlA = bytes16(block, 64 * part + l), qlB = bytes16(block, 64 * part + 32 + l)
                    let qh = bytes16(block, 128 + 32 * part + l)
                    let q1 = (qlA & 0xF) | ((qh & 3) &<< 4)
                    let q2 = (qlB & 0xF) | (((qh &>> 2) & 3) &<< 4)
                    let q3 = (qlA &>> 4) | (((qh &>> 4) & 3) &<< 4)
                    let q4 = (qlB &>> 4) | (((qh &>> 6) & 3) &<< 4)
                    let out = dst + b * 256 + 128 * part + l
                    @inline(__always) func emit(_ q: SIMD16<UInt8>, _ k: Int) {
                        let scale = d * Float(sc.i8(at: half + 2 * k))
                        store(scale * SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: q) &- 32), out + 32 * k)
                    }
                    emit(q1, 0); emit(q2, 1); emit(q3, 2); emit(q4, 3)
                }
            }
        }
    }
}
