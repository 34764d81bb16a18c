import Foundation

/// Where the reference shim of one ISA level (`level`) is looked for, in order:
/// 1. an explicit path given by the caller (a file, or a directory holding the shim) — and nothing else;
/// 2. `BITNET_REFERENCE_LIB` (file or directory);
/// 3. `$BITNET_CACHE_DIR/reference/<pinned commit>-<level>/lib/` when `BITNET_CACHE_DIR` is set;
/// 4. `~/.cache/bitnet-swift/reference/<pinned commit>-<level>/lib/`;
/// 5. other completed installs of that level under those cache roots (built from a `BITNET_CPP_DIR` checkout),
///    newest name last.
/// An explicit path or `BITNET_REFERENCE_LIB` may be of any level: `ReferenceLibrary.level` says which it is.
public struct ReferenceLocator: Sendable {
    /// The llama.cpp commit vendored by the pinned `llama-cpp-python==0.3.36` sdist.
    public static let pinnedCommit = "0c1e570"
    /// The llama.cpp build number of `pinnedCommit`.
    public static let pinnedBuildNumber = 11312

    /// The shim's file name on this platform.
    public static var shimFileName: String {
        #if os(macOS)
        return "libbitnet_llama_shim.dylib"
        #else
        return "libbitnet_llama_shim.so"
        #endif
    }

    /// The environment the search reads (`BITNET_REFERENCE_LIB`, `BITNET_CACHE_DIR`, `HOME`).
    public var environment: [String: String]

    /// The level searched for; nil means `ReferenceLevel.defaultLevel(environment:)`.
    public var requestedLevel: ReferenceLevel?

    /// Creates a locator that reads `environment` (the process environment by default) and looks for `level`
    /// (nil: `BITNET_REFERENCE_LEVEL`, else the exact-tier level of this CPU architecture).
    public init(environment: [String: String] = ProcessInfo.processInfo.environment, level: ReferenceLevel? = nil) {
        self.environment = environment
        self.requestedLevel = level
    }

    /// The level searched for.
    ///
    /// - Throws: `invalidLevel` when no level was given and `BITNET_REFERENCE_LEVEL` names none.
    public func level() throws(ReferenceError) -> ReferenceLevel {
        if let requestedLevel { return requestedLevel }
        return try ReferenceLevel.defaultLevel(environment: environment)
    }

    /// `level()`, with an unparsable `BITNET_REFERENCE_LEVEL` read as the architecture's default (`load` reports it).
    var searchLevel: ReferenceLevel { (try? level()) ?? ReferenceLevel.architectureDefault }

    /// The default cache root, `~/.cache/bitnet-swift`.
    public var defaultCacheRoot: String {
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.cache/bitnet-swift"
    }

    /// The cache roots searched: `BITNET_CACHE_DIR` (when set) and then the default.
    public var cacheRoots: [String] {
        var roots: [String] = []
        if let custom = environment["BITNET_CACHE_DIR"], !custom.isEmpty { roots.append(custom) }
        if !roots.contains(defaultCacheRoot) { roots.append(defaultCacheRoot) }
        return roots
    }

    /// The install directory `scripts/setup-reference.sh` uses for the pinned commit at `level`.
    public func pinnedInstallDirectory(level: ReferenceLevel) -> String {
        "\(cacheRoots[0])/reference/\(level.installName(commit: Self.pinnedCommit))"
    }

    /// Every completed install under the cache roots, of any level: (directory, level parsed from its name).
    public func completedInstallsOfEveryLevel() -> [(directory: String, level: ReferenceLevel)] {
        var found: [(String, ReferenceLevel)] = []
        var seen = Set<String>()
        for root in cacheRoots {
            for name in Self.completedInstalls(under: "\(root)/reference") {
                guard let level = ReferenceLevel.allCases.first(where: { name.hasSuffix("-\($0.rawValue)") }) else { continue }
                let directory = "\(root)/reference/\(name)"
                if seen.insert(directory).inserted { found.append((directory, level)) }
            }
        }
        return found
    }

    /// Shim paths to try, in order, without duplicates.
    public func candidates(explicitPath: String? = nil) -> [String] {
        if let explicitPath { return [Self.shimPath(for: explicitPath)] }
        var paths: [String] = []
        if let fromEnvironment = environment["BITNET_REFERENCE_LIB"], !fromEnvironment.isEmpty {
            paths.append(Self.shimPath(for: fromEnvironment))
        }
        let level = searchLevel
        let pinned = level.installName(commit: Self.pinnedCommit)
        for root in cacheRoots {
            paths.append("\(root)/reference/\(pinned)/lib/\(Self.shimFileName)")
        }
        for root in cacheRoots {
            for install in Self.completedInstalls(under: "\(root)/reference")
            where install != pinned && install.hasSuffix("-\(level.rawValue)") {
                paths.append("\(root)/reference/\(install)/lib/\(Self.shimFileName)")
            }
        }
        var seen = Set<String>()
        return paths.filter { seen.insert($0).inserted }
    }

    /// The first candidate that exists, or nil.
    public func firstExisting(explicitPath: String? = nil) -> String? {
        candidates(explicitPath: explicitPath).first { FileManager.default.fileExists(atPath: $0) }
    }

    /// A directory stands for the shim inside it; a file path is taken as is.
    static func shimPath(for path: String) -> String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            return (path as NSString).appendingPathComponent(shimFileName)
        }
        return path
    }

    /// Names of install directories under `referenceRoot` whose build completed (they hold `.complete`); the
    /// symlink a migrated old-layout install leaves behind is not one.
    static func completedInstalls(under referenceRoot: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: referenceRoot)) ?? []
        return names.sorted().filter {
            let path = "\(referenceRoot)/\($0)"
            let isLink = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) != nil
            return !isLink && FileManager.default.fileExists(atPath: "\(path)/.complete")
        }
    }
}
