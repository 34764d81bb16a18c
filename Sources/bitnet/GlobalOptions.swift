import ArgumentParser
import Foundation
import Logging

/// Options every subcommand accepts.
struct GlobalOptions: ParsableArguments {
    @Flag(name: .long, help: "Log at debug level (overrides BITNET_LOG_LEVEL).")
    var verbose = false

    /// Sets up swift-log once: level from `--verbose`, else `BITNET_LOG_LEVEL` (trace…critical), else `warning`.
    /// Logs go to standard error so standard output stays machine-readable.
    func bootstrapLogging() -> Logger {
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
