import BitNetRuntime
import Foundation
import LlamaReference
import Tokenizers

/// One prompt's ladder over shared sessions and reference contexts (each reset before use).
///
/// - prefill: our session with an F32 KV cache against llama.cpp `precise` (flash attention off, F32 cache), where
///   both do the same arithmetic;
/// - decode: our session with an F16 cache against llama.cpp `default`, teacher-forced on llama.cpp's tokens so one
///   divergence does not cascade. docs/parity.md explains the pairing.
struct PromptLadder {
    let tokenizer: Tokenizer
    let referenceModel: LlamaModel
    let precise: LlamaContext
    let standard: LlamaContext
    let prefillSession: InferenceSession
    let decodeSession: InferenceSession
    let thresholds: CrossValReceipt.Thresholds
    let steps: Int
    let timeout: Duration

    private(set) var ourPrefillSeconds = 0.0, ourDecodeSeconds = 0.0
    private(set) var referencePrefillSeconds = 0.0, referenceDecodeSeconds = 0.0
    private let clock = ContinuousClock()

    init(tokenizer: Tokenizer, referenceModel: LlamaModel, precise: LlamaContext, standard: LlamaContext,
         prefillSession: InferenceSession, decodeSession: InferenceSession, thresholds: CrossValReceipt.Thresholds,
         steps: Int, timeout: Duration)
    {
        self.tokenizer = tokenizer
        self.referenceModel = referenceModel
        self.precise = precise
        self.standard = standard
        self.prefillSession = prefillSession
        self.decodeSession = decodeSession
        self.thresholds = thresholds
        self.steps = steps
        self.timeout = timeout
    }

    mutating func run(index: Int, text: String, tokens: (ours: [Int32], reference: [Int32]),
                      progress: (String) -> Void) throws(CrossValError) -> PromptResult
    {
        let tokenRung = TokenComparison.compare(
            ours: tokens.ours, reference: tokens.reference, ourPiece: ourPiece,
            referencePiece: { id in
                (try? self.referenceModel.piece(for: id)).map { String(decoding: $0, as: UTF8.self) } ?? "?"
            })
        progress("prompt \(index): tokens \(tokenRung.status.rawValue) (\(tokens.reference.count) tokens)")
        var result = PromptResult(index: index, text: text, status: .fail, failedRung: nil, tokens: tokenRung,
                                  prefill: .skipped, decode: .skipped(steps: steps))
        guard tokenRung.status == .pass else {
            result.failedRung = "tokens"
            return result
        }
        result.prefill = try prefill(tokens.reference)
        progress("prompt \(index): prefill \(result.prefill.status.rawValue) (min cosine \(result.prefill.minCosine ?? .nan))")
        guard result.prefill.status == .pass else {
            result.failedRung = "prefill"
            return result
        }
        result.decode = try decode(tokens.reference)
        progress("prompt \(index): decode \(result.decode.status.rawValue) (\(result.decode.exact)/\(steps) exact, "
            + "\(result.decode.nearTies) near-ties)")
        guard result.decode.status == .pass else {
            result.failedRung = "decode"
            return result
        }
        result.status = .pass
        return result
    }

    private func ourPiece(_ id: Int32) -> String {
        String(decoding: tokenizer.tokenToPiece(id, renderSpecial: true), as: UTF8.self)
    }

    private func ranked(_ row: ArraySlice<Float>) -> [RankedToken] {
        LogitMetrics.topK(row, 5).map { RankedToken(id: $0.id, logit: Double($0.logit), piece: ourPiece($0.id)) }
    }

    private mutating func prefill(_ prompt: [Int32]) throws(CrossValError) -> PrefillRung {
        var t = clock.now
        let theirs = try CrossValRunner.reference { () throws(ReferenceError) in
            try precise.reset()
            return try precise.eval(prompt, logits: .all, timeout: timeout)
        }
        referencePrefillSeconds += (clock.now - t).seconds
        t = clock.now
        prefillSession.truncate(to: 0)
        let ours: [Float]
        do { ours = try prefillSession.evaluate(prompt, allLogits: true) } catch { throw .engine(error) }
        ourPrefillSeconds += (clock.now - t).seconds
        let v = prefillSession.vocabSize
        guard theirs.rows == prompt.count, ours.count == prompt.count * v, theirs.vocabularySize == v else {
            throw .incomparable("prefill of \(prompt.count) tokens gave \(theirs.rows) reference rows of "
                + "\(theirs.vocabularySize) and \(ours.count) of our logits (vocabulary \(v))")
        }
        var rows: [PrefillRow] = []
        var divergence: Divergence?
        for p in 0..<prompt.count {
            let mine = ours[(p * v)..<((p + 1) * v)], ref = theirs.row(p)
            let m = LogitMetrics(ours: mine, reference: ref)
            let passed = m.cosine >= thresholds.prefillCosineMin
            rows.append(PrefillRow(position: p, token: prompt[p], cosine: m.cosine, mse: m.mse,
                                   maxAbsDiff: m.maxAbsDiff, kl: m.kl, referenceTop1: m.referenceTop1,
                                   ourTop1: m.ourTop1, top5Overlap: m.top5Overlap, passed: passed))
            if !passed, divergence == nil {
                divergence = Divergence(position: p, ourTop5: ranked(mine), referenceTop5: ranked(ref))
            }
        }
        return PrefillRung(status: divergence == nil ? .pass : .fail, rows: rows, minCosine: Self.minimum(rows.map(\.cosine)),
                           maxKl: Self.maximum(rows.map(\.kl)), firstDivergence: divergence)
    }

    private mutating func decode(_ prompt: [Int32]) throws(CrossValError) -> DecodeRung {
        var t = clock.now
        var theirs = try CrossValRunner.reference { () throws(ReferenceError) in
            try standard.reset()
            return try standard.eval(prompt, logits: .last, timeout: timeout).values
        }
        referenceDecodeSeconds += (clock.now - t).seconds
        t = clock.now
        decodeSession.truncate(to: 0)
        var ours: [Float]
        do { ours = try decodeSession.evaluate(prompt) } catch { throw .engine(error) }
        ourDecodeSeconds += (clock.now - t).seconds

        var rows: [DecodeRow] = []
        for step in 0..<steps {
            let m = LogitMetrics(ours: ours[...], reference: theirs[...])
            let chosen = m.referenceTop1, mine = m.ourTop1
            let margin = chosen == mine ? 0 : Double(theirs[Int(chosen)]) - Double(theirs[Int(mine)])
            let verdict = DecodeRow.verdict(reference: chosen, ours: mine, margin: margin, tieMargin: thresholds.tieMargin)
            rows.append(DecodeRow(
                step: step, referenceToken: chosen, ourToken: mine, referenceMargin: margin, verdict: verdict,
                cosine: m.cosine, mse: m.mse, maxAbsDiff: m.maxAbsDiff, kl: m.kl, top5Overlap: m.top5Overlap,
                passed: verdict != .mismatch && m.cosine >= thresholds.decodeCosineMin))
            guard step + 1 < steps else { break }
            t = clock.now
            theirs = try CrossValRunner.reference { () throws(ReferenceError) in
                try standard.eval([chosen], logits: .last, timeout: timeout).values
            }
            referenceDecodeSeconds += (clock.now - t).seconds
            t = clock.now
            do { ours = try decodeSession.evaluate([chosen]) } catch { throw .engine(error) }
            ourDecodeSeconds += (clock.now - t).seconds
        }
        return DecodeRung(rows: rows, stepsRequested: steps)
    }

    static func minimum(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.contains(where: \.isNaN) ? .nan : values.min()
    }

    static func maximum(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.contains(where: \.isNaN) ? .nan : values.max()
    }
}

extension DecodeRow {
    /// The near-tie rule: different tokens are a near-tie when the reference's own margin is below `tieMargin`.
    static func verdict(reference: Int32, ours: Int32, margin: Double, tieMargin: Double) -> StepVerdict {
        if reference == ours { return .match }
        return margin < tieMargin ? .nearTie : .mismatch
    }
}

extension DecodeRung {
    /// The rung's totals and status, derived from its rows (the verifier derives them the same way).
    init(rows: [DecodeRow], stepsRequested: Int) {
        self.init(
            status: rows.allSatisfy(\.passed) && rows.count == stepsRequested ? .pass : .fail,
            stepsRequested: stepsRequested, rows: rows,
            firstDivergentStep: rows.first { $0.referenceToken != $0.ourToken }?.step,
            exact: rows.count { $0.verdict == .match }, nearTies: rows.count { $0.verdict == .nearTie },
            mismatches: rows.count { $0.verdict == .mismatch }, minCosine: PromptLadder.minimum(rows.map(\.cosine)))
    }
}

extension CrossValReceipt.Summary {
    /// Totals over `prompts` (the verifier recomputes these and compares).
    init(prompts: [PromptResult]) {
        let prefill = prompts.flatMap(\.prefill.rows), decode = prompts.flatMap(\.decode.rows)
        let failed = prompts.first { $0.status != .pass }
        self.init(
            prompts: prompts.count, promptsPassed: prompts.count { $0.status == .pass },
            prefillPositions: prefill.count, minPrefillCosine: PromptLadder.minimum(prefill.map(\.cosine)),
            maxPrefillKl: PromptLadder.maximum(prefill.map(\.kl)), decodeSteps: decode.count,
            decodeExact: decode.count { $0.verdict == .match }, decodeNearTies: decode.count { $0.verdict == .nearTie },
            decodeMismatches: decode.count { $0.verdict == .mismatch },
            minDecodeCosine: PromptLadder.minimum(decode.map(\.cosine)),
            firstFailure: failed.map { "prompt \($0.index): \($0.failedRung ?? "unknown")" })
    }
}
