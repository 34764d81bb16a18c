import GGUF
import Kernels

/// The `qwen3` architecture (Qwen3 dense models): the llama block with per-head RMSNorm of queries and keys
/// (`attn_q_norm`, `attn_k_norm`, applied before RoPE), NeoX RoPE, no projection biases, and a head width set by
/// `qwen3.attention.key_length` rather than embedding / heads.
public enum Qwen3Architecture: Architecture {
    public static let name = "qwen3"

    public static let requirements = ArchitectureRequirements(
        name: name, requiredKeys: ArchitectureRequirements.decoderKeys,
        requiredTensors: ArchitectureRequirements.decoderTensors(plus: [.attnQNorm, .attnKNorm]))

    /// The llama block with query/key norms and NeoX RoPE.
    public static let variant = LlamaVariant(architecture: name, ropeStyle: .neox, queryKeyNorm: true)

    public static func load(_ file: GGUFFile) throws(ModelError) -> any DecoderNetwork {
        try LlamaLanguageModel(file: file, variant: variant)
    }
}
