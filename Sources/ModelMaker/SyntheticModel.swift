import Foundation
import GGUF

/// A deterministic random-weight model: an architecture, a shape, one weight type for every matrix, a seed and a
/// tokenizer copied from a vocabulary GGUF. The same description always gives the same bytes.
///
/// Statistics (so logits are not flat and every layer matters): token embeddings and the output projection
/// spread with σ = 3/√embd, so logits over the normalised residual have a standard deviation near 3 (top-two
/// gaps are then mostly well above the parity tests' 0.1 near-tie margin); attention and feed-forward inputs
/// use σ = 1/√fan_in, so query·key scores spread by about one unit; the two projections back into the
/// residual stream (`attn_output`, `ffn_down`) are scaled by 4/√(2·blocks), so the stream grows to an RMS of a
/// few units whatever the depth. That gain matters for tied models: the output logit of the input token itself
/// is about |e|²/rms(x) = 9/rms(x), and with a stream no larger than the embedding it would win every step and
/// greedy decoding would repeat one token forever. Norm weights are F32, 1 + 0.05·N(0, 1).
public struct SyntheticModel: Sendable {
    /// The architecture (`llama` or `bitnet`).
    public var architecture: SyntheticArchitecture
    /// Hyper-parameters.
    public var shape: SyntheticShape
    /// Type of every 2-D matrix (norms are always F32); see `SyntheticTensorEncoder.effectiveType`.
    public var weightType: GGMLType
    /// Seed of every random value.
    public var seed: UInt64
    /// Whether the output projection is the token embedding (no `output.weight` tensor); always for `bitnet`.
    public var tiedOutput: Bool
    /// Path of the `ggml-vocab-*.gguf` whose `tokenizer.*` metadata is copied.
    public var vocabularyPath: String

    /// A model description; `tiedOutput` defaults to the shape's, `vocabularyPath` to the shape's default
    /// vocabulary in `SyntheticModel.vocabularyDirectory`.
    public init(architecture: SyntheticArchitecture = .llama, shape: SyntheticShape, weightType: GGMLType,
                seed: UInt64, tiedOutput: Bool? = nil, vocabularyPath: String? = nil) {
        self.architecture = architecture
        self.shape = shape
        self.weightType = weightType
        self.seed = seed
        self.tiedOutput = architecture == .bitnet || (tiedOutput ?? shape.tiedOutputByDefault)
        self.vocabularyPath = vocabularyPath ?? SyntheticModel.vocabularyDirectory + "/" + shape.defaultVocabulary
    }

    /// The cached llama.cpp vocab suite: `BITNET_VOCAB_DIR`, else `~/.cache/bitnet-swift/vocab/0c1e570`
    /// (filled by `scripts/fetch-vocab-suite.sh`).
    public static var vocabularyDirectory: String {
        if let dir = ProcessInfo.processInfo.environment["BITNET_VOCAB_DIR"], !dir.isEmpty { return dir }
        return NSHomeDirectory() + "/.cache/bitnet-swift/vocab/0c1e570"
    }

    /// llama.cpp's `general.file_type` (`llama_ftype`) for a model whose matrices are mostly `type`.
    public static func fileType(for type: GGMLType) -> UInt32 {
        switch type {
        case .f32: 0
        case .f16: 1
        case .q4_0: 2
        case .q4_1: 3
        case .q8_0: 7
        case .q5_0: 8
        case .q4_K: 14  // Q4_K_S: every matrix Q4_K
        case .q6_K: 18
        case .bf16: 32
        case .tq1_0: 36
        case .tq2_0: 37
        default: 1024  // LLAMA_FTYPE_GUESSED
        }
    }

    /// Builds the whole file in memory.
    /// - Throws: `ModelMakerError` when the architecture is not generated yet, the weight type is not supported,
    ///   or the vocabulary file is missing or has no tokens.
    public func makeWriter() throws(ModelMakerError) -> GGUFWriter {
        guard SyntheticArchitecture.implemented.contains(architecture) else {
            throw .architectureNotImplemented(architecture.rawValue, implemented: SyntheticArchitecture.implemented.map(\.rawValue))
        }
        let types = SyntheticTensorEncoder.supportedTypes + SyntheticTensorEncoder.ternaryTypes
        guard types.contains(weightType) else {
            throw .unsupportedWeightType(weightType.name, supported: types.map(\.name))
        }
        let tokenizer = try tokenizerMetadata()
        let vocab = tokenizer.tokenCount
        let s = shape, d = s.embeddingLength, ff = s.feedForwardLength, hd = s.headLength
        var w = GGUFWriter()
        let a = architecture.rawValue, bitnet = architecture == .bitnet
        w.metadata["general.architecture"] = .string(a)
        w.metadata["general.name"] = .string("synthetic \(a) \(s.name) \(weightType.name) seed \(seed)")
        w.metadata["general.file_type"] = .uint32(Self.fileType(for: weightType))
        if weightType.traits?.isQuantized == true { w.metadata["general.quantization_version"] = .uint32(2) }
        w.metadata["\(a).vocab_size"] = .uint32(UInt32(vocab))
        w.metadata["\(a).context_length"] = .uint32(UInt32(s.contextLength))
        w.metadata["\(a).embedding_length"] = .uint32(UInt32(d))
        w.metadata["\(a).block_count"] = .uint32(UInt32(s.blockCount))
        w.metadata["\(a).feed_forward_length"] = .uint32(UInt32(ff))
        w.metadata["\(a).attention.head_count"] = .uint32(UInt32(s.headCount))
        w.metadata["\(a).attention.head_count_kv"] = .uint32(UInt32(s.headCountKV))
        w.metadata["\(a).rope.dimension_count"] = .uint32(UInt32(hd))
        w.metadata["\(a).rope.freq_base"] = .float32(s.ropeFreqBase)
        w.metadata["\(a).attention.layer_norm_rms_epsilon"] = .float32(s.rmsEpsilon)
        for (k, v) in tokenizer.entries { w.metadata[k] = v }

        let residualScale = 4 / Float(2 * s.blockCount).squareRoot()
        let outSigma = 3 / Float(d).squareRoot(), inSigma = 1 / Float(d).squareRoot()
        // bitnet: the embedding is also the output projection and stays F16, as in published BitNet files.
        try addMatrix(&w, "token_embd.weight", cols: d, rows: vocab, sigma: outSigma, type: bitnet ? .f16 : nil)
        for i in 0..<s.blockCount {
            let p = "blk.\(i)."
            try addNorm(&w, p + "attn_norm.weight", count: d)
            try addMatrix(&w, p + "attn_q.weight", cols: d, rows: s.headCount * hd, sigma: inSigma)
            try addMatrix(&w, p + "attn_k.weight", cols: d, rows: s.headCountKV * hd, sigma: inSigma)
            try addMatrix(&w, p + "attn_v.weight", cols: d, rows: s.headCountKV * hd, sigma: inSigma)
            if bitnet { try addNorm(&w, p + "attn_sub_norm.weight", count: s.headCount * hd) }
            try addMatrix(&w, p + "attn_output.weight", cols: s.headCount * hd, rows: d,
                          sigma: residualScale / Float(s.headCount * hd).squareRoot())
            try addNorm(&w, p + "ffn_norm.weight", count: d)
            try addMatrix(&w, p + "ffn_gate.weight", cols: d, rows: ff, sigma: inSigma)
            try addMatrix(&w, p + "ffn_up.weight", cols: d, rows: ff, sigma: inSigma)
            if bitnet { try addNorm(&w, p + "ffn_sub_norm.weight", count: ff) }
            try addMatrix(&w, p + "ffn_down.weight", cols: ff, rows: d, sigma: residualScale / Float(ff).squareRoot())
        }
        try addNorm(&w, "output_norm.weight", count: d)
        if !tiedOutput && !bitnet { try addMatrix(&w, "output.weight", cols: d, rows: vocab, sigma: outSigma) }
        return w
    }

    /// Writes the model to `path` atomically (a temporary sibling renamed into place).
    /// - Throws: as `makeWriter`, and `ModelMakerError.gguf(.writeFailed)` when the file cannot be written.
    public func write(to path: String) throws(ModelMakerError) {
        let w = try makeWriter()
        do { try w.write(to: path) } catch { throw .gguf(error) }
    }

    /// A GGUF matrix of `rows` rows of `cols` (ggml shape `[cols, rows]`) in the effective weight type.
    private func addMatrix(_ w: inout GGUFWriter, _ name: String, cols: Int, rows: Int, sigma: Float,
                           type override: GGMLType? = nil) throws(ModelMakerError) {
        var random = SyntheticRandom(seed: seed, stream: name)
        let type = override ?? SyntheticTensorEncoder.effectiveType(weightType, rowLength: cols)
        let bytes = try SyntheticTensorEncoder.encode(type, elements: rows * cols, rowLength: cols, sigma: sigma,
                                                      random: &random)
        do { try w.addTensor(name: name, type: type, shape: [cols, rows], bytes: bytes) } catch { throw .gguf(error) }
    }

    private func addNorm(_ w: inout GGUFWriter, _ name: String, count: Int) throws(ModelMakerError) {
        var random = SyntheticRandom(seed: seed, stream: name)
        let values = SyntheticTensorEncoder.gaussian(count, sigma: 0.05, mean: 1, random: &random)
        do { try w.addTensor(name: name, shape: [count], f32: values) } catch { throw .gguf(error) }
    }

    /// The vocabulary file's `tokenizer.*` entries, in file order, and its token count.
    private func tokenizerMetadata() throws(ModelMakerError) -> (entries: [(String, GGUFValue)], tokenCount: Int) {
        guard FileManager.default.fileExists(atPath: vocabularyPath) else { throw .vocabularyMissing(path: vocabularyPath) }
        let file: GGUFFile
        do { file = try GGUFFile(path: vocabularyPath) } catch {
            throw .vocabularyUnusable(path: vocabularyPath, reason: "\(error)")
        }
        let entries = file.metadata.entries.filter { $0.key.hasPrefix("tokenizer.") }.map { ($0.key, $0.value) }
        guard let count = file.metadata["tokenizer.ggml.tokens"]?.array?.count, count > 0 else {
            throw .vocabularyUnusable(path: vocabularyPath, reason: "no tokenizer.ggml.tokens array")
        }
        return (entries, count)
    }
}
