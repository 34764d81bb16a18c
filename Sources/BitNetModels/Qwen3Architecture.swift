import GGUF
import Kernels

/// The `qwen3` architecture (Qwen3 dense models): the llama block with per-head RMSNorm of queries and keys
/// (`attn_q_norm`, `attn_k_norm`, applied before RoPE), NeoX RoPE, no projection biases, and a head width set by
/// `qwen3.attention.key_length` rather than embedding / heads. The BitNet embedding models (bitnet-embeddings-0.6b,
/// written by bitnet.cpp's converter: ternary I2_S projections, F16 norms) add an RMSNorm before every projection.
public enum Qwen3Architecture: Architecture {
    public static let name = "qwen3"

    public static let requirements = ArchitectureRequirements(
        name: name, requiredKeys: ArchitectureRequirements.decoderKeys,
        requiredTensors: ArchitectureRequirements.decoderTensors(plus: [.attnQNorm, .attnKNorm]))

    /// The llama block with query/key norms and NeoX RoPE; the BitNet embedding models' per-projection input norms
    /// (`*_norm_in`, bitnet.cpp's qwen3 layout) when the file has them.
    public static let variant = LlamaVariant(architecture: name, ropeStyle: .neox, queryKeyNorm: true,
                                             projectionNorms: true)

    public static func load(_ file: GGUFFile) throws(ModelError) -> any DecoderNetwork {
        try LlamaLanguageModel(file: file, variant: variant)
    }
}
