import Foundation
import Kernels

/// The small per-element operations of a transformer block, each over contiguous F32 rows.
enum TransformerOps {
    /// `y = x / sqrt(mean(x²) + eps) ⊙ weight` for one row of `n`; `y` may alias `x`.
    static func rmsNorm(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, eps: Float,
                        into y: UnsafeMutablePointer<Float>, n: Int) {
        VectorOps.rmsNorm(x, into: y, count: n, eps: eps)
        for i in 0..<n { y[i] *= weight[i] }
    }

    /// RMSNorm of each of `rows` contiguous rows of `width` floats in `x` into `y` (which may alias `x`).
    static func rmsNormRows(_ x: UnsafePointer<Float>, weight: [Float], eps: Float, into y: UnsafeMutablePointer<Float>,
                            rows: Int, width: Int) {
        weight.withUnsafeBufferPointer { w in
            // w holds `width` floats (checked by WeightLoader); rows are contiguous in both buffers.
            for r in 0..<rows { rmsNorm(x + r * width, weight: w.baseAddress!, eps: eps, into: y + r * width, n: width) }
        }
    }

    /// For each of `tokens` rows (positions `start...`): rotates q `[tokens, headCount × keyLength]` and
    /// k `[tokens, headCountKV × keyLength]` with RoPE of base `base`, then stores k and v in `cache` for `layer`.
    static func rotateAndCache(q: UnsafeMutablePointer<Float>, k: UnsafeMutablePointer<Float>, v: UnsafePointer<Float>,
                               tokens: Int, start: Int, layer: Int, cache: KVCache, hp: HyperParameters, base: Float,
                               style: RopeStyle) {
        let qW = hp.headCount * hp.keyLength, kW = hp.headCountKV * hp.keyLength, vW = hp.headCountKV * hp.valueLength
        for i in 0..<tokens {
            ropeIteratedAngles(q + i * qW, heads: hp.headCount, headLength: hp.keyLength, dims: hp.ropeDimensionCount,
                               position: start + i, base: base, style: style)
            ropeIteratedAngles(k + i * kW, heads: hp.headCountKV, headLength: hp.keyLength, dims: hp.ropeDimensionCount,
                               position: start + i, base: base, style: style)
            cache.store(layer: layer, position: start + i, key: k + i * kW, value: v + i * vW)
        }
    }

    /// How RoPE pairs the dimensions of a head.
    enum RopeStyle: Sendable {
        /// Adjacent pairs (2i, 2i+1): llama.cpp's "normal" RoPE (llama, bitnet).
        case interleaved
        /// Halves (i, i + d/2): the NeoX layout (gemma3).
        case neox
    }

    /// `x += y` over `n`.
    static func add(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, n: Int) {
        for i in 0..<n { x[i] += y[i] }
    }
}
