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

    /// Rotates the first `dims` elements of each of `heads` heads (stride `headLength`) by position `pos`.
    /// `invFreq[i] = base^(-2i/dims)`.
    static func rope(_ x: UnsafeMutablePointer<Float>, heads: Int, headLength: Int, dims: Int, position: Int,
                     invFreq: UnsafePointer<Float>, style: RopeStyle) {
        let half = dims / 2
        for i in 0..<half {
            let theta = Float(position) * invFreq[i]
            let c = cos(theta), s = sin(theta)
            for h in 0..<heads {
                let p = x + h * headLength
                let (a, b) = style == .interleaved ? (2 * i, 2 * i + 1) : (i, i + half)
                let x0 = p[a], x1 = p[b]
                p[a] = x0 * c - x1 * s
                p[b] = x0 * s + x1 * c
            }
        }
    }

    /// `base^(-2i/dims)` for i in 0..<dims/2.
    static func inverseFrequencies(base: Float, dims: Int) -> [Float] {
        (0..<dims / 2).map { i in Float(pow(Double(base), -2.0 * Double(i) / Double(dims))) }
    }

    /// `x += y` over `n`.
    static func add(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, n: Int) {
        for i in 0..<n { x[i] += y[i] }
    }

    /// Causal multi-head attention for `tokens` rows whose first position is `start`, reading the cache of `layer`
    /// (which already holds positions `0..<start + tokens`).
    ///
    /// Shapes: `q` `[tokens, heads × keyLength]`, `out` `[tokens, heads × valueLength]`. Key/value head of query head
    /// h is `h / group`. `window` limits each query to the last `window` positions (sliding-window layers).
    static func attention(q: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, tokens: Int, start: Int,
                          layer: Int, cache: KVCache, heads: Int, group: Int, keyLength: Int, valueLength: Int,
                          scale: Float, window: Int? = nil, softcap: Float? = nil, pool: ThreadPool) {
        let qWidth = heads * keyLength, oWidth = heads * valueLength
        pool.parallelFor(tokens * heads) { items in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: start + tokens) { scoresBuffer in
                let scores = scoresBuffer.baseAddress!
                for item in items {
                    let t = item / heads, h = item % heads, kvh = h / group
                    let pos = start + t
                    let first = window.map { max(0, pos - $0 + 1) } ?? 0
                    let n = pos - first + 1
                    let qh = q + t * qWidth + h * keyLength
                    let o = out + t * oWidth + h * valueLength
                    // Positions first...pos are filled in the cache (caller stored them before calling).
                    for j in 0..<n {
                        var s = cache.keyDot(layer: layer, position: first + j, offset: kvh * keyLength, qh, count: keyLength) * scale
                        if let softcap { s = softcap * tanh(s / softcap) }
                        scores[j] = s
                    }
                    VectorOps.softmax(scores, count: n)
                    o.update(repeating: 0, count: valueLength)
                    for j in 0..<n {
                        cache.addScaledValue(layer: layer, position: first + j, offset: kvh * valueLength,
                                             weight: scores[j], into: o, count: valueLength)
                    }
                }
            }
        }
    }
}
