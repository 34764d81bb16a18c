import GGUF
import Kernels

/// llama.cpp's `bitnet` architecture (BitNet b1.58 as upstream converts it): a llama-shaped pre-norm transformer
/// with two extra RMSNorms — `attn_sub_norm` on the attention output before `attn_output`, `ffn_sub_norm` on the
/// SiLU-gated product before `ffn_down` — NeoX RoPE, no output matrix (logits always come from `token_embd`), and
/// an optional F32 `.scale` tensor of one element beside each projection that multiplies its output.
public enum BitNetArchitecture: Architecture {
    public static let name = "bitnet"

    public static let requirements = ArchitectureRequirements(
        name: name, requiredKeys: ArchitectureRequirements.decoderKeys,
        requiredTensors: ArchitectureRequirements.decoderTensors(plus: [.attnSubNorm, .ffnSubNorm]))

    public static func load(_ file: GGUFFile) throws(ModelError) -> any DecoderNetwork {
        try BitNetLanguageModel(file: file)
    }
}

/// What distinguishes the BitNet b1.58 graphs that share `BitNetLanguageModel`'s block: the architecture name
/// (and so the metadata key prefix) and the activation between the gate/up projections and `ffn_sub_norm`.
public struct BitNetVariant: Sendable, Equatable {
    /// The gated feed-forward activation.
    public enum FeedForwardActivation: String, Sendable {
        /// silu(gate) ⊙ up (upstream llama.cpp `bitnet`).
        case silu
        /// relu(gate)² ⊙ up (Microsoft's `bitnet-25`).
        case reluSquared
    }

    /// `general.architecture` and metadata key prefix.
    public let architecture: String
    /// The feed-forward activation.
    public let activation: FeedForwardActivation

    /// A variant named `architecture` with `activation`.
    public init(architecture: String, activation: FeedForwardActivation) {
        self.architecture = architecture
        self.activation = activation
    }

    /// Upstream llama.cpp `bitnet`.
    public static let upstream = BitNetVariant(architecture: BitNetArchitecture.name, activation: .silu)
}

/// Weights of a BitNet b1.58 model (`bitnet`, or `bitnet-25` through `BitNetVariant`), memory-mapped from its GGUF
/// file, and the forward pass over them.
public final class BitNetLanguageModel: DecoderNetwork, @unchecked Sendable {
    // @unchecked Sendable: every stored property is immutable after init; weights point into the mapped file.

    /// A projection and the optional scalar its output is multiplied by (`<name>.scale`, shape [1]).
    struct Projection {
        let matrix: WeightMatrix
        let scale: Float?
    }

    /// One transformer block's weights.
    struct Block {
        let attnNorm: [Float], attnSubNorm: [Float], ffnNorm: [Float], ffnSubNorm: [Float]
        let wq, wk, wv, wo: Projection
        let wGate, wUp, wDown: Projection
    }

    public let hyperParameters: HyperParameters
    /// Which BitNet graph this is.
    public let variant: BitNetVariant
    let file: GGUFFile
    let tokenEmbedding: WeightMatrix
    let blocks: [Block]
    let outputNorm: [Float]

    /// Reads hyper-parameters (keys prefixed with the variant's architecture name) and binds every tensor, checking
    /// each shape. An `output.weight` tensor, if present, is not used: both reference graphs take the logits from
    /// `token_embd` (`build_bitnet` upstream, `build_bitnet_158` in bitnet.cpp's llama.cpp fork).
    /// - Throws: `ModelError` for a missing or inconsistent hyper-parameter or tensor.
    public init(file: GGUFFile, variant: BitNetVariant = .upstream) throws(ModelError) {
        let hp = try HyperParameters(file.metadata, architecture: variant.architecture)
        if hp.ropeYaRNOriginalContext != nil {
            throw .invalidHyperParameter(key: "\(variant.architecture).rope.scaling.type", value: "yarn",
                                         reason: "YaRN RoPE scaling is implemented for the llama-family architectures only")
        }
        let w = WeightLoader(file: file)
        let d = hp.embeddingLength, ff = hp.feedForwardLength
        let qWidth = hp.headCount * hp.keyLength, kvWidth = hp.headCountKV * hp.keyLength
        let vWidth = hp.headCountKV * hp.valueLength, oWidth = hp.headCount * hp.valueLength
        func projection(_ base: String, rows: Int, cols: Int) throws(ModelError) -> Projection {
            let scaleName = base + ".scale"
            let scale = file.tensor(named: scaleName) == nil ? nil : try w.vector(scaleName, count: 1)[0]
            return Projection(matrix: try w.matrix(base + ".weight", rows: rows, cols: cols), scale: scale)
        }
        self.file = file
        self.variant = variant
        hyperParameters = hp
        tokenEmbedding = try w.matrix(TensorName.tokenEmbedding, rows: hp.vocabSize, cols: d)
        var blocks: [Block] = []
        for i in 0..<hp.blockCount {
            blocks.append(Block(
                attnNorm: try w.vector(TensorName.Block.attnNorm.name(i), count: d),
                attnSubNorm: try w.vector(TensorName.Block.attnSubNorm.name(i), count: oWidth),
                ffnNorm: try w.vector(TensorName.Block.ffnNorm.name(i), count: d),
                ffnSubNorm: try w.vector(TensorName.Block.ffnSubNorm.name(i), count: ff),
                wq: try projection(TensorName.Block.attnQ.stem(i), rows: qWidth, cols: d),
                wk: try projection(TensorName.Block.attnK.stem(i), rows: kvWidth, cols: d),
                wv: try projection(TensorName.Block.attnV.stem(i), rows: vWidth, cols: d),
                wo: try projection(TensorName.Block.attnOutput.stem(i), rows: d, cols: oWidth),
                wGate: try projection(TensorName.Block.ffnGate.stem(i), rows: ff, cols: d),
                wUp: try projection(TensorName.Block.ffnUp.stem(i), rows: ff, cols: d),
                wDown: try projection(TensorName.Block.ffnDown.stem(i), rows: d, cols: ff)))
        }
        self.blocks = blocks
        outputNorm = try w.vector(TensorName.outputNorm, count: d)
    }

    /// y = x·Wᵀ (· scale): `x` [n, cols] → `y` [n, rows].
    private func project(_ p: Projection, _ x: UnsafePointer<Float>, _ n: Int, _ y: UnsafeMutablePointer<Float>,
                         _ ctx: ComputeContext) {
        matmul(p.matrix, input: x, count: n, output: y, pool: ctx.pool, scratch: ctx.scratch)
        Self.applyScale(p, y, n)
    }

    /// `project` for two or three projections of the same input (one dispatch per decode step; see `matmul`).
    private func project(_ a: (Projection, UnsafeMutablePointer<Float>), _ b: (Projection, UnsafeMutablePointer<Float>),
                         _ c: (Projection, UnsafeMutablePointer<Float>)? = nil, _ x: UnsafePointer<Float>, _ n: Int,
                         _ ctx: ComputeContext) {
        matmul((a.0.matrix, a.1), (b.0.matrix, b.1), c.map { ($0.0.matrix, $0.1) }, input: x, count: n,
               pool: ctx.pool, scratch: ctx.scratch)
        Self.applyScale(a.0, a.1, n)
        Self.applyScale(b.0, b.1, n)
        if let c { Self.applyScale(c.0, c.1, n) }
    }

    /// Multiplies `n` rows of `p`'s outputs by its `.scale` tensor, when it has one.
    private static func applyScale(_ p: Projection, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        if let s = p.scale { for i in 0..<n * p.matrix.rows { y[i] *= s } }  // y holds n × rows floats
    }

    /// RMSNorm of each of `n` rows of `width` in `x` into `y` with `weight`.
    private func normRows(_ x: UnsafePointer<Float>, _ weight: [Float], _ n: Int, _ width: Int,
                          _ y: UnsafeMutablePointer<Float>, _ pool: ThreadPool? = nil) {
        TransformerOps.rmsNormRows(x, weight: weight, eps: hyperParameters.rmsEpsilon, into: y, rows: n, width: width,
                                   pool: pool)
    }

    public func forward(_ tokens: [Int32], cache: KVCache, context ctx: ComputeContext,
                        allLogits: Bool) throws(ModelError) -> UnsafeBufferPointer<Float> {
        let hp = hyperParameters, n = tokens.count, start = cache.length
        guard n > 0 else { return UnsafeBufferPointer(start: nil, count: 0) }
        try checkBatch(tokens, cache: cache)
        let d = hp.embeddingLength, ff = hp.feedForwardLength
        let qW = hp.headCount * hp.keyLength, kW = hp.headCountKV * hp.keyLength, vW = hp.headCountKV * hp.valueLength
        let oW = hp.headCount * hp.valueLength
        // Activations, row-major per token: x [n, d] residual, xn [n, d] normed / projection output,
        // q [n, qW], k [n, kW], v [n, vW], attn [n, oW], gate/up [n, ff].
        let x = ctx.buffer(.residual, n * d), xn = ctx.buffer(.normed, n * d)
        let q = ctx.buffer(.query, n * qW), k = ctx.buffer(.key, n * kW), v = ctx.buffer(.value, n * vW)
        let attn = ctx.buffer(.attention, n * oW)
        let gate = ctx.buffer(.gate, n * ff), up = ctx.buffer(.up, n * ff)

        for (i, t) in tokens.enumerated() { tokenEmbedding.dequantizeRow(Int(t), into: x + i * d) }

        for (l, b) in blocks.enumerated() {
            // Attention: xn = norm(x); q,k,v = xn·Wᵀ; NeoX-rotate q,k; cache k,v; x += subNorm(attn(q))·Woᵀ
            normRows(x, b.attnNorm, n, d, xn, ctx.pool)
            project((b.wq, q), (b.wk, k), (b.wv, v), xn, n, ctx)
            TransformerOps.rotateAndCache(q: q, k: k, v: v, tokens: n, start: start, layer: l, cache: cache, hp: hp.attentionShape,
                                          base: hp.ropeFreqBase, style: .neox, freqScale: hp.ropeFreqScale,
                                          pool: ctx.pool)
            TransformerOps.attentionGGMLRounding(q: q, out: attn, tokens: n, start: start, layer: l, cache: cache,
                                                 heads: hp.headCount, group: hp.groupSize, keyLength: hp.keyLength,
                                                 valueLength: hp.valueLength, scale: 1 / Float(hp.keyLength).squareRoot(),
                                                 pool: ctx.pool, scratch: ctx.scratch)
            normRows(attn, b.attnSubNorm, n, oW, attn, ctx.pool)
            project(b.wo, attn, n, xn, ctx)
            TransformerOps.add(x, xn, n: n * d, pool: ctx.pool)

            // Feed-forward: xn = norm(x); x += subNorm(act(xn·Wgateᵀ) ⊙ xn·Wupᵀ)·Wdownᵀ, act = silu or relu²,
            // for rows f..<n (`ffnRows`)
            let f = Self.ffnRows(layer: l, of: blocks.count, tokens: n, allLogits: allLogits), m = n - f, xf = x + f * d
            normRows(xf, b.ffnNorm, m, d, xn, ctx.pool)
            project((b.wGate, gate), (b.wUp, up), nil, xn, m, ctx)
            switch variant.activation {
            case .silu: TransformerOps.swiglu(gate: gate, up: up, rows: m, width: ff, pool: ctx.pool)
            case .reluSquared:
                TransformerOps.forRows(m, pool: ctx.pool) { r in
                    let o = r.lowerBound * ff
                    VectorOps.reluSquaredGated(gate: gate + o, up: up + o, into: gate + o, count: r.count * ff)
                }
            }
            normRows(gate, b.ffnSubNorm, m, ff, gate, ctx.pool)
            project(b.wDown, gate, m, xn, ctx)
            TransformerOps.add(xf, xn, n: m * d, pool: ctx.pool)
        }
        cache.advance(by: n)

        // Output: logits = norm(x)·token_embdᵀ for the rows asked for (bitnet has no output matrix).
        let first = allLogits ? 0 : n - 1, rows = n - first
        normRows(x + first * d, outputNorm, rows, d, xn)
        if ctx.output == .hiddenStates { return UnsafeBufferPointer(start: xn, count: rows * d) }
        let logits = ctx.buffer(.logits, rows * hp.vocabSize)
        matmul(tokenEmbedding, input: xn, count: rows, output: logits, pool: ctx.pool, scratch: ctx.scratch)
        return UnsafeBufferPointer(start: logits, count: rows * hp.vocabSize)
    }
}
