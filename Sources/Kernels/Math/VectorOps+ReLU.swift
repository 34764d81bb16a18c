extension VectorOps {
    /// ReLU²-gated product, BitNet b1.58's feed-forward activation: `y[j] = max(gate[j], 0)² · up[j]`.
    ///
    /// The arithmetic is ggml's `relu` → `sqr` → `mul` chain (llm_build_ffn with LLM_FFN_RELU_SQR and parallel
    /// gate/up): the rectified gate is squared in F32 and then multiplied by the up projection, so the result is
    /// bit-identical to that graph. `y` may alias `gate` or `up`.
    public static func reluSquaredGated(
        gate: UnsafePointer<Float>, up: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int
    ) {
        for j in 0..<count {
            let r = gate[j] > 0 ? gate[j] : 0
            y[j] = (r * r) * up[j]
        }
    }
}
