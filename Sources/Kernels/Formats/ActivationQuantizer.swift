/// Converts F32 activation rows into the formats dot products consume (see `ActivationFormat`).
///
/// Q8_0 and Q8_1 come in three roundings, because llama.cpp itself has three: its reference quantizer
/// (`quantize_row_q8_0_ref`, also what the `gguf` Python package reproduces) and the ones ggml-cpu runs on x86 and on
/// ARM64 when it quantizes activations for a matmul. The matmul here asks for `.ggmlCPU`, which the ARM64 levels'
/// tables (`RowKernels`) read as `.ggmlARM`, so logits follow llama.cpp on the CPU they run on.
public enum Q8Rounding: Sendable {
    /// `quantize_row_q8_*_ref`: `d = amax/127`, multiplier `1/d`, round half away from zero.
    case reference
    /// ggml-cpu's AVX path: `d = amax/127`, multiplier `127/amax`, round half to even.
    case ggmlCPU
    /// ggml-cpu's Advanced SIMD path (llama.cpp on ARM64): `d = amax/127`, multiplier `1/d`, round half to even.
    case ggmlARM
}

public enum ActivationQuantizer {
    // MARK: Q8_0 / Q8_1 (32-element blocks)

    /// Quantizes `count` floats (a multiple of 32) from `x` into Q8_0 blocks at `y` (`count/32 × 34` bytes),
    /// scalar code, the reference for `quantizeQ8_0`.
    public static func quantizeQ8_0Scalar(
        _ x: UnsafePointer<Float>, into y: UnsafeMutableRawPointer, count: Int, rounding: Q8Rounding
    ) {
        precondition(count % 32 == 0, "Q8_0 rows are whole 32-element blocks")
        for b in 0..<count / 32 {
            // Block b reads x[32b ..< 32b+32] and writes y[34b ..< 34b+34]; both inside the caller's buffers.
            _ = quantizeBlockScalar(x + b * 32, into: y + b * BlockLayout.q8_0Bytes + 2, scaleAt: y + b * 34, rounding)
        }
    }

    /// Quantizes into Q8_1 blocks (`count/32 × 36` bytes), scalar reference for `quantizeQ8_1`.
    public static func quantizeQ8_1Scalar(
        _ x: UnsafePointer<Float>, into y: UnsafeMutableRawPointer, count: Int, rounding: Q8Rounding
    ) {
        precondition(count % 32 == 0, "Q8_1 rows are whole 32-element blocks")
        for b in 0..<count / 32 {
            let block = y + b * BlockLayout.q8_1Bytes
            // Same bounds as Q8_0 with 36-byte blocks; the sum field sits at bytes 2..<4.
            let (d, sum) = quantizeBlockScalar(x + b * 32, into: block + 4, scaleAt: block, rounding)
            block.storeF16(Float(sum) * d, at: 2)
        }
    }

    /// One 32-element block: writes the F16 scale at `scaleAt` and 32 int8 at `qs`; returns (d, Σq).
    @inline(__always)
    static func quantizeBlockScalar(
        _ x: UnsafePointer<Float>, into qs: UnsafeMutableRawPointer, scaleAt: UnsafeMutableRawPointer,
        _ rounding: Q8Rounding
    ) -> (Float, Int) {
        var amax: Float = 0
        for j in 0..<32 { amax = max(amax, abs(x[j])) }
        let d = amax / 127
        scaleAt.storeF16(d, at: 0)
        let multiplier = multiplier(amax: amax, d: d, rounding)
        var sum = 0
        for j in 0..<32 {
            let v = x[j] * multiplier
            let r = rounding == .reference ? v.rounded(.toNearestOrAwayFromZero) : v.rounded(.toNearestOrEven)
            let q = Int8(r)  // |r| ≤ 127 because |x[j]| ≤ amax
            qs.storeBytes(of: q, toByteOffset: j, as: Int8.self)
            sum += Int(q)
        }
        return (d, sum)
    }

    /// Quantizes into Q8_0 with `SIMD8<Float>` arithmetic; bit-identical to `quantizeQ8_0Scalar`.
    public static func quantizeQ8_0(
        _ x: UnsafePointer<Float>, into y: UnsafeMutableRawPointer, count: Int, rounding: Q8Rounding = .ggmlCPU
    ) {
        // The C kernels know the reference and x86 roundings only; the ARM one is portable code on every CPU.
        if rounding == .ggmlARM { return quantizeQ8_0Portable(x, into: y, count: count, rounding: rounding) }
        RowKernels.active.quantizeQ8_0(x, y, count, rounding.code)
    }

    static func quantizeQ8_0Portable(
        _ x: UnsafePointer<Float>, into y: UnsafeMutableRawPointer, count: Int, rounding: Q8Rounding
    ) {
        precondition(count % 32 == 0, "Q8_0 rows are whole 32-element blocks")
        for b in 0..<count / 32 {
            _ = quantizeBlockSIMD(x + b * 32, into: y + b * BlockLayout.q8_0Bytes + 2, scaleAt: y + b * 34, rounding)
        }
    }

    /// Quantizes into the Q8_0-split layout (`ActivationFormat.q8_0Split`): block b's 32 quants at `32·b`, its scale
    /// at `count + 4·b` as the F32 value of the F16 that `quantizeQ8_0` stores — the same quants and scales,
    /// rearranged so a prefill kernel loads aligned quants and broadcasts the scale without converting it.
    public static func quantizeQ8_0Split(
        _ x: UnsafePointer<Float>, into y: UnsafeMutableRawPointer, count: Int, rounding: Q8Rounding = .ggmlCPU
    ) {
        // The C kernels know the reference and x86 roundings only; the ARM one is portable code on every CPU.
        if rounding == .ggmlARM { return quantizeQ8_0SplitPortable(x, into: y, count: count, rounding: rounding) }
        RowKernels.active.quantizeQ8_0Split(x, y, count, rounding.code)
    }

    static func quantizeQ8_0SplitPortable(
        _ x: UnsafePointer<Float>, into y: UnsafeMutableRawPointer, count: Int, rounding: Q8Rounding
    ) {
        precondition(count % 32 == 0, "Q8_0 rows are whole 32-element blocks")
        let blocks = count / 32, scales = y + count
        for b in 0..<blocks {
            // The F16 scale goes into the first half of its 4-byte slot, then is widened in place.
            let slot = scales + 4 * b
            _ = quantizeBlockSIMD(x + b * 32, into: y + b * 32, scaleAt: slot, rounding)
            slot.storeBytes(of: HalfFloat.toFloat(slot.load(as: UInt16.self)), as: Float.self)
        }
        let padded = ActivationFormat.q8_0Split.rowBytes(count) - count
        (scales + 4 * blocks).initializeMemory(as: UInt8.self, repeating: 0, count: padded - 4 * blocks)
    }

    /// Quantizes into Q8_1 with `SIMD8<Float>` arithmetic; bit-identical to `quantizeQ8_1Scalar`.
    public static func quantizeQ8_1(
        _ x: UnsafePointer<Float>, into y: UnsafeMutableRawPointer, count: Int, rounding: Q8Rounding = .ggmlCPU
    ) {
        // The C kernels know the reference and x86 roundings only; the ARM one is portable code on every CPU.
        if rounding == .ggmlARM { return quantizeQ8_1Portable(x, into: y, count: count, rounding: rounding) }
        RowKernels.active.quantizeQ8_1(x, y, count, rounding.code)
    }

    static func quantizeQ8_1Portable(
        _ x: UnsafePointer<Float>, into y: UnsafeMutableRawPointer, count: Int, rounding: Q8Rounding
    ) {
        precondition(count % 32 == 0, "Q8_1 rows are whole 32-element blocks")
        for b in 0..<count / 32 {
            let block = y + b * BlockLayout.q8_1Bytes
            let (d, sum) = quantizeBlockSIMD(x + b * 32, into: block + 4, scaleAt: block, rounding)
            block.storeF16(Float(sum) * d, at: 2)
        }
    }

    @inline(__always)
    static func quantizeBlockSIMD(
        _ x: UnsafePointer<Float>, into qs: UnsafeMutableRawPointer, scaleAt: UnsafeMutableRawPointer,
        _ rounding: Q8Rounding
    ) -> (Float, Int) {
        // x[0..<32] is the block; four unaligned 8-lane loads cover it exactly.
        let raw = UnsafeRawPointer(x)
        let v0 = raw.loadUnaligned(as: SIMD8<Float>.self)
        let v1 = raw.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
        let v2 = raw.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self)
        let v3 = raw.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self)
        let amax = maxLane(maxLanes(maxLanes(abs8(v0), abs8(v1)), maxLanes(abs8(v2), abs8(v3))))
        let d = amax / 127
        scaleAt.storeF16(d, at: 0)
        let multiplier = multiplier(amax: amax, d: d, rounding)
        var total = SIMD8<Int32>()
        @inline(__always) func emit(_ v: SIMD8<Float>, _ k: Int) {
            let scaled = v * multiplier
            let r = rounding == .reference
                ? scaled.rounded(.toNearestOrAwayFromZero) : scaled.rounded(.toNearestOrEven)
            let q = integers(r)  // |r| ≤ 127 because every lane's magnitude is ≤ amax
            total &+= q
            // qs[8k ..< 8k+8] lies inside the block's 32 quant bytes.
            qs.storeBytes(of: SIMD8<Int8>(truncatingIfNeeded: q), toByteOffset: 8 * k, as: SIMD8<Int8>.self)
        }
        emit(v0, 0); emit(v1, 1); emit(v2, 2); emit(v3, 3)
        return (d, Int(total.wrappedSum()))
    }

    /// The factor a block's values are scaled by before rounding.
    @inline(__always) static func multiplier(amax: Float, d: Float, _ rounding: Q8Rounding) -> Float {
        switch rounding {
        case .reference, .ggmlARM: d != 0 ? 1 / d : 0
        case .ggmlCPU: amax != 0 ? 127 / amax : 0
        }
    }

    /// Lanes of `r` (already integral) as Int32 (exact: every lane is a whole number of magnitude ≤ 127).
    @inline(__always) static func integers(_ r: SIMD8<Float>) -> SIMD8<Int32> { SIMD8<Int32>(r) }

    /// Lane-wise maximum. Inputs are magnitudes of finite activations, so NaN handling does not matter here.
    @inline(__always) static func maxLanes(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { pointwiseMax(a, b) }

    /// The largest lane.
    @inline(__always) static func maxLane(_ v: SIMD8<Float>) -> Float { v.max() }

    @inline(__always) static func abs8(_ v: SIMD8<Float>) -> SIMD8<Float> {
        unsafeBitCast(unsafeBitCast(v, to: SIMD8<UInt32>.self) & 0x7FFF_FFFF, to: SIMD8<Float>.self)
    }

    // MARK: Q8_K (256-element super-blocks)

    /// Quantizes `count` floats (a multiple of 256) into Q8_K blocks (`count/256 × 292` bytes), exactly as
    /// `quantize_row_q8_K_ref` (which ggml-cpu also uses on x86): scale from the signed value of largest
    /// magnitude, `iscale = −127/max`, round half to even, clamp at 127, `d = 1/iscale` stored as F32.
    /// An all-zero block gets `d = 0`, zero quants and zero sums. Runs the active kernel level's form (the same bytes
    /// as `quantizeQ8_KPortable`).
    public static func quantizeQ8_K(_ x: UnsafePointer<Float>, into y: UnsafeMutableRawPointer, count: Int) {
        precondition(count % 256 == 0, "Q8_K rows are whole 256-element blocks")
        RowKernels.active.quantizeQ8_K(x, y, count, 0)
    }

    /// The portable form of `quantizeQ8_K`, its reference.
    public static func quantizeQ8_KPortable(_ x: UnsafePointer<Float>, into y: UnsafeMutableRawPointer, count: Int) {
        precondition(count % 256 == 0, "Q8_K rows are whole 256-element blocks")
        for b in 0..<count / 256 {
            // Reads x[256b ..< 256b+256], writes the 292-byte block b; both inside the caller's buffers.
            let xb = x + b * 256
            let block = y + b * BlockLayout.q8_KBytes
            var amax: Float = 0, signedMax: Float = 0
            for j in 0..<256 where abs(xb[j]) > amax { amax = abs(xb[j]); signedMax = xb[j] }
            if amax == 0 {
                block.initializeMemory(as: UInt8.self, repeating: 0, count: BlockLayout.q8_KBytes)
                continue
            }
            let iscale = -127 / signedMax
            for group in 0..<16 {
                var sum: Int16 = 0
                for l in 0..<16 {
                    let j = group * 16 + l
                    let q = Int8(min(127, (iscale * xb[j]).rounded(.toNearestOrEven)))
                    block.storeBytes(of: q, toByteOffset: 4 + j, as: Int8.self)
                    sum += Int16(q)
                }
                block.storeBytes(of: sum, toByteOffset: 260 + 2 * group, as: Int16.self)
            }
            block.storeBytes(of: 1 / iscale, toByteOffset: 0, as: Float.self)
        }
    }

    // MARK: F16 / BF16 rounding

    /// Rounds `count` floats to F16 bit patterns (ties to even), as ggml-cpu converts activations for F16 weights.
    public static func roundToF16(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<UInt16>, count: Int) {
        HalfVectorOps.narrow(x, into: y, count: count)  // both buffers hold `count` elements
    }

    /// Rounds `count` floats to BF16 bit patterns, as ggml-cpu converts activations for BF16 weights.
    public static func roundToBF16(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<UInt16>, count: Int) {
        for j in 0..<count { y[j] = BFloat16.fromFloat(x[j]) }  // both buffers hold `count` elements
    }
}
