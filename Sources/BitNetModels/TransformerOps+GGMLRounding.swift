import Foundation
import Kernels

/// Variants of RoPE and attention that round where ggml-cpu rounds, for models whose logits amplify the difference
/// (gemma3: plain F32 attention gives cosine 0.994 against llama.cpp at some prompt positions, these give ≥ 0.999).
extension TransformerOps {
    /// Query rows at or above which ggml-cpu switches to its tiled flash-attention kernel (F32 query, F32 sums).
    static let ggmlTiledAttentionMinimumQueries = 64

    /// RoPE with the angles ggml computes: `theta_0 = position`, `theta_{i+1} = theta_i · base^(-2/dims)` in F32,
    /// so the rounding of each step carries into the next pair (the exact `position · base^(-2i/dims)` of `rope`
    /// differs by a few ulps, which decides near-tied greedy steps after a dozen positions on gemma3), and each
    /// rotated pair rounded as ggml-cpu's gcc build computes it: `x0·cos − x1·sin` as `fma(x0, cos, −(x1·sin))` and
    /// `x0·sin + x1·cos` as `fma(x0, sin, x1·cos)` (measured bit-exact against llama.cpp's rotated queries).
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
                // gcc contracts ggml's `x0*cos - x1*sin` and `x0*sin + x1*cos` into these fused forms.
                p[a] = (-(x1 * s)).addingProduct(x0, c)
                p[b] = (x1 * c).addingProduct(x0, s)
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
                    // ggml rounds the unscaled query to F16 and scales each dot product (which differs from
                    // scaling first where the scaled value would be an F16 subnormal).
                    let postScale: Float = half ? scale : 1
                    for i in 0..<keyLength { qs[i] = half ? qh[i] : qh[i] * scale }
                    if half { HalfVectorOps.roundToHalf(qs, count: keyLength) }
                    o.update(repeating: 0, count: valueLength)
                    var sum: Float = 0, maxScore = -Float.infinity
                    // Positions first...pos are filled in the cache (caller stored them before calling).
                    for p in first...pos {
                        let s = cache.keyDot(layer: layer, position: p, offset: kvh * keyLength, qs, count: keyLength)
                            * postScale
                        var weight: Float = 1, rescaleForSum: Float = 1
                        if s > maxScore {
                            let rescale = expf(maxScore - s)  // 0 for the first position
                            maxScore = s
                            for i in 0..<valueLength { o[i] *= rescale }
                            if half { HalfVectorOps.roundToHalf(o, count: valueLength) }
                            rescaleForSum = rescale
                        } else {
                            weight = expf(s - maxScore)
                        }
                        cache.addScaledValue(layer: layer, position: p, offset: kvh * valueLength, weight: weight,
                                             into: o, count: valueLength)
                        if half { HalfVectorOps.roundToHalf(o, count: valueLength) }
                        // ggml's `S = S*ms + vs`, which gcc contracts into one fused multiply-add.
                        sum = weight.addingProduct(sum, rescaleForSum)
                    }
                    let inverse = 1 / sum
                    for i in 0..<valueLength { o[i] *= inverse }
                }
            }
        }
    }

    /// Causal attention over an F32 cache as llama.cpp computes it with flash attention off (its precise
    /// configuration), measured bit-exact against its intermediate tensors: scores `q·k` by `ggml_vec_dot_f32`
    /// (`GGMLMath.dotVec`: the query is a permuted view, so ggml does not hand this matmul to tinyBLAS), scaled,
    /// masked softmax (`GGMLMath.softmax`, 8-lane groups aligned to cache position 0), then the weighted sum of
    /// values: for batches of ≥ 2 tokens llamafile's tinyBLAS (position p accumulates into lane p % 8 of one
    /// accumulator, summed by `GGMLMath.sumLanes`), for one token `ggml_vec_dot_f32` (lane p % 32 of four, summed by
    /// `GGMLMath.reduce`). Masked positions add exact zeros, so they are skipped. Assumes llama.cpp's cache view is a
    /// multiple of 32 positions (its padding) and that the tokens form one micro-batch.
    static func attentionTwoPass(q: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, tokens: Int, start: Int,
                                 layer: Int, cache: KVCache, heads: Int, group: Int, keyLength: Int,
                                 valueLength: Int, scale: Float, window: Int?, pool: ThreadPool) {
        let qWidth = heads * keyLength, oWidth = heads * valueLength
        let batched = tokens >= 2
        let lanes = batched ? 8 : 32
        // Scores for cache positions 0..<span (masked ones −∞), span rounded up to whole 8-lane groups.
        let span = (start + tokens + 7) / 8 * 8
        pool.parallelFor(tokens * heads) { items in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: span + lanes * valueLength) { buffer in
                let scores = buffer.baseAddress!, partial = scores + span
                for item in items {
                    let t = item / heads, h = item % heads, kvh = h / group
                    let pos = start + t
                    let first = window.map { max(0, pos - $0 + 1) } ?? 0
                    let qh = q + t * qWidth + h * keyLength
                    let o = out + t * oWidth + h * valueLength
                    scores.update(repeating: -.infinity, count: span)
                    // Positions first...pos are filled in the cache (caller stored them before calling); pos < span.
                    for p in first...pos {
                        let k = cache.keyRowF32(layer: layer, position: p, offset: kvh * keyLength)
                        scores[p] = GGMLMath.dotVec(k, qh, count: keyLength) * scale
                    }
                    GGMLMath.softmax(scores, count: span)
                    // Value sums: position p accumulates into lane p % lanes (tinyBLAS: 8 lanes; vec_dot: 4 × 8).
                    partial.update(repeating: 0, count: lanes * valueLength)
                    for p in first...pos {
                        let v = cache.valueRowF32(layer: layer, position: p, offset: kvh * valueLength)
                        let w = scores[p], acc = partial + (p % lanes) * valueLength
                        for d in 0..<valueLength { acc[d] = acc[d].addingProduct(v[d], w) }
                    }
                    for d in 0..<valueLength {
                        func lanes8(_ base: Int) -> SIMD8<Float> {
                            var v = SIMD8<Float>()
                            for l in 0..<8 { v[l] = partial[(base + l) * valueLength + d] }
                            return v
                        }
                        o[d] = batched ? GGMLMath.sumLanes(lanes8(0))
                                       : GGMLMath.reduce(lanes8(0), lanes8(8), lanes8(16), lanes8(24))
                    }
                }
            }
        }
    }
}
