import GGUF
import Kernels

/// Hyper-parameters shared by the decoder-only transformers this engine runs, read once from GGUF metadata and
/// validated. Keys are `<arch>.<name>` as llama.cpp's converters write them.
public struct HyperParameters: Sendable, Codable, Equatable {
    /// `general.architecture`.
    public var architecture: String
    /// Transformer blocks.
    public var blockCount: Int
    /// Width of the residual stream.
    public var embeddingLength: Int
    /// Hidden width of the feed-forward network.
    public var feedForwardLength: Int
    /// Query heads.
    public var headCount: Int
    /// Key/value heads (grouped-query attention when fewer than `headCount`).
    public var headCountKV: Int
    /// Width of one key head (and query head).
    public var keyLength: Int
    /// Width of one value head.
    public var valueLength: Int
    /// Dimensions rotated by RoPE (from the start of each head).
    public var ropeDimensionCount: Int
    /// RoPE base frequency.
    public var ropeFreqBase: Float
    /// RoPE's frequency scale, llama.cpp's `rope_freq_scale_train`: 1 / `rope.scaling.factor` (or the older
    /// `rope.scale_linear`), which multiplies every angle; 1 when no factor is set or `rope.scaling.type` is `none`.
    public var ropeFreqScale: Float = 1
    /// YaRN's context (`rope.scaling.original_context_length`, else the training context) when `rope.scaling.type`
    /// is `yarn` with a factor; nil otherwise.
    public var ropeYaRNOriginalContext: Int?
    /// YaRN's β_fast and β_slow: `rope.scaling.yarn_beta_fast` / `_slow` where the architecture reads them
    /// (`yarnExtensions`), else llama.cpp's defaults 32 and 1.
    public var ropeYaRNBetaFast: Float = 32, ropeYaRNBetaSlow: Float = 1
    /// YaRN's `rope.scaling.yarn_log_multiplier` (Hugging Face's `mscale_all_dim`) where the architecture reads it;
    /// 0 when absent.
    public var ropeYaRNLogMultiplier: Float = 0
    /// RMSNorm epsilon.
    public var rmsEpsilon: Float
    /// Training context length.
    public var contextLength: Int
    /// Vocabulary size (rows of the embedding matrix).
    public var vocabSize: Int

    /// Reads the common keys for `arch`. `yarnExtensions`: the architecture's graph reads YaRN's β and log-multiplier
    /// keys (llama.cpp's mistral3 does); elsewhere a YaRN file with them is refused, since llama.cpp would ignore them.
    /// - Throws: `ModelError.missingHyperParameter` / `.invalidHyperParameter` naming the key.
    public init(_ md: GGUFMetadata, architecture arch: String, yarnExtensions: Bool = false) throws(ModelError) {
        func int(_ k: String, default d: Int? = nil) throws(ModelError) -> Int {
            let key = "\(arch).\(k)"
            if let v = md[key] {
                guard let i = v.int else { throw .invalidHyperParameter(key: key, value: v.summary(), reason: "not an integer") }
                return i
            }
            guard let d else { throw .missingHyperParameter(key: key) }
            return d
        }
        func float(_ k: String, default d: Float? = nil) throws(ModelError) -> Float {
            let key = "\(arch).\(k)"
            if let v = md[key] {
                guard let f = v.float else { throw .invalidHyperParameter(key: key, value: v.summary(), reason: "not a number") }
                return f
            }
            guard let d else { throw .missingHyperParameter(key: key) }
            return d
        }
        architecture = arch
        blockCount = try int("block_count")
        embeddingLength = try int("embedding_length")
        feedForwardLength = try int("feed_forward_length")
        headCount = try int("attention.head_count")
        headCountKV = try int("attention.head_count_kv", default: headCount)
        guard headCount > 0, embeddingLength > 0 else {
            throw .invalidHyperParameter(key: "\(arch).attention.head_count", value: "\(headCount)", reason: "must be positive")
        }
        keyLength = try int("attention.key_length", default: embeddingLength / headCount)
        valueLength = try int("attention.value_length", default: keyLength)
        ropeDimensionCount = try int("rope.dimension_count", default: keyLength)
        ropeFreqBase = try float("rope.freq_base", default: 10_000)
        // llama.cpp's reading: the type defaults to linear; a factor of 0 (or none) means no scaling.
        let scalingKey = "\(arch).rope.scaling.type"
        let scaling = md[scalingKey]?.string ?? "linear"
        guard ["none", "linear", "yarn", "longrope"].contains(scaling) else {
            throw .invalidHyperParameter(key: scalingKey, value: scaling, reason: "not a RoPE scaling type llama.cpp knows "
                                         + "(none, linear, yarn, longrope)")
        }
        let factor = md["\(arch).rope.scaling.factor"] != nil ? try float("rope.scaling.factor")
            : try float("rope.scale_linear", default: 0)
        guard factor.isFinite, factor >= 0 else {
            throw .invalidHyperParameter(key: "\(arch).rope.scaling.factor", value: "\(factor)",
                                         reason: "must be a finite number ≥ 0")
        }
        ropeFreqScale = scaling == "none" || factor == 0 ? 1 : 1 / factor
        if scaling == "yarn" && ropeFreqScale != 1 {
            if yarnExtensions {
                ropeYaRNBetaFast = try float("rope.scaling.yarn_beta_fast", default: 32)
                ropeYaRNBetaSlow = try float("rope.scaling.yarn_beta_slow", default: 1)
                ropeYaRNLogMultiplier = try float("rope.scaling.yarn_log_multiplier", default: 0)
                for (key, v) in [("yarn_beta_fast", ropeYaRNBetaFast), ("yarn_beta_slow", ropeYaRNBetaSlow),
                                 ("yarn_log_multiplier", ropeYaRNLogMultiplier)] where !v.isFinite || v < 0 {
                    throw .invalidHyperParameter(key: "\(arch).rope.scaling.\(key)", value: "\(v)",
                                                 reason: "must be a finite number ≥ 0")
                }
            }
            let refused = ["rope.scaling.attn_factor"]
                + (yarnExtensions ? [] : ["rope.scaling.yarn_log_multiplier", "rope.scaling.yarn_beta_fast",
                                          "rope.scaling.yarn_beta_slow"])
            for unsupported in refused where md["\(arch).\(unsupported)"] != nil {
                throw .invalidHyperParameter(key: "\(arch).\(unsupported)", value: md["\(arch).\(unsupported)"]!.summary(),
                                             reason: "YaRN with this key is not implemented (only llama.cpp's defaults)")
            }
            ropeYaRNOriginalContext = try int("rope.scaling.original_context_length", default: try int("context_length"))
        }
        rmsEpsilon = try float("attention.layer_norm_rms_epsilon")
        contextLength = try int("context_length")
        let tokens = md["tokenizer.ggml.tokens"]?.array?.count
        vocabSize = try int("vocab_size", default: tokens ?? 0)
        try validate()
    }

    func validate() throws(ModelError) {
        let a = architecture
        func check(_ ok: Bool, _ key: String, _ v: Int, _ why: String) throws(ModelError) {
            if !ok { throw .invalidHyperParameter(key: "\(a).\(key)", value: "\(v)", reason: why) }
        }
        try check(blockCount > 0 && blockCount <= 1024, "block_count", blockCount, "must be 1...1024")
        try check(feedForwardLength > 0, "feed_forward_length", feedForwardLength, "must be positive")
        try check(headCountKV > 0 && headCount % headCountKV == 0, "attention.head_count_kv", headCountKV,
                  "must divide head_count \(headCount)")
        try check(keyLength > 0 && keyLength % 2 == 0, "attention.key_length", keyLength, "must be positive and even")
        try check(valueLength > 0, "attention.value_length", valueLength, "must be positive")
        try check(ropeDimensionCount > 0 && ropeDimensionCount <= keyLength && ropeDimensionCount % 2 == 0,
                  "rope.dimension_count", ropeDimensionCount, "must be even and at most key_length \(keyLength)")
        try check(contextLength > 0, "context_length", contextLength, "must be positive")
        try check(vocabSize > 0, "vocab_size", vocabSize, "must be positive (no tokenizer.ggml.tokens either)")
    }

    /// Query heads that share one key/value head.
    public var groupSize: Int { headCount / headCountKV }

    /// What RoPE and the cache store need of these (`TransformerOps.rotateAndCache`).
    var attentionShape: TransformerOps.AttentionShape {
        .init(headCount: headCount, headCountKV: headCountKV, keyLength: keyLength, valueLength: valueLength,
              ropeDimensionCount: ropeDimensionCount)
    }
}
