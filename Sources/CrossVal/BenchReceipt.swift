import Foundation
import GGUF
import Kernels

/// The record of one `bitnet bench` run: the model (hashed), the machine, the engine and the kernels that actually
/// executed, every repetition's raw wall time for our engine and (when `--reference` ran) for llama.cpp, and the
/// rates, statistics, ratios and memory figures derived from them. Written by `ReceiptCodec` with the same digest as
/// crossval receipts and checked by `BenchReceiptVerifier`, which recomputes every derived number from the raw
/// times. Schema: docs/receipts.md.
public struct BenchReceipt: Codable, Sendable, Equatable, DigestCarrying {
    /// The schema this type writes.
    public static let currentSchemaVersion = "1.1.0"
    /// Versions the verifier still reads: 1.0.0 (the committed baselines) lacks the kernel and reference levels.
    public static let readableSchemaVersions = ["1.0.0", "1.1.0"]
    /// The `kind` of a bench receipt.
    public static let receiptKind = "bench"

    public var schemaVersion: String
    /// `"bench"`.
    public var kind: String
    /// ISO 8601 UTC time the receipt was written.
    public var createdAt: String
    public var git: CrossValReceipt.GitIdentity
    public var model: ModelIdentity
    public var engine: EngineIdentity
    public var host: CrossValReceipt.HostIdentity
    public var settings: Settings
    public var memory: Memory
    /// One entry per test (`ppN`, `tgN`), in the order run.
    public var tests: [Test]
    /// llama.cpp's `llama-bench`, when `--reference` ran; then every test carries its raw times too.
    public var reference: ReferenceIdentity?
    /// `sha256:<hex>` of the canonical body; nil only while the receipt is being built.
    public var digest: String?

    /// The model file, hashed when the receipt is written.
    public struct ModelIdentity: Codable, Sendable, Equatable {
        public var path: String
        public var sha256: String
        public var sizeBytes: Int
        public var architecture: String
        /// Tensor count and bytes per ggml type, in type-id order.
        public var tensorTypes: [CrossValReceipt.TensorTypeCount]
        public var parameters: Int
        /// llama-bench's label when the reference ran (`llama 256M Q4_1`), else ours.
        public var label: String

        public init(path: String, sha256: String, sizeBytes: Int, architecture: String,
                    tensorTypes: [CrossValReceipt.TensorTypeCount], parameters: Int, label: String) {
            self.path = path
            self.sha256 = sha256
            self.sizeBytes = sizeBytes
            self.architecture = architecture
            self.tensorTypes = tensorTypes
            self.parameters = parameters
            self.label = label
        }

        /// Hashes and summarises the GGUF file at `path` (`label` as given).
        /// - Throws: `GGUFError` when the file cannot be mapped or parsed.
        public static func read(path: String, label: String) throws(GGUFError) -> ModelIdentity {
            let file = try GGUFFile(path: path)
            let summary = ModelSummary(file)
            return ModelIdentity(
                path: path, sha256: SHA256Hex.of(file.storage.buffer), sizeBytes: file.fileSize,
                architecture: summary.architecture ?? "unknown",
                tensorTypes: summary.typeHistogram.map { .init(type: $0.type.name, tensors: $0.tensors, bytes: $0.bytes) },
                parameters: file.parameterCount, label: label)
        }
    }

    /// Our engine.
    public struct EngineIdentity: Codable, Sendable, Equatable {
        public var name: String
        public var version: String
        /// Kernel ids that executed during the timed runs (recorded by `matmul`), e.g. `q4_1×q8_1.avx2`.
        public var kernels: [String]
        public var threads: Int
        /// KV cache element type (`f16` or `f32`).
        public var kvCache: String
        /// The instruction-set level our kernels ran at (`KernelLevel`); absent in schema 1.0.0.
        public var kernelLevel: String?

        public init(name: String, version: String, kernels: [String], threads: Int, kvCache: String,
                    kernelLevel: String? = KernelLevel.active.rawValue) {
            self.kernelLevel = kernelLevel
            self.name = name
            self.version = version
            self.kernels = kernels
            self.threads = threads
            self.kvCache = kvCache
        }
    }

    /// The flags the run used.
    public struct Settings: Codable, Sendable, Equatable {
        public var promptTokens: Int
        public var generateTokens: Int
        /// Timed repetitions per test (after one untimed warm-up); every test has this many raw times per side.
        public var repetitions: Int
        public var threads: Int

        public init(promptTokens: Int, generateTokens: Int, repetitions: Int, threads: Int) {
            self.promptTokens = promptTokens
            self.generateTokens = generateTokens
            self.repetitions = repetitions
            self.threads = threads
        }
    }

    /// Load time, peak RSS, and what the decode rows' `GB/s` and `% of bound` are computed from.
    public struct Memory: Codable, Sendable, Equatable {
        public var loadSeconds: Double
        /// llama.cpp's model load time on the same file, when the reference ran.
        public var referenceLoadSeconds: Double?
        /// Peak resident set size of the bench process (getrusage `ru_maxrss`) after the tests.
        public var peakRssBytes: Int
        /// Peak resident set size of llama.cpp's `llama-bench` runs (the largest), when the reference ran.
        public var referencePeakRssBytes: Int?
        /// Our session's KV cache capacity in bytes (positions × bytes per position).
        public var kvCacheBytes: Int?
        /// Weight bytes read per decoded token (the tied embedding once, as the output matrix).
        public var weightBytesPerToken: Int
        /// KV cache bytes read per attended position per token.
        public var kvBytesPerPosition: Int
        /// Measured read bandwidth (10^9 bytes/s) and how; absent when not measured (no decode test).
        public var readBandwidthGbPerS: Double?
        public var bandwidthThreads: Int?
        public var bandwidthBufferBytes: Int?
        public var bandwidthPasses: Int?
        /// The probes behind `readBandwidthGbPerS` (its median): one right after each decode repetition. Absent in
        /// receipts from before the probe was paired with the runs.
        public var bandwidthSamplesGbPerS: [Double]?

        public init(loadSeconds: Double, peakRssBytes: Int, weightBytesPerToken: Int, kvBytesPerPosition: Int,
                    readBandwidthGbPerS: Double?, bandwidthThreads: Int?, bandwidthBufferBytes: Int?,
                    bandwidthPasses: Int?, referenceLoadSeconds: Double? = nil, kvCacheBytes: Int? = nil,
                    referencePeakRssBytes: Int? = nil, bandwidthSamplesGbPerS: [Double]? = nil) {
            self.bandwidthSamplesGbPerS = bandwidthSamplesGbPerS
            self.kvCacheBytes = kvCacheBytes
            self.referencePeakRssBytes = referencePeakRssBytes
            self.loadSeconds = loadSeconds
            self.referenceLoadSeconds = referenceLoadSeconds
            self.peakRssBytes = peakRssBytes
            self.weightBytesPerToken = weightBytesPerToken
            self.kvBytesPerPosition = kvBytesPerPosition
            self.readBandwidthGbPerS = readBandwidthGbPerS
            self.bandwidthThreads = bandwidthThreads
            self.bandwidthBufferBytes = bandwidthBufferBytes
            self.bandwidthPasses = bandwidthPasses
        }
    }

    /// One side's raw times and what they imply.
    public struct Side: Codable, Sendable, Equatable {
        /// Wall time of each repetition, nanoseconds.
        public var runNs: [Int]
        /// `timed tokens × 10^9 ÷ run_ns`, per repetition.
        public var rates: [Double]
        public var mean: Double
        /// Sample standard deviation (n − 1) of `rates`.
        public var std: Double

        public init(runNs: [Int], rates: [Double], mean: Double, std: Double) {
            self.runNs = runNs
            self.rates = rates
            self.mean = mean
            self.std = std
        }
    }

    /// One test.
    public struct Test: Codable, Sendable, Equatable {
        /// `ppN` (prefill of N tokens) or `tgN` (N decode steps).
        public var test: String
        public var promptTokens: Int
        public var generateTokens: Int
        public var ours: Side
        public var reference: Side?
        /// `ours.mean ÷ reference.mean`.
        public var ratio: Double?
        /// Decode only: bytes read per token at the mean attended position, the traffic rate at `ours.mean`, and
        /// that rate as a percentage of `memory.read_bandwidth_gb_per_s`.
        public var bytesPerToken: Double?
        public var gbPerS: Double?
        public var percentOfBound: Double?

        public init(test: String, promptTokens: Int, generateTokens: Int, ours: Side, reference: Side?, ratio: Double?,
                    bytesPerToken: Double?, gbPerS: Double?, percentOfBound: Double?) {
            self.test = test
            self.promptTokens = promptTokens
            self.generateTokens = generateTokens
            self.ours = ours
            self.reference = reference
            self.ratio = ratio
            self.bytesPerToken = bytesPerToken
            self.gbPerS = gbPerS
            self.percentOfBound = percentOfBound
        }
    }

    /// The pinned llama.cpp `llama-bench` that ran interleaved with us.
    public struct ReferenceIdentity: Codable, Sendable, Equatable {
        /// `"llama.cpp"`.
        public var name: String
        public var commit: String
        public var buildNumber: Int
        public var binary: String
        public var threads: Int
        /// The file the reference ran, when it was not the receipt's model (hashed like it).
        public var model: ModelIdentity?
        /// The ISA level of the build (`x86-64-v3`, `native`, "unknown") and ggml's feature report; absent in 1.0.0.
        public var level: String?
        public var systemInfo: String?

        public init(name: String, commit: String, buildNumber: Int, binary: String, threads: Int,
                    model: ModelIdentity? = nil, level: String? = nil, systemInfo: String? = nil) {
            self.level = level
            self.systemInfo = systemInfo
            self.model = model
            self.name = name
            self.commit = commit
            self.buildNumber = buildNumber
            self.binary = binary
            self.threads = threads
        }
    }

    /// A receipt stamped now, with this checkout's git identity and this host's CPU (digest filled in by
    /// `ReceiptCodec.encode`).
    public init(model: ModelIdentity, engine: EngineIdentity, settings: Settings, memory: Memory, tests: [Test],
                reference: ReferenceIdentity?) {
        self.init(createdAt: RunIdentity.timestamp(), git: RunIdentity.git(), model: model, engine: engine,
                  host: RunIdentity.host(), settings: settings, memory: memory, tests: tests, reference: reference)
    }

    /// A receipt with every identity given (tests build receipts from fabricated numbers with this).
    public init(createdAt: String, git: CrossValReceipt.GitIdentity, model: ModelIdentity, engine: EngineIdentity,
                host: CrossValReceipt.HostIdentity, settings: Settings, memory: Memory, tests: [Test],
                reference: ReferenceIdentity?) {
        schemaVersion = Self.currentSchemaVersion
        kind = Self.receiptKind
        self.createdAt = createdAt
        self.git = git
        self.model = model
        self.engine = engine
        self.host = host
        self.settings = settings
        self.memory = memory
        self.tests = tests
        self.reference = reference
        digest = nil
    }

    /// The CPU model with everything but letters and digits turned into single dashes, lower-cased
    /// (`AMD EPYC 7763 64-Core Processor` → `amd-epyc-7763-64-core-processor`): names baseline files.
    public static func cpuSlug(_ cpuModel: String) -> String {
        var out = "", dash = false
        for ch in cpuModel.lowercased() {
            if ch.isASCII && (ch.isLetter || ch.isNumber) {
                if dash && !out.isEmpty { out.append("-") }
                out.append(ch)
                dash = false
            } else {
                dash = true
            }
        }
        return out.isEmpty ? "unknown-cpu" : out
    }

    /// This machine's CPU, as `RunIdentity` reads it.
    public static var hostCPUModel: String { RunIdentity.host().cpuModel }
}
