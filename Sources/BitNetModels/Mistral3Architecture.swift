import GGUF
import Kernels

/// The `mistral3` architecture (Mistral Small 3.1 and later, Magistral, Devstral, Ministral 3): llama's block —
/// adjacent-pair RoPE, optional `rope_freqs` — where llama.cpp's graph also reads YaRN's β and log-multiplier keys
/// and, when `attention.temperature_scale` is set (Ministral 3), scales each rotated query by Llama 4's attention
/// temperature. Its mixture-of-experts form (`expert_count` > 0) is not implemented: such a file lacks `ffn_gate`
/// and is refused naming it. llama.cpp's mistral3 applies no sliding window, and neither does this.
public enum Mistral3Architecture: Architecture {
    public static let name = "mistral3"

    public static let requirements = ArchitectureRequirements(
        name: name, requiredKeys: ArchitectureRequirements.decoderKeys,
        requiredTensors: ArchitectureRequirements.decoderTensors())

    /// The llama block with mistral3's RoPE and attention-temperature keys.
    public static let variant = LlamaVariant(architecture: name, ropeStyle: .interleaved, ropeFrequencyFactors: true,
                                             yarnExtensions: true, attentionTemperature: true)

    public static func load(_ file: GGUFFile) throws(ModelError) -> any DecoderNetwork {
        try LlamaLanguageModel(file: file, variant: variant)
    }
}
