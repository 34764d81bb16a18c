import Foundation
import GGUF
import Kernels

/// The `llama` architecture: RMSNorm → GQA attention with RoPE → RMSNorm → SwiGLU feed-forward, pre-norm residual
/// blocks, a final RMSNorm and an output projection (tied to the token embedding when `output.weight` is absent).
/// Mistral (before Mistral Small 3.1) and Falcon3 checkpoints (Falcon3-1.58bit included) convert to this architecture.
public enum LlamaArchitecture: Architecture {
    public static let name = "llama"

    public static let requirements = ArchitectureRequirements(
        name: name, requiredKeys: ArchitectureRequirements.decoderKeys,
        requiredTensors: ArchitectureRequirements.decoderTensors())

    public static func load(_ file: GGUFFile) throws(ModelError) -> any DecoderNetwork {
        try LlamaLanguageModel(file: file, variant: .llama)
    }
}

/// What distinguishes the llama-shaped architectures that share `LlamaLanguageModel`'s block (llama, qwen2, qwen3,
/// phi3). Every variant also reads the optional biases llama.cpp reads for it (query/key/value, attention output,
/// feed-forward, output) and a fused `attn_qkv` in place of separate query/key/value matrices.
public struct LlamaVariant: Sendable, Equatable {
    /// `general.architecture` and metadata key prefix.
    public let architecture: String
    /// How RoPE pairs a head's dimensions: adjacent pairs for llama, halves (NeoX) for qwen2, qwen3 and phi3.
    public let ropeStyle: TransformerOps.RopeStyle
    /// Per-head RMSNorm of queries and keys before RoPE (`attn_q_norm`, `attn_k_norm`; qwen3).
    public let queryKeyNorm: Bool
    /// The query is multiplied by 1/√key_length before the attention, which then applies no scale (phi3's graph);
    /// otherwise the attention scales the scores.
    public let scalesQueryFirst: Bool
    /// `ffn_up` holds the gate rows then the up rows, and there is no `ffn_gate` (phi3).
    public let fusedGateUp: Bool
    /// Reads the optional per-projection input norms of the BitNet embedding models (`*_norm_in`; qwen3).
    public let projectionNorms: Bool
    /// Passes LLaMA-3's per-pair frequency factors (`rope_freqs.weight`) to RoPE (llama, mistral3).
    public let ropeFrequencyFactors: Bool
    /// Reads YaRN's β and log-multiplier keys (mistral3; `HyperParameters.init`'s `yarnExtensions`).
    public let yarnExtensions: Bool
    /// Multiplies each rotated query by Llama 4's attention temperature, 1 + ln(⌊position / n⌋ + 1) ·
    /// `attention.temperature_scale`, n the original context (mistral3, when the key is set).
    public let attentionTemperature: Bool
    /// Every `noRopeLayerStep`-th block (block l with (l + 1) % step == 0) attends without RoPE (smollm3: 4).
    public let noRopeLayerStep: Int?
    /// Reads Granite's multipliers (`logit_scale`, and the optional `embedding_scale`, `residual_scale`,
    /// `attention.scale`) and its RoPE switch `rope.scaling.finetuned` (granite).
    public let graniteMultipliers: Bool

    /// A variant; see the properties.
    public init(architecture: String, ropeStyle: TransformerOps.RopeStyle, queryKeyNorm: Bool = false,
                scalesQueryFirst: Bool = false, fusedGateUp: Bool = false, projectionNorms: Bool = false,
                ropeFrequencyFactors: Bool = false, yarnExtensions: Bool = false, attentionTemperature: Bool = false,
                noRopeLayerStep: Int? = nil, graniteMultipliers: Bool = false) {
        self.architecture = architecture
        self.ropeStyle = ropeStyle
        self.queryKeyNorm = queryKeyNorm
        self.scalesQueryFirst = scalesQueryFirst
        self.fusedGateUp = fusedGateUp
        self.projectionNorms = projectionNorms
        self.ropeFrequencyFactors = ropeFrequencyFactors
        self.yarnExtensions = yarnExtensions
        self.attentionTemperature = attentionTemperature
        self.noRopeLayerStep = noRopeLayerStep
        self.graniteMultipliers = graniteMultipliers
    }

    /// llama.cpp's `llama`.
    public static let llama = LlamaVariant(architecture: LlamaArchitecture.name, ropeStyle: .interleaved,
                                           ropeFrequencyFactors: true)
}

/// Weights of a llama-shaped model (see `LlamaVariant`), memory-mapped from its GGUF file, and the forward pass.
public final class LlamaLanguageModel: DecoderNetwork, @unchecked Sendable {
    // @unchecked Sendable: every stored property is immutable after init; weights point into the mapped file.

    /// One transformer block's weights; biases are nil when the file has none.
    struct Block {
        let attnNorm: [Float], ffnNorm: [Float]
        /// Per-head query/key norms, `[keyLength]` each (qwen3).
        let qNorm: [Float]?, kNorm: [Float]?
        let wq, wk, wv, wo: WeightMatrix
        let bq: [Float]?, bk: [Float]?, bv: [Float]?, bo: [Float]?
        let wGate, wUp, wDown: WeightMatrix
        let bGate: [Float]?, bUp: [Float]?, bDown: [Float]?
        /// The BitNet embedding models' per-projection input norms, each nil when absent.
        let inputNorms: ProjectionNorms
    }

    public let hyperParameters: HyperParameters
    /// Which llama-shaped architecture this is.
    public let variant: LlamaVariant
    let file: GGUFFile
    let tokenEmbedding: WeightMatrix
    let blocks: [Block]
    let outputNorm: [Float]
    let output: WeightMatrix
    let outputBias: [Float]?
    /// LLaMA-3's per-pair RoPE frequency factors (`rope_freqs.weight`, ropeDimensionCount / 2 values; llama only), when
    /// present: Llama 3.1+ files carry them.
    let ropeFactors: [Float]?
    /// Phi-3's LongRoPE (128k-context variants): per-pair factors for contexts up to `originalContext` (`short`) and
    /// beyond (`long`), and the attention factor that scales RoPE's cosine and sine.
    let longRoPE: LongRoPE?
    /// YaRN's constants when the file's RoPE scaling is `yarn` (Qwen2.5 / Qwen3 long-context files).
    let yarn: TransformerOps.YaRN?
    /// The attention temperature's `attention.temperature_scale` and position divisor, when the variant reads it
    /// and the file sets it (`LlamaVariant.attentionTemperature`).
    let temperature: (scale: Float, divisor: Int)?
    /// Granite's multipliers when the variant reads them (`LlamaVariant.graniteMultipliers`).
    let granite: GraniteMultipliers?

    /// What llama.cpp's granite graph multiplies by: the token embeddings, each block's attention and feed-forward
    /// outputs before they join the residual stream, the attention scores (in place of 1/√head), and the logits
    /// (by 1 / `logit`); nil or 0 in the file means no multiplication. `rope` false: no block uses RoPE.
    struct GraniteMultipliers {
        let embedding: Float?, residual: Float?, attention: Float?, logit: Float
        let rope: Bool
    }

    struct LongRoPE {
        let long: [Float], short: [Float]
        let originalContext: Int
        let attentionFactor: Float

        /// The factors llama.cpp picks for a context of `capacity` cells: it pads the context to a multiple of 256
        /// and takes the long factors when that exceeds the original context (`get_rope_factors`).
        func factors(capacity: Int) -> [Float] {
            (capacity + 255) / 256 * 256 > originalContext ? long : short
        }
    }

    /// Reads hyper-parameters and binds every tensor, checking each shape.
    public init(file: GGUFFile, variant: LlamaVariant) throws(ModelError) {
        let hp = try HyperParameters(file.metadata, architecture: variant.architecture,
                                     yarnExtensions: variant.yarnExtensions)
        let w = WeightLoader(file: file)
        let d = hp.embeddingLength, ff = hp.feedForwardLength
        let qWidth = hp.headCount * hp.keyLength, kvWidth = hp.headCountKV * hp.keyLength
        let vWidth = hp.headCountKV * hp.valueLength, oWidth = hp.headCount * hp.valueLength
        let hasLongRoPE = file.tensor(named: TensorName.ropeFactorsLong) != nil || file.tensor(named: TensorName.ropeFactorsShort) != nil
        if hasLongRoPE, variant.architecture != Phi3Architecture.name {
            throw .tensorUnusable(name: TensorName.ropeFactorsLong, reason: "LongRoPE factors are read for phi3 only "
                + "(as llama.cpp's graphs do), not \(variant.architecture)")
        }
        self.file = file
        self.variant = variant
        hyperParameters = hp
        tokenEmbedding = try w.matrix(TensorName.tokenEmbedding, rows: hp.vocabSize, cols: d)
        var blocks: [Block] = []
        typealias B = TensorName.Block
        for i in 0..<hp.blockCount {
            let wq, wk, wv: WeightMatrix
            var bq, bk, bv: [Float]?
            if let qkv = try w.optionalMatrix(B.attnQKV.name(i), rows: qWidth + kvWidth + vWidth, cols: d) {
                (wq, wk, wv) = (qkv.rows(0..<qWidth), qkv.rows(qWidth..<(qWidth + kvWidth)),
                                qkv.rows((qWidth + kvWidth)..<qkv.rows))
                if let b = try w.optionalVector(B.attnQKV.bias(i), count: qkv.rows) {
                    (bq, bk, bv) = (Array(b[0..<qWidth]), Array(b[qWidth..<(qWidth + kvWidth)]),
                                    Array(b[(qWidth + kvWidth)...]))
                }
            } else {
                wq = try w.matrix(B.attnQ.name(i), rows: qWidth, cols: d)
                wk = try w.matrix(B.attnK.name(i), rows: kvWidth, cols: d)
                wv = try w.matrix(B.attnV.name(i), rows: vWidth, cols: d)
            }
            // Separate biases also apply to a fused matrix that has no fused bias (as in llama.cpp).
            if bq == nil, bk == nil, bv == nil {
                bq = try w.optionalVector(B.attnQ.bias(i), count: qWidth)
                bk = try w.optionalVector(B.attnK.bias(i), count: kvWidth)
                bv = try w.optionalVector(B.attnV.bias(i), count: vWidth)
            }
            let wGate, wUp: WeightMatrix
            if variant.fusedGateUp {
                let gateUp = try w.matrix(B.ffnUp.name(i), rows: 2 * ff, cols: d)
                (wGate, wUp) = (gateUp.rows(0..<ff), gateUp.rows(ff..<(2 * ff)))
            } else {
                wGate = try w.matrix(B.ffnGate.name(i), rows: ff, cols: d)
                wUp = try w.matrix(B.ffnUp.name(i), rows: ff, cols: d)
            }
            let norms = variant.projectionNorms
                ? try ProjectionNorms(w, block: i, embedding: d, attentionOutput: oWidth, feedForward: ff) : ProjectionNorms()
            blocks.append(Block(
                attnNorm: try w.vector(B.attnNorm.name(i), count: d),
                ffnNorm: try w.vector(B.ffnNorm.name(i), count: d),
                qNorm: variant.queryKeyNorm ? try w.vector(B.attnQNorm.name(i), count: hp.keyLength) : nil,
                kNorm: variant.queryKeyNorm ? try w.vector(B.attnKNorm.name(i), count: hp.keyLength) : nil,
                wq: wq, wk: wk, wv: wv,
                wo: try w.matrix(B.attnOutput.name(i), rows: d, cols: oWidth),
                bq: bq, bk: bk, bv: bv,
                bo: try w.optionalVector(B.attnOutput.bias(i), count: d),
                wGate: wGate, wUp: wUp,
                wDown: try w.matrix(B.ffnDown.name(i), rows: d, cols: ff),
                bGate: variant.fusedGateUp ? nil : try w.optionalVector(B.ffnGate.bias(i), count: ff),
                bUp: variant.fusedGateUp ? nil : try w.optionalVector(B.ffnUp.bias(i), count: ff),
                bDown: try w.optionalVector(B.ffnDown.bias(i), count: d),
                inputNorms: norms))
        }
        self.blocks = blocks
        outputNorm = try w.vector(TensorName.outputNorm, count: d)
        output = try w.optionalMatrix(TensorName.output, rows: hp.vocabSize, cols: d) ?? tokenEmbedding
        outputBias = try w.optionalVector(TensorName.outputBias, count: hp.vocabSize)
        // Only llama's and mistral3's graphs pass them to RoPE (qwen2/qwen3 pass none; phi3 has LongRoPE's).
        ropeFactors = variant.ropeFrequencyFactors
            ? try w.optionalVector(TensorName.ropeFrequencies, count: hp.ropeDimensionCount / 2) : nil
        if hasLongRoPE {
            let pairs = hp.ropeDimensionCount / 2
            guard let long = try w.optionalVector(TensorName.ropeFactorsLong, count: pairs),
                  let short = try w.optionalVector(TensorName.ropeFactorsShort, count: pairs)
            else {
                throw .tensorUnusable(name: TensorName.ropeFactorsLong, reason: "LongRoPE needs both "
                    + "rope_factors_long.weight and rope_factors_short.weight")
            }
            let a = variant.architecture
            let original = file.metadata.int("\(a).rope.scaling.original_context_length") ?? hp.contextLength
            let factor = file.metadata.float("\(a).rope.scaling.attn_factor") ?? 1
            longRoPE = LongRoPE(long: long, short: short, originalContext: original, attentionFactor: factor)
        } else {
            longRoPE = nil
        }
        yarn = hp.ropeYaRNOriginalContext.map {
            TransformerOps.YaRN(dims: hp.ropeDimensionCount, originalContext: $0, base: hp.ropeFreqBase,
                                freqScale: hp.ropeFreqScale, betaFast: hp.ropeYaRNBetaFast, betaSlow: hp.ropeYaRNBetaSlow,
                                logMultiplier: hp.ropeYaRNLogMultiplier)
        }
        let a = variant.architecture, temperatureKey = "\(a).attention.temperature_scale"
        if variant.attentionTemperature, let scale = file.metadata.float(temperatureKey), scale != 0 {
            // llama.cpp divides positions by the original (YaRN) context, which defaults to the training context.
            let divisor = file.metadata.int("\(a).rope.scaling.original_context_length") ?? hp.contextLength
            guard scale.isFinite, divisor > 0 else {
                throw .invalidHyperParameter(key: temperatureKey, value: "\(scale)", reason: "needs a finite scale and a "
                    + "positive \(a).rope.scaling.original_context_length (or context_length); found \(divisor)")
            }
            temperature = (scale, divisor)
        } else {
            temperature = nil
        }
        if variant.graniteMultipliers {
            func scale(_ key: String) throws(ModelError) -> Float? {
                guard let v = file.metadata["\(a).\(key)"] else { return nil }
                guard let f = v.float, f.isFinite else {
                    throw .invalidHyperParameter(key: "\(a).\(key)", value: v.summary(), reason: "not a finite number")
                }
                return f == 0 ? nil : f
            }
            guard let logit = try scale("logit_scale") else { throw .missingHyperParameter(key: "\(a).logit_scale") }
            granite = GraniteMultipliers(embedding: try scale("embedding_scale"), residual: try scale("residual_scale"),
                                         attention: try scale("attention.scale"), logit: logit,
                                         rope: file.metadata["\(a).rope.scaling.finetuned"]?.bool ?? true)
        } else {
            granite = nil
        }
    }

    public func forward(_ tokens: [Int32], cache: KVCache, context ctx: ComputeContext,
                        allLogits: Bool) throws(ModelError) -> UnsafeBufferPointer<Float> {
        guard !tokens.isEmpty else { return UnsafeBufferPointer(start: nil, count: 0) }
        // CollectionOfOne: the decode step allocates nothing (DecodeAllocationTests).
        return try run(CollectionOfOne(BatchSegment(tokens: tokens, cache: cache)), context: ctx, allLogits: allLogits)
    }

    /// All segments in one pass: the projections and the feed-forward network over every row at once, RoPE, the
    /// cache store and the attention per segment (its own cache and positions).
    public func forwardBatch(_ segments: [BatchSegment], context ctx: ComputeContext) throws(ModelError) -> UnsafeBufferPointer<Float> {
        try checkSegments(segments)
        return try run(segments, context: ctx, allLogits: false)
    }

    /// The forward pass over `segments` (rows in segment order). One segment: logits of every row when
    /// `allLogits`, else of the last (the feed-forward of the last layer then skips the other rows, as llama.cpp
    /// does); several: the logits of each segment's last row.
    private func run<Segments: Collection<BatchSegment>>(_ segments: Segments, context ctx: ComputeContext,
                                                          allLogits: Bool) throws(ModelError) -> UnsafeBufferPointer<Float> {
        for segment in segments { try checkBatch(segment.tokens, cache: segment.cache) }
        let hp = hyperParameters, single = segments.count == 1
        let d = hp.embeddingLength, ff = hp.feedForwardLength, eps = hp.rmsEpsilon
        let qW = hp.headCount * hp.keyLength, kW = hp.headCountKV * hp.keyLength, vW = hp.headCountKV * hp.valueLength
        let oW = hp.headCount * hp.valueLength
        let pool = ctx.pool, scratch = ctx.scratch
        let queryScale = 1 / Float(hp.keyLength).squareRoot()
        // Rows in segment order: each segment's rows follow the previous segment's.
        let n = segments.reduce(0) { $0 + $1.tokens.count }
        // Activations, row-major per token: x [n, d] residual, xn [n, d] normed / projection output,
        // q [n, qW], k [n, kW], v [n, vW], attn [n, oW], gate/up [n, ff].
        let x = ctx.buffer(.residual, n * d), xn = ctx.buffer(.normed, n * d)
        let q = ctx.buffer(.query, n * qW), k = ctx.buffer(.key, n * kW), v = ctx.buffer(.value, n * vW)
        let attn = ctx.buffer(.attention, n * oW)
        let gate = ctx.buffer(.gate, n * ff), up = ctx.buffer(.up, n * ff)

        var row = 0
        for segment in segments {
            for t in segment.tokens { tokenEmbedding.dequantizeRow(Int(t), into: x + row * d); row += 1 }
        }
        Self.scale(x, count: n * d, by: granite?.embedding)
        // Several sequences' attention runs as one dispatch (no array for the single-sequence decode path).
        let attentionSegments = single ? [] : segments.map {
            TransformerOps.AttentionSegment(tokens: $0.tokens.count, start: $0.cache.length, cache: $0.cache)
        }

        for (l, b) in blocks.enumerated() {
            // Attention: xn = norm(x); q,k,v = xn·Wqᵀ + bq, …; [qwen3: per-head norm of q, k]; rotate q,k;
            // cache k,v; x += attn(q)·Woᵀ + bo
            TransformerOps.rmsNormRows(x, weight: b.attnNorm, eps: eps, into: xn, rows: n, width: d, pool: pool)
            let norms = b.inputNorms
            norms.projectQKV(xn, rows: n, width: d, eps: eps, context: ctx, (b.wq, q), (b.wk, k), (b.wv, v))
            Self.addBias(b.bq, to: q, rows: n)
            Self.addBias(b.bk, to: k, rows: n)
            Self.addBias(b.bv, to: v, rows: n)
            if let qNorm = b.qNorm, let kNorm = b.kNorm {
                TransformerOps.rmsNormRows(q, weight: qNorm, eps: eps, into: q, rows: n * hp.headCount,
                                           width: hp.keyLength, pool: pool)
                TransformerOps.rmsNormRows(k, weight: kNorm, eps: eps, into: k, rows: n * hp.headCountKV,
                                           width: hp.keyLength, pool: pool)
            }
            var r = 0
            let rotate = (variant.noRopeLayerStep.map { (l + 1) % $0 != 0 } ?? true) && granite?.rope != false
            for segment in segments {
                let count = segment.tokens.count, cache = segment.cache
                TransformerOps.rotateAndCache(q: q + r * qW, k: k + r * kW, v: v + r * vW, tokens: count,
                                              start: cache.length, layer: l, cache: cache, hp: hp.attentionShape,
                                              base: hp.ropeFreqBase, style: variant.ropeStyle,
                                              factors: longRoPE?.factors(capacity: cache.capacity) ?? ropeFactors,
                                              freqScale: hp.ropeFreqScale, mscale: longRoPE?.attentionFactor ?? 1,
                                              yarn: yarn, rotate: rotate, pool: pool)
                if let temperature {
                    Self.scaleByTemperature(q + r * qW, tokens: count, start: cache.length, width: qW, temperature)
                }
                r += count
            }
            if variant.scalesQueryFirst {
                // phi3 scales the rotated query in F32 (before the attention rounds it to F16) and attends with scale 1.
                for i in 0..<(n * qW) { q[i] *= queryScale }
            }
            let attentionScale = variant.scalesQueryFirst ? 1 : granite?.attention ?? queryScale
            if let segment = segments.first, single {
                TransformerOps.attentionGGMLRounding(q: q, out: attn, tokens: n, start: segment.cache.length, layer: l,
                                                     cache: segment.cache, heads: hp.headCount, group: hp.groupSize,
                                                     keyLength: hp.keyLength, valueLength: hp.valueLength,
                                                     scale: attentionScale, pool: pool, scratch: scratch)
            } else {
                TransformerOps.attentionGGMLRounding(segments: attentionSegments, q: q, out: attn, layer: l,
                                                     heads: hp.headCount, group: hp.groupSize, keyLength: hp.keyLength,
                                                     valueLength: hp.valueLength, scale: attentionScale, pool: pool,
                                                     scratch: scratch)
            }
            let attnInput = ProjectionNorms.input(attn, norm: norms.o, rows: n, width: oW, eps: eps, context: ctx)
            matmul(b.wo, input: attnInput, count: n, output: xn, pool: pool, scratch: scratch)
            Self.addBias(b.bo, to: xn, rows: n)
            Self.scale(xn, count: n * d, by: granite?.residual)
            TransformerOps.add(x, xn, n: n * d, pool: pool)

            // Feed-forward: xn = norm(x); x += (silu(xn·Wgateᵀ + bg) ⊙ (xn·Wupᵀ + bu))·Wdownᵀ + bd, for rows f..<n
            // (`ffnRows`; every row of a multi-segment batch)
            let f = single ? Self.ffnRows(layer: l, of: blocks.count, tokens: n, allLogits: allLogits) : 0
            let m = n - f, xf = x + f * d
            TransformerOps.rmsNormRows(xf, weight: b.ffnNorm, eps: eps, into: xn, rows: m, width: d, pool: pool)
            norms.projectGateUp(xn, rows: m, width: d, eps: eps, context: ctx, (b.wGate, gate), (b.wUp, up))
            Self.addBias(b.bGate, to: gate, rows: m)
            Self.addBias(b.bUp, to: up, rows: m)
            TransformerOps.swiglu(gate: gate, up: up, rows: m, width: ff, pool: pool)
            let downInput = ProjectionNorms.input(gate, norm: norms.down, rows: m, width: ff, eps: eps, context: ctx)
            matmul(b.wDown, input: downInput, count: m, output: xn, pool: pool, scratch: scratch)
            Self.addBias(b.bDown, to: xn, rows: m)
            Self.scale(xn, count: m * d, by: granite?.residual)
            TransformerOps.add(xf, xn, n: m * d, pool: pool)
        }
        for segment in segments { segment.cache.advance(by: segment.tokens.count) }

        // Output: logits = norm(x)·Woutᵀ (+ bias) for the rows asked for.
        let rows: Int
        if single {
            let first = allLogits ? 0 : n - 1
            rows = n - first
            TransformerOps.rmsNormRows(x + first * d, weight: outputNorm, eps: eps, into: xn, rows: rows, width: d)
        } else {
            rows = segments.count
            var last = -1
            for (i, segment) in segments.enumerated() {
                last += segment.tokens.count
                TransformerOps.rmsNormRows(x + last * d, weight: outputNorm, eps: eps, into: xn + i * d, rows: 1, width: d)
            }
        }
        if ctx.output == .hiddenStates { return UnsafeBufferPointer(start: xn, count: rows * d) }
        let logits = ctx.buffer(.logits, rows * hp.vocabSize)
        matmul(output, input: xn, count: rows, output: logits, pool: pool, scratch: scratch)
        Self.addBias(outputBias, to: logits, rows: rows)
        Self.scale(logits, count: rows * hp.vocabSize, by: granite.map { 1 / $0.logit })
        return UnsafeBufferPointer(start: logits, count: rows * hp.vocabSize)
    }

    /// Multiplies query row t (position `start + t`) by Llama 4's attention temperature as llama.cpp's
    /// `llm_graph_input_attn_temp` computes it: ⌊position / divisor⌋ in float, then ln(· + 1) · scale + 1 in double,
    /// stored as a float, and an F32 multiply (`ggml_mul`).
    static func scaleByTemperature(_ q: UnsafeMutablePointer<Float>, tokens: Int, start: Int, width: Int,
                                   _ temperature: (scale: Float, divisor: Int)) {
        for t in 0..<tokens {
            let bucket = (Float(start + t) / Float(temperature.divisor)).rounded(.down)
            let factor = Float(log(Double(bucket) + 1) * Double(temperature.scale) + 1)
            let row = q + t * width
            for j in 0..<width { row[j] *= factor }
        }
    }

    /// Multiplies `count` floats by `factor` when there is one (`ggml_scale`: one rounding per element).
    static func scale(_ y: UnsafeMutablePointer<Float>, count: Int, by factor: Float?) {
        guard let factor else { return }
        for i in 0..<count { y[i] *= factor }
    }

    /// Adds `bias` (when present) to each of `rows` rows of `bias.count` floats, as ggml_add broadcasts it.
    static func addBias(_ bias: [Float]?, to y: UnsafeMutablePointer<Float>, rows: Int) {
        guard let bias else { return }
        let width = bias.count
        bias.withUnsafeBufferPointer { b in
            for r in 0..<rows {
                let row = y + r * width
                for j in 0..<width { row[j] += b[j] }
            }
        }
    }
}
