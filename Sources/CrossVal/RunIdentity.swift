import Foundation
import Kernels

/// Facts about the run's surroundings, read at run time: the source commit, the CPU, the clock.
enum RunIdentity {
    /// `git rev-parse HEAD` (and whether the tree is dirty) of the checkout this module was compiled from, else of
    /// the current directory; commit "unknown" when neither is a git work tree or git is missing.
    static func git() -> CrossValReceipt.GitIdentity {
        // #filePath is <package>/Sources/CrossVal/RunIdentity.swift.
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        for directory in [packageRoot, FileManager.default.currentDirectoryPath] {
            guard let head = run(["git", "-C", directory, "rev-parse", "HEAD"]), head.count == 40 else { continue }
            let status = run(["git", "-C", directory, "status", "--porcelain", "--untracked-files=no"])
            return .init(commit: head, dirty: status.map { !$0.isEmpty })
        }
        return .init(commit: "unknown", dirty: nil)
    }

    /// The CPU model name, its SIMD-relevant flags and the level our kernels run at.
    static func host() -> CrossValReceipt.HostIdentity {
        let cpu = HostCPU.current
        let os = ProcessInfo.processInfo.operatingSystemVersionString
        return .init(cpuModel: cpu.model, cpuFeatures: cpu.simdFlags,
                     logicalCores: ProcessInfo.processInfo.activeProcessorCount, os: os)
    }

    /// Now, as ISO 8601 UTC with seconds.
    static func timestamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date())
    }

    /// Standard output of a command (trimmed), or nil when it cannot run or exits non-zero.
    private static func run(_ arguments: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
