import Foundation
import Kernels

/// The checks on a `bench` receipt beyond its digest: schema, real identities (no empty or mock engine, kernel ids
/// the engine actually has), positive finite times and rates, and every derived number — rates, means, deviations,
/// ratios, decode traffic and `% of bound` — recomputed from the raw times and the stated byte counts.
public struct BenchReceiptVerifier: ReceiptKindVerifier {
    public let kind = BenchReceipt.receiptKind

    /// Relative tolerance for recomputed values (they are recomputed with the same arithmetic; the slack only
    /// absorbs a decimal round trip through another JSON writer).
    static let tolerance = 1e-9

    public init() {}

    public func problems(in data: Data, document: JSONValue) -> [String] {
        guard case .string(let version)? = document["schema_version"] else { return ["schema: no `schema_version`"] }
        guard BenchReceipt.readableSchemaVersions.contains(version) else {
            return ["schema: version \(version) is not one of \(BenchReceipt.readableSchemaVersions.joined(separator: ", "))"]
        }
        let receipt: BenchReceipt
        do { receipt = try ReceiptCodec.decode(BenchReceipt.self, from: data) } catch {
            return ["schema: \(CrossValReceiptVerifier.describe(error))"]
        }
        return problems(in: receipt)
    }

    /// The checks on an already decoded receipt.
    public func problems(in r: BenchReceipt) -> [String] {
        var p = identityProblems(r) + memoryProblems(r.memory)
        let s = r.settings
        if s.repetitions < 1 || s.threads < 1 || s.promptTokens < 0 || s.generateTokens < 0 {
            p.append("settings hold a non-positive repetition or thread count or a negative token count")
        }
        if r.engine.threads != s.threads { p.append("engine.threads \(r.engine.threads) is not settings.threads \(s.threads)") }
        let expected = (s.promptTokens > 0 ? ["pp\(s.promptTokens)"] : []) + (s.generateTokens > 0 ? ["tg\(s.generateTokens)"] : [])
        if r.tests.map(\.test) != expected {
            p.append("tests are \(r.tests.map(\.test)) but the settings ask for \(expected)")
        }
        for test in r.tests { p += testProblems(test, receipt: r).map { "\(test.test): \($0)" } }
        return p
    }

    private func identityProblems(_ r: BenchReceipt) -> [String] {
        var p: [String] = []
        if Self.bad(r.engine.name) || Self.bad(r.engine.version) { p.append("engine identity is empty or a mock") }
        if r.engine.kernels.isEmpty { p.append("the engine reports no kernels: nothing shows which code ran") }
        let known = Set(DotKernel.all.map(\.id))
        for id in r.engine.kernels where !known.contains(id) {
            p.append("engine kernel \"\(id)\" is not a kernel this engine has (known: \(known.sorted().joined(separator: ", ")))")
        }
        if r.schemaVersion != "1.0.0" {
            if r.engine.kernelLevel.flatMap(KernelLevel.init(rawValue:)) == nil {
                p.append("engine.kernel_level \"\(r.engine.kernelLevel ?? "")\" is missing or not a kernel level")
            }
            if let reference = r.reference, reference.level == nil || reference.level!.isEmpty {
                p.append("reference.level is missing (x86-64-v3, native or unknown)")
            }
        }
        if !["f16", "f32"].contains(r.engine.kvCache) { p.append("engine.kv_cache \"\(r.engine.kvCache)\" is not f16 or f32") }
        let hex = Set("0123456789abcdef")
        if r.model.sha256.count != 64 || !r.model.sha256.allSatisfy(hex.contains) {
            p.append("model sha256 \"\(r.model.sha256)\" is not 64 lower-case hex digits")
        }
        if r.model.sizeBytes <= 0 || r.model.parameters <= 0 || Self.bad(r.model.architecture) || r.model.tensorTypes.isEmpty {
            p.append("model identity is incomplete (size, parameters, architecture or tensor types)")
        }
        if ISO8601DateFormatter().date(from: r.createdAt) == nil { p.append("created_at \"\(r.createdAt)\" is not ISO 8601") }
        if r.git.commit.isEmpty { p.append("git commit is empty (\"unknown\" when not known)") }
        if let ref = r.reference {
            if ref.name != "llama.cpp" { p.append("reference is \"\(ref.name)\", not llama.cpp") }
            if Self.bad(ref.commit) || ref.buildNumber <= 0 { p.append("reference llama.cpp commit or build is missing or a mock") }
            if Self.bad(ref.binary) { p.append("reference binary path is missing") }
            if ref.threads != r.settings.threads { p.append("reference ran \(ref.threads) threads, settings say \(r.settings.threads)") }
            if let m = ref.model, m.sha256.count != 64 || !m.sha256.allSatisfy(hex.contains) || m.sizeBytes <= 0 {
                p.append("reference model identity is incomplete (sha256 \"\(m.sha256)\", size \(m.sizeBytes))")
            }
        }
        return p
    }

    private func memoryProblems(_ m: BenchReceipt.Memory) -> [String] {
        var p: [String] = []
        if !(m.loadSeconds.isFinite && m.loadSeconds > 0) { p.append("memory.load_seconds \(m.loadSeconds) is not positive and finite") }
        if let r = m.referenceLoadSeconds, !(r.isFinite && r > 0) {
            p.append("memory.reference_load_seconds \(r) is not positive and finite")
        }
        if m.peakRssBytes <= 0 { p.append("memory.peak_rss_bytes \(m.peakRssBytes) is not positive") }
        if let r = m.referencePeakRssBytes, r <= 0 {
            p.append("memory.reference_peak_rss_bytes \(r) is not positive")
        }
        if let k = m.kvCacheBytes, k < 0 { p.append("memory.kv_cache_bytes \(k) is negative") }
        if m.weightBytesPerToken <= 0 || m.kvBytesPerPosition < 0 { p.append("memory byte counts are not positive") }
        if let b = m.readBandwidthGbPerS {
            if !(b.isFinite && b > 0) { p.append("memory.read_bandwidth_gb_per_s \(b) is not positive and finite") }
            if (m.bandwidthThreads ?? 0) <= 0 || (m.bandwidthBufferBytes ?? 0) <= 0 || (m.bandwidthPasses ?? 0) <= 0 {
                p.append("memory: the bandwidth's threads, buffer bytes and passes must be stated and positive")
            }
        }
        return p
    }

    private func testProblems(_ t: BenchReceipt.Test, receipt r: BenchReceipt) -> [String] {
        var p: [String] = []
        let isPrefill = t.test.hasPrefix("pp")
        let tokens = isPrefill ? t.promptTokens : t.generateTokens
        if (isPrefill ? (t.promptTokens, t.generateTokens) != (r.settings.promptTokens, 0)
                      : (t.promptTokens, t.generateTokens) != (0, r.settings.generateTokens)) {
            p.append("token counts \(t.promptTokens)/\(t.generateTokens) do not match the test and settings")
        }
        p += sideProblems(t.ours, tokens: tokens, repetitions: r.settings.repetitions).map { "ours: \($0)" }
        switch (t.reference, r.reference) {
        case (let side?, _?):
            p += sideProblems(side, tokens: tokens, repetitions: r.settings.repetitions).map { "reference: \($0)" }
            let ratio = side.mean > 0 ? t.ours.mean / side.mean : Double.nan
            if !Self.close(t.ratio, ratio) { p.append("ratio \(Self.show(t.ratio)) but the means give \(ratio)") }
        case (nil, nil):
            if t.ratio != nil { p.append("a ratio without reference times") }
        case (_?, nil): p.append("reference times without a reference identity")
        case (nil, _?): p.append("the reference ran but this test has no reference times")
        }
        guard !isPrefill else {
            if t.bytesPerToken != nil || t.gbPerS != nil || t.percentOfBound != nil {
                p.append("a prefill test carries decode traffic figures")
            }
            return p
        }
        let m = r.memory
        if let samples = m.bandwidthSamplesGbPerS {
            let sorted = samples.sorted(), n = sorted.count
            let median = n == 0 ? nil : (n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2)
            if n != r.settings.repetitions { p.append("\(n) bandwidth probes for \(r.settings.repetitions) repetitions") }
            if !Self.close(m.readBandwidthGbPerS, median) {
                p.append("read_bandwidth_gb_per_s \(Self.show(m.readBandwidthGbPerS)) is not the median of its probes")
            }
        }
        let bytes = Double(m.weightBytesPerToken) + Double(m.kvBytesPerPosition) * Double(t.generateTokens + 3) / 2
        let rate = bytes * t.ours.mean / 1e9
        if !Self.close(t.bytesPerToken, bytes) { p.append("bytes_per_token \(Self.show(t.bytesPerToken)) but the memory figures give \(bytes)") }
        if !Self.close(t.gbPerS, rate) { p.append("gb_per_s \(Self.show(t.gbPerS)) but bytes × mean rate give \(rate)") }
        let percent = m.readBandwidthGbPerS.map { 100 * rate / $0 }
        if !Self.close(t.percentOfBound, percent) {
            p.append("percent_of_bound \(Self.show(t.percentOfBound)) but the bandwidth gives \(Self.show(percent))")
        }
        return p
    }

    private func sideProblems(_ s: BenchReceipt.Side, tokens: Int, repetitions: Int) -> [String] {
        var p: [String] = []
        if s.runNs.count != repetitions || s.rates.count != repetitions {
            p.append("\(s.runNs.count) raw times and \(s.rates.count) rates for \(repetitions) repetitions")
        }
        if s.runNs.contains(where: { $0 <= 0 }) { p.append("a raw time is not positive") }
        if (s.rates + [s.mean, s.std]).contains(where: { !$0.isFinite }) { p.append("holds NaN or infinity") }
        if s.rates.contains(where: { !($0 > 0) }) || !(s.mean > 0) { p.append("a rate is not positive") }
        for (i, (ns, rate)) in zip(s.runNs, s.rates).enumerated() where ns > 0 {
            let derived = Double(tokens) * 1e9 / Double(ns)
            if !Self.close(rate, derived) { p.append("rate \(i) is \(rate) but \(tokens) tokens in \(ns) ns is \(derived)") }
        }
        let mean = s.rates.isEmpty ? 0 : s.rates.reduce(0, +) / Double(s.rates.count)
        var std = 0.0
        if s.rates.count > 1 {
            std = (s.rates.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(s.rates.count - 1)).squareRoot()
        }
        if !Self.close(s.mean, mean) { p.append("mean \(s.mean) but the rates give \(mean)") }
        if !Self.close(s.std, std) { p.append("std \(s.std) but the rates give \(std)") }
        return p
    }

    /// Empty, `unknown`, or naming a mock or fake (shared with crossval receipts).
    static func bad(_ s: String) -> Bool { isPlaceholderIdentity(s) }

    /// Equal within `tolerance` (relative), both absent, or both zero; NaN is never close.
    static func close(_ a: Double?, _ b: Double?) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case (let x?, let y?):
            guard x.isFinite, y.isFinite else { return false }
            return abs(x - y) <= tolerance * max(abs(x), abs(y)) || x == y
        default: return false
        }
    }

    static func show(_ x: Double?) -> String { x.map { "\($0)" } ?? "null" }
}
