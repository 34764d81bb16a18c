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
