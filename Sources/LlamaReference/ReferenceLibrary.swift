import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The loaded reference shim: its path, what llama.cpp it wraps, and its resolved symbol table.
///
/// Loading is `dlopen` + `dlsym`; nothing links against llama.cpp at build time, so the engine builds and runs
/// without it. A library is never unloaded: a worker abandoned by a timeout may still be executing its code,
/// so `dlclose` could never be proven safe. Loads of the same path share one instance.
public final class ReferenceLibrary: @unchecked Sendable {
    // @unchecked: every stored property is immutable after init; the raw `dlopen` handle is never closed or
    // mutated, and the shim functions themselves are safe to call from any thread (per-call state lives in
    // thread-local storage or in handles that guard their own use).

    /// The shim file that was loaded.
    public let path: String
    /// The llama.cpp commit the shim was built against (e.g. "0c1e570").
    public let commit: String
    /// The llama.cpp build number (e.g. 11312), 0 when unknown.
    public let buildNumber: Int
    /// The shim's ABI version (equal to the one this module speaks, or loading would have failed).
    public let abiVersion: Int32
    /// The install's `reference.json` (level, flags, ggml's feature report, build host), when it has one.
    public let installRecord: ReferenceInstallRecord?
    /// The ISA level the install was built for, from `reference.json`; nil when it records none (a shim named by
    /// path outside our cache layout).
    public var level: ReferenceLevel? { installRecord?.referenceLevel }

    let symbols: ShimSymbols
    private let handle: UnsafeMutableRawPointer

    private static let loaded = Locked<[String: ReferenceLibrary]>([:])

    private init(path: String, handle: UnsafeMutableRawPointer, symbols: ShimSymbols) {
        self.path = path
        self.handle = handle
        self.symbols = symbols
        self.abiVersion = symbols.abiVersion()
        self.commit = symbols.commit().map { String(cString: $0) } ?? "unknown"
        self.buildNumber = Int(symbols.buildNumber())
        self.installRecord = ReferenceInstallRecord.forInstalledFile(at: path)
    }

    /// Loads the shim from the first existing candidate of `locator` (see `ReferenceLocator` for the order),
    /// resolves every symbol, checks the ABI version and initialises the llama.cpp backend.
    ///
    /// One process holds at most one install: a second one's libraries carry the same sonames and would bind to
    /// the first's, so asking for another throws `conflictingInstall` instead of comparing the wrong kernels.
    ///
    /// - Throws: `libraryNotFound` listing the searched paths, `libraryLoadFailed`, `symbolNotFound`,
    ///   `abiMismatch`, `invalidLevel` (a misspelt `BITNET_REFERENCE_LEVEL`), `conflictingInstall`.
    public static func load(
        explicitPath: String? = nil, locator: ReferenceLocator = ReferenceLocator()
    ) throws(ReferenceError) -> ReferenceLibrary {
        if explicitPath == nil { _ = try locator.level() }
        let searched = locator.candidates(explicitPath: explicitPath)
        guard let path = searched.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw .libraryNotFound(searched: searched)
        }
        let canonical = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        return try loaded.withLock { (cache) throws(ReferenceError) -> ReferenceLibrary in
            if let existing = cache[canonical] { return existing }
            if let other = cache.values.first {
                throw .conflictingInstall(loaded: other.path, requested: canonical)
            }
            let library = try open(path: canonical)
            cache[canonical] = library
            return library
        }
    }

    /// Loads the cached install of `level` (see `ReferenceLocator`) and checks its `reference.json` names that
    /// level, so a caller that needs a level never silently runs another.
    ///
    /// - Throws: as `load(explicitPath:locator:)`, and `levelMismatch` when the install found is of another level
    ///   or records none.
    public static func load(
        level: ReferenceLevel, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ReferenceError) -> ReferenceLibrary {
        let library = try load(locator: ReferenceLocator(environment: environment, level: level))
        guard library.level == level else {
            throw .levelMismatch(wanted: level, found: library.level?.rawValue ?? "unknown (its reference.json names none)",
                                 library: library.path)
        }
        return library
    }

    private static func open(path: String) throws(ReferenceError) -> ReferenceLibrary {
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            throw .libraryLoadFailed(path: path, reason: lastDLError())
        }
        let symbols: ShimSymbols
        do {
            symbols = try ShimSymbols(lookup: { dlsym(handle, $0) }, library: path)
        } catch {
            dlclose(handle)  // nothing from this library has run yet, so unloading is safe here
            throw error
        }
        let found = symbols.abiVersion()
        guard found == ShimSymbols.abiVersion else {
            dlclose(handle)
            throw .abiMismatch(expected: ShimSymbols.abiVersion, found: found, library: path)
        }
        symbols.backendInit()
        return ReferenceLibrary(path: path, handle: handle, symbols: symbols)
    }

    /// llama.cpp's description of the CPU features it was built for and found (e.g. "AVX2 = 1 | FMA = 1 | ...").
    public var systemInfo: String {
        symbols.systemInfo().map { String(cString: $0) } ?? ""
    }

    /// Changes which llama.cpp log lines reach standard error (lines are prefixed `[llama.cpp <level>]`).
    /// The initial level comes from `BITNET_LOG_LEVEL`; unset means quiet.
    public func setLogLevel(_ level: ReferenceLogLevel) {
        _ = symbols.logSetLevel(level.rawValue)
    }

    /// The shim's error text for the last failed call on this thread.
    func lastError() -> String {
        symbols.lastError().map { String(cString: $0) } ?? ""
    }

    static func lastDLError() -> String {
        guard let message = dlerror() else { return "unknown dlopen error" }
        return String(cString: message)
    }
}

/// Severity threshold for llama.cpp's own log lines, passed through the shim.
public enum ReferenceLogLevel: Int32, Sendable {
    /// Everything, including per-tensor load details.
    case debug = 1
    /// Informational lines and above.
    case info = 2
    /// Warnings and errors.
    case warning = 3
    /// Errors only.
    case error = 4
    /// Nothing (the default).
    case none = 5
}
