import Foundation
import Kernels

/// Variants of RoPE and attention that round where ggml-cpu rounds, for models whose logits amplify the difference
/// (gemma3: plain F32 attention gives cosine 0.994 against llama.cpp at some prompt positions, these give ≥ 0.999).
extension TransformerOps {
    /// Query rows at or above which ggml-cpu switches to its tiled flash-attention kernel (F32 query, F32 sums).
    static let ggmlTiledAttentionMinimumQueries = 64

    /// RoPE with the angles ggml computes: `theta_0 = position`, `theta_{i+1} = theta_i · base^(-2/dims)` in F32,
    /// so the rounding of each step carries into the next pair (the exact `position · base^(-2i/dims)` of `rope`
    /// differs by a few ulps, which decides near-tied greedy steps after a dozen positions on gemma3).
    static func ropeIteratedAngles(_ x: UnsafeMutablePointer<Float>, heads: Int, headLength: Int, dims: Int,
                                   position: Int, base: Float, style: RopeStyle) {
        let half = dims / 2
        let step = powf(base, -2 / Float(dims))
        var theta = Float(position)
        for i in 0..<half {
            let c = cosf(theta), s = sinf(theta)
            let (a, b) = style == .interleaved ? (2 * i, 2 * i + 1) : (i, i + half)
            for h in 0..<heads {
                // a, b < dims ≤ headLength: inside head h of the row.
                let p = x + h * headLength
                let x0 = p[a], x1 = p[b]
                p[a] = x0 * c - x1 * s
                p[b] = x0 * s + x1 * c
            }
            theta *= step
        }
    }

    /// Causal multi-head attention as ggml-cpu's flash-attention kernel computes it over an F16 cache, which
    /// llama.cpp uses by default on the CPU. For batches under `ggmlTiledAttentionMinimumQueries` queries the
    /// scaled query is rounded to F16 before `q·k`, and the softmax runs online (one pass over the positions,
    /// rescaling when a new maximum appears) with the weighted sum of values held in F16 and divided by the weight
    /// sum at the end. Larger batches keep the query and the sums in F32 as ggml's tiled kernel does. An F32 cache
    /// takes `attentionTwoPass`, the arithmetic of llama.cpp without flash attention (its precise configuration).
    /// Not reproduced: ggml's split over threads of single-token decodes that see ≥ 512 cache cells.
    ///
    /// Shapes and `window` as in `attention`; `scale` multiplies the query.
    static func attentionGGMLRounding(q: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, tokens: Int,
                                      start: Int, layer: Int, cache: KVCache, heads: Int, group: Int,
                                      keyLength: Int, valueLength: Int, scale: Float, window: Int? = nil,
                                      pool: ThreadPool) {
        if cache.type == .f32 {
            return attentionTwoPass(q: q, out: out, tokens: tokens, start: start, layer: layer, cache: cache,
                                    heads: heads, group: group, keyLength: keyLength, valueLength: valueLength,
                                    scale: scale, window: window, pool: pool)
        }
        let qWidth = heads * keyLength, oWidth = heads * valueLength
        let half = tokens < ggmlTiledAttentionMinimumQueries
        pool.parallelFor(tokens * heads) { items in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: keyLength) { queryBuffer in
                let qs = queryBuffer.baseAddress!
                for item in items {
                    let t = item / heads, h = item % heads, kvh = h / group
                    let pos = start + t
                    let first = window.map { max(0, pos - $0 + 1) } ?? 0
                    let qh = q + t * qWidth + h * keyLength
                    let o = out + t * oWidth + h * valueLength
                    for i in 0..<keyLength { qs[i] = qh[i] * scale }
                    if half { HalfVectorOps.roundToHalf(qs, count: keyLength) }
                    o.update(repeating: 0, count: valueLength)
                    var sum: Float = 0, maxScore = -Float.infinity
                    // Positions first...pos are filled in the cache (caller stored them before calling).
                    for p in first...pos {
                        let s = cache.keyDot(layer: layer, position: p, offset: kvh * keyLength, qs, count: keyLength)
                        var weight: Float = 1
                        if s > maxScore {
                            let rescale = expf(maxScore - s)  // 0 for the first position
                            maxScore = s
                            for i in 0..<valueLength { o[i] *= rescale }
                            if half { HalfVectorOps.roundToHalf(o, count: valueLength) }
                            sum *= rescale
                        } else {
                            weight = expf(s - maxScore)
                        }
                        cache.addScaledValue(layer: layer, position: p, offset: kvh * valueLength, weight: weight,
                                             into: o, count: valueLength)
                        if half { HalfVectorOps.roundToHalf(o, count: valueLength) }
                        sum += weight
                    }
                    let inverse = 1 / sum
                    for i in 0..<valueLength { o[i] *= inverse }
                }
            }
        }
    }

    /// Causal attention with a two-pass softmax in F32: scores `q·k × scale`, softmax, weighted sum of values.
    /// This is llama.cpp's arithmetic with flash attention off and an F32 cache (its `precise` configuration).
    static func attentionTwoPass(q: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, tokens: Int, start: Int,
                                 layer: Int, cache: KVCache, heads: Int, group: Int, keyLength: Int,
                                 valueLength: Int, scale: Float, window: Int?, pool: ThreadPool) {
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
                    // Positions first...pos are filled in the cache (caller stored them before calling);
                    // n ≤ start + tokens, the scores buffer's capacity.
                    for j in 0..<n {
                        scores[j] = cache.keyDot(layer: layer, position: first + j, offset: kvh * keyLength, qh,
                                                 count: keyLength) * scale
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
