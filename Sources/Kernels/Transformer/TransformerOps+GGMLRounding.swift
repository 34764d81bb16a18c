import Foundation

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
    /// `factors` (`dims / 2` values, LLaMA-3's `rope_freqs` or Phi-3's LongRoPE factors) divide pair i's angle, as
    /// ggml's `theta / ff`; `freqScale` (linear RoPE scaling, 1 / the factor) multiplies the angle, as ggml's
    /// `rope_yarn` does without YaRN's extrapolation mix; `mscale` (LongRoPE's attention factor) multiplies the cosine
    /// and sine, as `rope_yarn` does.
    /// With `yarn`, pair i's angle mixes the scaled and the unscaled one by YaRN's ramp over the correction range,
    /// and `yarn.mscale` replaces `mscale` (ggml's `rope_yarn` with `ext_factor` 1).
    public static func ropeIteratedAngles(_ x: UnsafeMutablePointer<Float>, heads: Int, headLength: Int, dims: Int,
                                   position: Int, base: Float, style: RopeStyle,
                                   factors: UnsafePointer<Float>? = nil, freqScale: Float = 1, mscale: Float = 1,
                                   yarn: YaRN? = nil) {
        let half = dims / 2
        let step = powf(base, -2 / Float(dims))
        let magnitude = yarn?.mscale ?? mscale
        var theta = Float(position)
        for i in 0..<half {
            let extrapolated = factors.map { theta / $0[i] } ?? theta
            var angle = freqScale * extrapolated
            if let yarn {
                // ggml: ramp = 1 − clamp((i0/2 − low) / max(0.001, high − low), 0, 1) with i0 = 2i, and
                // `interp·(1 − ramp) + extrap·ramp` with one product fused (fusing the other one instead gave the
                // same bits on ArchitectureParityTests' files).
                let y = (Float(i) - yarn.low) / max(0.001, yarn.high - yarn.low)
                let ramp = 1 - min(1, max(0, y))
                angle = (angle * (1 - ramp)).addingProduct(extrapolated, ramp)
            }
            let c = cosf(angle) * magnitude, s = sinf(angle) * magnitude
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

    /// YaRN's per-model constants as llama.cpp derives them (`ggml_rope_yarn_corr_dims`, and the attention factor of
    /// `llama_context` times `rope_yarn`'s own factor), for RoPE over `dims` dimensions of base `base` scaled by
    /// `freqScale` with an original context of `originalContext`, β_fast and β_slow (llama.cpp's defaults 32 and 1),
    /// and a log multiplier (`mscale_all_dim`; 0 for none).
    public struct YaRN: Sendable, Equatable {
        /// First and last pair of the correction ramp.
        public let low: Float, high: Float
        /// The cosine and sine multiplier.
        public let mscale: Float

        public init(dims: Int, originalContext: Int, base: Float, freqScale: Float, betaFast: Float = 32,
                    betaSlow: Float = 1, logMultiplier: Float = 0) {
            func correctionDim(_ beta: Float) -> Float {
                Float(dims) * logf(Float(originalContext) / (beta * 2 * Float.pi)) / (2 * logf(base))
            }
            low = max(0, floorf(correctionDim(betaFast)))
            high = min(Float(dims - 1), ceilf(correctionDim(betaSlow)))
            // llama_context: get_mscale(factor, 1) — divided by get_mscale(factor, log multiplier) when one is set —
            // times 1 / (1 + 0.1·ln factor), each `1 + 0.1·m·ln` one fused step; rope_yarn then multiplies by
            // 1 + 0.1·ln(1 / freq_scale).
            let factor = 1 / freqScale
            func getMscale(_ m: Float) -> Float { factor <= 1 ? 1 : (1 as Float).addingProduct(0.1 * m, logf(factor)) }
            var attention = logMultiplier != 0 ? getMscale(1) / getMscale(logMultiplier) : getMscale(1)
            attention *= 1 / (1 as Float).addingProduct(0.1, logf(factor))
            mscale = attention * (1 as Float).addingProduct(0.1, logf(1 / freqScale))
        }
    }

    /// Causal multi-head attention as ggml-cpu's flash-attention kernel computes it over an F16 cache, which
    /// llama.cpp uses by default on the CPU. For batches under `ggmlTiledAttentionMinimumQueries` queries (its
    /// `one_chunk` kernel): the unscaled query is rounded to F16, each `q·k` is scaled, and the softmax runs online
    /// (one pass over the positions, rescaling when a new maximum appears) with the weighted sum of values held in
    /// F16 and divided by the weight sum at the end. Larger batches take `attentionGGMLTiled`. An F32 cache takes
    /// `attentionTwoPass`, the arithmetic of llama.cpp without flash attention (its precise configuration).
    /// Not reproduced: ggml's split over threads of single-token decodes that see ≥ 512 cache cells.
    ///
    /// Shapes: `q` `[tokens, heads × keyLength]`, `out` `[tokens, heads × valueLength]`; query head h reads key/value
    /// head h / `group`; positions `start..<start+tokens` must already be in `cache`; `window` limits each query to
    /// its last `window` positions; `scale` multiplies each `q·k`.
    public static func attentionGGMLRounding(q: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, tokens: Int,
                                      start: Int, layer: Int, cache: KVCache, heads: Int, group: Int,
                                      keyLength: Int, valueLength: Int, scale: Float, window: Int? = nil,
                                      pool: ThreadPool, scratch: KernelScratch) {
        if cache.type == .f32 {
            return attentionTwoPass(q: q, out: out, tokens: tokens, start: start, layer: layer, cache: cache,
                                    heads: heads, group: group, keyLength: keyLength, valueLength: valueLength,
                                    scale: scale, window: window, pool: pool, scratch: scratch)
        }
        if tokens >= ggmlTiledAttentionMinimumQueries {
            return attentionGGMLTiled(q: q, out: out, tokens: tokens, start: start, layer: layer, cache: cache,
                                      heads: heads, group: group, keyLength: keyLength, valueLength: valueLength,
                                      scale: scale, window: window, pool: pool)
        }
        pool.parallelFor(tokens * heads, OneChunkAttention(
            q: q, out: out, tokens: tokens, start: start, layer: layer, cache: cache, heads: heads, group: group,
            keyLength: keyLength, valueLength: valueLength, scale: scale, window: window))
    }

    /// One segment of a multi-sequence batch: `tokens` consecutive rows of `q` / `out`, at cache positions
    /// `start..<start+tokens` of its own `cache`.
    public struct AttentionSegment {
        public var tokens: Int, start: Int, cache: KVCache

        public init(tokens: Int, start: Int, cache: KVCache) { (self.tokens, self.start, self.cache) = (tokens, start, cache) }
    }

    /// `attentionGGMLRounding` for several sequences whose rows follow one another in `q` and `out` (continuous
    /// batching): each segment computes exactly what its own call computes. When every segment takes the one-chunk
    /// kernel (an F16 cache, fewer than `ggmlTiledAttentionMinimumQueries` tokens), all their (token, head) items run
    /// in one dispatch, claimed one at a time (segments differ in length); otherwise one call per segment.
    public static func attentionGGMLRounding(segments: [AttentionSegment], q: UnsafePointer<Float>,
                                             out: UnsafeMutablePointer<Float>, layer: Int, heads: Int, group: Int,
                                             keyLength: Int, valueLength: Int, scale: Float, window: Int? = nil,
                                             pool: ThreadPool, scratch: KernelScratch) {
        let qW = heads * keyLength, oW = heads * valueLength
        guard segments.count > 1,
              segments.allSatisfy({ $0.cache.type == .f16 && $0.tokens < ggmlTiledAttentionMinimumQueries }) else {
            var r = 0
            for s in segments {
                attentionGGMLRounding(q: q + r * qW, out: out + r * oW, tokens: s.tokens, start: s.start, layer: layer,
                                      cache: s.cache, heads: heads, group: group, keyLength: keyLength,
                                      valueLength: valueLength, scale: scale, window: window, pool: pool,
                                      scratch: scratch)
                r += s.tokens
            }
            return
        }
        var parts: [OneChunkAttention] = [], firstItems: [Int] = [0]
        parts.reserveCapacity(segments.count)
        var r = 0
        for s in segments {
            parts.append(OneChunkAttention(q: q + r * qW, out: out + r * oW, tokens: s.tokens, start: s.start, layer: layer,
                                           cache: s.cache, heads: heads, group: group, keyLength: keyLength,
                                           valueLength: valueLength, scale: scale, window: window))
            firstItems.append(firstItems.last! + s.tokens * heads)
            r += s.tokens
        }
        pool.parallelFor(firstItems.last!, chunk: 1, SegmentedAttention(parts: parts, firstItems: firstItems))
    }

    /// ggml-cpu's tiled flash attention, which llama.cpp runs for batches of ≥ 64 queries: the cache is taken in
    /// tiles of 64 positions from position 0; per query row and tile with at least one visible position, scores are
    /// F32 fused-multiply-add chains over the key dimension (the unrounded F32 query against the widened keys, as
    /// ggml's `simd_gemm`), scaled; the running maximum rescales the F32 value sums and the weight sum with libm's
    /// `expf`; the tile's weights come from the vector `exp` (`GGMLMath.exp`, 8-lane groups) and their sum is added
    /// to the F32 weight sum in `Double`; the value sums are FMA chains over the tile's positions in order. The
    /// result is divided by the weight sum at the end. Measured bit-exact against llama.cpp's `kqv_out` tensors.
    public static func attentionGGMLTiled(q: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, tokens: Int,
                                   start: Int, layer: Int, cache: KVCache, heads: Int, group: Int, keyLength: Int,
                                   valueLength: Int, scale: Float, window: Int?, pool: ThreadPool) {
        let tile = 64, qWidth = heads * keyLength, oWidth = heads * valueLength
        let queryTiles = (tokens + tile - 1) / tile
        let capacity = keyLength * tile + tile * valueLength + tile + tile * valueLength + 2 * tile
        // Claimed one (head, query tile) at a time: later tiles attend to more positions, and threads may run at
        // different speeds.
        pool.parallelFor(heads * queryTiles, chunk: 1) { items in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: capacity) { buffer in
                // keysT [keyLength × 64] (transposed), values [64 × valueLength], scores [64],
                // sums [64 rows × valueLength], maxima [64], weightSums [64].
                let keysT = buffer.baseAddress!, values = keysT + keyLength * tile, scores = values + tile * valueLength
                let sums = scores + tile, maxima = sums + tile * valueLength, weightSums = maxima + tile
                for item in items {
                    let h = item / queryTiles, kvh = h / group
                    let t0 = (item % queryTiles) * tile, rows = min(tile, tokens - t0)
                    let lastPosition = start + t0 + rows - 1
                    sums.update(repeating: 0, count: rows * valueLength)
                    maxima.update(repeating: -.infinity, count: rows)
                    weightSums.update(repeating: 0, count: rows)
                    var base = 0
                    while base <= lastPosition {
                        // Cache positions base..<base+filled exist (all ≤ lastPosition); the rest of the tile is zero.
                        let filled = min(tile, lastPosition + 1 - base)
                        keysT.update(repeating: 0, count: keyLength * tile)
                        values.update(repeating: 0, count: tile * valueLength)
                        for j in 0..<filled {
                            cache.loadKey(layer: layer, position: base + j, offset: kvh * keyLength, count: keyLength,
                                          into: keysT + j, step: tile)
                            cache.loadValue(layer: layer, position: base + j, offset: kvh * valueLength,
                                            count: valueLength, into: values + j * valueLength)
                        }
                        for r in 0..<rows {
                            let position = start + t0 + r
                            let first = max(base, window.map { max(0, position - $0 + 1) } ?? 0)
                            let last = min(base + tile - 1, position)
                            guard first <= last else { continue }  // nothing visible in this tile for this row
                            let qh = q + (t0 + r) * qWidth + h * keyLength
                            GGMLMath.tileScores(qh, keysT: keysT, keyLength: keyLength, scale: scale, into: scores)
                            // Mask the positions before `first` and after `last` (none on a full interior tile).
                            for j in 0..<(first - base) { scores[j] = -.infinity }
                            for j in (last - base + 1)..<tile { scores[j] = -.infinity }
                            // The maximum does not depend on the order it is taken in (a NaN score, from a NaN query
                            // or key, makes the row NaN through its weight either way).
                            let tileMax = GGMLMath.maximum(scores, count: tile)
                            let sumRow = sums + r * valueLength
                            let old = maxima[r], new = max(old, tileMax)
                            if new > old {
                                let ms = expf(old - new)
                                for d in 0..<valueLength { sumRow[d] *= ms }
                                weightSums[r] *= ms
                            }
                            maxima[r] = new
                            let total = GGMLMath.expShiftedSum(scores, count: tile, shift: new)
                            weightSums[r] = Float(Double(weightSums[r]) + total)
                            GGMLMath.accumulateWeightedRows(values, rowLength: valueLength, weights: scores,
                                                            positions: (first - base)...(last - base), into: sumRow)
                        }
                        base += tile
                    }
                    for r in 0..<rows {
                        let inverse: Float = weightSums[r] == 0 ? 0 : 1 / weightSums[r]
                        let o = out + (t0 + r) * oWidth + h * valueLength, sumRow = sums + r * valueLength
                        for d in 0..<valueLength { o[d] = sumRow[d] * inverse }
                    }
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
    public static func attentionTwoPass(q: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, tokens: Int, start: Int,
                                 layer: Int, cache: KVCache, heads: Int, group: Int, keyLength: Int,
                                 valueLength: Int, scale: Float, window: Int?, pool: ThreadPool,
                                 scratch: KernelScratch) {
        // Per thread: scores for cache positions 0..<span (span: whole 8-lane groups) and 32 lanes of value sums.
        let span = (start + tokens + 7) / 8 * 8, perThread = span + 32 * valueLength
        let buffer = scratch.bytes(4 * perThread * pool.threadCount).assumingMemoryBound(to: Float.self)
        pool.parallelFor(tokens * heads, TwoPassAttention(
            q: q, out: out, tokens: tokens, start: start, layer: layer, cache: cache, heads: heads, group: group,
            keyLength: keyLength, valueLength: valueLength, scale: scale, window: window, scratch: buffer,
            scratchPerThread: perThread))
    }
}

/// One decode or short-batch attention call over an F16 cache as `ParallelWork` (no allocation per call): items are
/// (token, head) pairs, `item = token × heads + head`. (F32 caches take `attentionTwoPass`.)
struct OneChunkAttention: ParallelWork {
    let q: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, tokens: Int, start: Int, layer: Int
    let cache: KVCache, heads: Int, group: Int, keyLength: Int, valueLength: Int, scale: Float, window: Int?

    /// ggml's `one_chunk` flash attention for items `items` (see `TransformerOps.attentionGGMLRounding`).
    func run(_ items: Range<Int>, thread: Int) {
        let qWidth = heads * keyLength, oWidth = heads * valueLength
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
                qs.update(from: qh, count: keyLength)
                HalfVectorOps.roundToHalf(qs, count: keyLength)
                // Positions first...pos are filled in the cache (caller stored them before calling).
                let rows = cache.halfRows(layer: layer, keyOffset: kvh * keyLength, valueOffset: kvh * valueLength)
                HalfVectorOps.attend(qs, keys: rows.keys, keyStride: cache.keyWidth, values: rows.values,
                                     valueStride: cache.valueWidth, positions: first...pos, keyLength: keyLength,
                                     valueLength: valueLength, scale: scale, into: o)
            }
        }
    }
}

/// Several segments' `OneChunkAttention` as one item range: segment i owns items `firstItems[i]..<firstItems[i + 1]`.
struct SegmentedAttention: ParallelWork {
    let parts: [OneChunkAttention], firstItems: [Int]

    func run(_ items: Range<Int>, thread: Int) {
        var i = 0
        for item in items {
            while firstItems[i + 1] <= item { i += 1 }
            parts[i].run((item - firstItems[i])..<(item - firstItems[i] + 1), thread: thread)
        }
    }
}

/// `TransformerOps.attentionTwoPass`'s work as `ParallelWork`: items are (token, head) pairs.
struct TwoPassAttention: ParallelWork {
    let q: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, tokens: Int, start: Int, layer: Int
    let cache: KVCache, heads: Int, group: Int, keyLength: Int, valueLength: Int, scale: Float, window: Int?
    /// `scratchPerThread` floats per pool thread (scores, then value-sum lanes).
    let scratch: UnsafeMutablePointer<Float>, scratchPerThread: Int

    /// Scores, softmax and value sums for items `items` (see `TransformerOps.attentionTwoPass`).
    func run(_ items: Range<Int>, thread: Int) {
        let qWidth = heads * keyLength, oWidth = heads * valueLength
        let batched = tokens >= 2
        let lanes = batched ? 8 : 32
        // Scores for cache positions 0..<span (masked ones −∞), span rounded up to whole 8-lane groups.
        let span = (start + tokens + 7) / 8 * 8
        do {
            let scores = scratch + thread * scratchPerThread, partial = scores + span
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
