import Foundation

/// The human-readable form of a receipt: one compact table per rung and prompt.
public enum CrossValReport {
    /// Text for a terminal.
    public static func text(_ r: CrossValReceipt) -> String {
        var lines = [
            "model      \(r.model.path) (\(r.model.architecture), \(r.model.weightType), sha256 \(r.model.sha256.prefix(12))…)",
            "reference  llama.cpp \(r.reference.commit) (b\(r.reference.buildNumber), shim ABI \(r.reference.shimAbi)), "
                + "\(r.reference.threads) thread(s)",
            "engine     bitnet-swift \(r.engine.version), \(r.engine.threads) thread(s), commit \(r.git.commit.prefix(12))",
            String(format: "thresholds prefill cosine ≥ %@, decode cosine ≥ %@, near-tie margin %@ (%@)",
                   "\(r.thresholds.prefillCosineMin)", "\(r.thresholds.decodeCosineMin)", "\(r.thresholds.tieMargin)",
                   r.thresholds.source),
        ]
        for p in r.prompts {
            lines.append("")
            lines.append("prompt \(p.index): \(p.text.debugDescription.prefix(70))  [\(p.status.rawValue)]")
            lines.append(tokenLine(p.tokens))
            lines += prefillLines(p.prefill)
            lines += decodeLines(p.decode)
        }
        let s = r.summary
        lines.append("")
        lines.append(String(format: "timings    ours: load %.2fs prefill %.2fs decode %.2fs | llama.cpp: load %.2fs prefill %.2fs decode %.2fs",
                            r.timings.engine.loadSeconds, r.timings.engine.prefillSeconds, r.timings.engine.decodeSeconds,
                            r.timings.reference.loadSeconds, r.timings.reference.prefillSeconds,
                            r.timings.reference.decodeSeconds))
        lines.append("summary    \(s.promptsPassed)/\(s.prompts) prompts pass; min prefill cosine \(s.minPrefillCosine.map { "\($0)" } ?? "-"); "
            + "greedy \(s.decodeExact)/\(s.decodeSteps) exact, \(s.decodeNearTies) near-ties, \(s.decodeMismatches) mismatches")
        lines.append("status     \(r.status.rawValue.uppercased())" + (s.firstFailure.map { " (first failure: \($0))" } ?? ""))
        return lines.joined(separator: "\n")
    }

    private static func tokenLine(_ t: TokenRung) -> String {
        guard let m = t.firstMismatch else { return "  tokens   pass: \(t.reference.count) ids identical" }
        func side(_ id: Int32?, _ piece: String?) -> String {
            id.map { "\($0) \((piece ?? "").debugDescription)" } ?? "(ended)"
        }
        return "  tokens   FAIL at index \(m.index): ours \(side(m.ourId, m.ourPiece)), llama.cpp \(side(m.referenceId, m.referencePiece))"
    }

    private static func prefillLines(_ rung: PrefillRung) -> [String] {
        guard rung.status != .skipped else { return ["  prefill  skipped"] }
        var lines = ["  prefill  \(rung.status.rawValue)   pos  token       cosine          mse    max|Δ|        KL  top1  top5"]
        for row in rung.rows {
            lines.append(String(format: "                  %5d %6d  %.12f  %9.3e  %8.2e  %8.2e  %@  %d/5",
                                row.position, row.token, row.cosine, row.mse, row.maxAbsDiff, row.kl,
                                row.referenceTop1 == row.ourTop1 ? " = " : " ≠ ", row.top5Overlap))
        }
        if let d = rung.firstDivergence {
            func list(_ ranked: [RankedToken]) -> String {
                ranked.map { "\($0.id) \($0.piece.debugDescription) \(String(format: "%.4f", $0.logit))" }.joined(separator: ", ")
            }
            lines.append("  first divergence at position \(d.position)")
            lines.append("    llama.cpp top-5: \(list(d.referenceTop5))")
            lines.append("    ours top-5:      \(list(d.ourTop5))")
        }
        return lines
    }

    private static func decodeLines(_ rung: DecodeRung) -> [String] {
        guard rung.status != .skipped else { return ["  decode   skipped"] }
        var lines = ["  decode   \(rung.status.rawValue)   step  llama.cpp   ours  verdict     margin        cosine        KL"]
        for row in rung.rows {
            lines.append(String(format: "                  %5d %9d %6d  %@ %9.4f  %.10f  %8.2e",
                                row.step, row.referenceToken, row.ourToken,
                                row.verdict.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0),
                                row.referenceMargin, row.cosine, row.kl))
        }
        lines.append("  decode   \(rung.exact)/\(rung.stepsRequested) exact, \(rung.nearTies) near-ties, \(rung.mismatches) mismatches"
            + (rung.firstDivergentStep.map { ", first divergent step \($0)" } ?? ""))
        return lines
    }
}
