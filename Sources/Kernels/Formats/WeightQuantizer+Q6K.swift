/// Q6_K, the K-quant llama.cpp's `quantize_row_q6_K_ref` writes (bitnet.cpp offers it for the token embedding):
/// 256 elements a block, 16 sub-blocks of 16 with an int8 scale each, 6-bit quants, one F16 super-scale.
///
/// The arithmetic follows the reference step for step in plain F32 (no fused operations), so the bytes are the same;
/// `Q6KQuantizerTests` checks them against the pinned `libggml-base`:
/// 1. each sub-block's scale by a weighted least-squares search (weights x²): the scale from `−32/max` first, then
///    19 candidate inverse scales `−(32 + 0.1·k)/max`, k = −9…9, keeping the best `Σwxl² / Σwl²` fit;
/// 2. the super-scale `d = max_scale / −128` (F16) and each sub-block scale as `min(127, round(scale / d))`;
/// 3. the quants again from the rounded scales: `clamp(round(x / (d · scale_j)), −32, 31) + 32`.
/// Rounding is to nearest, ties to even (`nearest_int`). Block layout: ql[128] (low nibbles), qh[64] (high 2 bits),
/// scales[16] (int8), d (F16 at 208).
extension WeightQuantizer {
    /// Quantizes `count` floats (a multiple of 256) into Q6_K blocks at `y` (`count/256 × 210` bytes).
    public static func quantizeQ6_K(_ x: UnsafePointer<Float>, into y: UnsafeMutableRawPointer, count: Int) {
        precondition(count % 256 == 0, "Q6_K rows are whole 256-element blocks")
        for b in 0..<count / 256 {
            // Reads x[256b ..< 256b+256], writes the 210-byte block b; both inside the caller's buffers.
            quantizeQ6_KBlock(x + 256 * b, into: y + 210 * b)
        }
    }

    static func quantizeQ6_KBlock(_ x: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        var levels = [Int](repeating: 0, count: 256), scales = [Float](repeating: 0, count: 16)
        var maxScale: Float = 0, maxAbsScale: Float = 0
        for s in 0..<16 {
            let scale = subBlockScale(x + 16 * s, levels: &levels, offset: 16 * s)
            scales[s] = scale
            if abs(scale) > maxAbsScale { maxAbsScale = abs(scale); maxScale = scale }
        }
        block.initializeMemory(as: UInt8.self, repeating: 0, count: 210)
        guard maxAbsScale >= 1e-15 else { return }  // all zero: zero quants, scales and d
        let iscale = -128 / maxScale
        block.storeF16(1 / iscale, at: 208)
        let d = UnsafeRawPointer(block).f16(at: 208)  // the stored F16, as the reference reads it back
        var intScales = [Int](repeating: 0, count: 16)
        for s in 0..<16 {
            intScales[s] = min(127, nearest(iscale * scales[s]))
            block.storeBytes(of: Int8(intScales[s]), toByteOffset: 192 + s, as: Int8.self)
        }
        for s in 0..<16 {
            let sd = d * Float(intScales[s])
            guard sd != 0 else { continue }  // the first pass's levels stay
            for i in 0..<16 { levels[16 * s + i] = max(-32, min(31, nearest(x[16 * s + i] / sd))) + 32 }
        }
        for half in 0..<2 {  // elements 128·half + l + 32·g: low nibble in ql, high 2 bits in qh
            let e = 128 * half, ql = 64 * half, qh = 128 + 32 * half
            for l in 0..<32 {
                let q = (0..<4).map { levels[e + l + 32 * $0] }
                block.storeBytes(of: UInt8((q[0] & 0xF) | (q[2] & 0xF) << 4), toByteOffset: ql + l, as: UInt8.self)
                block.storeBytes(of: UInt8((q[1] & 0xF) | (q[3] & 0xF) << 4), toByteOffset: ql + 32 + l, as: UInt8.self)
                block.storeBytes(of: UInt8(q[0] >> 4 | (q[1] >> 4) << 2 | (q[2] >> 4) << 4 | (q[3] >> 4) << 6),
                                 toByteOffset: qh + l, as: UInt8.self)
            }
        }
    }

    /// Step 1 for the 16 elements at `x`: writes their levels (0…63) into `levels[offset...]`, returns the scale.
    static func subBlockScale(_ x: UnsafePointer<Float>, levels: inout [Int], offset: Int) -> Float {
        let nmax = 32
        var amax: Float = 0, signedMax: Float = 0
        for i in 0..<16 where abs(x[i]) > amax { amax = abs(x[i]); signedMax = x[i] }
        guard amax >= 1e-15 else {
            for i in 0..<16 { levels[offset + i] = 0 }
            return 0
        }
        /// The level of element i for `iscale`, in −32…31.
        func level(_ iscale: Float, _ i: Int) -> Int { max(-nmax, min(nmax - 1, nearest(iscale * x[i]))) }
        /// Σ w·x·l and Σ w·l² (w = x²) for the levels of `iscale`, each product rounded as the reference's
        /// `w*x[i]*l` and `w*l*l` (left to right, in F32).
        func fit(_ iscale: Float) -> (sumlx: Float, suml2: Float) {
            var sumlx: Float = 0, suml2: Float = 0
            for i in 0..<16 {
                let w = x[i] * x[i], fl = Float(level(iscale, i))
                sumlx += w * x[i] * fl
                suml2 += w * fl * fl
            }
            return (sumlx, suml2)
        }
        /// Stores the levels of `iscale` (offset by 32) for the 16 elements.
        func keep(_ iscale: Float) { for i in 0..<16 { levels[offset + i] = level(iscale, i) + nmax } }
        let firstScale = Float(-nmax) / signedMax
        let first = fit(firstScale)
        keep(firstScale)
        var scale = first.suml2 != 0 ? first.sumlx / first.suml2 : 0
        var best = scale * first.sumlx
        for k in -9...9 where k != 0 {
            let iscale = -(Float(nmax) + 0.1 * Float(k)) / signedMax
            let candidate = fit(iscale)
            if candidate.suml2 > 0 && candidate.sumlx * candidate.sumlx > best * candidate.suml2 {
                keep(iscale)
                scale = candidate.sumlx / candidate.suml2
                best = scale * candidate.sumlx
            }
        }
        return scale
    }

    /// Round to nearest, ties to even (ggml's `nearest_int` for |x| < 2²², where it is exact).
    @inline(__always) static func nearest(_ v: Float) -> Int { Int(v.rounded(.toNearestOrEven)) }
}
