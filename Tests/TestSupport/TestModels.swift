import Foundation

/// Locates the real models and test vectors that the test setup (`scripts/test.sh`) provides.
///
/// Tests never download anything themselves: a missing fixture is an error whose message is the command
/// that provides it.
public enum TestModels {
    /// A fixture the tests need that is not on this machine.
    public struct Missing: Error, CustomStringConvertible {
        public let what: String
        public let searched: [String]
        public let fix: String
        public init(what: String, searched: [String], fix: String) {
            self.what = what
            self.searched = searched
            self.fix = fix
        }
        public var description: String {
            "\(what) not found (looked in: \(searched.joined(separator: ", "))). Run `\(fix)` first."
        }
    }

    /// Cache root: `BITNET_CACHE_DIR`, else `~/.cache/bitnet-swift`.
    public static var cacheRoot: String {
        let env = ProcessInfo.processInfo.environment
        if let dir = env["BITNET_CACHE_DIR"], !dir.isEmpty { return dir }
        return NSHomeDirectory() + "/.cache/bitnet-swift"
    }

    /// Model cache root: `BITNET_MODEL_CACHE_DIR`, else `<cache>/models`.
    public static var modelCacheRoot: String {
        let env = ProcessInfo.processInfo.environment
        if let dir = env["BITNET_MODEL_CACHE_DIR"], !dir.isEmpty { return dir }
        return cacheRoot + "/models"
    }

    /// SHA-256 of SmolLM2-135M-Instruct.Q4_1.gguf (from the lockfile).
    public static let smolLM2SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"

    /// Path of the cached SmolLM2 model (`BITNET_TEST_MODEL` overrides).
    public static func smolLM2() throws -> String {
        if let p = ProcessInfo.processInfo.environment["BITNET_TEST_MODEL"], !p.isEmpty { return p }
        return try cachedModel(sha256: smolLM2SHA256, name: "SmolLM2-135M-Instruct Q4_1")
    }

    /// Path of a cached model by content hash.
    public static func cachedModel(sha256: String, name: String) throws -> String {
        let path = "\(modelCacheRoot)/\(sha256)/model.gguf"
        guard FileManager.default.fileExists(atPath: path) else {
            throw Missing(what: name, searched: [path], fix: "scripts/fetch-test-models.sh")
        }
        return path
    }

    /// A scratch directory unique to this call, removed by the caller with `removeScratch`.
    public static func scratchDirectory(_ label: String) throws -> String {
        let dir = NSTemporaryDirectory() + "bitnet-tests-\(label)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
}

/// A small deterministic PRNG (SplitMix64) so property tests are reproducible from their seed.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
