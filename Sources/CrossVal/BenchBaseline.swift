import Foundation

/// A stored summary of one `bitnet bench --reference` run — our rate over llama.cpp's per test on one machine — that
/// later runs are compared with (`bitnet bench-baseline check`). Ratios are what is compared: both engines slow down
/// together on a busy or different machine, so a ratio drop means our engine regressed. The absolute rates are kept
/// for information only. Written to `docs/baselines/<YYYY-MM-DD>-<cpu-slug>.json` beside the full bench receipt
/// (`….receipt.json`) it was made from.
public struct BenchBaseline: Codable, Sendable, Equatable {
    public static let currentSchemaVersion = "1.0.0"
    public static let baselineKind = "bench-baseline"

    public var schemaVersion: String
    /// `"bench-baseline"`.
    public var kind: String
    public var createdAt: String
    public var gitCommit: String
    public var cpuModel: String
    /// `BenchReceipt.cpuSlug(cpuModel)`: the file name's machine part.
    public var cpuSlug: String
    public var modelLabel: String
    public var modelSha256: String
    public var settings: BenchReceipt.Settings
    /// llama.cpp's `commit (build)`.
    public var referenceBuild: String
    /// Digest of the bench receipt this summarises.
    public var receiptDigest: String
    public var tests: [Entry]

    /// One test's ratio and, for information, both rates.
    public struct Entry: Codable, Sendable, Equatable {
        public var test: String
        /// Our mean rate ÷ llama.cpp's, measured interleaved in the same run.
        public var ratio: Double
        public var tokensPerSecond: Double
        public var referenceTokensPerSecond: Double

        public init(test: String, ratio: Double, tokensPerSecond: Double, referenceTokensPerSecond: Double) {
            self.test = test
            self.ratio = ratio
            self.tokensPerSecond = tokensPerSecond
            self.referenceTokensPerSecond = referenceTokensPerSecond
        }
    }

    /// The summary of `receipt` (which must carry the reference's times), whose encoded digest is `digest`.
    /// - Throws: `BenchBaselineError.noReference` when the run had no `--reference`.
    public init(receipt: BenchReceipt, digest: String) throws(BenchBaselineError) {
        guard let reference = receipt.reference else { throw .noReference }
        schemaVersion = Self.currentSchemaVersion
        kind = Self.baselineKind
        createdAt = receipt.createdAt
        gitCommit = receipt.git.commit
        cpuModel = receipt.host.cpuModel
        cpuSlug = BenchReceipt.cpuSlug(receipt.host.cpuModel)
        modelLabel = receipt.model.label
        modelSha256 = receipt.model.sha256
        settings = receipt.settings
        referenceBuild = "\(reference.commit) (\(reference.buildNumber))"
        receiptDigest = digest
        tests = try Self.entries(receipt)
    }

    /// Each test's ratio and rates.
    /// - Throws: `BenchBaselineError.noReference` when a test lacks the reference's times or ratio.
    public static func entries(_ receipt: BenchReceipt) throws(BenchBaselineError) -> [Entry] {
        var out: [Entry] = []
        for t in receipt.tests {
            guard let reference = t.reference, let ratio = t.ratio else { throw .noReference }
            out.append(Entry(test: t.test, ratio: ratio, tokensPerSecond: t.ours.mean,
                             referenceTokensPerSecond: reference.mean))
        }
        return out
    }

    /// `<YYYY-MM-DD>-<cpu-slug>.json` for the receipt's date and machine.
    public var fileName: String { "\(createdAt.prefix(10))-\(cpuSlug).json" }

    /// Pretty JSON, snake_case keys, sorted.
    public func encoded() throws -> Data {
        var data = try ReceiptCodec.encoder(pretty: true).encode(self)
        data.append(UInt8(ascii: "\n"))
        return data
    }

    /// Reads a baseline file.
    /// - Throws: `BenchBaselineError.unreadable` naming the file and what is wrong.
    public static func read(path: String) throws(BenchBaselineError) -> BenchBaseline {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path: path, why: "cannot read the file") }
        let baseline: BenchBaseline
        do { baseline = try ReceiptCodec.decode(BenchBaseline.self, from: data) } catch {
            throw .unreadable(path: path, why: CrossValReceiptVerifier.describe(error))
        }
        guard baseline.kind == baselineKind, baseline.schemaVersion == currentSchemaVersion else {
            throw .unreadable(path: path, why: "kind \(baseline.kind) schema \(baseline.schemaVersion) is not "
                + "\(baselineKind) \(currentSchemaVersion)")
        }
        return baseline
    }

    /// The newest baseline for `cpuSlug` in `directory` (file names start with the date, so the greatest name is
    /// the newest).
    /// - Throws: `BenchBaselineError.noBaseline` when there is none.
    public static func newest(in directory: String, cpuSlug: String) throws(BenchBaselineError) -> String {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let suffix = "-\(cpuSlug).json"
        guard let name = names.filter({ $0.hasSuffix(suffix) && $0.count == 10 + suffix.count }).max() else {
            throw .noBaseline(directory: directory, cpuSlug: cpuSlug)
        }
        return directory + "/" + name
    }

    /// Parses `10%`, `10 %` or `0.1` as a fraction in [0, 1).
    /// - Throws: `BenchBaselineError.invalidTolerance`.
    public static func parseTolerance(_ text: String) throws(BenchBaselineError) -> Double {
        let t = text.trimmingCharacters(in: .whitespaces)
        let percent = t.hasSuffix("%")
        let number = percent ? String(t.dropLast()).trimmingCharacters(in: .whitespaces) : t
        guard let value = Double(number).map({ percent ? $0 / 100 : $0 }), value.isFinite, (0..<1).contains(value) else {
            throw .invalidTolerance(text)
        }
        return value
    }

    /// Compares `current` with `stored`, test by test: a test regresses when its ratio is below
    /// `stored ratio × (1 − tolerance)`; a stored test absent from `current` is reported missing.
    public static func compare(stored: [Entry], current: [Entry], tolerance: Double) -> BaselineComparison {
        BaselineComparison(rows: stored.map { s in
            let floor = s.ratio * (1 - tolerance)
            guard let c = current.first(where: { $0.test == s.test }) else {
                return .init(test: s.test, stored: s, current: nil, floor: floor, verdict: .missing)
            }
            let verdict: BaselineComparison.Verdict = c.ratio.isFinite && c.ratio >= floor ? .ok : .regressed
            return .init(test: s.test, stored: s, current: c, floor: floor, verdict: verdict)
        })
    }
}

extension BenchBaseline {
    /// Reruns a check to tell a regression from a noisy run: `run(k)` measures and compares (k = 1, 2, …), and a
    /// test counts as regressed only when it fell below its floor in every run so far. Stops as soon as no test has
    /// (passed), when a stored test was not run (failed: that is not noise), or after `attempts` runs (failed, with
    /// the tests that regressed every time). Single runs of the same build swing by more than 10 % on a shared host;
    /// a real slowdown is in every run.
    public static func confirm(
        attempts: Int, _ run: (Int) throws -> BaselineComparison
    ) rethrows -> BaselineConfirmation {
        var runs: [BaselineComparison] = []
        var suspects: [String]? = nil
        for k in 1...max(1, attempts) {
            let comparison = try run(k)
            runs.append(comparison)
            if comparison.rows.contains(where: { $0.verdict == .missing }) {
                return .init(passed: false, runs: runs, regressed: comparison.rows.filter { $0.verdict != .ok }.map(\.test))
            }
            let regressed = comparison.rows.filter { $0.verdict == .regressed }.map(\.test)
            let still = suspects.map { previous in regressed.filter { previous.contains($0) } } ?? regressed
            suspects = still
            if still.isEmpty { return .init(passed: true, runs: runs, regressed: []) }
        }
        return .init(passed: false, runs: runs, regressed: suspects ?? [])
    }
}

/// What `BenchBaseline.confirm` decided, and every comparison it made.
public struct BaselineConfirmation: Sendable, Equatable {
    public var passed: Bool
    public var runs: [BaselineComparison]
    /// The tests below their floor in every run (or missing), when it failed.
    public var regressed: [String]
}

/// The result of `BenchBaseline.compare`.
public struct BaselineComparison: Sendable, Equatable {
    public enum Verdict: String, Sendable { case ok, regressed, missing }

    /// One test: the stored and current numbers and the lowest ratio that still passes.
    public struct Row: Sendable, Equatable {
        public var test: String
        public var stored: BenchBaseline.Entry
        public var current: BenchBaseline.Entry?
        public var floor: Double
        public var verdict: Verdict
    }

    public var rows: [Row]
    /// True when every stored test is present and none regressed.
    public var passed: Bool { rows.allSatisfy { $0.verdict == .ok } }

    /// One line per test with both ratios and, for information, both runs' absolute rates.
    public var lines: [String] {
        rows.map { r in
            let stored = String(format: "stored %.3f× (%.2f vs %.2f t/s)", r.stored.ratio, r.stored.tokensPerSecond,
                                r.stored.referenceTokensPerSecond)
            let current = r.current.map {
                String(format: "now %.3f× (%.2f vs %.2f t/s)", $0.ratio, $0.tokensPerSecond, $0.referenceTokensPerSecond)
            } ?? "not run now"
            return "\(r.verdict.rawValue.uppercased()) \(r.test): \(current); \(stored); floor "
                + String(format: "%.3f×", r.floor)
        }
    }
}

/// Why a baseline could not be written or checked.
public enum BenchBaselineError: Error, CustomStringConvertible, Equatable {
    /// The bench run had no llama.cpp numbers, so there is no ratio to store or compare.
    case noReference
    /// No `*-<cpuSlug>.json` in `directory`.
    case noBaseline(directory: String, cpuSlug: String)
    /// The baseline file is missing or malformed.
    case unreadable(path: String, why: String)
    /// `--tolerance` is not a percentage or fraction in [0, 1).
    case invalidTolerance(String)

    public var description: String {
        switch self {
        case .noReference:
            "the bench run has no llama.cpp numbers, so there are no ratios; baselines need the reference: build it "
                + "with `bitnet setup-reference`"
        case .noBaseline(let directory, let slug):
            "no baseline for this CPU (\(slug)) in \(directory); write one with `bitnet bench-baseline write`, "
                + "or name a file with --baseline"
        case .unreadable(let path, let why): "cannot use the baseline \(path): \(why)"
        case .invalidTolerance(let text):
            "--tolerance \"\(text)\" is not a percentage like 10% or a fraction like 0.1 in [0, 1)"
        }
    }
}
