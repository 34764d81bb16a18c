/// The inner loops of ggml's tiled flash attention (`attentionGGMLTiled` in BitNetModels), as whole loops so one
/// call covers a tile (the active level's form, `RowKernels`; the `…Portable` forms are the scalar level's).
extension GGMLMath {
    /// The largest of `count` floats (a multiple of 8), taken 8 lanes at a time (`vmaxps`). For non-NaN values the
    /// result does not depend on the order, so it equals a scalar running maximum.
    public static func maximum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        RowKernels.active.maximum(x, count)
    }

    static func maximumPortable(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = SIMD8<Float>(repeating: -.infinity)
        for g in stride(from: 0, to: count, by: 8) { lanes = ActivationQuantizer.maxLanes(lanes, load(x + g)) }
        return ActivationQuantizer.maxLane(lanes)
    }

    /// `scores[j] = (Σ_k q[k] · keysT[k][j]) · scale` for the 64 positions of a tile, each sum one FMA chain in `k`
    /// order starting from 0 (ggml's `simd_gemm`), 8 positions per vector. `keysT` is `[keyLength × 64]`.
    public static func tileScores(_ q: UnsafePointer<Float>, keysT: UnsafePointer<Float>, keyLength: Int,
                                  scale: Float, into scores: UnsafeMutablePointer<Float>) {
        RowKernels.active.tileScores(q, keysT, keyLength, scale, scores)
    }

    static func tileScoresPortable(_ q: UnsafePointer<Float>, keysT: UnsafePointer<Float>, keyLength: Int,
                                   scale: Float, into scores: UnsafeMutablePointer<Float>) {
        var a0 = SIMD8<Float>(), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0
        for k in 0..<keyLength {
            let row = UnsafeRawPointer(keysT + k * 64), p = SIMD8<Float>(repeating: q[k])
            a0 = fma(row.loadUnaligned(as: SIMD8<Float>.self), p, a0)
            a1 = fma(row.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self), p, a1)
            a2 = fma(row.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self), p, a2)
            a3 = fma(row.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self), p, a3)
            a4 = fma(row.loadUnaligned(fromByteOffset: 128, as: SIMD8<Float>.self), p, a4)
            a5 = fma(row.loadUnaligned(fromByteOffset: 160, as: SIMD8<Float>.self), p, a5)
            a6 = fma(row.loadUnaligned(fromByteOffset: 192, as: SIMD8<Float>.self), p, a6)
            a7 = fma(row.loadUnaligned(fromByteOffset: 224, as: SIMD8<Float>.self), p, a7)
        }
        let s = SIMD8<Float>(repeating: scale), raw = UnsafeMutableRawPointer(scores)
        raw.storeBytes(of: a0 * s, as: SIMD8<Float>.self)
        raw.storeBytes(of: a1 * s, toByteOffset: 32, as: SIMD8<Float>.self)
        raw.storeBytes(of: a2 * s, toByteOffset: 64, as: SIMD8<Float>.self)
        raw.storeBytes(of: a3 * s, toByteOffset: 96, as: SIMD8<Float>.self)
        raw.storeBytes(of: a4 * s, toByteOffset: 128, as: SIMD8<Float>.self)
        raw.storeBytes(of: a5 * s, toByteOffset: 160, as: SIMD8<Float>.self)
        raw.storeBytes(of: a6 * s, toByteOffset: 192, as: SIMD8<Float>.self)
        raw.storeBytes(of: a7 * s, toByteOffset: 224, as: SIMD8<Float>.self)
    }

    /// For each position j in `positions`, in order: `sum[d] = fma(weights[j], values[j][d], sum[d])` for
    /// d < `rowLength` (rows of `values` are `rowLength` apart). Each `sum[d]` is one FMA chain over j, as ggml's
    /// tiled kernel accumulates it; the chains of 8 lanes stay in registers across positions.
    public static func accumulateWeightedRows(_ values: UnsafePointer<Float>, rowLength: Int,
                                              weights: UnsafePointer<Float>, positions: ClosedRange<Int>,
                                              into sum: UnsafeMutablePointer<Float>) {
        RowKernels.active.accumulateWeightedRows(values, rowLength, weights, positions.lowerBound, positions.upperBound,
                                                 sum)
    }

    static func accumulateWeightedRowsPortable(_ values: UnsafePointer<Float>, rowLength: Int,
                                               weights: UnsafePointer<Float>, positions: ClosedRange<Int>,
                                               into sum: UnsafeMutablePointer<Float>) {
        var d = 0
        while d + 32 <= rowLength {  // sum[d ..< d+32] and values[j][d ..< d+32] lie inside their rows
            let out = UnsafeMutableRawPointer(sum + d)
            var s0 = out.loadUnaligned(as: SIMD8<Float>.self)
            var s1 = out.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
            var s2 = out.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self)
            var s3 = out.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self)
            for j in positions {
                let v = UnsafeRawPointer(values + j * rowLength + d), w = SIMD8<Float>(repeating: weights[j])
                s0 = fma(v.loadUnaligned(as: SIMD8<Float>.self), w, s0)
                s1 = fma(v.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self), w, s1)
                s2 = fma(v.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self), w, s2)
                s3 = fma(v.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self), w, s3)
            }
            out.storeBytes(of: s0, as: SIMD8<Float>.self)
            out.storeBytes(of: s1, toByteOffset: 32, as: SIMD8<Float>.self)
            out.storeBytes(of: s2, toByteOffset: 64, as: SIMD8<Float>.self)
            out.storeBytes(of: s3, toByteOffset: 96, as: SIMD8<Float>.self)
            d += 32
        }
        while d < rowLength {
            var s = sum[d]
            for j in positions { s = s.addingProduct(weights[j], values[j * rowLength + d]) }
            sum[d] = s
            d += 1
        }
    }
}
