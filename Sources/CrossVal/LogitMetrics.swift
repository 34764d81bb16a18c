/// How two logit rows of one position differ: the numbers every prefill and decode row of a receipt carries.
public struct LogitMetrics: Sendable, Equatable {
    /// Cosine similarity of the raw logits.
    public let cosine: Double
    /// Mean squared difference.
    public let mse: Double
    /// Largest absolute difference.
    public let maxAbsDiff: Double
    /// KL(reference ‖ ours) of the two softmax distributions, in nats.
    public let kl: Double
    /// Arg-max of the reference row (lowest id on ties, as llama.cpp's greedy sampler).
    public let referenceTop1: Int32
    /// Arg-max of our row.
    public let ourTop1: Int32
    /// How many of the reference's five most likely tokens are among ours.
    public let top5Overlap: Int

    /// Compares `ours` with `reference` (same length, one vocabulary row each). All sums run in Double.
    public init(ours: ArraySlice<Float>, reference: ArraySlice<Float>) {
        precondition(ours.count == reference.count, "rows of different length")  // internal invariant, not input
        var dot = 0.0, nOurs = 0.0, nRef = 0.0, squared = 0.0, maxAbs = 0.0
        for (o, r) in zip(ours, reference) {
            let x = Double(o), y = Double(r)
            dot += x * y
            nOurs += x * x
            nRef += y * y
            let d = x - y
            squared += d * d
            maxAbs = Swift.max(maxAbs, Swift.abs(d))
            if d.isNaN { maxAbs = .nan }
        }
        cosine = dot / (nOurs.squareRoot() * nRef.squareRoot())
        mse = squared / Double(Swift.max(1, ours.count))
        maxAbsDiff = maxAbs
        kl = Self.klDivergence(reference: reference, ours: ours)
        let refTop = Self.topK(reference, 5), ourTop = Self.topK(ours, 5)
        referenceTop1 = refTop.first?.id ?? -1
        ourTop1 = ourTop.first?.id ?? -1
        top5Overlap = refTop.filter { r in ourTop.contains { $0.id == r.id } }.count
    }

    /// Σ p·(log p − log q) with p = softmax(reference), q = softmax(ours), computed with log-sum-exp.
    static func klDivergence(reference: ArraySlice<Float>, ours: ArraySlice<Float>) -> Double {
        let lseRef = logSumExp(reference), lseOurs = logSumExp(ours)
        var total = 0.0
        for (r, o) in zip(reference, ours) {
            let logP = Double(r) - lseRef
            let logQ = Double(o) - lseOurs
            total += exp(logP) * (logP - logQ)
        }
        return Swift.max(0, total)  // rounding can leave −1e-17 for identical rows
    }

    static func logSumExp(_ row: ArraySlice<Float>) -> Double {
        var m = -Double.infinity
        for x in row where Double(x) > m { m = Double(x) }
        var sum = 0.0
        for x in row { sum += exp(Double(x) - m) }
        return m + log(sum)
    }

    /// The `k` largest entries, highest first; equal logits in id order (lowest id first).
    public static func topK(_ row: ArraySlice<Float>, _ k: Int) -> [(id: Int32, logit: Float)] {
        var best: [(id: Int32, logit: Float)] = []
        for (offset, x) in row.enumerated() {
            if best.count == k, let last = best.last, !(x > last.logit) { continue }
            let entry = (id: Int32(offset), logit: x)
            let at = best.firstIndex { x > $0.logit } ?? best.count
            best.insert(entry, at: at)
            if best.count > k { best.removeLast() }
        }
        return best
    }

    /// The arg-max of `row` (lowest id on ties).
    public static func argmax(_ row: ArraySlice<Float>) -> Int32 { topK(row, 1).first?.id ?? -1 }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
