import ArgumentParser
import Bench
import CrossVal
import Foundation

/// `bitnet bench-baseline`: store the ratio-to-llama.cpp of a bench run, and later fail when a ratio drops.
struct BenchBaselineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-baseline",
        abstract: "Write or check a performance baseline (our rate ÷ llama.cpp's per test, on this CPU).",
        subcommands: [Write.self, Check.self]
    )

    /// Where baselines live unless --dir says otherwise (relative to the current directory: run from the checkout).
    static let defaultDirectory = "docs/baselines"

    /// Runs bench with the reference, printing the table, and returns the report.
    static func benchWithReference(_ options: BenchOptions, defaults: BenchReceipt.Settings?) throws -> BenchReport {
        let report = try BenchRunner(try options.configuration(defaults: defaults, forceReference: true))
            .run(progress: BenchCommand.progress)
        print(BenchTable.markdown(report))
        print("\n" + BenchTable.footer(report) + "\n")
        return report
    }

    struct Write: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run bench with --reference and store <dir>/<YYYY-MM-DD>-<cpu-slug>.json plus the full receipt.")

        @OptionGroup var options: BenchOptions

        @Option(help: "Directory of baselines.")
        var dir = BenchBaselineCommand.defaultDirectory

        @OptionGroup var global: GlobalOptions

        func run() throws {
            _ = global.bootstrapLogging()
            let report = try benchWithReference(options, defaults: nil)
            let receiptData = try ReceiptCodec.encode(try BenchReceipt(report))
            let receipt = try ReceiptCodec.decode(BenchReceipt.self, from: receiptData)
            let baseline = try BenchBaseline(receipt: receipt, digest: receipt.digest ?? "")
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let path = dir + "/" + baseline.fileName
            let receiptPath = path.replacingOccurrences(of: ".json", with: ".receipt.json")
            try baseline.encoded().write(to: URL(fileURLWithPath: path))
            try receiptData.write(to: URL(fileURLWithPath: receiptPath))
            for entry in baseline.tests {
                print("\(entry.test): " + String(format: "%.3f× (%.2f vs %.2f t/s)", entry.ratio, entry.tokensPerSecond,
                                                 entry.referenceTokensPerSecond))
            }
            print("wrote \(path) and \(receiptPath)")
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rerun bench with --reference; exit 1 if a ratio to llama.cpp fell more than --tolerance below the baseline's.",
            discussion: """
                -p, -n, -r and --threads default to the baseline's own settings. The model must be the one the \
                baseline was measured on (same SHA-256). Exit codes: 0 every ratio within tolerance; 1 a ratio \
                regressed or a stored test was not run.
                """)

        @OptionGroup var options: BenchOptions

        @Option(help: "The baseline file (default: the newest <dir>/*-<this cpu>.json).")
        var baseline: String?

        @Option(help: "Directory of baselines.")
        var dir = BenchBaselineCommand.defaultDirectory

        @Option(help: "Allowed drop below the stored ratio, as 10% or 0.1.")
        var tolerance = "10%"

        @Option(help: "Bench runs a drop must persist through: after a run with a ratio below its floor, rerun (up to this many runs in all); a test fails only if it is below its floor in every run.")
        var attempts = 2

        @OptionGroup var global: GlobalOptions

        func run() throws {
            _ = global.bootstrapLogging()
            let fraction = try BenchBaseline.parseTolerance(tolerance)
            let slug = BenchReceipt.cpuSlug(BenchReceipt.hostCPUModel)
            let path = try baseline ?? BenchBaseline.newest(in: dir, cpuSlug: slug)
            let stored = try BenchBaseline.read(path: path)
            print("baseline: \(path) (\(stored.cpuModel), \(stored.createdAt), llama.cpp \(stored.referenceBuild))")
            guard attempts >= 1 else { throw ValidationError("--attempts must be at least 1 (got \(attempts))") }
            let result = try BenchBaseline.confirm(attempts: attempts) { k in
                if k > 1 { print("run \(k) of at most \(attempts): a ratio was below its floor; measuring again\n") }
                let report = try benchWithReference(options, defaults: stored.settings)
                let receipt = try BenchReceipt(report)
                guard receipt.model.sha256 == stored.modelSha256 else {
                    throw ValidationError("the baseline was measured on model sha256 \(stored.modelSha256) "
                        + "(\(stored.modelLabel)) but \(receipt.model.path) is \(receipt.model.sha256); pass that "
                        + "model with --model, or write a new baseline")
                }
                let comparison = BenchBaseline.compare(stored: stored.tests,
                                                       current: try BenchBaseline.entries(receipt), tolerance: fraction)
                for line in comparison.lines { print(line) }
                return comparison
            }
            guard result.passed else {
                print(String(format: "FAILED: %@ fell more than %.1f %% below the baseline in every one of %d run(s)",
                             result.regressed.joined(separator: ", "), fraction * 100, result.runs.count))
                throw ExitCode(1)
            }
            print(String(format: "ok: every ratio is within %.1f %% of the baseline", fraction * 100)
                + (result.runs.count > 1 ? " (in run \(result.runs.count); no test was below its floor in every run)" : ""))
        }
    }
}
