import ArgumentParser
import Foundation
import LlamaReference

/// `bitnet setup-reference`: builds the llama.cpp reference by running `scripts/setup-reference.sh`.
struct SetupReferenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "setup-reference",
        abstract: "Build llama.cpp (pinned sdist or BITNET_CPP_DIR) and our C shim into the reference cache.",
        discussion: """
            Runs scripts/setup-reference.sh (found via BITNET_SETUP_REFERENCE_SCRIPT, the package this binary \
            was built from, or the current directory's package). A second run with the cache present takes \
            seconds. Exit code: the script's.
            """
    )

    @Option(name: .customLong("cpp-dir"), help: "Build from this llama.cpp checkout instead (sets BITNET_CPP_DIR).")
    var cppDirectory: String?

    @Option(name: .customLong("cache-dir"), help: "Cache root (sets BITNET_CACHE_DIR; default ~/.cache/bitnet-swift).")
    var cacheDirectory: String?

    @Flag(help: "Rebuild even if the install is complete (sets BITNET_REFERENCE_FORCE=1).")
    var force = false

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let log = global.bootstrapLogging()
        guard let script = Self.locateScript() else {
            throw ValidationError(
                "scripts/setup-reference.sh not found; run from a bitnet-swift checkout or set "
                    + "BITNET_SETUP_REFERENCE_SCRIPT to its path.")
        }
        log.debug("running \(script)")
        var environment = ProcessInfo.processInfo.environment
        if let cppDirectory { environment["BITNET_CPP_DIR"] = cppDirectory }
        if let cacheDirectory { environment["BITNET_CACHE_DIR"] = cacheDirectory }
        if force { environment["BITNET_REFERENCE_FORCE"] = "1" }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script]
        process.environment = environment
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ExitCode(process.terminationStatus) }

        let probe = ReferenceProbe.run(locator: ReferenceLocator(environment: environment))
        if probe.ready {
            print("reference ready: \(probe.libraryPath ?? "?") (llama.cpp \(probe.llamaCommit ?? "?"))")
        } else {
            print("the script finished but the reference does not load: \(probe.problem ?? "unknown problem")")
            throw ExitCode(1)
        }
    }

    /// `BITNET_SETUP_REFERENCE_SCRIPT`, else the script in the package this file was compiled from, else one in
    /// the current directory or a parent of it.
    static func locateScript() -> String? {
        let manager = FileManager.default
        if let explicit = ProcessInfo.processInfo.environment["BITNET_SETUP_REFERENCE_SCRIPT"], !explicit.isEmpty {
            return manager.fileExists(atPath: explicit) ? explicit : nil
        }
        // #filePath is <package>/Sources/bitnet/SetupReferenceCommand.swift.
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        var candidates = [packageRoot.appendingPathComponent("scripts/setup-reference.sh").path]
        var directory = URL(fileURLWithPath: manager.currentDirectoryPath)
        while directory.path != "/" {
            candidates.append(directory.appendingPathComponent("scripts/setup-reference.sh").path)
            directory.deleteLastPathComponent()
        }
        return candidates.first { manager.fileExists(atPath: $0) }
    }
}
