/// The GGUF tensor names the architectures read, each spelled once: the models load their weights by these, and
/// their `ArchitectureRequirements` list the same values, so `bitnet inspect --compat` checks exactly what `load`
/// will read.
public enum TensorName {
    public static let tokenEmbedding = "token_embd.weight"
    public static let outputNorm = "output_norm.weight"
    /// The output projection; absent when it is tied to the token embedding.
    public static let output = "output.weight"
    /// LLaMA-3 style per-dimension RoPE frequency factors (bitnet-25 refuses non-unit ones).
    public static let ropeFrequencies = "rope_freqs.weight"
    /// Phi-3's LongRoPE factors (128k-context variants).
    public static let ropeFactorsLong = "rope_factors_long.weight", ropeFactorsShort = "rope_factors_short.weight"
    /// The output projection's optional bias (qwen2, phi3).
    public static let outputBias = "output.bias"

    /// A tensor of every transformer block: `blk.<i>.<rawValue>.weight`.
    public enum Block: String, Sendable, CaseIterable {
        case attnNorm = "attn_norm", attnQ = "attn_q", attnK = "attn_k", attnV = "attn_v", attnOutput = "attn_output"
        /// Query, key and value projections stored as one matrix (phi3), rows in that order.
        case attnQKV = "attn_qkv"
        case ffnNorm = "ffn_norm", ffnGate = "ffn_gate", ffnUp = "ffn_up", ffnDown = "ffn_down"
        /// BitNet's sub-norms before the output and down projections.
        case attnSubNorm = "attn_sub_norm", ffnSubNorm = "ffn_sub_norm"
        /// Gemma 3's query/key norms and post-norms.
        case attnQNorm = "attn_q_norm", attnKNorm = "attn_k_norm"
        case postAttentionNorm = "post_attention_norm", postFFWNorm = "post_ffw_norm"
        /// The BitNet embedding models' per-projection input norms (bitnet.cpp's qwen3 layout): an RMSNorm of each
        /// projection's input, weighted by these, before the projection.
        case attnQNormIn = "attn_q_norm_in", attnKNormIn = "attn_k_norm_in", attnVNormIn = "attn_v_norm_in"
        case attnOutputNormIn = "attn_output_norm_in"
        case ffnGateNormIn = "ffn_gate_norm_in", ffnUpNormIn = "ffn_up_norm_in", ffnDownNormIn = "ffn_down_norm_in"

        /// The weight of block `i`.
        public func name(_ i: Int) -> String { stem(i) + ".weight" }

        /// The optional bias of block `i`'s projection (qwen2's query/key/value biases, llama's optional ones).
        public func bias(_ i: Int) -> String { stem(i) + ".bias" }

        /// The name without `.weight` (upstream bitnet stores an optional `<stem>.scale` beside some weights).
        public func stem(_ i: Int) -> String { "blk.\(i).\(rawValue)" }

        /// The weight's name with `{i}` for the block index, as `ArchitectureRequirements` lists it.
        public var pattern: String { "blk.{i}.\(rawValue).weight" }

        /// The tensors of a pre-norm decoder block with a gated feed-forward network.
        public static let decoder: [Block] = [
            .attnNorm, .attnQ, .attnK, .attnV, .attnOutput, .ffnNorm, .ffnGate, .ffnUp, .ffnDown,
        ]
    }
}
