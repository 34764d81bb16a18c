import Foundation
import LlamaReference

/// One run of the pinned llama.cpp's `llama-bench` (`-r 1 -o json`), so its repetitions can be interleaved with ours.
///
/// `llama-bench` is run as a child process rather than through the in-process bridge: it is llama.cpp's own harness
/// (its batch sizes, warm-up and thread pool), so the numbers are the ones llama.cpp users quote.
struct ReferenceBench {
    let binary: String
    let modelPath: String
    let threads: Int

    /// What one run reported.
    struct Run {
        /// Wall time of the one timed repetition (`samples_ns[0]`).
        let nanoseconds: Int
        /// e.g. `llama 256M Q4_1`.
        let modelType: String
        /// e.g. `0c1e570` and 11312.
        let commit: String
        let buildNumber: Int
        /// The run's peak resident set size (the last `VmHWM` read while it ran, sampled every 20 ms); nil when
        /// no sample was read.
        let peakResidentBytes: Int?
    }

    /// The pinned `llama-bench` of `level` (`<cache>/reference/<commit>-<level>/bin/llama-bench`), whether or not
    /// it exists.
    static func defaultBinary(level: ReferenceLevel, locator: ReferenceLocator = ReferenceLocator()) -> String {
        locator.pinnedInstallDirectory(level: level) + "/bin/llama-bench"
    }

    /// Runs `llama-bench` once for a prefill (`promptTokens` > 0) or decode test, with its own warm-up.
    func run(promptTokens: Int, generateTokens: Int) throws(BenchError) -> Run {
        guard FileManager.default.isExecutableFile(atPath: binary) else { throw .referenceMissing(path: binary) }
        let arguments = ["-m", modelPath, "-t", "\(threads)", "-p", "\(promptTokens)", "-n", "\(generateTokens)",
                         "-r", "1", "-o", "json"]
        let command = ([binary] + arguments).joined(separator: " ")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch {
            throw .referenceFailed(command: command, status: -1, output: "\(error)")
        }
        // The child's own high-water mark, read from /proc while it runs (it is gone once it has exited).
        let pid = process.processIdentifier
        let peak = PeakSampler()
        let sampler = Thread {
            while process.isRunning {
                if let bytes = ProcessMemory.peakResidentBytes(ofProcess: pid) { peak.record(bytes) }
                Thread.sleep(forTimeInterval: 0.02)
            }
            peak.finish()
        }
        sampler.start()
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        peak.waitUntilFinished()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw .referenceFailed(command: command, status: process.terminationStatus, output: text)
        }
        struct Entry: Decodable {
            let samples_ns: [Int]
            let model_type: String
            let build_commit: String
            let build_number: Int
        }
        guard let entries = try? JSONDecoder().decode([Entry].self, from: data), let entry = entries.first,
              let nanoseconds = entry.samples_ns.first, nanoseconds > 0 else {
            throw .referenceFailed(command: command, status: 0, output: "unreadable JSON: " + text)
        }
        return Run(nanoseconds: nanoseconds, modelType: entry.model_type, commit: entry.build_commit,
                   buildNumber: entry.build_number, peakResidentBytes: peak.bytes)
    }
}

/// The largest `VmHWM` sample of a child process, written by the sampling thread and read once it has finished.
private final class PeakSampler: @unchecked Sendable {
    private let condition = NSCondition()
    private var largest: Int?
    private var finished = false

    func record(_ bytes: Int) {
        condition.lock(); defer { condition.unlock() }
        largest = max(largest ?? 0, bytes)
    }

    func finish() {
        condition.lock(); defer { condition.unlock() }
        finished = true
        condition.broadcast()
    }

    func waitUntilFinished() {
        condition.lock(); defer { condition.unlock() }
        while !finished { condition.wait() }
    }

    var bytes: Int? {
        condition.lock(); defer { condition.unlock() }
        return largest
    }
}
