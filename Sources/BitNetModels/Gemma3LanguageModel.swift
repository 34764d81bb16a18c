import Foundation
import GGUF
import Kernels

/// The `gemma3` architecture: scaled token embeddings, then blocks of RMSNorm → attention with per-head RMSNorm on
/// queries and keys and NeoX RoPE → RMSNorm → residual add, RMSNorm → GELU-gated feed-forward → RMSNorm → residual
/// add; most layers attend over a sliding window with a local RoPE base, every few layers attend globally.
///
/// The GGUF converter stores Gemma's `(1 + w)` norm weights already shifted, so every norm here is a plain
/// `rmsNorm(x) ⊙ w`. The BitNet embedding models on this backbone (bitnet-embeddings-270m, as bitnet.cpp's converter
/// writes it) add an RMSNorm before every projection (`ProjectionNorms`).
public enum Gemma3Architecture: Architecture {
    public static let name = "gemma3"

    public static let requirements = ArchitectureRequirements(
        name: name, requiredKeys: ArchitectureRequirements.decoderKeys,
        requiredTensors: ArchitectureRequirements.decoderTensors(plus: [.attnQNorm, .attnKNorm, .postAttentionNorm, .postFFWNorm]))

    public static func load(_ file: GGUFFile) throws(ModelError) -> any DecoderNetwork {
        try Gemma3LanguageModel(file: file)
    }
}

/// The gemma3-only hyper-parameters, read from metadata with llama.cpp's defaults for the keys converters omit.
public struct Gemma3Parameters: Sendable, Codable, Equatable {
    /// Positions a sliding-window layer attends to (the query's own and the `slidingWindow - 1` before it);
    /// `nil` when the file has no `sliding_window` (every layer global).
    public var slidingWindow: Int?
    /// Per layer: true for sliding-window (local) layers, false for global ones.
    public var isSliding: [Bool]
    /// RoPE base of the sliding-window layers (`rope.freq_base_swa`, default 10 000); global layers use
    /// `HyperParameters.ropeFreqBase`.
    public var localRopeFreqBase: Float
    /// Factor applied to queries before `q·k` (Gemma's `query_pre_attn_scalar^-1/2`).
    public var attentionScale: Float
    /// `c` in `logits = c·tanh(logits / c)`; `nil` when the file sets none.
    public var finalLogitSoftcap: Float?

    /// Reads the keys of `arch` given the common hyper-parameters.
    /// - Throws: `ModelError.invalidHyperParameter` naming a key of the wrong type or value.
    public init(_ md: GGUFMetadata, common hp: HyperParameters) throws(ModelError) {
        let arch = hp.architecture
        func key(_ k: String) -> String { "\(arch).\(k)" }
        func float(_ k: String) throws(ModelError) -> Float? {
            guard let v = md[key(k)] else { return nil }
            guard let f = v.float else { throw .invalidHyperParameter(key: key(k), value: v.summary(), reason: "not a number") }
            return f
        }

        let window = md[key("attention.sliding_window")]
        if let window, window.int == nil {
            throw .invalidHyperParameter(key: key("attention.sliding_window"), value: window.summary(), reason: "not an integer")
        }
        let w = window?.int ?? 0
        guard w >= 0 else {
            throw .invalidHyperParameter(key: key("attention.sliding_window"), value: "\(w)", reason: "must not be negative")
        }
        slidingWindow = w > 0 ? w : nil
        isSliding = w > 0 ? try Self.slidingPattern(md, key: key("attention.sliding_window_pattern"), layers: hp.blockCount)
                          : Array(repeating: false, count: hp.blockCount)
        localRopeFreqBase = try float("rope.freq_base_swa") ?? 10_000
        // Gemma 3 27B (62 blocks) scales by embedding/heads; every other size by the head width (llama.cpp does the same).
        let scaleWidth = hp.blockCount == 62 ? hp.embeddingLength / hp.headCount : hp.keyLength
        attentionScale = 1 / Float(scaleWidth).squareRoot()
        let cap = try float("final_logit_softcapping") ?? 0
        finalLogitSoftcap = cap > 0 ? cap : nil
    }

    /// `sliding_window_pattern` as a per-layer bool array, or as a period n where every n-th layer (n-1, 2n-1, …) is
    /// global; absent means period 6. A period of 0 makes every layer sliding.
    static func slidingPattern(_ md: GGUFMetadata, key: String, layers: Int) throws(ModelError) -> [Bool] {
        guard let v = md[key] else { return (0..<layers).map { $0 % 6 < 5 } }
        if let a = v.array {
            let flags = a.compactMap(\.bool)
            guard flags.count == a.count, flags.count == layers else {
                throw .invalidHyperParameter(key: key, value: v.summary(), reason: "must be \(layers) booleans, one per block")
            }
            return flags
        }
        guard let n = v.int, n >= 0 else {
            throw .invalidHyperParameter(key: key, value: v.summary(), reason: "must be a non-negative period or a bool array")
        }
        return (0..<layers).map { n == 0 || $0 % n < n - 1 }
    }
}

/// Weights of a gemma3 model, memory-mapped from its GGUF file, and the forward pass over them.
public final class Gemma3LanguageModel: DecoderNetwork, @unchecked Sendable {
    // @unchecked Sendable: every stored property is immutable after init; weights point into the mapped file.

    /// One transformer block's weights.
    struct Block {
        let attnNorm: [Float], postAttnNorm: [Float], ffnNorm: [Float], postFFNNorm: [Float]
        /// Per-head norms of queries and keys, `[keyLength]` each.
        let qNorm: [Float], kNorm: [Float]
        let wq, wk, wv, wo: WeightMatrix
        let wGate, wUp, wDown: WeightMatrix
        /// The BitNet embedding models' per-projection input norms (bitnet-embeddings-270m), each nil when absent.
        let inputNorms: ProjectionNorms
    }

    public let hyperParameters: HyperParameters
    /// Sliding window, layer pattern, local RoPE base, query scale, logit softcap.
    public let gemma: Gemma3Parameters
    let file: GGUFFile
    let tokenEmbedding: WeightMatrix
    let blocks: [Block]
    let outputNorm: [Float]
    let output: WeightMatrix

    /// Reads hyper-parameters and binds every tensor, checking each shape.
    public init(file: GGUFFile) throws(ModelError) {
        let hp = try HyperParameters(file.metadata, architecture: Gemma3Architecture.name)
        if hp.ropeYaRNOriginalContext != nil {
            throw .invalidHyperParameter(key: "\(Gemma3Architecture.name).rope.scaling.type", value: "yarn",
                                         reason: "YaRN RoPE scaling is implemented for the llama-family architectures only")
        }
        let w = WeightLoader(file: file)
        let d = hp.embeddingLength, ff = hp.feedForwardLength
        let qWidth = hp.headCount * hp.keyLength, kvWidth = hp.headCountKV * hp.keyLength
        let vWidth = hp.headCountKV * hp.valueLength
        self.file = file
        hyperParameters = hp
        gemma = try Gemma3Parameters(file.metadata, common: hp)
        tokenEmbedding = try w.matrix(TensorName.tokenEmbedding, rows: hp.vocabSize, cols: d)
        var blocks: [Block] = []
        for i in 0..<hp.blockCount {
            blocks.append(Block(
                attnNorm: try w.vector(TensorName.Block.attnNorm.name(i), count: d),
                postAttnNorm: try w.vector(TensorName.Block.postAttentionNorm.name(i), count: d),
                ffnNorm: try w.vector(TensorName.Block.ffnNorm.name(i), count: d),
                postFFNNorm: try w.vector(TensorName.Block.postFFWNorm.name(i), count: d),
                qNorm: try w.vector(TensorName.Block.attnQNorm.name(i), count: hp.keyLength),
                kNorm: try w.vector(TensorName.Block.attnKNorm.name(i), count: hp.keyLength),
                wq: try w.matrix(TensorName.Block.attnQ.name(i), rows: qWidth, cols: d),
                wk: try w.matrix(TensorName.Block.attnK.name(i), rows: kvWidth, cols: d),
                wv: try w.matrix(TensorName.Block.attnV.name(i), rows: vWidth, cols: d),
                wo: try w.matrix(TensorName.Block.attnOutput.name(i), rows: d, cols: hp.headCount * hp.valueLength),
                wGate: try w.matrix(TensorName.Block.ffnGate.name(i), rows: ff, cols: d),
                wUp: try w.matrix(TensorName.Block.ffnUp.name(i), rows: ff, cols: d),
                wDown: try w.matrix(TensorName.Block.ffnDown.name(i), rows: d, cols: ff),
                inputNorms: try ProjectionNorms(w, block: i, embedding: d, attentionOutput: hp.headCount * hp.valueLength,
                                                feedForward: ff)))
        }
        self.blocks = blocks
        outputNorm = try w.vector(TensorName.outputNorm, count: d)
        output = try w.optionalMatrix(TensorName.output, rows: hp.vocabSize, cols: d) ?? tokenEmbedding
    }

    public func forward(_ tokens: [Int32], cache: KVCache, context ctx: ComputeContext,
                        allLogits: Bool) throws(ModelError) -> UnsafeBufferPointer<Float> {
        let hp = hyperParameters, n = tokens.count, start = cache.length
        guard n > 0 else { return UnsafeBufferPointer(start: nil, count: 0) }
        try checkBatch(tokens, cache: cache)
        let d = hp.embeddingLength, ff = hp.feedForwardLength, eps = hp.rmsEpsilon
        let qW = hp.headCount * hp.keyLength, kW = hp.headCountKV * hp.keyLength, vW = hp.headCountKV * hp.valueLength
        let oW = hp.headCount * hp.valueLength
        let pool = ctx.pool, scratch = ctx.scratch
        // Activations, row-major per token: x [n, d] residual, xn [n, d] normed input / projection output,
        // q [n, qW], k [n, kW], v [n, vW], attn [n, oW], gate/up [n, ff].
        let x = ctx.buffer(.residual, n * d), xn = ctx.buffer(.normed, n * d)
        let q = ctx.buffer(.query, n * qW), k = ctx.buffer(.key, n * kW), v = ctx.buffer(.value, n * vW)
        let attn = ctx.buffer(.attention, n * oW)
        let gate = ctx.buffer(.gate, n * ff), up = ctx.buffer(.up, n * ff)

        // x = embedding · sqrt(d)
        let embeddingScale = Float(d).squareRoot()
        for (i, t) in tokens.enumerated() {
            tokenEmbedding.dequantizeRow(Int(t), into: x + i * d)
            for j in 0..<d { x[i * d + j] *= embeddingScale }
        }

        for (l, b) in blocks.enumerated() {
            let sliding = gemma.isSliding[l]
            // Attention: xn = norm(x); q,k,v = xn·Wqᵀ, xn·Wkᵀ, xn·Wvᵀ; q,k = rope(headNorm(q,k));
            // x += postNorm(attn(q·scale)·Woᵀ)
            TransformerOps.rmsNormRows(x, weight: b.attnNorm, eps: eps, into: xn, rows: n, width: d, pool: pool)
            let norms = b.inputNorms
            norms.projectQKV(xn, rows: n, width: d, eps: eps, context: ctx, (b.wq, q), (b.wk, k), (b.wv, v))
            // One norm per head: q [n·heads, keyLength], k [n·headsKV, keyLength].
            TransformerOps.rmsNormRows(q, weight: b.qNorm, eps: eps, into: q, rows: n * hp.headCount, width: hp.keyLength,
                                       pool: pool)
            TransformerOps.rmsNormRows(k, weight: b.kNorm, eps: eps, into: k, rows: n * hp.headCountKV,
                                       width: hp.keyLength, pool: pool)
            // RoPE and attention round as llama.cpp's CPU kernels do (F16 query and value sums, iterated angles):
            // gemma3's large norm weights turn the F32 alternatives into visible logit drift.
            let ropeBase = sliding ? gemma.localRopeFreqBase : hp.ropeFreqBase
            TransformerOps.rotateAndCache(q: q, k: k, v: v, tokens: n, start: start, layer: l, cache: cache, hp: hp.attentionShape,
                                          base: ropeBase, style: .neox, freqScale: sliding ? 1 : hp.ropeFreqScale,
                                          pool: pool)
            // Gemma scales the rotated query (in F32, before the attention rounds it to F16) and attends with scale 1.
            let scale = gemma.attentionScale
            for i in 0..<(n * hp.headCount * hp.keyLength) { q[i] *= scale }
            TransformerOps.attentionGGMLRounding(q: q, out: attn, tokens: n, start: start, layer: l, cache: cache,
                                                 heads: hp.headCount, group: hp.groupSize, keyLength: hp.keyLength,
                                                 valueLength: hp.valueLength, scale: 1,
                                                 window: sliding ? gemma.slidingWindow : nil, pool: pool, scratch: scratch)
            let attnInput = ProjectionNorms.input(attn, norm: norms.o, rows: n, width: oW, eps: eps, context: ctx)
            matmul(b.wo, input: attnInput, count: n, output: xn, pool: pool, scratch: scratch)
            TransformerOps.rmsNormRows(xn, weight: b.postAttnNorm, eps: eps, into: xn, rows: n, width: d, pool: pool)
            TransformerOps.add(x, xn, n: n * d, pool: pool)

            // Feed-forward: xn = norm(x); x += postNorm((gelu(xn·Wgateᵀ) ⊙ xn·Wupᵀ)·Wdownᵀ)
            // (rows f..<n only: `ffnRows`)
            let f = Self.ffnRows(layer: l, of: blocks.count, tokens: n, allLogits: allLogits), m = n - f, xf = x + f * d
            TransformerOps.rmsNormRows(xf, weight: b.ffnNorm, eps: eps, into: xn, rows: m, width: d, pool: pool)
            norms.projectGateUp(xn, rows: m, width: d, eps: eps, context: ctx, (b.wGate, gate), (b.wUp, up))
            TransformerOps.forRows(m, pool: pool) { r in
                let o = r.lowerBound * ff
                VectorOps.gelu(gate + o, into: gate + o, count: r.count * ff)
                for j in o..<(o + r.count * ff) { gate[j] *= up[j] }
            }
            let downInput = ProjectionNorms.input(gate, norm: norms.down, rows: m, width: ff, eps: eps, context: ctx)
            matmul(b.wDown, input: downInput, count: m, output: xn, pool: pool, scratch: scratch)
            TransformerOps.rmsNormRows(xn, weight: b.postFFNNorm, eps: eps, into: xn, rows: m, width: d, pool: pool)
            TransformerOps.add(xf, xn, n: m * d, pool: pool)
        }
        cache.advance(by: n)

        // Output: logits = norm(x)·Woutᵀ for the rows asked for, soft-capped when the file says so.
        let first = allLogits ? 0 : n - 1, rows = n - first
        TransformerOps.rmsNormRows(x + first * d, weight: outputNorm, eps: eps, into: xn, rows: rows, width: d)
        if ctx.output == .hiddenStates { return UnsafeBufferPointer(start: xn, count: rows * d) }
        let logits = ctx.buffer(.logits, rows * hp.vocabSize)
        matmul(output, input: xn, count: rows, output: logits, pool: pool, scratch: scratch)
        if let c = gemma.finalLogitSoftcap {
            let inv = 1 / c
            for j in 0..<(rows * hp.vocabSize) { logits[j] = c * tanh(logits[j] * inv) }
        }
        return UnsafeBufferPointer(start: logits, count: rows * hp.vocabSize)
    }
}
