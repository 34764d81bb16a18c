import LlamaReference

/// The record of one `bitnet crossval` run: what was compared, with what, under which thresholds, and every
/// per-position and per-step number. Written as JSON (snake_case keys) by `ReceiptCodec`, checked by
/// `CrossValReceiptVerifier`; the schema is documented in docs/receipts.md.
public struct CrossValReceipt: Codable, Sendable, Equatable {
    /// The schema this type writes.
    public static let currentSchemaVersion = "1.1.0"
    /// The `kind` of a cross-validation receipt (bench receipts carry another kind).
    public static let receiptKind = "crossval"

    /// `"1.1.0"` for this type (1.1.0 added the kernel and reference levels and the tier).
    public var schemaVersion: String
    /// `"crossval"`.
    public var kind: String
    /// ISO 8601 UTC time the run started.
    public var createdAt: String
    /// The engine's source commit.
    public var git: GitIdentity
    /// The model file compared.
    public var model: ModelIdentity
    /// Our side.
    public var engine: EngineIdentity
    /// llama.cpp's side.
    public var reference: ReferenceIdentity
    /// The machine it ran on.
    public var host: HostIdentity
    /// `exact` when the reference build takes the routes of the engine's kernel level (`ReferenceLevel.exactMatch`),
    /// so any difference is a defect; `tolerance` when the two follow different ISA routes.
    public var tier: Tier
    /// The bounds every row was judged by.
    public var thresholds: Thresholds
    /// Steps and context length.
    public var settings: Settings
    /// One ladder per prompt, in order.
    public var prompts: [PromptResult]
    /// Wall-clock seconds of both sides.
    public var timings: Timings
    /// Totals over every prompt.
    public var summary: Summary
    /// `pass` when every prompt passed.
    public var status: Verdict
    /// `sha256:<hex>` of the canonical body (see `CanonicalJSON`); nil only while the receipt is being built.
    public var digest: String?

    /// Pass or fail, for the whole run and for each prompt.
    public enum Verdict: String, Codable, Sendable { case pass, fail }

    /// Which comparison a receipt records (see `tier`).
    public enum Tier: String, Codable, Sendable {
        /// Same ISA routes on both sides.
        case exact
        /// Different ISA routes (e.g. our AVX2 kernels against an AVX-512 `native` llama.cpp build).
        case tolerance

        /// The tier of comparing engine kernels of `kernelLevel` with a llama.cpp build of `referenceLevel` (its
        /// raw value; nil or unknown when the install records none): exact only when that build takes the kernels'
        /// routes (`ReferenceLevel.exactMatch`).
        public init(kernelLevel: String, referenceLevel: String?) {
            let matching = ReferenceLevel.exactMatch(forKernelLevel: kernelLevel)
            self = matching != nil && matching?.rawValue == referenceLevel ? .exact : .tolerance
        }
    }

    /// The source commit of the engine that ran.
    public struct GitIdentity: Codable, Sendable, Equatable {
        /// `git rev-parse HEAD`, or "unknown" when the binary runs outside a checkout.
        public var commit: String
        /// Whether the work tree had uncommitted changes (nil when unknown).
        public var dirty: Bool?
    }

    /// The model file, hashed during the run.
    public struct ModelIdentity: Codable, Sendable, Equatable {
        public var path: String
        public var sha256: String
        public var sizeBytes: Int
        public var architecture: String
        /// Tensor count per ggml type, in type-id order. (An array, not a map: snake_case key conversion would
        /// mangle type names such as `q4_1` used as keys.)
        public var tensorTypes: [TensorTypeCount]
        /// The type holding most bytes among the weight matrices; names the default threshold.
        public var weightType: String
        public var vocabSize: Int
        public var trainingContextLength: Int
    }

    /// How many tensors of one ggml type the file holds.
    public struct TensorTypeCount: Codable, Sendable, Equatable {
        public var type: String
        public var tensors: Int
        public var bytes: Int
    }

    /// Our engine: name, version, and the kernels that actually ran.
    public struct EngineIdentity: Codable, Sendable, Equatable {
        public var name: String
        public var version: String
        /// Kernel ids that executed during the run (empty only if no prompt reached the prefill rung).
        public var kernels: [String]
        /// The instruction-set level our kernels ran at (`KernelLevel`: `avx2`, `scalar`).
        public var kernelLevel: String
        /// KV cache type of the session compared against the precise reference (prefill rung).
        public var prefillKvCache: String
        /// KV cache type of the session compared against the default reference (decode rung).
        public var decodeKvCache: String
        public var threads: Int
    }

    /// llama.cpp through our shim.
    public struct ReferenceIdentity: Codable, Sendable, Equatable {
        public var name: String
        /// The llama.cpp commit the loaded shim was built from.
        public var commit: String
        public var buildNumber: Int
        public var shimAbi: Int
        public var libraryPath: String
        /// llama.cpp's own CPU feature line.
        public var systemInfo: String
        /// The reference build's ISA level from its `reference.json` (`x86-64-v3`, `native`), "unknown" when the
        /// install records none.
        public var level: String
        /// The `-m` flags ggml-cpu was compiled with (from `reference.json`; empty when unknown).
        public var compileFlags: [String]
        public var threads: Int
        /// Context configuration for the prefill rung (precise) and the decode rung (default).
        public var prefill: ReferenceConfiguration
        public var decode: ReferenceConfiguration
    }

    /// One llama.cpp context configuration (see `ReferencePrecision`).
    public struct ReferenceConfiguration: Codable, Sendable, Equatable {
        public var precision: String
        public var flashAttention: String
        public var kvCache: String
    }

    /// The machine.
    public struct HostIdentity: Codable, Sendable, Equatable {
        public var cpuModel: String
        /// SIMD-relevant CPU flags present (from /proc/cpuinfo on Linux).
        public var cpuFeatures: [String]
        public var logicalCores: Int
        public var os: String
    }

    /// The numbers each row is judged by.
    public struct Thresholds: Codable, Sendable, Equatable {
        /// Every prefill position needs cosine ≥ this against the precise reference.
        public var prefillCosineMin: Double
        /// Every decode step needs cosine ≥ this against the default reference.
        public var decodeCosineMin: Double
        /// A greedy disagreement where the reference's own top-2 margin is below this is a near-tie, not a failure.
        public var tieMargin: Double
        /// Where the cosine bounds came from: `default:<weight type>` or `override`.
        public var source: String
    }

    /// Run settings.
    public struct Settings: Codable, Sendable, Equatable {
        /// Greedy steps per prompt.
        public var steps: Int
        /// Context length of every session and reference context.
        public var contextLength: Int
    }

    /// Wall-clock seconds of each side.
    public struct Timings: Codable, Sendable, Equatable {
        public var engine: SideTimings
        public var reference: SideTimings
        public var totalSeconds: Double
    }

    /// Wall-clock seconds of one side, summed over prompts.
    public struct SideTimings: Codable, Sendable, Equatable {
        public var loadSeconds: Double
        public var tokenizeSeconds: Double
        public var prefillSeconds: Double
        public var decodeSeconds: Double
    }

    /// Totals over all prompts (recomputed and compared by the verifier).
    public struct Summary: Codable, Sendable, Equatable {
        public var prompts: Int
        public var promptsPassed: Int
        public var prefillPositions: Int
        public var minPrefillCosine: Double?
        public var maxPrefillKl: Double?
        public var decodeSteps: Int
        public var decodeExact: Int
        public var decodeNearTies: Int
        public var decodeMismatches: Int
        public var minDecodeCosine: Double?
        /// `prompt <i>: <rung>` of the first failure, nil when everything passed.
        public var firstFailure: String?
    }
}

/// One prompt's ladder: tokens, then prefill logits, then greedy decode; a failed rung skips the rest.
public struct PromptResult: Codable, Sendable, Equatable {
    public var index: Int
    public var text: String
    public var status: CrossValReceipt.Verdict
    /// `tokens`, `prefill` or `decode`: the rung that failed; nil when the prompt passed.
    public var failedRung: String?
    public var tokens: TokenRung
    public var prefill: PrefillRung
    public var decode: DecodeRung
}

/// How a rung ended.
public enum RungStatus: String, Codable, Sendable {
    case pass, fail
    /// Not run because an earlier rung failed.
    case skipped
}

/// Token ids from both tokenizers (BOS handling included).
public struct TokenRung: Codable, Sendable, Equatable {
    public var status: RungStatus
    public var ours: [Int32]
    public var reference: [Int32]
    public var firstMismatch: TokenMismatch?
}

/// The first index where the two token sequences differ; an id is nil where that sequence already ended.
public struct TokenMismatch: Codable, Sendable, Equatable {
    public var index: Int
    public var ourId: Int32?
    public var referenceId: Int32?
    public var ourPiece: String?
    public var referencePiece: String?
}

/// Per-position logits against the precise reference.
public struct PrefillRung: Codable, Sendable, Equatable {
    public var status: RungStatus
    public var rows: [PrefillRow]
    public var minCosine: Double?
    public var maxKl: Double?
    /// The first position whose cosine is below the threshold, with both top-5 lists.
    public var firstDivergence: Divergence?

    static let skipped = PrefillRung(status: .skipped, rows: [], minCosine: nil, maxKl: nil, firstDivergence: nil)
}

/// One prompt position.
public struct PrefillRow: Codable, Sendable, Equatable {
    public var position: Int
    public var token: Int32
    public var cosine: Double
    public var mse: Double
    public var maxAbsDiff: Double
    public var kl: Double
    public var referenceTop1: Int32
    public var ourTop1: Int32
    public var top5Overlap: Int
    /// cosine ≥ `thresholds.prefillCosineMin`.
    public var passed: Bool
}

/// Both sides' five most likely tokens at a divergent position.
public struct Divergence: Codable, Sendable, Equatable {
    public var position: Int
    public var ourTop5: [RankedToken]
    public var referenceTop5: [RankedToken]
}

/// A token with its logit and text.
public struct RankedToken: Codable, Sendable, Equatable {
    public var id: Int32
    public var logit: Double
    public var piece: String
}

/// Greedy decode, teacher-forced on the reference's tokens, against the default reference.
public struct DecodeRung: Codable, Sendable, Equatable {
    public var status: RungStatus
    public var stepsRequested: Int
    public var rows: [DecodeRow]
    /// The first step whose arg-max tokens differ (a near-tie or a mismatch).
    public var firstDivergentStep: Int?
    public var exact: Int
    public var nearTies: Int
    public var mismatches: Int
    public var minCosine: Double?

    static func skipped(steps: Int) -> DecodeRung {
        DecodeRung(status: .skipped, stepsRequested: steps, rows: [], firstDivergentStep: nil, exact: 0, nearTies: 0,
                   mismatches: 0, minCosine: nil)
    }
}

/// One greedy step.
public struct DecodeRow: Codable, Sendable, Equatable {
    public var step: Int
    public var referenceToken: Int32
    public var ourToken: Int32
    /// Reference logit of its own choice minus its logit of ours (0 when they agree).
    public var referenceMargin: Double
    public var verdict: StepVerdict
    public var cosine: Double
    public var mse: Double
    public var maxAbsDiff: Double
    public var kl: Double
    public var top5Overlap: Int
    /// verdict is not `mismatch` and cosine ≥ `thresholds.decodeCosineMin`.
    public var passed: Bool
}

/// Whether one greedy step picked the same token.
public enum StepVerdict: String, Codable, Sendable {
    case match
    /// Different tokens, but the reference's own margin is below the tie margin.
    case nearTie = "near_tie"
    case mismatch
}
