import GGUF
import Kernels

/// The `granite` architecture (IBM Granite 3.x dense models): llama's block with Granite's multipliers — token
/// embeddings times `embedding_scale`, each block's attention and feed-forward outputs times `residual_scale` before
/// they join the residual stream, attention scores times `attention.scale` (in place of 1/√head), logits divided by
/// `logit_scale` — and RoPE switched off for every block when `rope.scaling.finetuned` is false. Its
/// mixture-of-experts form (`expert_count` > 0) is not implemented: such a file lacks `ffn_gate` and is refused
/// naming it.
public enum GraniteArchitecture: Architecture {
    public static let name = "granite"

    public static let requirements = ArchitectureRequirements(
        name: name, requiredKeys: ArchitectureRequirements.decoderKeys,
        requiredTensors: ArchitectureRequirements.decoderTensors())

    /// The llama block with Granite's multipliers.
    public static let variant = LlamaVariant(architecture: name, ropeStyle: .interleaved, ropeFrequencyFactors: true,
                                             graniteMultipliers: true)

    public static func load(_ file: GGUFFile) throws(ModelError) -> any DecoderNetwork {
        try LlamaLanguageModel(file: file, variant: variant)
    }
}
