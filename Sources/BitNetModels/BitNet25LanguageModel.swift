import GGUF
import Kernels

/// Microsoft's `bitnet-25` architecture: BitNet b1.58 2B-4T as bitnet.cpp's converter writes it
/// (`utils/convert-ms-to-gguf-bitnet.py`, `ARCH = MODEL_ARCH.BITNET_25`) and its llama.cpp fork runs it
/// (`build_bitnet_158`).
///
/// The block is upstream `bitnet`'s — `attn_sub_norm` before `attn_output`, `ffn_sub_norm` before `ffn_down`,
/// NeoX RoPE (the converter does not permute q/k, and the fork's `llama_rope_type` lists BITNET_25 with the NeoX
/// architectures), logits from `token_embd` — with the feed-forward activation relu(gate)² ⊙ up
/// (`LLM_FFN_RELU_SQR`, `LLM_FFN_PAR`) instead of SiLU. The published file's matrices are I2_S (int8 per-token
/// activations, one F32 scale per tensor); any type the kernels read works. Its `output.weight` (F16, the 333rd
/// tensor) is loaded by the fork but never used by the graph, so it is optional here and ignored.
public enum BitNet25Architecture: Architecture {
    public static let name = "bitnet-25"

    /// The graph: `bitnet`'s block with ReLU².
    public static let variant = BitNetVariant(architecture: name, activation: .reluSquared)

    public static let requirements = ArchitectureRequirements(
        name: name, requiredKeys: ArchitectureRequirements.decoderKeys,
        requiredTensors: ArchitectureRequirements.decoderTensors(plus: [.attnSubNorm, .ffnSubNorm]))

    /// - Throws: `ModelError` as `BitNetLanguageModel.init`, and `.tensorUnusable` for a `rope_freqs.weight`
    ///   whose factors are not all 1 (LLaMA-3 RoPE scaling, which the fork would apply and this engine does not).
    public static func load(_ file: GGUFFile) throws(ModelError) -> any DecoderNetwork {
        try checkRopeFactors(file)
        return try BitNetLanguageModel(file: file, variant: variant)
    }

    /// The fork's loader accepts an optional `rope_freqs.weight` and divides each RoPE frequency by its factor. The
    /// published file has none; a file that has non-unit factors would run a different function here, so refuse it.
    static func checkRopeFactors(_ file: GGUFFile) throws(ModelError) {
        let name = TensorName.ropeFrequencies
        guard let t = file.tensor(named: name) else { return }
        let factors = try WeightLoader(file: file).vector(name, count: t.elementCount)
        guard factors.allSatisfy({ $0 == 1 }) else {
            throw .tensorUnusable(name: name, reason: "per-dimension RoPE frequency factors (LLaMA-3 scaling) are "
                + "not implemented; remove the tensor only if the model was trained without them")
        }
    }
}
