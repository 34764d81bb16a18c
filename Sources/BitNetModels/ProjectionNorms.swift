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

    /// The query, key and value projections of `x` (`rows` rows of `width`): one shared-input matmul when none of
    /// them has a norm, else each from its own input.
    func projectQKV(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, eps: Float, context ctx: ComputeContext,
                    _ wq: (WeightMatrix, UnsafeMutablePointer<Float>), _ wk: (WeightMatrix, UnsafeMutablePointer<Float>),
                    _ wv: (WeightMatrix, UnsafeMutablePointer<Float>)) {
        guard q != nil || k != nil || v != nil else {
            return matmul(wq, wk, wv, input: x, count: rows, pool: ctx.pool, scratch: ctx.scratch)
        }
        for (w, norm) in [(wq, q), (wk, k), (wv, v)] {
            let input = Self.input(x, norm: norm, rows: rows, width: width, eps: eps, context: ctx)
            matmul(w.0, input: input, count: rows, output: w.1, pool: ctx.pool, scratch: ctx.scratch)
        }
    }

    /// The gate and up projections of `x`, as `projectQKV` does them.
    func projectGateUp(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, eps: Float, context ctx: ComputeContext,
                       _ wGate: (WeightMatrix, UnsafeMutablePointer<Float>),
                       _ wUp: (WeightMatrix, UnsafeMutablePointer<Float>)) {
        guard gate != nil || up != nil else {
            return matmul(wGate, wUp, input: x, count: rows, pool: ctx.pool, scratch: ctx.scratch)
        }
        for (w, norm) in [(wGate, gate), (wUp, up)] {
            let input = Self.input(x, norm: norm, rows: rows, width: width, eps: eps, context: ctx)
            matmul(w.0, input: input, count: rows, output: w.1, pool: ctx.pool, scratch: ctx.scratch)
        }
    }

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
