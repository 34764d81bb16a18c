import Foundation

/// How far two logit dumps (`LogitDump`) of the same model and prompts are from each other, per prompt and overall.
public struct LogitDistance: Codable, Sendable, Equatable {
    /// The two dumps: source and level of each (e.g. `llama.cpp x86-64-v3` and `llama.cpp native`).
    public var a: String
    public var b: String
    public var prompts: [PromptDistance]
    /// Over every prompt: the lowest cosine, the largest |Δlogit|, the positions whose arg-max differs, and the
    /// greedy tokens lost (steps after the first divergence).
    public var minCosine: Double
    public var maxAbsDiff: Double
    public var positions: Int
    public var top1Disagreements: Int
    public var steps: Int
    public var greedyTokensLost: Int
    /// True when every row and every greedy token is identical.
    public var identical: Bool

    /// One prompt.
    public struct PromptDistance: Codable, Sendable, Equatable {
        public var index: Int
        public var tokensEqual: Bool
        public var positions: Int
        public var minCosine: Double
        public var maxAbsDiff: Double
        public var top1Disagreements: Int
        /// How many greedy tokens agree before the first difference, out of `steps`.
        public var greedyPrefix: Int
        public var steps: Int
        public var identicalRows: Bool
    }

    /// Compares the dumps at `pathA` and `pathB`.
    ///
    /// - Throws: `invalidConfiguration` when a dump cannot be read, `incomparable` when they are of different
    ///   prompts, vocabularies or step counts.
    public static func compare(_ pathA: String, _ pathB: String) throws(CrossValError) -> LogitDistance {
        let (a, rowsA) = try LogitDump.load(pathA)
        let (b, rowsB) = try LogitDump.load(pathB)
        guard a.vocabSize == b.vocabSize, a.prompts.count == b.prompts.count, a.steps == b.steps,
              zip(a.prompts, b.prompts).allSatisfy({ $0.text == $1.text }) else {
            throw .incomparable("\(pathA) and \(pathB) are not of the same prompts, vocabulary and step count")
        }
        let vocab = a.vocabSize
        var prompts: [PromptDistance] = []
        rowsA.withUnsafeBytes { bytesA in
            rowsB.withUnsafeBytes { bytesB in
                // Both buffers hold exactly the floats their headers describe (checked by `load`).
                let fa = bytesA.bindMemory(to: Float.self), fb = bytesB.bindMemory(to: Float.self)
                for (index, (pa, pb)) in zip(a.prompts, b.prompts).enumerated() {
                    let positions = min(pa.tokens.count, pb.tokens.count)
                    var minCos = 1.0, maxAbs = 0.0, disagreements = 0, identical = pa.tokens == pb.tokens
                    for p in 0..<positions {
                        let ra = fa[(pa.offset + p * vocab)..<(pa.offset + (p + 1) * vocab)]
                        let rb = fb[(pb.offset + p * vocab)..<(pb.offset + (p + 1) * vocab)]
                        // Bit-identical rows count as cosine 1 and |Δ| 0 exactly (a computed cosine of a row with
                        // itself can round below 1); the others are measured as crossval measures them.
                        if zip(ra, rb).allSatisfy({ $0.bitPattern == $1.bitPattern }) { continue }
                        identical = false
                        let m = LogitMetrics(ours: ArraySlice(ra), reference: ArraySlice(rb))
                        minCos = min(minCos, m.cosine)
                        maxAbs = max(maxAbs, m.maxAbsDiff)
                        if m.ourTop1 != m.referenceTop1 { disagreements += 1 }
                    }
                    let prefix = zip(pa.greedy, pb.greedy).prefix { $0 == $1 }.count
                    prompts.append(PromptDistance(
                        index: index, tokensEqual: pa.tokens == pb.tokens, positions: positions, minCosine: minCos,
                        maxAbsDiff: maxAbs, top1Disagreements: disagreements, greedyPrefix: prefix, steps: a.steps,
                        identicalRows: identical))
                }
            }
        }
        return LogitDistance(
            a: "\(a.source) \(a.level)", b: "\(b.source) \(b.level)", prompts: prompts,
            minCosine: prompts.map(\.minCosine).min() ?? 1, maxAbsDiff: prompts.map(\.maxAbsDiff).max() ?? 0,
            positions: prompts.reduce(0) { $0 + $1.positions },
            top1Disagreements: prompts.reduce(0) { $0 + $1.top1Disagreements },
            steps: prompts.reduce(0) { $0 + $1.steps },
            greedyTokensLost: prompts.reduce(0) { $0 + $1.steps - $1.greedyPrefix },
            identical: prompts.allSatisfy { $0.identicalRows && $0.tokensEqual && $0.greedyPrefix == $0.steps })
    }
}
