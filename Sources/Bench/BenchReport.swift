/// Everything one `bitnet bench` run measured (printed as a table or JSON, and the input of a bench receipt).
public struct BenchReport: Sendable, Codable {
    /// llama-bench's model description when the reference ran (e.g. `llama 256M Q4_1`), else ours.
    public let model: String
    /// The GGUF file benchmarked, and its `general.architecture`.
    public let modelPath: String, architecture: String
    /// Bytes of tensor data, and the number of weights.
    public let sizeBytes: Int, parameters: Int
    public let backend: String, threads: Int
    /// The run's `-p`, `-n` and `-r` (a test is skipped when its token count is 0).
    public let promptTokens: Int, generateTokens: Int, repetitions: Int
    /// The KV cache element type of our session (`f16` or `f32`).
    public let kvCache: String
    public let tests: [BenchTestResult]
    /// Kernel ids our engine executed during the runs (e.g. `q4_1×q8_1.avx2`), recorded by `matmul` as it ran.
    public let kernels: [String]
    /// Wall seconds of `Engine(path:)` (mapping the file, building weight views and the tokenizer).
    public let loadSeconds: Double
    /// Wall seconds of llama.cpp's `llama_model_load_from_file` on the same file through the bridge (mapping,
    /// tensor setup and vocabulary), measured right after ours when the reference runs.
    public var referenceLoadSeconds: Double? = nil
    /// Peak resident set size of this process over the tests (taken after the decode warm-up, before the bandwidth
    /// buffer is allocated, when there is a decode test; the repetitions repeat the warm-up's work), and
    /// before llama.cpp's load through the bridge, whose mapping would count too).
    public let peakResidentBytes: Int
    /// Peak resident set size of llama.cpp's `llama-bench` on the same file and tests (the largest of its runs, each
    /// a child process with a KV cache for its own test), when the reference ran.
    public var referencePeakResidentBytes: Int? = nil
    /// Bytes of the model file and of our session's KV cache (its capacity × bytes per position): the issue's
    /// RSS budget is their sum + 10 %.
    public var fileBytes = 0, kvCacheBytes = 0
    /// The file llama.cpp ran when it was not `modelPath` (`bitnet bench --reference-model`).
    public var referenceModelPath: String? = nil
    /// The ISA level of the `llama-bench` that ran (`x86-64-v3`, `native`, "unknown"), and ggml's feature report.
    public var referenceLevel: String? = nil
    public var referenceSystemInfo: String? = nil
    /// What a decode step reads (the basis of the `GB/s` column).
    public let traffic: DecodeTraffic
    /// The read bandwidth measured in the same run at the same thread count (the basis of `% of bound`): the median
    /// of one probe after each decode repetition (`samples`).
    public let bandwidth: MemoryBandwidth?
    /// The reference, when it ran.
    public let reference: ReferenceIdentity?

    /// The pinned llama.cpp's `llama-bench`, as it described itself.
    public struct ReferenceIdentity: Sendable, Codable {
        /// The `llama-bench` executable that ran.
        public let binary: String
        /// llama.cpp's `build_commit` and `build_number`.
        public let commit: String, buildNumber: Int
        /// llama.cpp's model description, e.g. `llama 256M Q4_1`.
        public let modelType: String
        /// `commit (build)`, as printed under the table.
        public var build: String { "\(commit) (\(buildNumber))" }
    }
}
