import Foundation
import Kernels
import LlamaReference

/// The checks on a `crossval` receipt beyond its digest: schema, that the reference was present and produced data,
/// no NaN or infinity, no empty or mock identities, and that every status, count and summary agrees with the rows
/// and thresholds it states. Recomputing the derived fields means an edit that re-signs the digest is still caught
/// unless every dependent number is edited consistently too.
public struct CrossValReceiptVerifier: ReceiptKindVerifier {
    public let kind = CrossValReceipt.receiptKind

    public init() {}

    public func problems(in data: Data, document: JSONValue) -> [String] {
        guard case .string(let version)? = document["schema_version"] else { return ["schema: no `schema_version`"] }
        guard version == CrossValReceipt.currentSchemaVersion else {
            return ["schema: version \(version) is not \(CrossValReceipt.currentSchemaVersion)"]
        }
        let receipt: CrossValReceipt
        do { receipt = try ReceiptCodec.decode(CrossValReceipt.self, from: data) } catch {
            return ["schema: \(Self.describe(error))"]
        }
        return problems(in: receipt)
    }

    /// The checks on an already decoded receipt.
    public func problems(in r: CrossValReceipt) -> [String] {
        var p: [String] = []
        p += identityProblems(r)
        if r.prompts.isEmpty { p.append("no prompts") }
        let t = r.thresholds
        for (name, value) in [("prefill_cosine_min", t.prefillCosineMin), ("decode_cosine_min", t.decodeCosineMin)]
        where !(value.isFinite && value > 0 && value <= 1) {
            p.append("thresholds.\(name) = \(value) is not in (0, 1]")
        }
        if !(t.tieMargin.isFinite && t.tieMargin >= 0) { p.append("thresholds.tie_margin = \(t.tieMargin) is invalid") }
        for (i, prompt) in r.prompts.enumerated() {
            if prompt.index != i { p.append("prompts[\(i)].index is \(prompt.index)") }
            p += promptProblems(prompt, receipt: r).map { "prompt \(i): \($0)" }
        }
        let summary = CrossValReceipt.Summary(prompts: r.prompts)
        if !Self.same(summary, r.summary) {
            p.append("summary does not match the rows: stated \(r.summary), recomputed \(summary)")
        }
        let status: CrossValReceipt.Verdict = summary.firstFailure == nil ? .pass : .fail
        if r.status != status { p.append("status is \(r.status.rawValue) but the rows say \(status.rawValue)") }
        let times = [r.timings.totalSeconds, r.timings.engine.loadSeconds, r.timings.reference.loadSeconds,
                     r.timings.engine.prefillSeconds, r.timings.reference.prefillSeconds,
                     r.timings.engine.decodeSeconds, r.timings.reference.decodeSeconds]
        if times.contains(where: { !$0.isFinite || $0 < 0 }) { p.append("timings hold a negative or non-finite value") }
        if r.prompts.contains(where: { $0.prefill.status != .skipped }), r.timings.reference.prefillSeconds <= 0 {
            p.append("the reference reports no prefill time although it produced prefill rows")
        }
        return p
    }

    private func identityProblems(_ r: CrossValReceipt) -> [String] {
        var p: [String] = []
        let bad = isPlaceholderIdentity
        if bad(r.engine.name) || bad(r.engine.version) { p.append("engine identity is empty or a mock") }
        if r.prompts.contains(where: { $0.prefill.status != .skipped }), r.engine.kernels.isEmpty {
            p.append("the engine reports no kernels although it produced logits")
        }
        if r.engine.kernels.contains(where: bad) { p.append("engine kernels include an empty or mock entry") }
        if r.reference.name != "llama.cpp" { p.append("reference is \"\(r.reference.name)\", not llama.cpp") }
        if bad(r.reference.commit) { p.append("reference llama.cpp commit is missing or a mock") }
        if r.reference.shimAbi <= 0 { p.append("reference shim ABI \(r.reference.shimAbi) is not a real ABI") }
        if bad(r.reference.libraryPath) { p.append("reference library path is missing") }
        if r.reference.prefill.precision != "precise" || r.reference.decode.precision != "default" {
            p.append("reference precisions must be precise (prefill) and default (decode)")
        }
        if r.reference.threads <= 0 || r.engine.threads <= 0 { p.append("thread counts must be positive") }
        if KernelLevel(rawValue: r.engine.kernelLevel) == nil {
            p.append("engine.kernel_level \"\(r.engine.kernelLevel)\" is not a kernel level")
        }
        let matching = ReferenceLevel.exactMatch(forKernelLevel: r.engine.kernelLevel)
        let tier = CrossValReceipt.Tier(kernelLevel: r.engine.kernelLevel, referenceLevel: r.reference.level)
        if r.tier == .exact, tier != .exact {
            p.append("an exact-tier receipt compares engine kernels \(r.engine.kernelLevel) with llama.cpp level "
                + "\(r.reference.level), whose routes differ (the exact tier needs \(matching?.rawValue ?? "a matching build"))")
        }
        if r.tier == .tolerance, tier == .exact {
            p.append("a tolerance-tier receipt whose levels match (\(r.engine.kernelLevel) and \(r.reference.level)) "
                + "must be exact")
        }
        let hex = Set("0123456789abcdef")
        if r.model.sha256.count != 64 || !r.model.sha256.allSatisfy(hex.contains) {
            p.append("model sha256 \"\(r.model.sha256)\" is not 64 lower-case hex digits")
        }
        if r.model.sizeBytes <= 0 || bad(r.model.architecture) { p.append("model identity is incomplete") }
        if ISO8601DateFormatter().date(from: r.createdAt) == nil { p.append("created_at \"\(r.createdAt)\" is not ISO 8601") }
        if r.git.commit.isEmpty { p.append("git commit is empty (\"unknown\" when not known)") }
        return p
    }

    private func promptProblems(_ prompt: PromptResult, receipt r: CrossValReceipt) -> [String] {
        var p: [String] = []
        let tokens = prompt.tokens
        if tokens.reference.isEmpty { p.append("the reference produced no tokens") }
        let firstDiff = TokenComparison.firstDifference(tokens.ours, tokens.reference)
        if (tokens.status == .pass) != (firstDiff == nil) || tokens.status == .skipped {
            p.append("tokens status \(tokens.status.rawValue) contradicts the token ids")
        }
        if tokens.firstMismatch?.index != firstDiff { p.append("tokens.first_mismatch does not name the first difference") }

        // Ladder order: a failed rung skips every later one.
        let rungs = [("tokens", tokens.status), ("prefill", prompt.prefill.status), ("decode", prompt.decode.status)]
        let firstFailed = rungs.first { $0.1 != .pass }
        for (i, rung) in rungs.enumerated() {
            let expectSkipped = rungs[..<i].contains { $0.1 != .pass }
            if expectSkipped != (rung.1 == .skipped) { p.append("\(rung.0) is \(rung.1.rawValue) out of ladder order") }
        }
        let status: CrossValReceipt.Verdict = firstFailed == nil ? .pass : .fail
        if prompt.status != status { p.append("status \(prompt.status.rawValue) but its rungs say \(status.rawValue)") }
        if prompt.failedRung != firstFailed?.0 { p.append("failed_rung \(prompt.failedRung ?? "null") is not \(firstFailed?.0 ?? "null")") }

        p += prefillProblems(prompt.prefill, tokens: tokens.reference, threshold: r.thresholds.prefillCosineMin)
        p += decodeProblems(prompt.decode, steps: r.settings.steps, thresholds: r.thresholds)
        return p
    }

    private func prefillProblems(_ rung: PrefillRung, tokens: [Int32], threshold: Double) -> [String] {
        guard rung.status != .skipped else {
            return rung.rows.isEmpty ? [] : ["prefill is skipped but has rows"]
        }
        var p: [String] = []
        if rung.rows.count != tokens.count {
            p.append("prefill has \(rung.rows.count) rows for \(tokens.count) prompt tokens (rows missing)")
        }
        for (i, row) in rung.rows.enumerated() {
            let numbers = [row.cosine, row.mse, row.maxAbsDiff, row.kl]
            if numbers.contains(where: { !$0.isFinite }) { p.append("prefill row \(i) holds NaN or infinity"); continue }
            if row.position != i || i >= tokens.count || row.token != tokens[i] {
                p.append("prefill row \(i) is not position \(i) of the prompt")
            }
            if abs(row.cosine) > 1 + 1e-9 || row.mse < 0 || row.kl < 0 || row.maxAbsDiff < 0 || !(0...5).contains(row.top5Overlap) {
                p.append("prefill row \(i) holds an impossible value")
            }
            if row.passed != (row.cosine >= threshold) {
                p.append("prefill row \(i): passed=\(row.passed) but cosine \(row.cosine) vs threshold \(threshold)")
            }
        }
        let failing = rung.rows.first { !$0.passed }
        let complete = rung.rows.count == tokens.count
        if (rung.status == .pass) != (failing == nil && complete) {
            p.append("prefill status \(rung.status.rawValue) contradicts its rows")
        }
        if rung.firstDivergence?.position != failing?.position { p.append("prefill first_divergence is not the first failing row") }
        if !Self.same(rung.minCosine, PromptLadder.minimum(rung.rows.map(\.cosine)))
            || !Self.same(rung.maxKl, PromptLadder.maximum(rung.rows.map(\.kl)))
        {
            p.append("prefill min_cosine/max_kl do not match the rows")
        }
        return p
    }

    private func decodeProblems(_ rung: DecodeRung, steps: Int, thresholds: CrossValReceipt.Thresholds) -> [String] {
        if rung.stepsRequested != steps { return ["decode requested \(rung.stepsRequested) steps, settings say \(steps)"] }
        guard rung.status != .skipped else { return rung.rows.isEmpty ? [] : ["decode is skipped but has rows"] }
        var p: [String] = []
        if rung.rows.count != steps { p.append("decode has \(rung.rows.count) rows for \(steps) steps (rows missing)") }
        for (i, row) in rung.rows.enumerated() {
            let numbers = [row.cosine, row.mse, row.maxAbsDiff, row.kl, row.referenceMargin]
            if numbers.contains(where: { !$0.isFinite }) { p.append("decode row \(i) holds NaN or infinity"); continue }
            if row.step != i { p.append("decode row \(i) is numbered \(row.step)") }
            let verdict = DecodeRow.verdict(reference: row.referenceToken, ours: row.ourToken, margin: row.referenceMargin,
                                            tieMargin: thresholds.tieMargin)
            if row.verdict != verdict { p.append("decode row \(i): verdict \(row.verdict.rawValue) but the tokens and margin say \(verdict.rawValue)") }
            if (row.referenceToken == row.ourToken) != (row.referenceMargin == 0) || row.referenceMargin < 0 {
                p.append("decode row \(i): margin \(row.referenceMargin) contradicts the tokens")
            }
            if row.passed != (verdict != .mismatch && row.cosine >= thresholds.decodeCosineMin) {
                p.append("decode row \(i): passed=\(row.passed) contradicts its verdict and cosine")
            }
        }
        let derived = DecodeRung(rows: rung.rows, stepsRequested: steps)
        if !Self.same(derived, rung) { p.append("decode status or counts do not match its rows") }
        return p
    }

    /// Equality that treats NaN as equal to NaN (so a NaN is reported once, as NaN, not also as a mismatch).
    static func same<T: Encodable>(_ a: T, _ b: T) -> Bool {
        let e = ReceiptCodec.encoder(pretty: false)
        return (try? e.encode([a])) == (try? e.encode([b]))
    }

    static func describe(_ error: Error) -> String {
        switch error as? DecodingError {
        case .keyNotFound(let key, let context)?:
            return "missing field `\(path(context.codingPath + [key]))`"
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?, .dataCorrupted(let context)?:
            return "field `\(path(context.codingPath))`: \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }

    private static func path(_ keys: [CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined().trimmingCharacters(in: ["."])
    }
}
