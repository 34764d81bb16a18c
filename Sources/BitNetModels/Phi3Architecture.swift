import GGUF
import Kernels

/// The `phi3` architecture (Phi-3, Phi-3.5, Phi-4 mini): the llama block with the query, key and value projections
/// fused into one `attn_qkv` matrix, the gate and up projections fused into one `ffn_up` of twice the feed-forward
/// width (gate rows first), NeoX RoPE, and the query scaled by 1/√head before the attention.
///
/// The 128k-context models' LongRoPE is read as llama.cpp reads it: `rope_factors_short.weight` divide each pair's
/// angle when the context (padded to 256) is at most `phi3.rope.scaling.original_context_length`, else
/// `rope_factors_long.weight`, and `phi3.rope.scaling.attn_factor` scales RoPE's cosine and sine.
/// Not implemented: the mixture-of-experts feed-forward. Like llama.cpp, the engine attends over the whole context
/// (llama.cpp disables Phi's sliding window).
public enum Phi3Architecture: Architecture {
    public static let name = "phi3"

    public static let requirements = ArchitectureRequirements(
        name: name, requiredKeys: ArchitectureRequirements.decoderKeys,
        requiredTensors: [TensorName.tokenEmbedding, TensorName.outputNorm]
            + [TensorName.Block.attnNorm, .attnQKV, .attnOutput, .ffnNorm, .ffnUp, .ffnDown].map(\.pattern))

    /// The llama block with fused projections, NeoX RoPE and the query scaled first.
    public static let variant = LlamaVariant(architecture: name, ropeStyle: .neox, scalesQueryFirst: true,
                                             fusedGateUp: true)

    public static func load(_ file: GGUFFile) throws(ModelError) -> any DecoderNetwork {
        try LlamaLanguageModel(file: file, variant: variant)
    }
}
