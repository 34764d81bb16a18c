import GGUF
import Kernels

/// What one architecture needs from a GGUF file to run on this engine.
public struct ArchitectureRequirements: Sendable {
    /// `general.architecture` value.
    public let name: String
    /// Metadata keys that must be present; `{arch}` is replaced by the architecture name.
    public let requiredKeys: [String]
    /// Tensor names that must be present; `{i}` expands to every block index.
    public let requiredTensors: [String]

    public init(name: String, requiredKeys: [String], requiredTensors: [String]) {
        self.name = name
        self.requiredKeys = requiredKeys
        self.requiredTensors = requiredTensors
    }

    /// Hyper-parameter keys every decoder-only architecture here reads.
    public static let decoderKeys = [
        "{arch}.block_count", "{arch}.embedding_length", "{arch}.feed_forward_length", "{arch}.attention.head_count",
        "{arch}.attention.layer_norm_rms_epsilon", "{arch}.context_length",
    ]

    /// Tensors of a pre-norm decoder with a gated feed-forward network, plus `extra` per-block ones.
    public static func decoderTensors(plus extra: [TensorName.Block] = []) -> [String] {
        [TensorName.tokenEmbedding, TensorName.outputNorm] + (TensorName.Block.decoder + extra).map(\.pattern)
    }
}

/// The verdict of `Compatibility.check`: whether this engine can run a file, and every reason it cannot.
public struct CompatibilityReport: Sendable, Codable {
    /// `general.architecture`, or nil when missing.
    public let architecture: String?
    /// True when no problems were found.
    public var runnable: Bool { problems.isEmpty }
    /// Each reason the file cannot run, phrased for a person.
    public let problems: [String]
}

/// Decides whether the engine can run a GGUF file, from the architectures and weight types it implements.
public enum Compatibility {
    /// Architectures the engine implements, keyed by `general.architecture` (from `ModelRegistry`).
    public static var architectures: [String: ArchitectureRequirements] {
        Dictionary(uniqueKeysWithValues: ModelRegistry.all.map { ($0.name, $0.requirements) })
    }

    /// Weight types the engine's kernels can multiply.
    public static var supportedTypes: Set<GGMLType> { Set(DotKernel.allTypes) }

    /// Checks `file` against the implemented architectures, tensor types and required tensors.
    public static func check(_ file: GGUFFile) -> CompatibilityReport {
        let arch = file.metadata.architecture
        guard let arch else {
            return CompatibilityReport(architecture: nil,
                                       problems: ["metadata key general.architecture is missing"])
        }
        var problems: [String] = []
        guard let req = architectures[arch] else {
            let known = architectures.keys.sorted()
            problems.append("architecture '\(arch)' is not implemented by this engine (implemented: "
                + (known.isEmpty ? "none yet" : known.joined(separator: ", ")) + ")")
            return CompatibilityReport(architecture: arch, problems: problems)
        }
        for key in req.requiredKeys.map({ $0.replacingOccurrences(of: "{arch}", with: arch) })
        where !file.metadata.contains(key) {
            problems.append("metadata key '\(key)' is missing")
        }
        let blocks = file.metadata.int("\(arch).block_count") ?? 0
        for pattern in req.requiredTensors {
            let names = pattern.contains("{i}")
                ? (0..<blocks).map { pattern.replacingOccurrences(of: "{i}", with: String($0)) } : [pattern]
            for n in names where file.tensor(named: n) == nil { problems.append("tensor '\(n)' is missing") }
        }
        let unsupported = Set(file.tensors.map(\.type)).subtracting(supportedTypes)
        for t in unsupported.sorted(by: { $0.rawValue < $1.rawValue }) {
            let count = file.tensors.filter { $0.type == t }.count
            problems.append("tensor type \(t.name) (\(count) tensors) has no kernel in this engine")
        }
        return CompatibilityReport(architecture: arch, problems: problems)
    }
}

private extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
