/// The architectures `make-model` knows, including those whose generator is still to come.
public enum SyntheticArchitecture: String, CaseIterable, Sendable {
    /// llama.cpp's `llama`: RMSNorm, RoPE (adjacent pairs), GQA, SwiGLU.
    case llama
    /// Upstream llama.cpp `bitnet`: llama plus `attn_sub_norm` / `ffn_sub_norm`, NeoX RoPE, output tied to an F16
    /// token embedding; matrices usually ternary (TQ1_0 / TQ2_0).
    case bitnet
    /// Microsoft's `bitnet-25` (planned, issue 9).
    case bitnet25 = "bitnet-25"

    /// Architectures whose generator exists.
    public static let implemented: [SyntheticArchitecture] = [.llama, .bitnet]

    /// The architecture named `name`.
    /// - Throws: `ModelMakerError.unknownArchitecture`.
    public static func named(_ name: String) throws(ModelMakerError) -> SyntheticArchitecture {
        guard let a = SyntheticArchitecture(rawValue: name) else {
            throw .unknownArchitecture(name, known: allCases.map(\.rawValue))
        }
        return a
    }
}

/// The hyper-parameters of a synthetic model, apart from the vocabulary size (the tokenizer's token count).
public struct SyntheticShape: Equatable, Sendable {
    /// Preset name (`tiny`, `smollm-135m`).
    public var name: String
    /// Transformer blocks.
    public var blockCount: Int
    /// Residual stream width.
    public var embeddingLength: Int
    /// Feed-forward hidden width.
    public var feedForwardLength: Int
    /// Query heads.
    public var headCount: Int
    /// Key/value heads.
    public var headCountKV: Int
    /// Training context length written to the metadata.
    public var contextLength: Int
    /// RoPE base frequency.
    public var ropeFreqBase: Float
    /// RMSNorm epsilon.
    public var rmsEpsilon: Float
    /// Whether the output projection is the token embedding (no `output.weight`) by default.
    public var tiedOutputByDefault: Bool
    /// The vocabulary file (in the llama.cpp vocab suite) used when none is given.
    public var defaultVocabulary: String

    /// Width of one attention head.
    public var headLength: Int { embeddingLength / headCount }

    /// Small enough for tests: every row length (256, 512) is a whole number of 256-element K-quant blocks, so all
    /// types apply to every matrix. 4 query heads share 2 key/value heads of width 64.
    public static let tiny = SyntheticShape(
        name: "tiny", blockCount: 2, embeddingLength: 256, feedForwardLength: 512, headCount: 4, headCountKV: 2,
        contextLength: 512, ropeFreqBase: 10_000, rmsEpsilon: 1e-5, tiedOutputByDefault: false,
        defaultVocabulary: "ggml-vocab-llama-spm.gguf")

    /// SmolLM2-135M's hyper-parameters (HuggingFaceTB/SmolLM2-135M config): 30 blocks, 576 wide, FFN 1536, 9 query
    /// and 3 key/value heads of 64, RoPE base 100000, context 8192, tied embeddings. Its default vocabulary is
    /// StarCoder's 49,152-token BPE, the size SmolLM2's own tokenizer has.
    public static let smolLM135M = SyntheticShape(
        name: "smollm-135m", blockCount: 30, embeddingLength: 576, feedForwardLength: 1536, headCount: 9,
        headCountKV: 3, contextLength: 8192, ropeFreqBase: 100_000, rmsEpsilon: 1e-5, tiedOutputByDefault: true,
        defaultVocabulary: "ggml-vocab-starcoder.gguf")

    /// Every preset.
    public static let all: [SyntheticShape] = [.tiny, .smolLM135M]

    /// The preset named `name`.
    /// - Throws: `ModelMakerError.unknownShape`.
    public static func named(_ name: String) throws(ModelMakerError) -> SyntheticShape {
        guard let s = all.first(where: { $0.name == name }) else { throw .unknownShape(name, known: all.map(\.name)) }
        return s
    }
}
