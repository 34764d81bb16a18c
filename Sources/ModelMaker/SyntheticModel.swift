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
///
/// Each tensor's values come from its own random stream (seed and tensor name), generated row chunk by row chunk,
/// so `write(to:)` streams a file of any size with bounded memory and gives the same bytes as `makeWriter()`.
public struct SyntheticModel: Sendable {
    /// The architecture (`llama`, `qwen2`, `qwen3`, `phi3`, `bitnet` or `bitnet-25`).
    public var architecture: SyntheticArchitecture
    /// Hyper-parameters.
    public var shape: SyntheticShape
    /// Type of every 2-D matrix (norms are always F32); see `SyntheticTensorEncoder.effectiveType`.
    public var weightType: GGMLType
    /// Seed of every random value.
    public var seed: UInt64
    /// Whether the output projection is the token embedding (no `output.weight` tensor); always for `bitnet`; the
    /// llama-shaped architectures take the shape's default or the caller's choice.
    /// `bitnet-25` files carry an `output.weight` equal to the embedding (the published layout), which the graph
    /// does not use.
    public var tiedOutput: Bool
    /// Path of the `ggml-vocab-*.gguf` whose `tokenizer.*` metadata is copied.
    public var vocabularyPath: String

    /// Version of the generator's output; part of the cache key, bumped whenever the bytes for a description change.
    public static let formatVersion = 1

    /// A model description; `tiedOutput` defaults to the shape's, `vocabularyPath` to the architecture's required
    /// vocabulary or else the shape's default, in `SyntheticModel.vocabularyDirectory`.
    public init(architecture: SyntheticArchitecture = .llama, shape: SyntheticShape, weightType: GGMLType,
                seed: UInt64, tiedOutput: Bool? = nil, vocabularyPath: String? = nil) {
        self.architecture = architecture
        self.shape = shape
        self.weightType = weightType
        self.seed = seed
        self.tiedOutput = !architecture.isLlamaFamily || (tiedOutput ?? shape.tiedOutputByDefault)
        self.vocabularyPath = vocabularyPath ?? SyntheticModel.vocabularyDirectory + "/"
            + (architecture.requiredVocabulary ?? shape.defaultVocabulary)
    }

    /// The cached llama.cpp vocab suite: `BITNET_VOCAB_DIR`, else `~/.cache/bitnet-swift/vocab/0c1e570`
    /// (filled by `scripts/fetch-vocab-suite.sh`).
    public static var vocabularyDirectory: String {
        if let dir = ProcessInfo.processInfo.environment["BITNET_VOCAB_DIR"], !dir.isEmpty { return dir }
        return NSHomeDirectory() + "/.cache/bitnet-swift/vocab/0c1e570"
    }

    /// Where generated models are cached: `BITNET_SYNTHETIC_DIR`, else `~/.cache/bitnet-swift/synthetic`.
    public static var cacheDirectory: String {
        if let dir = ProcessInfo.processInfo.environment["BITNET_SYNTHETIC_DIR"], !dir.isEmpty { return dir }
        return NSHomeDirectory() + "/.cache/bitnet-swift/synthetic"
    }

    /// The cache file for this description: keyed by architecture, shape, weight type, output head, seed,
    /// vocabulary file name and `formatVersion`.
    public var cachePath: String {
        let vocab = URL(fileURLWithPath: vocabularyPath).deletingPathExtension().lastPathComponent
        let head = architecture.isLlamaFamily ? (tiedOutput ? "-tied" : "-separate") : ""
        return Self.cacheDirectory + "/\(architecture.rawValue)-\(shape.name)-\(weightType.name)\(head)-seed\(seed)-"
            + "\(vocab)-v\(Self.formatVersion).gguf"
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
        case .q2_K: 10
        case .iq4_nl: 25
        case .iq4_xs: 30
        case .q3_K: 11  // Q3_K_S
        case .q4_K: 14  // Q4_K_S: every matrix Q4_K
        case .q5_K: 16  // Q5_K_S
        case .q6_K: 18
        case .bf16: 32
        case .tq1_0: 36
        case .tq2_0: 37
        case .i2_s: 40  // bitnet.cpp's LLAMA_FTYPE_MOSTLY_I2_S, as in the published 2B-4T file
        default: 1024  // LLAMA_FTYPE_GUESSED
        }
    }

    /// Builds the whole file in memory (small shapes; tests add tensors to it).
    /// - Throws: `ModelMakerError` when the weight type is not supported, or the vocabulary file is missing or
    ///   has no tokens.
    public func makeWriter() throws(ModelMakerError) -> GGUFWriter {
        let (metadata, tensors) = try layout()
        var w = GGUFWriter()
        for (k, v) in metadata.entries { w.metadata[k] = v }
        for t in tensors {
            var bytes: [UInt8] = []
            try generate(t) { chunk throws(ModelMakerError) in bytes.append(contentsOf: chunk) }
            do { try w.addTensor(name: t.plan.name, type: t.plan.type, shape: t.plan.shape, bytes: bytes) } catch {
                throw .gguf(error)
            }
        }
        return w
    }

    /// Writes the model to `path`, streaming: the header first, then each tensor in chunks of rows, through a
    /// `.partial` sibling renamed into place when complete (nothing is left behind on failure).
    /// - Throws: as `makeWriter`, and `ModelMakerError.gguf(.writeFailed)` when the file cannot be written.
    public func write(to path: String) throws(ModelMakerError) {
        let (metadata, tensors) = try layout()
        let out: GGUFStreamingWriter
        do { out = try GGUFStreamingWriter(path: path, metadata: metadata, tensors: tensors.map(\.plan)) } catch {
            throw .gguf(error)
        }
        for t in tensors {
            try generate(t) { chunk throws(ModelMakerError) in
                do throws(GGUFError) { try out.append(chunk) } catch { throw .gguf(error) }
            }
        }
        do { try out.commit() } catch { throw .gguf(error) }
    }

    /// The file's metadata and its tensors in file order, each with how its values are made.
    func layout() throws(ModelMakerError) -> (GGUFMetadata, [SyntheticTensor]) {
        let types = SyntheticTensorEncoder.supportedTypes + SyntheticTensorEncoder.ternaryTypes
        guard types.contains(weightType) else {
            throw .unsupportedWeightType(weightType.name, supported: types.map(\.name))
        }
        let tokenizer = try tokenizerMetadata()
        let metadata = makeMetadata(tokenizer.entries, vocab: tokenizer.tokenCount)
        let tensors = architecture == .bitnet25
            ? bitnet25Tensors(vocab: tokenizer.tokenCount) : decoderTensors(vocab: tokenizer.tokenCount)
        for t in tensors where t.plan.byteCount == nil {
            throw .unsupportedWeightType("\(t.plan.type.name) for \(t.plan.name) (rows of \(t.plan.shape[0]))",
                                         supported: types.map(\.name))
        }
        return (metadata, tensors)
    }

    /// Metadata in the order the architecture's own converter writes it: llama.cpp's for `llama` / `bitnet` (the
    /// order earlier versions of this generator used, so their files are unchanged), bitnet.cpp's for `bitnet-25`
    /// (hyper-parameters, then `general.file_type`, the tokenizer and `general.quantization_version` last).
    private func makeMetadata(_ tokenizer: [(String, GGUFValue)], vocab: Int) -> GGUFMetadata {
        var md = GGUFMetadata()
        let a = architecture.rawValue, s = shape
        let quantized = weightType.traits?.isQuantized == true
        md["general.architecture"] = .string(a)
        md["general.name"] = .string("synthetic \(a) \(s.name) \(weightType.name) seed \(seed)")
        if architecture != .bitnet25 {
            md["general.file_type"] = .uint32(Self.fileType(for: weightType))
            if quantized { md["general.quantization_version"] = .uint32(2) }
        }
        md["\(a).vocab_size"] = .uint32(UInt32(vocab))
        md["\(a).context_length"] = .uint32(UInt32(s.contextLength))
        md["\(a).embedding_length"] = .uint32(UInt32(s.embeddingLength))
        md["\(a).block_count"] = .uint32(UInt32(s.blockCount))
        md["\(a).feed_forward_length"] = .uint32(UInt32(s.feedForwardLength))
        if architecture == .bitnet25 { md["\(a).rope.dimension_count"] = .uint32(UInt32(s.headLength)) }
        md["\(a).attention.head_count"] = .uint32(UInt32(s.headCount))
        md["\(a).attention.head_count_kv"] = .uint32(UInt32(s.headCountKV))
        if architecture == .bitnet25 {
            md["\(a).attention.layer_norm_rms_epsilon"] = .float32(s.rmsEpsilon)
            md["\(a).rope.freq_base"] = .float32(s.ropeFreqBase)
            md["general.file_type"] = .uint32(Self.fileType(for: weightType))
        } else {
            md["\(a).rope.dimension_count"] = .uint32(UInt32(s.headLength))
            md["\(a).rope.freq_base"] = .float32(s.ropeFreqBase)
            md["\(a).attention.layer_norm_rms_epsilon"] = .float32(s.rmsEpsilon)
            if let k = s.keyLength {
                md["\(a).attention.key_length"] = .uint32(UInt32(k))
                md["\(a).attention.value_length"] = .uint32(UInt32(k))
            }
            if architecture == .granite {
                md["\(a).attention.scale"] = .float32(0.015625)
                md["\(a).embedding_scale"] = .float32(12)
                md["\(a).residual_scale"] = .float32(0.22)
                md["\(a).logit_scale"] = .float32(8)
            }
        }
        for (k, v) in tokenizer { md[k] = v }
        if architecture == .bitnet25 && quantized { md["general.quantization_version"] = .uint32(2) }
        return md
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
