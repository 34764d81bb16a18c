import Foundation

/// Metrics shared by the parity tests (engine vs llama.cpp).
public enum ParityMetrics {
    /// Cosine similarity of two logit rows, summed in Double.
    public static func cosine(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for (x, y) in zip(a, b) { dot += Double(x) * Double(y); na += Double(x) * Double(x); nb += Double(y) * Double(y) }
        return dot / (na.squareRoot() * nb.squareRoot())
    }

    /// Index of the largest value (the lowest index on ties, as llama.cpp's greedy sampler).
    public static func argmax(_ a: ArraySlice<Float>) -> Int32 {
        var best = a.startIndex
        for i in a.indices where a[i] > a[best] { best = i }
        return Int32(best - a.startIndex)
    }

    /// False when `BITNET_SKIP_REFERENCE_TESTS=1` opts out of the llama.cpp tier.
    public static var referenceEnabled: Bool { ProcessInfo.processInfo.environment["BITNET_SKIP_REFERENCE_TESTS"] != "1" }

    /// How one teacher-forced greedy step compares.
    public enum GreedyStep: Equatable, Sendable {
        /// Both pick `token`.
        case exact(token: Int32)
        /// The picks differ, but llama.cpp's own logit for its pick exceeds its logit for ours by less than the
        /// tie margin: a near-tie inside the reference's accumulation noise.
        case nearTie(reference: Int32, ours: Int32, margin: Float)
        /// The picks differ by a margin the reference itself is sure of.
        case mismatch(reference: Int32, ours: Int32, margin: Float)

        /// The token llama.cpp picked (the one fed to both engines next, teacher-forcing).
        public var referenceToken: Int32 {
            switch self {
            case .exact(let t), .nearTie(let t, _, _), .mismatch(let t, _, _): t
            }
        }
    }

    /// Judges one greedy step from both engines' logit rows; `tieMargin` is in logits, measured on llama.cpp's row.
    public static func greedyStep(reference: ArraySlice<Float>, ours: ArraySlice<Float>, tieMargin: Float) -> GreedyStep {
        let t = argmax(reference), o = argmax(ours)
        if t == o { return .exact(token: t) }
        let margin = reference[reference.startIndex + Int(t)] - reference[reference.startIndex + Int(o)]
        return margin < tieMargin ? .nearTie(reference: t, ours: o, margin: margin)
            : .mismatch(reference: t, ours: o, margin: margin)
    }
}
