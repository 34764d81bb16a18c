import BitNetRuntime
import Foundation

/// How `InferenceServer` listens, how many requests it runs at once, and what it accepts.
public struct ServerConfiguration: Sendable {
    /// Address to bind; loopback by default so nothing is exposed unless asked.
    public var host = "127.0.0.1"
    /// TCP port; 0 asks the OS for a free one (reported through `InferenceServer.run(onListening:)`).
    public var port = 8080
    /// Slots: requests generated at the same time, each with its own session and KV cache.
    public var parallel = 1
    /// With several slots, run their decode steps as one batched forward pass (`BatchScheduler`); otherwise each
    /// slot has its own thread and forward passes (`SlotPool`).
    public var continuousBatching = true
    /// With continuous batching, the prompt tokens a joining request evaluates between two decode steps of the
    /// others (llama-server's `--batch-size`): smaller keeps the running streams smoother, larger prefills faster.
    public var batchSize = 256
    /// Requests allowed to wait for a slot; beyond this the server answers 503 with `Retry-After`.
    public var maxQueue = 16
    /// Seconds a request may take from admission to its last token (queue wait included).
    public var timeoutSeconds: Double = 600
    /// When set, every endpoint but `/health` requires `Authorization: Bearer <apiKey>`.
    public var apiKey: String?
    /// Largest request body accepted, in bytes (larger → 413).
    public var maxBodyBytes = 1 << 20
    /// The model id reported by `/v1/models` and accepted in the `model` field of requests.
    public var modelID = "bitnet"
    /// Options for every slot's session (context length, threads, KV type).
    public var session = SessionOptions()
    /// Pooling of `/v1/embeddings`; nil uses the model's `<arch>.pooling_type`.
    public var pooling: Pooling?

    public init() {}

    /// The first out-of-range field, described, or nil.
    public func validationError() -> String? {
        if !(0...65535).contains(port) { return "port must be 0...65535, got \(port)" }
        if !(1...64).contains(parallel) { return "parallel must be 1...64, got \(parallel)" }
        if !(1...65536).contains(batchSize) { return "batch-size must be 1...65536, got \(batchSize)" }
        if !(0...100_000).contains(maxQueue) { return "max-queue must be 0...100000, got \(maxQueue)" }
        if !(timeoutSeconds > 0 && timeoutSeconds.isFinite) { return "timeout must be a positive number of seconds" }
        if maxBodyBytes < 1024 { return "the body limit must be at least 1024 bytes" }
        if let apiKey, apiKey.isEmpty { return "the API key must not be empty" }
        return nil
    }
}
