@testable import CrossVal
import Foundation
import Testing

/// `bench-baseline check`'s decision, on fabricated numbers (no timing in tests).
struct BenchBaselineTests {
    static func entry(_ test: String, ours: Double, theirs: Double) -> BenchBaseline.Entry {
        .init(test: test, ratio: ours / theirs, tokensPerSecond: ours, referenceTokensPerSecond: theirs)
    }

    static let stored = [entry("pp512", ours: 200, theirs: 250), entry("tg128", ours: 160, theirs: 125)]  // 0.8×, 1.28×

    @Test func slowerMachineWithTheSameRatiosPasses() {
        // Both engines at half speed: absolute rates halve, ratios do not move.
        let current = [Self.entry("pp512", ours: 100, theirs: 125), Self.entry("tg128", ours: 80, theirs: 62.5)]
        let c = BenchBaseline.compare(stored: Self.stored, current: current, tolerance: 0.10)
        #expect(c.passed)
        #expect(c.rows.map(\.verdict) == [.ok, .ok])
    }

    @Test func ratioDropBeyondToleranceFailsAndNamesBothNumbers() {
        // tg ratio 1.28 → 1.10 is a 14 % drop; pp 0.80 → 0.75 is 6.25 %, inside 10 %.
        let current = [Self.entry("pp512", ours: 150, theirs: 200), Self.entry("tg128", ours: 137.5, theirs: 125)]
        let c = BenchBaseline.compare(stored: Self.stored, current: current, tolerance: 0.10)
        #expect(!c.passed)
        #expect(c.rows.map(\.verdict) == [.ok, .regressed])
        let line = c.lines[1]
        #expect(line.hasPrefix("REGRESSED tg128") && line.contains("now 1.100×") && line.contains("stored 1.280×"))
        // A looser tolerance accepts the same numbers.
        #expect(BenchBaseline.compare(stored: Self.stored, current: current, tolerance: 0.15).passed)
    }

    @Test func floorIsInclusiveAndFasterPasses() {
        // Stored 1.0× with 50 % tolerance: the floor is exactly 0.5×, and 0.5× passes while just below fails.
        let stored = [Self.entry("tg16", ours: 100, theirs: 100)]
        let atFloor = BenchBaseline.compare(stored: stored, current: [Self.entry("tg16", ours: 50, theirs: 100)], tolerance: 0.5)
        #expect(atFloor.rows[0].floor == 0.5 && atFloor.passed)
        let below = BenchBaseline.compare(stored: stored, current: [Self.entry("tg16", ours: 49.9, theirs: 100)], tolerance: 0.5)
        #expect(!below.passed)
        #expect(BenchBaseline.compare(stored: stored, current: [Self.entry("tg16", ours: 300, theirs: 100)], tolerance: 0).passed)
    }

    @Test func missingTestOrNaNRatioFails() {
        let onlyPrefill = [Self.entry("pp512", ours: 200, theirs: 250)]
        #expect(BenchBaseline.compare(stored: Self.stored, current: onlyPrefill, tolerance: 0.1).rows[1].verdict == .missing)
        let nan = [Self.entry("pp512", ours: .nan, theirs: 250), Self.entry("tg128", ours: 160, theirs: 125)]
        #expect(BenchBaseline.compare(stored: Self.stored, current: nan, tolerance: 0.1).rows[0].verdict == .regressed)
    }

    /// `bench-baseline check --attempts`: a test fails only when it is below its floor in every run.
    @Test func regressionMustRepeatInEveryRun() {
        let ok = [Self.entry("pp512", ours: 200, theirs: 250), Self.entry("tg128", ours: 160, theirs: 125)]
        let ppLow = [Self.entry("pp512", ours: 150, theirs: 250), Self.entry("tg128", ours: 160, theirs: 125)]
        let tgLow = [Self.entry("pp512", ours: 200, theirs: 250), Self.entry("tg128", ours: 100, theirs: 125)]
        func check(_ runs: [[BenchBaseline.Entry]], attempts: Int) -> (BaselineConfirmation, Int) {
            var calls = 0
            let result = BenchBaseline.confirm(attempts: attempts) { k in
                calls += 1
                return BenchBaseline.compare(stored: Self.stored, current: runs[k - 1], tolerance: 0.10)
            }
            return (result, calls)
        }
        // A clean first run needs no second.
        let (clean, cleanCalls) = check([ok], attempts: 2)
        #expect(clean.passed && cleanCalls == 1)
        // A dip that does not repeat passes on the rerun.
        let (dip, dipCalls) = check([ppLow, ok], attempts: 2)
        #expect(dip.passed && dipCalls == 2 && dip.runs.count == 2)
        // A drop in every run fails and names the test.
        let (real, realCalls) = check([ppLow, ppLow, ppLow], attempts: 3)
        #expect(!real.passed && realCalls == 3 && real.regressed == ["pp512"])
        // Different tests low in different runs: neither was low every time.
        let (alternating, _) = check([ppLow, tgLow], attempts: 2)
        #expect(alternating.passed)
        // One attempt is the plain check.
        let (single, singleCalls) = check([ppLow, ok], attempts: 1)
        #expect(!single.passed && singleCalls == 1 && single.regressed == ["pp512"])
        // A missing test fails at once: rerunning cannot make it appear.
        let (missing, missingCalls) = check([[Self.entry("pp512", ours: 200, theirs: 250)], ok], attempts: 2)
        #expect(!missing.passed && missingCalls == 1 && missing.regressed == ["tg128"])
    }

    @Test func toleranceParsing() throws {
        #expect(try BenchBaseline.parseTolerance("10%") == 0.10)
        #expect(try BenchBaseline.parseTolerance(" 2.5 % ") == 0.025)
        #expect(try BenchBaseline.parseTolerance("0.05") == 0.05)
        for bad in ["", "ten", "100%", "-1%", "1.5"] {
            #expect(throws: BenchBaselineError.invalidTolerance(bad)) { try BenchBaseline.parseTolerance(bad) }
        }
    }

    @Test func newestBaselineForThisCPU() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("baselines-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: BenchBaselineError.noBaseline(directory: dir, cpuSlug: "amd-epyc")) {
            try BenchBaseline.newest(in: dir, cpuSlug: "amd-epyc")
        }
        for name in ["2026-01-05-amd-epyc.json", "2026-11-23-amd-epyc.json", "2026-11-23-amd-epyc.receipt.json",
                     "2026-12-01-intel-xeon.json"] {
            _ = FileManager.default.createFile(atPath: dir + "/" + name, contents: Data("{}".utf8))
        }
        #expect(try BenchBaseline.newest(in: dir, cpuSlug: "amd-epyc") == dir + "/2026-11-23-amd-epyc.json")
    }

    @Test func baselineFromReceiptNeedsTheReferenceAndRoundTrips() throws {
        var receipt = BenchReceiptVerifierTests.validReceipt()
        let baseline = try BenchBaseline(receipt: receipt, digest: "sha256:00")
        #expect(baseline.fileName == "2026-11-23-amd-epyc-7763-64-core-processor.json")
        #expect(baseline.tests.map(\.test) == ["pp64", "tg16"])
        #expect(baseline.tests[1].ratio == receipt.tests[1].ratio)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try baseline.encoded().write(to: URL(fileURLWithPath: path))
        #expect(try BenchBaseline.read(path: path) == baseline)
        receipt.reference = nil
        #expect(throws: BenchBaselineError.noReference) { try BenchBaseline(receipt: receipt, digest: "") }
    }

    @Test func cpuSlug() {
        #expect(BenchReceipt.cpuSlug("AMD EPYC 7763 64-Core Processor") == "amd-epyc-7763-64-core-processor")
        #expect(BenchReceipt.cpuSlug("  Intel(R) Xeon(R)  ") == "intel-r-xeon-r")
        #expect(BenchReceipt.cpuSlug("") == "unknown-cpu")
    }
}
