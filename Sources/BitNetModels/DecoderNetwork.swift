import GGUF
import Kernels

/// A decoder-only language model that turns token ids into next-token logits, appending to a `KVCache`.
public protocol DecoderNetwork: AnyObject, Sendable {
    /// Hyper-parameters read from the file.
    var hyperParameters: HyperParameters { get }

    /// Runs `tokens` at positions `cache.length ..< cache.length + tokens.count`, stores their keys and values, and
    /// returns logits `[rows, vocabSize]`: every position when `allLogits`, else only the last. When
    /// `context.output` is `.hiddenStates` it returns the final norm's output `[rows, embeddingLength]` instead
    /// (llama.cpp's `result_norm`, what embeddings pool). The buffer belongs to `context` and is valid until its
    /// next use.
    /// - Throws: `ModelError.contextOverflow` when the tokens do not fit, `.tokenOutOfRange` for a bad id.
    func forward(_ tokens: [Int32], cache: KVCache, context: ComputeContext,
                 allLogits: Bool) throws(ModelError) -> UnsafeBufferPointer<Float>

    /// A cache sized for this model.
    func makeCache(capacity: Int, type: KVCacheType) -> KVCache

    /// Runs several sequences in one call — each segment's tokens after its own cache's positions — and returns the
    /// logits of each segment's last token, `[segments.count, vocabSize]`, in segment order (continuous batching:
    /// the decode steps of many requests share one pass over the weights). The buffer belongs to `context`.
    /// Architectures without a batched pass run the segments one after another (the default implementation).
    /// - Throws: as `forward`, and `ModelError.invalidBatch` for an empty segment or a cache used twice.
    func forwardBatch(_ segments: [BatchSegment], context: ComputeContext) throws(ModelError) -> UnsafeBufferPointer<Float>
}

/// One sequence of a batched forward pass: tokens to append to `cache`.
public struct BatchSegment: @unchecked Sendable {
    // @unchecked: the cache is used by the one thread running the pass.
    /// Tokens, at positions `cache.length ..< cache.length + tokens.count`.
    public var tokens: [Int32]
    /// The sequence's own cache.
    public var cache: KVCache

    public init(tokens: [Int32], cache: KVCache) {
        self.tokens = tokens
        self.cache = cache
    }
}

extension DecoderNetwork {
    /// A cache with one row per position of `headCountKV × keyLength` keys and `headCountKV × valueLength` values.
    public func makeCache(capacity: Int, type: KVCacheType) -> KVCache {
        let hp = hyperParameters
        return KVCache(layers: hp.blockCount, capacity: capacity, keyWidth: hp.headCountKV * hp.keyLength,
                       valueWidth: hp.headCountKV * hp.valueLength, type: type)
    }

    /// The first row whose feed-forward layer `layer` (of `layers`) computes: 0, except in the last layer when
    /// only the last position's logits are wanted, where it is `tokens − 1`. llama.cpp keeps only the output rows
    /// there (`inp_out_ids`, after the attention), so its feed-forward matmuls take the one-row kernels; doing the
    /// same keeps the logits identical for weights whose batched route sums differently (K-quants, F32/F16/BF16)
    /// and skips work no output needs.
    public static func ffnRows(layer: Int, of layers: Int, tokens: Int, allLogits: Bool) -> Int {
        layer == layers - 1 && !allLogits ? tokens - 1 : 0
    }

    /// Runs the segments one at a time and gathers each one's last logits row.
    public func forwardBatch(_ segments: [BatchSegment], context: ComputeContext) throws(ModelError) -> UnsafeBufferPointer<Float> {
        try checkSegments(segments)
        let vocab = hyperParameters.vocabSize
        let out = context.buffer(.batchLogits, segments.count * vocab)
        for (i, segment) in segments.enumerated() {
            let logits = try forward(segment.tokens, cache: segment.cache, context: context, allLogits: false)
            (out + i * vocab).update(from: logits.baseAddress!, count: vocab)
        }
        return UnsafeBufferPointer(start: out, count: segments.count * vocab)
    }

    /// Checks that every segment has tokens and no cache appears twice.
    public func checkSegments(_ segments: [BatchSegment]) throws(ModelError) {
        guard !segments.isEmpty else { throw .invalidBatch("no segments") }
        var seen = Set<ObjectIdentifier>()
        for (i, segment) in segments.enumerated() {
            guard !segment.tokens.isEmpty else { throw .invalidBatch("segment \(i) has no tokens") }
            guard seen.insert(ObjectIdentifier(segment.cache)).inserted else {
                throw .invalidBatch("segment \(i) uses a cache another segment uses")
            }
        }
    }

    /// Checks that `tokens` fit after the cached positions and are all inside the vocabulary.
    /// - Throws: `ModelError.contextOverflow` or `.tokenOutOfRange`.
    public func checkBatch(_ tokens: [Int32], cache: KVCache) throws(ModelError) {
        let vocab = hyperParameters.vocabSize
        guard cache.length + tokens.count <= cache.capacity else {
            throw .contextOverflow(tokens: cache.length + tokens.count, contextLength: cache.capacity)
        }
        for t in tokens where t < 0 || Int(t) >= vocab { throw .tokenOutOfRange(id: t, vocabSize: vocab) }
    }
}

/// One architecture: its name, what it needs from a file, and how to build the model.
public protocol Architecture: Sendable {
    /// `general.architecture` value.
    static var name: String { get }
    /// Keys and tensors a file must have.
    static var requirements: ArchitectureRequirements { get }
    /// Builds the model over the file's (memory-mapped) tensors; the model keeps `file` alive.
    static func load(_ file: GGUFFile) throws(ModelError) -> any DecoderNetwork
}

/// Maps `general.architecture` to the implementation. Adding an architecture is one file plus one entry here.
public enum ModelRegistry {
    /// Every implemented architecture.
    public static let all: [any Architecture.Type] = [
        LlamaArchitecture.self, Qwen2Architecture.self, Qwen3Architecture.self, Phi3Architecture.self,
        Mistral3Architecture.self, SmolLM3Architecture.self, GraniteArchitecture.self, Gemma3Architecture.self,
        BitNetArchitecture.self, BitNet25Architecture.self,
    ]

    /// Implemented architecture names.
    public static var names: [String] { all.map { $0.name }.sorted() }

    /// Builds the model for `file`.
    /// - Throws: `ModelError.unsupportedArchitecture` or the architecture's own loading errors.
    public static func load(_ file: GGUFFile) throws(ModelError) -> any DecoderNetwork {
        guard let arch = file.metadata.architecture else { throw .missingHyperParameter(key: "general.architecture") }
        guard let impl = all.first(where: { $0.name == arch }) else {
            throw .unsupportedArchitecture(arch, implemented: names)
        }
        return try impl.load(file)
    }
}

/// Threads, kernel scratch and activation buffers for forward passes; one per inference session.
public final class ComputeContext: @unchecked Sendable {
    // @unchecked Sendable: used by one session at a time; the pool synchronises its own workers.

    /// Worker threads for matmul and attention.
    public let pool: ThreadPool
    /// Kernel scratch (quantized activations, executed-kernel record).
    public let scratch = KernelScratch()
    /// What `forward` returns: logits (the default) or the hidden states after the final norm (for embeddings).
    public var output: Output = .logits
    private var buffers: [UnsafeMutablePointer<Float>?]
    private var capacities: [Int]

    /// A context with `threads` threads (default: physical cores).
    public init(threads: Int = ThreadPool.physicalCoreCount) {
        pool = ThreadPool(threadCount: threads)
        buffers = Array(repeating: nil, count: Slot.allCases.count)
        capacities = Array(repeating: 0, count: Slot.allCases.count)
    }

    deinit { for b in buffers { b?.deallocate() } }

    /// What a forward pass returns.
    public enum Output: Sendable {
        /// Next-token logits, `[rows, vocabSize]`.
        case logits
        /// The output norm's result, `[rows, embeddingLength]`, before the output projection.
        case hiddenStates
    }

    /// Named activation buffers used by the forward passes.
    public enum Slot: Int, CaseIterable, Sendable {
        case residual, normed, query, key, value, attention, gate, up, logits, extra, batchLogits, projectionInput
    }

    /// A buffer of at least `count` floats for `slot`, reused across calls (grown, never shrunk).
    public func buffer(_ slot: Slot, _ count: Int) -> UnsafeMutablePointer<Float> {
        let i = slot.rawValue
        if capacities[i] < count {
            buffers[i]?.deallocate()
            buffers[i] = .allocate(capacity: count)
            capacities[i] = count
        }
        return buffers[i]!
    }
}
