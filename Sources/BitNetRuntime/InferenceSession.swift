import BitNetModels
import Foundation
import GGUF
import Kernels

/// Options fixed when a session is created.
public struct SessionOptions: Sendable {
    /// Context length (KV cache positions); 0 means the model's training context, capped at 4096.
    public var contextLength = 0
    /// Threads for matmul and attention.
    public var threads = ThreadPool.physicalCoreCount
    /// KV cache element type.
    public var kvCacheType: KVCacheType = .f16
    /// Prompt tokens evaluated per forward pass during prefill.
    public var batchSize = 512

    /// The defaults: the model's training context (at most 4096), one thread per physical core, an F16 cache,
    /// batches of 512.
    public init() {}

    /// The context length a session over a model trained on `trainingContext` positions gets with these options.
    public func resolvedContextLength(trainingContext: Int) -> Int {
        contextLength > 0 ? contextLength : min(trainingContext, 4096)
    }
}

/// One conversation with a model: its KV cache, the tokens in it, and the compute context.
///
/// Evaluating appends to the cache; `truncate(to:)` rewinds. Not thread-safe: use one session per thread.
public final class InferenceSession {
    /// The model.
    public let model: any DecoderNetwork
    /// The cache.
    public let cache: KVCache
    /// Threads and scratch.
    public let context: ComputeContext
    /// Options this session was created with.
    public let options: SessionOptions
    /// Tokens whose keys and values are in the cache, in order.
    public private(set) var tokens: [Int32] = []
    /// The one-token batch `decode` passes to the model (reused, so a decode step allocates nothing).
    private var single: [Int32] = [0]

    /// A session over `model`.
    public init(model: any DecoderNetwork, options: SessionOptions = SessionOptions()) {
        let hp = model.hyperParameters
        let n = options.resolvedContextLength(trainingContext: hp.contextLength)
        self.model = model
        self.options = options
        cache = model.makeCache(capacity: n, type: options.kvCacheType)
        context = ComputeContext(threads: options.threads)
        tokens.reserveCapacity(n)  // the cache holds at most n tokens, so appending never reallocates
    }

    /// Context length in tokens.
    public var contextLength: Int { cache.capacity }

    /// Vocabulary size (logits per position).
    public var vocabSize: Int { model.hyperParameters.vocabSize }

    /// Evaluates `newTokens` after the cached ones, in batches of `options.batchSize`, and returns the logits of
    /// the last token (`vocabSize` floats), or of every new token (`[newTokens.count, vocabSize]`) when `allLogits`.
    /// - Throws: `EngineError.model` (context overflow, bad token id).
    public func evaluate(_ newTokens: [Int32], allLogits: Bool = false) throws(EngineError) -> [Float] {
        guard !newTokens.isEmpty else { return [] }
        guard cache.length + newTokens.count <= cache.capacity else {
            throw .model(.contextOverflow(tokens: cache.length + newTokens.count, contextLength: cache.capacity))
        }
        var out: [Float] = []
        if allLogits { out.reserveCapacity(newTokens.count * vocabSize) }
        var i = 0
        while i < newTokens.count {
            let batch = Array(newTokens[i..<min(newTokens.count, i + max(1, options.batchSize))])
            let isLast = i + batch.count == newTokens.count
            do {
                let logits = try model.forward(batch, cache: cache, context: context, allLogits: allLogits)
                if allLogits || isLast { out.append(contentsOf: logits) }
            } catch {
                throw .model(error)
            }
            tokens.append(contentsOf: batch)
            i += batch.count
        }
        return out
    }

    /// Evaluates one token per session, each after its own cached tokens, in one batched forward pass over
    /// `model` (continuous batching), and returns the logits rows in session order (`sessions.count × vocabSize`)
    /// as a view into `context`'s buffer, valid until its next use. Every session must run `model`.
    /// - Throws: `EngineError.model` (a full context, a bad token id, a session listed twice).
    public static func decodeBatch(_ items: [(session: InferenceSession, token: Int32)], model: any DecoderNetwork,
                                   context: ComputeContext) throws(EngineError) -> UnsafeBufferPointer<Float> {
        for (session, _) in items {
            precondition(session.model === model, "decodeBatch: a session runs another model")
            guard session.cache.length < session.cache.capacity else {
                throw .model(.contextOverflow(tokens: session.cache.length + 1, contextLength: session.cache.capacity))
            }
        }
        let logits: UnsafeBufferPointer<Float>
        do {
            logits = try model.forwardBatch(items.map { BatchSegment(tokens: [$0.token], cache: $0.session.cache) },
                                            context: context)
        } catch {
            throw .model(error)
        }
        for (session, token) in items { session.tokens.append(token) }
        return logits
    }

    /// Evaluates one token after the cached ones and returns its logits (`vocabSize` floats) as a view into the
    /// session's own buffer, valid until the next `evaluate` or `decode`. The decode loop's form of `evaluate`:
    /// nothing is allocated or copied.
    /// - Throws: `EngineError.model` (context overflow, bad token id).
    public func decode(_ token: Int32) throws(EngineError) -> UnsafeBufferPointer<Float> {
        guard cache.length < cache.capacity else {
            throw .model(.contextOverflow(tokens: cache.length + 1, contextLength: cache.capacity))
        }
        single[0] = token
        let logits: UnsafeBufferPointer<Float>
        do {
            logits = try model.forward(single, cache: cache, context: context, allLogits: false)
        } catch {
            throw .model(error)
        }
        tokens.append(token)
        return logits
    }

    /// Forgets every token after the first `count` (e.g. to reuse a shared prompt prefix).
    public func truncate(to count: Int) {
        let n = max(0, min(count, tokens.count))
        tokens.removeSubrange(n...)
        cache.truncate(to: n)
    }

    /// Number of leading tokens that `other` shares with the cached tokens.
    public func commonPrefixLength(with other: [Int32]) -> Int {
        var n = 0
        while n < tokens.count, n < other.count, tokens[n] == other[n] { n += 1 }
        return n
    }

    /// Kernel ids that have run in this session (e.g. `q4_1×q8_1.avx2`).
    public var executedKernels: [String] { context.scratch.executedKernelIDs }
}
