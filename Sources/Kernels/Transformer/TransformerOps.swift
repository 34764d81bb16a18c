import Foundation

/// The operations of a transformer block between its matmuls, each over contiguous F32 rows: RMSNorm, SwiGLU,
/// RoPE with the KV-cache store, attention (in llama.cpp's roundings, `TransformerOps+GGMLRounding`) and the residual
/// add. The architectures in BitNetModels compose these with `matmul`; they hold no arithmetic of their own.
public enum TransformerOps {
    /// `y = x / sqrt(mean(x²) + eps) ⊙ weight` for one row of `n`; `y` may alias `x`.
    public static func rmsNorm(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, eps: Float,
                        into y: UnsafeMutablePointer<Float>, n: Int) {
        VectorOps.rmsNorm(x, into: y, count: n, eps: eps)
        for i in 0..<n { y[i] *= weight[i] }
    }

    /// Runs `body` over `0..<rows`: in chunks on `pool` when there are enough rows to share (a prompt's), inline
    /// otherwise (a decode step's single row, which must not allocate). For the row-wise operations between the
    /// matmuls, so the other thread does not sit idle through them during prefill.
    @inline(__always)
    public static func forRows(_ rows: Int, pool: ThreadPool?, _ body: (Range<Int>) -> Void) {
        if let pool, pool.threadCount > 1, rows >= 8 {
            pool.parallelFor(rows, chunk: max(2, rows / (4 * pool.threadCount)), body)
        } else {
            body(0..<rows)
        }
    }

    /// RMSNorm of each of `rows` contiguous rows of `width` floats in `x` into `y` (which may alias `x`), shared
    /// out on `pool` when given.
    public static func rmsNormRows(_ x: UnsafePointer<Float>, weight: [Float], eps: Float, into y: UnsafeMutablePointer<Float>,
                            rows: Int, width: Int, pool: ThreadPool? = nil) {
        weight.withUnsafeBufferPointer { w in
            // w holds `width` floats (checked by WeightLoader); rows are contiguous in both buffers.
            forRows(rows, pool: pool) { range in
                for r in range { rmsNorm(x + r * width, weight: w.baseAddress!, eps: eps, into: y + r * width, n: width) }
            }
        }
    }

    /// `y = silu(gate) ⊙ up` over `rows` rows of `width` (`GGMLMath.swiglu`), shared out on `pool` when given.
    public static func swiglu(gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, rows: Int, width: Int,
                       pool: ThreadPool?) {
        forRows(rows, pool: pool) { r in
            let o = r.lowerBound * width
            GGMLMath.swiglu(gate: gate + o, up: up + o, into: gate + o, count: r.count * width, width: width)
        }
    }

    /// For each of `tokens` rows (positions `start...`): rotates q `[tokens, headCount × keyLength]` and
    /// k `[tokens, headCountKV × keyLength]` with RoPE of base `base` (each pair's angle divided by `factors[i]` when
    /// given, `ropeDimensionCount / 2` values, and multiplied by `freqScale`), then stores k and v in `cache` for
    /// `layer`. With `rotate` false only the store happens (a block that attends without RoPE).
    public static func rotateAndCache(q: UnsafeMutablePointer<Float>, k: UnsafeMutablePointer<Float>, v: UnsafePointer<Float>,
                               tokens: Int, start: Int, layer: Int, cache: KVCache, hp: AttentionShape, base: Float,
                               style: RopeStyle, factors: [Float]? = nil, freqScale: Float = 1, mscale: Float = 1,
                               yarn: YaRN? = nil, rotate: Bool = true, pool: ThreadPool? = nil) {
        let qW = hp.headCount * hp.keyLength, kW = hp.headCountKV * hp.keyLength, vW = hp.headCountKV * hp.valueLength
        // Tokens are independent: each rotates its own rows and fills its own cache position.
        func run(_ f: UnsafePointer<Float>?) {
            forRows(tokens, pool: pool) { range in
                for i in range {
                    if rotate {
                        ropeIteratedAngles(q + i * qW, heads: hp.headCount, headLength: hp.keyLength,
                                           dims: hp.ropeDimensionCount, position: start + i, base: base, style: style,
                                           factors: f, freqScale: freqScale, mscale: mscale, yarn: yarn)
                        ropeIteratedAngles(k + i * kW, heads: hp.headCountKV, headLength: hp.keyLength,
                                           dims: hp.ropeDimensionCount, position: start + i, base: base, style: style,
                                           factors: f, freqScale: freqScale, mscale: mscale, yarn: yarn)
                    }
                    cache.store(layer: layer, position: start + i, key: k + i * kW, value: v + i * vW)
                }
            }
        }
        guard let factors else { return run(nil) }
        precondition(factors.count * 2 >= hp.ropeDimensionCount, "rope factors: \(factors.count) for \(hp.ropeDimensionCount) dims")
        factors.withUnsafeBufferPointer { run($0.baseAddress) }
    }

    /// How RoPE pairs the dimensions of a head.
    public enum RopeStyle: Sendable {
        /// Adjacent pairs (2i, 2i+1): llama.cpp's "normal" RoPE (llama, bitnet).
        case interleaved
        /// Halves (i, i + d/2): the NeoX layout (gemma3).
        case neox
    }

    /// The head counts and lengths RoPE and the cache store need (from a model's hyper-parameters).
    public struct AttentionShape: Sendable {
        public var headCount: Int, headCountKV: Int, keyLength: Int, valueLength: Int, ropeDimensionCount: Int

        public init(headCount: Int, headCountKV: Int, keyLength: Int, valueLength: Int, ropeDimensionCount: Int) {
            (self.headCount, self.headCountKV, self.keyLength) = (headCount, headCountKV, keyLength)
            (self.valueLength, self.ropeDimensionCount) = (valueLength, ropeDimensionCount)
        }
    }

    /// `x += y` over `n`, shared out on `pool` when given and `n` is large (in 4096-element pieces).
    public static func add(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, n: Int, pool: ThreadPool? = nil) {
        let piece = 4096
        forRows((n + piece - 1) / piece, pool: pool) { r in
            for i in r.lowerBound * piece ..< min(n, r.upperBound * piece) { x[i] += y[i] }
        }
    }
}
