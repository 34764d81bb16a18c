/// The architectures `make-model` generates.
public enum SyntheticArchitecture: String, CaseIterable, Sendable {
    /// llama.cpp's `llama`: RMSNorm, RoPE (adjacent pairs), GQA, SwiGLU.
    case llama
    /// Upstream llama.cpp `bitnet`: llama plus `attn_sub_norm` / `ffn_sub_norm`, NeoX RoPE, output tied to an F16
    /// token embedding; matrices usually ternary (TQ1_0 / TQ2_0).
    case bitnet
    /// Microsoft's `bitnet-25` (BitNet b1.58 2B-4T as bitnet.cpp writes it): `bitnet`'s tensors plus an unused F16
    /// `output.weight`, in the published file's order; matrices usually I2_S.
    case bitnet25 = "bitnet-25"
    /// llama.cpp's `qwen2`: llama plus F32 biases on the query, key and value projections, NeoX RoPE.
    case qwen2
    /// llama.cpp's `qwen3`: llama plus per-head query/key RMSNorms, NeoX RoPE.
    case qwen3
    /// llama.cpp's `phi3`: fused `attn_qkv`, `ffn_up` holding gate and up rows, no `ffn_gate`, NeoX RoPE.
    case phi3
    /// llama.cpp's `mistral3` (Mistral Small 3.1+, Ministral 3): llama's tensors and metadata under that name.
    case mistral3
    /// llama.cpp's `smollm3` (SmolLM3): llama's tensors and metadata under that name.
    case smollm3
    /// llama.cpp's `granite` (IBM Granite 3.x): llama's tensors plus Granite's four multipliers (embedding 12,
    /// residual 0.22, attention 1/64, logits ÷ 8: values of the size Granite's configs use).
    case granite

    /// The vocabulary this architecture needs whatever the shape: llama.cpp looks up `<|endoftext|>` when it loads
    /// a model named phi3, which only Phi-3's vocabulary has.
    public var requiredVocabulary: String? { self == .phi3 ? "ggml-vocab-phi-3.gguf" : nil }

    /// The llama-shaped architectures, whose output head may be tied or separate.
    public var isLlamaFamily: Bool { [.llama, .qwen2, .qwen3, .phi3, .mistral3, .smollm3, .granite].contains(self) }

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
    /// Preset name (`tiny`, `smollm-135m`, `bitnet-2b`).
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
    /// Width of one query/key/value head when it is not `embeddingLength / headCount` (written as
    /// `attention.key_length` / `value_length`, as Qwen3 files have it); nil for the usual width.
    public var keyLength: Int? = nil

    /// Width of one attention head.
    public var headLength: Int { keyLength ?? embeddingLength / headCount }

    /// Small enough for tests: every row length (256, 512) is a whole number of 256-element K-quant blocks, so all
    /// types apply to every matrix. 4 query heads share 2 key/value heads of width 64.
    public static let tiny = SyntheticShape(
        name: "tiny", blockCount: 2, embeddingLength: 256, feedForwardLength: 512, headCount: 4, headCountKV: 2,
        contextLength: 512, ropeFreqBase: 10_000, rmsEpsilon: 1e-5, tiedOutputByDefault: false,
        defaultVocabulary: "ggml-vocab-llama-spm.gguf")

    /// `tiny` with heads twice as wide (128), so the query width (512) differs from the embedding width (256), as in
    /// Qwen3 (e.g. 0.6B: 16 heads of 128 over a 1024-wide stream).
    public static let tinyWideHeads = SyntheticShape(
        name: "tiny-wide-heads", blockCount: 2, embeddingLength: 256, feedForwardLength: 512, headCount: 4,
        headCountKV: 2, contextLength: 512, ropeFreqBase: 10_000, rmsEpsilon: 1e-5, tiedOutputByDefault: false,
        defaultVocabulary: "ggml-vocab-llama-spm.gguf", keyLength: 128)

    /// `tiny` with eight heads of 32 (four key/value heads): 1/√32 is not a power of two, so where the attention
    /// scale is applied (phi3 scales the query first) changes the rounding, as it does for Phi-3's heads of 96.
    public static let tinyNarrowHeads = SyntheticShape(
        name: "tiny-narrow-heads", blockCount: 2, embeddingLength: 256, feedForwardLength: 512, headCount: 8,
        headCountKV: 4, contextLength: 512, ropeFreqBase: 10_000, rmsEpsilon: 1e-5, tiedOutputByDefault: false,
        defaultVocabulary: "ggml-vocab-llama-spm.gguf")

    /// SmolLM2-135M's hyper-parameters (HuggingFaceTB/SmolLM2-135M config): 30 blocks, 576 wide, FFN 1536, 9 query
    /// and 3 key/value heads of 64, RoPE base 100000, context 8192, tied embeddings. Its default vocabulary is
    /// StarCoder's 49,152-token BPE, the size SmolLM2's own tokenizer has.
    public static let smolLM135M = SyntheticShape(
        name: "smollm-135m", blockCount: 30, embeddingLength: 576, feedForwardLength: 1536, headCount: 9,
        headCountKV: 3, contextLength: 8192, ropeFreqBase: 100_000, rmsEpsilon: 1e-5, tiedOutputByDefault: true,
        defaultVocabulary: "ggml-vocab-starcoder.gguf")

    /// BitNet b1.58 2B-4T's hyper-parameters, as the published GGUF's metadata lists them (see docs/bitnet-25.md):
    /// 30 blocks, 2560 wide, FFN 6912, 20 query and 5 key/value heads of 128, RoPE base 500000, RMS epsilon 1e-5,
    /// context 4096, LLaMA-3's 128,256-token BPE vocabulary. Every row length (2560, 6912) is a whole number of
    /// 256-element blocks, so TQ1_0 / TQ2_0 / I2_S apply to every matrix.
    public static let bitnet2B = SyntheticShape(
        name: "bitnet-2b", blockCount: 30, embeddingLength: 2560, feedForwardLength: 6912, headCount: 20,
        headCountKV: 5, contextLength: 4096, ropeFreqBase: 500_000, rmsEpsilon: 1e-5, tiedOutputByDefault: true,
        defaultVocabulary: "ggml-vocab-llama-bpe.gguf")

    /// Falcon3-1B's hyper-parameters (its model card: 18 blocks, 8 query and 4 key/value heads of 256, RoPE base
    /// 1000042, 8K context; 2048 wide and an FFN of 8192, which give its 1.67 B parameters with a separate output
    /// head over its 131K vocabulary), as Falcon3-1B-Instruct-1.58bit has them too; RMS epsilon 1e-6. Its default
    /// vocabulary is LLaMA-3's 128,256-token BPE (Falcon3's own is not among llama.cpp's vocab files). Every row
    /// (2048, 8192) is a whole number of 256-element blocks.
    public static let falcon3_1B = SyntheticShape(
        name: "falcon3-1b", blockCount: 18, embeddingLength: 2048, feedForwardLength: 8192, headCount: 8,
        headCountKV: 4, contextLength: 8192, ropeFreqBase: 1_000_042, rmsEpsilon: 1e-6, tiedOutputByDefault: false,
        defaultVocabulary: "ggml-vocab-llama-bpe.gguf")

    /// Every preset.
    public static let all: [SyntheticShape] = [.tiny, .tinyWideHeads, .tinyNarrowHeads, .smolLM135M, .bitnet2B,
                                               .falcon3_1B]

    /// The preset named `name`.
    /// - Throws: `ModelMakerError.unknownShape`.
    public static func named(_ name: String) throws(ModelMakerError) -> SyntheticShape {
        guard let s = all.first(where: { $0.name == name }) else { throw .unknownShape(name, known: all.map(\.name)) }
        return s
    }
}
