import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A diagnosis of the reference installation that never throws: what was searched, what was found, which
/// symbols resolve. `bitnet preflight` prints it.
public struct ReferenceProbe: Sendable, Codable, Equatable {
    /// One searched shim path.
    public struct SearchedPath: Sendable, Codable, Equatable {
        /// The path.
        public let path: String
        /// Whether a file exists there.
        public let exists: Bool
    }

    /// One required shim symbol.
    public struct SymbolCheck: Sendable, Codable, Equatable {
        /// The C symbol name.
        public let name: String
        /// Whether `dlsym` found it.
        public let found: Bool
    }

    /// The reference-related environment variables and their values ("" when unset).
    public var environment: [String: String]
    /// Shim paths in search order.
    public var searched: [SearchedPath]
    /// The shim that was opened, if any.
    public var libraryPath: String?
    /// Why the shim could not be opened or used, if it could not.
    public var problem: String?
    /// Every required symbol and whether it resolved (empty when no library opened).
    public var symbols: [SymbolCheck]
    /// The ABI version this build speaks.
    public var expectedABIVersion: Int32
    /// The ABI version the shim reports (when its symbol resolved).
    public var abiVersion: Int32?
    /// The llama.cpp commit and build number the shim was built from.
    public var llamaCommit: String?
    /// llama.cpp build number, when known.
    public var llamaBuildNumber: Int?
    /// llama.cpp's CPU feature summary.
    public var systemInfo: String?
    /// The install's `reference.json`, as text, when present next to the shim's lib directory.
    public var installRecord: String?

    /// Ready means the shim loaded, every symbol resolved and the ABI matches.
    public var ready: Bool { problem == nil && libraryPath != nil }

    /// The environment variables reported.
    public static let environmentKeys = [
        "BITNET_REFERENCE_LIB", "BITNET_CACHE_DIR", "BITNET_CPP_DIR", "BITNET_LOG_LEVEL",
        "BITNET_SKIP_REFERENCE_TESTS",
    ]

    /// Looks for the shim like `ReferenceLibrary.load` and records every step.
    public static func run(explicitPath: String? = nil, locator: ReferenceLocator = ReferenceLocator()) -> Self {
        let candidates = locator.candidates(explicitPath: explicitPath)
        var probe = ReferenceProbe(
            environment: Dictionary(uniqueKeysWithValues: environmentKeys.map { ($0, locator.environment[$0] ?? "") }),
            searched: candidates.map { SearchedPath(path: $0, exists: FileManager.default.fileExists(atPath: $0)) },
            libraryPath: nil, problem: nil, symbols: [], expectedABIVersion: ShimSymbols.abiVersion)
        guard let path = probe.searched.first(where: \.exists)?.path else {
            probe.problem = ReferenceError.libraryNotFound(searched: candidates).description
            return probe
        }
        probe.installRecord = try? String(
            contentsOfFile: URL(fileURLWithPath: path).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("reference.json").path,
            encoding: .utf8)
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            probe.problem = ReferenceError.libraryLoadFailed(path: path, reason: ReferenceLibrary.lastDLError())
                .description
            return probe
        }
        // Never closed: ReferenceLibrary may hold the same handle (dlopen reference-counts per file).
        probe.symbols = ShimSymbols.requiredNames.map { SymbolCheck(name: $0, found: dlsym(handle, $0) != nil) }
        do {
            let library = try ReferenceLibrary.load(explicitPath: path, locator: locator)
            probe.libraryPath = library.path
            probe.abiVersion = library.abiVersion
            probe.llamaCommit = library.commit
            probe.llamaBuildNumber = library.buildNumber
            probe.systemInfo = library.systemInfo
        } catch {
            probe.libraryPath = path
            probe.problem = error.description
            if case .abiMismatch(_, let found, _) = error { probe.abiVersion = found }
        }
        return probe
    }
}
