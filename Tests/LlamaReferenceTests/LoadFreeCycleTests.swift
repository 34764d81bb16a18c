import Foundation
import LlamaReference
import Testing

/// The leak test: 100 model + context load/free cycles must leave no live handles and a flat RSS.
///
/// Other suites (the engine parity tests, for one) load models in parallel in the same test process, which
/// would move both the process-wide handle counters and the RSS. So on Linux the cycles run in a child
/// process — this test binary re-run with a filter selecting only `cyclesInThisProcess` — and the parent
/// checks the figures the child reports. Elsewhere they run in-process. RSS is read after `malloc_trim(0)`
/// (see `ReferenceFixture.residentBytes`).
@Suite(
    "llama.cpp reference: load/free cycles", .serialized,
    .enabled(if: ReferenceFixture.enabled, "BITNET_SKIP_REFERENCE_TESTS=1 opts out of the reference tier"))
struct LoadFreeCycleTests {
    static let childVariable = "BITNET_REFERENCE_CYCLES_CHILD"
    static var isChild: Bool { ProcessInfo.processInfo.environment[childVariable] == "1" }

    /// What one measurement found.
    struct Figures: CustomStringConvertible {
        var models: Int
        var contexts: Int
        var baselineBytes: Int
        var finalBytes: Int
        var growth: Double { Double(finalBytes - baselineBytes) / Double(baselineBytes) }
        var line: String { "CYCLES models=\(models) contexts=\(contexts) baseline=\(baselineBytes) final=\(finalBytes)" }
        var description: String {
            "live models \(models), contexts \(contexts); RSS after 5 cycles \(baselineBytes / 1024) KiB, "
                + "after 100 \(finalBytes / 1024) KiB (\(String(format: "%+.2f", growth * 100)) %)"
        }

        init(models: Int, contexts: Int, baselineBytes: Int, finalBytes: Int) {
            (self.models, self.contexts, self.baselineBytes, self.finalBytes) = (models, contexts, baselineBytes, finalBytes)
        }

        /// Parses `line` back out of the child's output.
        init?(output: String) {
            guard let line = output.split(separator: "\n").last(where: { $0.contains("CYCLES models=") }) else {
                return nil
            }
            var values: [String: Int] = [:]
            for field in line.split(separator: " ") {
                let parts = field.split(separator: "=")
                if parts.count == 2, let value = Int(parts[1]) { values[String(parts[0])] = value }
            }
            guard let models = values["models"], let contexts = values["contexts"], let baseline = values["baseline"],
                  let final = values["final"] else { return nil }
            self.init(models: models, contexts: contexts, baselineBytes: baseline, finalBytes: final)
        }
    }

    @Test("100 load/free cycles leave no live handles and flat RSS (within 5 %)", .enabled(if: !isChild))
    func loadFreeCycles() throws {
        let figures = try Self.runIsolated()
        print("load/free cycles: \(figures)")
        #expect(figures.models == 0)
        #expect(figures.contexts == 0)
        #expect(figures.growth <= 0.05, "RSS grew \(figures.growth * 100) % over 95 cycles")
    }

    /// Runs only in the child process started by `loadFreeCycles` (skipped in a normal run).
    @Test("load/free cycles, child side", .enabled(if: isChild, "runs only in the child process of the cycles test"))
    func cyclesInThisProcess() throws {
        let figures = try Self.measure()
        print(figures.line)
    }

    static func runIsolated() throws -> Figures {
        let executable = CommandLine.arguments.first ?? ""
        #if os(Linux)
        if executable.hasSuffix(".xctest") {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["--filter", "cyclesInThisProcess", "--testing-library", "swift-testing"]
            var environment = ProcessInfo.processInfo.environment
            environment[childVariable] = "1"
            // One malloc arena: glibc's per-thread arenas keep freed memory fragmented and resident (RSS steps of
            // several MB in the first cycles that malloc_trim cannot return), which would hide a real leak's
            // slope behind allocator noise. Leaked memory is still counted with a single arena.
            environment["MALLOC_ARENA_MAX"] = "1"
            process.environment = environment
            let output = Pipe()
            process.standardOutput = output
            process.standardError = output
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            let text = String(decoding: data, as: UTF8.self)
            guard process.terminationStatus == 0, let figures = Figures(output: text) else {
                throw FixtureError("the child run failed (status \(process.terminationStatus)):\n\(text)")
            }
            return figures
        }
        #endif
        return try measure()
    }

    /// 5 warm-up cycles (thread pools, allocator arenas), RSS, 95 more cycles, RSS and live counters.
    static func measure() throws -> Figures {
        let library = try ReferenceFixture.library()
        let path = try ReferenceFixture.smolLM2Path()
        func cycle() throws {
            let model = try LlamaModel(path: path, library: library)
            let context = try LlamaContext(model: model, contextLength: 128, threads: 1)
            _ = try context.eval([1, 2, 3, 4])
        }
        for _ in 0..<5 { try cycle() }
        guard let baseline = ReferenceFixture.residentBytes() else { throw FixtureError("no /proc/self/statm") }
        for _ in 5..<100 { try cycle() }
        guard let final = ReferenceFixture.residentBytes() else { throw FixtureError("no /proc/self/statm") }
        return Figures(
            models: LiveReferenceHandles.models, contexts: LiveReferenceHandles.contexts, baselineBytes: baseline,
            finalBytes: final)
    }
}
