import GGUF
import Kernels

/// The `llama` architecture: RMSNorm → GQA attention with RoPE → RMSNorm → SwiGLU feed-forward, pre-norm residual
/// blocks, a final RMSNorm and an output projection (tied to the token embedding when `output.weight` is absent).
public enum LlamaArchitecture: Architecture {
    public static let name = "llama"

    public static let requirements = ArchitectureRequirements(
        name: name, requiredKeys: ArchitectureRequirements.decoderKeys,
        requiredTensors: ArchitectureRequirements.decoderTensors())

    public static func load(_ file: GGUFFile) throws(ModelError) -> any DecoderNetwork {
        try LlamaLanguageModel(file: file)
    }
}

/// Weights of a llama model, memory-mapped from its GGUF file, and the forward pass over them.
public final class LlamaLanguageModel: DecoderNetwork, @unchecked Sendable {
    // @unchecked Sendable: every stored property is immutable after init; weights point into the mapped file.

    /// One transformer block's weights.
    struct Block {
        let attnNorm: [Float], ffnNorm: [Float]
        let wq, wk, wv, wo: WeightMatrix
        let wGate, wUp, wDown: WeightMatrix
    }

    public let hyperParameters: HyperParameters
    let file: GGUFFile
    let tokenEmbedding: WeightMatrix
    let blocks: [Block]
    let outputNorm: [Float]
    let output: WeightMatrix

    /// Reads hyper-parameters and binds every tensor, checking each shape.
    public init(file: GGUFFile) throws(ModelError) {
        let hp = try HyperParameters(file.metadata, architecture: LlamaArchitecture.name)
        let w = WeightLoader(file: file)
        let d = hp.embeddingLength, ff = hp.feedForwardLength
        let qWidth = hp.headCount * hp.keyLength, kvWidth = hp.headCountKV * hp.keyLength
        let vWidth = hp.headCountKV * hp.valueLength
        self.file = file
        hyperParameters = hp
        tokenEmbedding = try w.matrix(TensorName.tokenEmbedding, rows: hp.vocabSize, cols: d)
        var blocks: [Block] = []
        for i in 0..<hp.blockCount {
            blocks.append(Block(
                attnNorm: try w.vector(TensorName.Block.attnNorm.name(i), count: d),
                ffnNorm: try w.vector(TensorName.Block.ffnNorm.name(i), count: d),
                wq: try w.matrix(TensorName.Block.attnQ.name(i), rows: qWidth, cols: d),
                wk: try w.matrix(TensorName.Block.attnK.name(i), rows: kvWidth, cols: d),
                wv: try w.matrix(TensorName.Block.attnV.name(i), rows: vWidth, cols: d),
                wo: try w.matrix(TensorName.Block.attnOutput.name(i), rows: d, cols: hp.headCount * hp.valueLength),
                wGate: try w.matrix(TensorName.Block.ffnGate.name(i), rows: ff, cols: d),
                wUp: try w.matrix(TensorName.Block.ffnUp.name(i), rows: ff, cols: d),
                wDown: try w.matrix(TensorName.Block.ffnDown.name(i), rows: d, cols: ff)))
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
        let d = hp.embeddingLength, ff = hp.feedForwardLength
        let qW = hp.headCount * hp.keyLength, kW = hp.headCountKV * hp.keyLength, vW = hp.headCountKV * hp.valueLength
        let oW = hp.headCount * hp.valueLength
        let pool = ctx.pool, scratch = ctx.scratch
        // Activations, row-major per token: x [n, d] residual, xn [n, d] normed / projection output,
        // q [n, qW], k [n, kW], v [n, vW], attn [n, oW], gate/up [n, ff].
        let x = ctx.buffer(.residual, n * d), xn = ctx.buffer(.normed, n * d)
        let q = ctx.buffer(.query, n * qW), k = ctx.buffer(.key, n * kW), v = ctx.buffer(.value, n * vW)
        let attn = ctx.buffer(.attention, n * oW)
        let gate = ctx.buffer(.gate, n * ff), up = ctx.buffer(.up, n * ff)

        for (i, t) in tokens.enumerated() { tokenEmbedding.dequantizeRow(Int(t), into: x + i * d) }

        for (l, b) in blocks.enumerated() {
            // Attention: xn = norm(x); q,k,v = xn·Wqᵀ, xn·Wkᵀ, xn·Wvᵀ; rotate q,k; cache k,v; x += attn(q)·Woᵀ
            TransformerOps.rmsNormRows(x, weight: b.attnNorm, eps: hp.rmsEpsilon, into: xn, rows: n, width: d,
                                       pool: pool)
            matmul((b.wq, q), (b.wk, k), (b.wv, v), input: xn, count: n, pool: pool, scratch: scratch)
            TransformerOps.rotateAndCache(q: q, k: k, v: v, tokens: n, start: start, layer: l, cache: cache, hp: hp.attentionShape,
                                          base: hp.ropeFreqBase, style: .interleaved, pool: pool)
            TransformerOps.attentionGGMLRounding(q: q, out: attn, tokens: n, start: start, layer: l, cache: cache,
                                                 heads: hp.headCount, group: hp.groupSize, keyLength: hp.keyLength,
                                                 valueLength: hp.valueLength, scale: 1 / Float(hp.keyLength).squareRoot(),
                                                 pool: pool, scratch: scratch)
            matmul(b.wo, input: attn, count: n, output: xn, pool: pool, scratch: scratch)
            TransformerOps.add(x, xn, n: n * d, pool: pool)

            // Feed-forward: xn = norm(x); x += (silu(xn·Wgateᵀ) ⊙ xn·Wupᵀ)·Wdownᵀ, for rows f..<n (`ffnRows`)
            let f = Self.ffnRows(layer: l, of: blocks.count, tokens: n, allLogits: allLogits), m = n - f, xf = x + f * d
            TransformerOps.rmsNormRows(xf, weight: b.ffnNorm, eps: hp.rmsEpsilon, into: xn, rows: m, width: d,
                                       pool: pool)
            matmul((b.wGate, gate), (b.wUp, up), input: xn, count: m, pool: pool, scratch: scratch)
            TransformerOps.swiglu(gate: gate, up: up, rows: m, width: ff, pool: pool)
            matmul(b.wDown, input: gate, count: m, output: xn, pool: pool, scratch: scratch)
            TransformerOps.add(xf, xn, n: m * d, pool: pool)
        }
        cache.advance(by: n)

        // Output: logits = norm(x)·Woutᵀ for the rows asked for.
        let first = allLogits ? 0 : n - 1, rows = n - first
        TransformerOps.rmsNormRows(x + first * d, weight: outputNorm, eps: hp.rmsEpsilon, into: xn, rows: rows, width: d)
        let logits = ctx.buffer(.logits, rows * hp.vocabSize)
        matmul(output, input: xn, count: rows, output: logits, pool: pool, scratch: scratch)
        return UnsafeBufferPointer(start: logits, count: rows * hp.vocabSize)
    }
}
