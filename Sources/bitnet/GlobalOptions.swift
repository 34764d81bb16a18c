import ArgumentParser
import Foundation
import Kernels
import Logging

/// Options every subcommand accepts.
struct GlobalOptions: ParsableArguments {
    @Flag(name: .long, help: "Log at debug level (overrides BITNET_LOG_LEVEL).")
    var verbose = false

    @Option(name: .long, help: ArgumentHelp(
        "Kernel level: scalar, avx2, avx512 (x86-64) or neon, dotprod (ARM64) (default: the widest this CPU runs; overrides BITNET_ISA).",
        valueName: "level"))
    var isa: String?

    /// Rejects an unknown or unsupported `--isa` / `BITNET_ISA` before any command runs.
    func validate() throws {
        let requested = isa ?? ProcessInfo.processInfo.environment[KernelLevel.environmentKey]
        if case .failure(let error) = KernelLevel.resolve(requested: requested, supported: KernelLevel.hostSupported) {
            throw ValidationError(error.description)
        }
    }

    /// Sets up swift-log once: level from `--verbose`, else `BITNET_LOG_LEVEL` (trace…critical), else `warning`.
    /// Logs go to standard error so standard output stays machine-readable. Also fixes the kernel level from
    /// `--isa` (through `BITNET_ISA`, which `KernelLevel.active` reads on first use), so call it before any kernel.
    func bootstrapLogging() -> Logger {
        if let isa { setenv(KernelLevel.environmentKey, isa, 1) }
        let level = LogSetup.level(verbose: verbose, environment: ProcessInfo.processInfo.environment)
        LogSetup.bootstrapOnce(level: level)
        var logger = Logger(label: "bitnet")
        logger.logLevel = level
        return logger
    }
}

/// One-time logging bootstrap (swift-log allows a single bootstrap per process).
enum LogSetup {
    nonisolated(unsafe) private static var done = false

    static func level(verbose: Bool, environment: [String: String]) -> Logger.Level {
        if verbose { return .debug }
        if let raw = environment["BITNET_LOG_LEVEL"]?.lowercased(), let l = Logger.Level(rawValue: raw) { return l }
        return .warning
    }

    static func bootstrapOnce(level: Logger.Level) {
        guard !done else { return }
        done = true
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
    }
}
