import GGUF
import Kernels

/// The `smollm3` architecture (SmolLM3): llama's block, where every fourth block (block l with (l + 1) % 4 == 0)
/// attends without RoPE, as llama.cpp's graph fixes it (`n_no_rope_layer_step` = 4). No `rope_freqs`.
public enum SmolLM3Architecture: Architecture {
    public static let name = "smollm3"

    public static let requirements = ArchitectureRequirements(
        name: name, requiredKeys: ArchitectureRequirements.decoderKeys,
        requiredTensors: ArchitectureRequirements.decoderTensors())

    /// The llama block with adjacent-pair RoPE skipped on every fourth block.
    public static let variant = LlamaVariant(architecture: name, ropeStyle: .interleaved, noRopeLayerStep: 4)

    public static func load(_ file: GGUFFile) throws(ModelError) -> any DecoderNetwork {
        try LlamaLanguageModel(file: file, variant: variant)
    }
}
