import Foundation

/// The ISA level a llama.cpp reference install was built for (`scripts/setup-reference.sh --level`).
///
/// ggml-cpu picks its kernel routes at compile time from the instruction sets it is built with, and different routes
/// sum in different orders: llama.cpp's own AVX2 and AVX-512 builds disagree in the last bits of every logit (and so,
/// now and then, on a greedy token). A bit-exact comparison therefore pairs our kernel level with the reference level
/// that takes the same routes (`exactMatch(forKernelLevel:)`); any other pairing is a tolerance comparison.
public enum ReferenceLevel: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// `GGML_NATIVE=OFF` with SSE4.2, AVX, AVX2, FMA, F16C and BMI2, every AVX-512, AVX-VNNI and AMX option off: the
    /// routes our AVX2 kernels follow, the same machine code on every x86-64 host.
    case x86_64_v3 = "x86-64-v3"
    /// `GGML_NATIVE=ON` (`-march=native`): what a user's own llama.cpp build does on this machine.
    case native

    /// Parses a command-line or environment spelling: `v3`, `x86-64-v3` or `native`.
    public init?(argument: String) {
        switch argument.lowercased() {
        case "v3", "x86-64-v3", "x86_64_v3": self = .x86_64_v3
        case "native": self = .native
        default: return nil
        }
    }

    public var description: String { rawValue }

    /// The short spelling `scripts/setup-reference.sh --level` and the CLI take: `v3` or `native`.
    public var argument: String {
        switch self {
        case .x86_64_v3: "v3"
        case .native: "native"
        }
    }

    /// The install directory name of this level for a llama.cpp commit: `<commit>-<level>`.
    public func installName(commit: String) -> String { "\(commit)-\(rawValue)" }

    /// The reference level whose kernel routes an engine kernel level reproduces bit for bit, or nil when no
    /// reference build does (then only the tolerance tier applies).
    ///
    /// - Parameter kernelLevel: the engine's kernel level name (`Kernels.KernelLevel.active.rawValue`).
    public static func exactMatch(forKernelLevel kernelLevel: String) -> ReferenceLevel? {
        switch kernelLevel {
        case "avx2", "avx512": .x86_64_v3  // avx512 gives the avx2 kernels' bits (Kernels.AVX512Kernels)
        default: nil
        }
    }

    /// The level searched when the caller names none: `BITNET_REFERENCE_LEVEL` when set, else `x86-64-v3` on x86-64
    /// (the exact tier of today's AVX2 kernels), else `native`.
    ///
    /// - Throws: `invalidLevel` when `BITNET_REFERENCE_LEVEL` names no level.
    public static func defaultLevel(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ReferenceError) -> ReferenceLevel {
        if let spelled = environment["BITNET_REFERENCE_LEVEL"], !spelled.isEmpty {
            guard let level = ReferenceLevel(argument: spelled) else {
                throw .invalidLevel(spelled, variable: "BITNET_REFERENCE_LEVEL")
            }
            return level
        }
        return architectureDefault
    }

    /// The exact-tier level of this CPU architecture's kernels: `x86-64-v3` on x86-64, else `native`.
    public static var architectureDefault: ReferenceLevel {
        #if arch(x86_64)
        .x86_64_v3
        #else
        .native
        #endif
    }

    /// The levels `scripts/setup-reference.sh --level all` builds on this CPU architecture.
    public static var buildable: [ReferenceLevel] {
        #if arch(x86_64)
        [.x86_64_v3, .native]
        #else
        [.native]
        #endif
    }
}

/// What an install's `reference.json` records (written by `scripts/setup-reference.sh`).
public struct ReferenceInstallRecord: Sendable, Codable, Equatable {
    /// The ISA level (absent in installs from before per-level builds, which were `native`).
    public var level: String?
    /// The llama.cpp commit and build number.
    public var llamaCppCommit: String
    public var llamaCppBuildNumber: Int
    /// The cmake arguments that made the level.
    public var cmakeArgs: [String]?
    /// The `-m` flags ggml-cpu was compiled with.
    public var compileFlags: [String]?
    /// `llama_print_system_info()` of the installed library.
    public var systemInfo: String?
    /// The CPU the install was built on, and its SIMD-relevant flags.
    public var hostCpu: String?
    public var hostCpuFeatures: [String]?
    /// When it was built (ISO 8601 UTC).
    public var builtAt: String?

    enum CodingKeys: String, CodingKey {
        case level
        case llamaCppCommit = "llama_cpp_commit"
        case llamaCppBuildNumber = "llama_cpp_build_number"
        case cmakeArgs = "cmake_args"
        case compileFlags = "compile_flags"
        case systemInfo = "system_info"
        case hostCpu = "host_cpu"
        case hostCpuFeatures = "host_cpu_features"
        case builtAt = "built_at"
    }

    /// Reads `<installDirectory>/reference.json`; nil when absent or unreadable.
    public static func read(installDirectory: String) -> ReferenceInstallRecord? {
        guard let data = FileManager.default.contents(atPath: installDirectory + "/reference.json") else { return nil }
        return try? JSONDecoder().decode(ReferenceInstallRecord.self, from: data)
    }

    /// The record of the install holding `path`, a file one directory down in it (`<install>/lib/<shim>`,
    /// `<install>/bin/llama-bench`); nil when absent or unreadable.
    public static func forInstalledFile(at path: String) -> ReferenceInstallRecord? {
        let install = URL(fileURLWithPath: path).resolvingSymlinksInPath().deletingLastPathComponent()
            .deletingLastPathComponent()
        return read(installDirectory: install.path)
    }

    /// The recorded level, when it names one.
    public var referenceLevel: ReferenceLevel? { level.flatMap(ReferenceLevel.init(rawValue:)) }
}
