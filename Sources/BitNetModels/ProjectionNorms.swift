import Kernels

/// The BitNet embedding models' per-projection input norms (bitnet.cpp's layout for bitnet-embeddings-0.6b on qwen3
/// and bitnet-embeddings-270m on gemma3): before each projection that has one, its input becomes
/// `rms_norm(input) * norm_in` (bitnet.cpp's fork of llama.cpp: `ggml_rms_norm` then `ggml_mul`). Each is optional;
/// a block without any computes as before.
struct ProjectionNorms {
    var q: [Float]? = nil, k: [Float]? = nil, v: [Float]? = nil, o: [Float]? = nil
    var gate: [Float]? = nil, up: [Float]? = nil, down: [Float]? = nil

    /// No norms.
    init() {}

    /// Block `i`'s norms (`attn_q/k/v_norm_in` over the embedding width, `attn_output_norm_in` over the attention
    /// output, `ffn_gate/up_norm_in` over the embedding, `ffn_down_norm_in` over the feed-forward width).
    init(_ w: WeightLoader, block i: Int, embedding d: Int, attentionOutput oWidth: Int, feedForward ff: Int)
        throws(ModelError)
    {
        typealias B = TensorName.Block
        q = try w.optionalVector(B.attnQNormIn.name(i), count: d)
        k = try w.optionalVector(B.attnKNormIn.name(i), count: d)
        v = try w.optionalVector(B.attnVNormIn.name(i), count: d)
        o = try w.optionalVector(B.attnOutputNormIn.name(i), count: oWidth)
        gate = try w.optionalVector(B.ffnGateNormIn.name(i), count: d)
        up = try w.optionalVector(B.ffnUpNormIn.name(i), count: d)
        down = try w.optionalVector(B.ffnDownNormIn.name(i), count: ff)
    }

    /// Whether the query, key or value projection has one (they then take separate inputs).
    var attention: Bool { q != nil || k != nil || v != nil }
    /// Whether the gate or up projection has one.
    var feedForward: Bool { gate != nil || up != nil }

    /// A projection's input: `input` itself, or `rms_norm(input) * norm` row by row in the context's
    /// projection-input buffer.
    static func input(_ input: UnsafeMutablePointer<Float>, norm: [Float]?, rows: Int, width: Int, eps: Float,
                      context ctx: ComputeContext) -> UnsafeMutablePointer<Float> {
        guard let norm else { return input }
        let out = ctx.buffer(.projectionInput, rows * width)
        TransformerOps.rmsNormRows(input, weight: norm, eps: eps, into: out, rows: rows, width: width, pool: ctx.pool)
        return out
    }
}
