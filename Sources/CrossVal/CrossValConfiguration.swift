import LlamaReference

/// What one cross-validation run compares and how.
public struct CrossValConfiguration: Sendable {
    /// The GGUF model file.
    public var modelPath: String
    /// Prompts; each runs the whole ladder.
    public var prompts: [String]
    /// Greedy steps per prompt.
    public var steps = 32
    /// Threads for our engine.
    public var engineThreads: Int
    /// Threads for llama.cpp (1 by default: its OpenMP spin-waiting is pathological on small shared machines, and
    /// its results do not depend on the thread count).
    public var referenceThreads = 1
    /// Context length; nil means the longest prompt plus `steps`, rounded up to 64, capped at the training context.
    public var contextLength: Int?
    /// Prefill cosine bound; nil means the default for the model's weight types (`ThresholdPolicy`).
    public var prefillCosineMin: Double?
    /// Decode cosine bound; nil means `ThresholdPolicy.decodeCosine`.
    public var decodeCosineMin: Double?
    /// Greedy near-tie margin in logits.
    public var tieMargin = ThresholdPolicy.tieMargin
    /// Limit for each reference call (load, tokenize, context creation, eval).
    public var referenceTimeout: Duration = .seconds(300)
    /// The reference shim to load (file or directory); nil searches the cache for `referenceLevel`.
    public var referenceLibraryPath: String?
    /// The reference build to compare with; nil means the level matching the engine's kernels (the exact tier).
    public var referenceLevel: ReferenceLevel?
    /// Our engine's version, written into the receipt.
    public var engineVersion: String

    /// A configuration with the defaults above.
    public init(modelPath: String, prompts: [String], engineThreads: Int, engineVersion: String) {
        self.modelPath = modelPath
        self.prompts = prompts
        self.engineThreads = engineThreads
        self.engineVersion = engineVersion
    }
}
