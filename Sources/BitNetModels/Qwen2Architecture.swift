import GGUF
import Kernels

/// The `qwen2` architecture (Qwen1.5, Qwen2, Qwen2.5): the llama block with biases on the query, key and value
/// projections and NeoX RoPE; the output projection is tied to the embedding in the small sizes.
public enum Qwen2Architecture: Architecture {
    public static let name = "qwen2"

    public static let requirements = ArchitectureRequirements(
        name: name, requiredKeys: ArchitectureRequirements.decoderKeys,
        requiredTensors: ArchitectureRequirements.decoderTensors())

    /// The llama block with NeoX RoPE; the biases are read wherever the file has them.
    public static let variant = LlamaVariant(architecture: name, ropeStyle: .neox)

    public static func load(_ file: GGUFFile) throws(ModelError) -> any DecoderNetwork {
        try LlamaLanguageModel(file: file, variant: variant)
    }
}
