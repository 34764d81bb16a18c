import Foundation

/// How the next token is chosen from logits. `temperature <= 0` means greedy (argmax).
public struct SamplingParameters: Sendable, Codable, Equatable {
    /// Softmax temperature; 0 or less is greedy.
    public var temperature: Float = 0.8
    /// Keep the `topK` most likely tokens (0 = all).
    public var topK: Int = 40
    /// Keep the smallest set whose probability reaches `topP` (1 = all).
    public var topP: Float = 0.95
    /// Drop tokens less likely than `minP` × the most likely one (0 = off).
    public var minP: Float = 0.05
    /// Divide positive (multiply negative) logits of recent tokens by this (1 = off).
    public var repeatPenalty: Float = 1.0
    /// Subtract `frequencyPenalty × count` from recent tokens' logits.
    public var frequencyPenalty: Float = 0
    /// Subtract `presencePenalty` from every recent token's logit.
    public var presencePenalty: Float = 0
    /// How many recent tokens the penalties look at.
    public var penaltyLastN: Int = 64
    /// Random seed; the same seed and inputs give the same tokens.
    public var seed: UInt64 = 0x5EED

    /// The defaults of `bitnet run` (see each property).
    public init() {}

    /// Greedy decoding.
    public static var greedy: SamplingParameters { var p = SamplingParameters(); p.temperature = 0; return p }

    /// Checks ranges; returns a message for the first invalid field.
    public func validationError() -> String? {
        if !temperature.isFinite { return "temperature must be finite" }
        if topK < 0 { return "top-k must be 0 or more" }
        if !(topP > 0 && topP <= 1) { return "top-p must be in (0, 1]" }
        if !(minP >= 0 && minP <= 1) { return "min-p must be in [0, 1]" }
        if !(repeatPenalty > 0) || !repeatPenalty.isFinite { return "repeat penalty must be positive" }
        if penaltyLastN < 0 { return "penalty window must be 0 or more" }
        return nil
    }
}

/// Picks tokens: penalties, then top-k, top-p, min-p, temperature, and a seeded draw (or argmax when greedy).
///
/// Candidates are ranked by logit, ties by lower token id (a total order, so the ranking does not depend on the
/// sorting algorithm). The buffers are kept between calls: after the first token, sampling allocates nothing.
public struct Sampler: Sendable {
    /// The settings this sampler applies.
    public let parameters: SamplingParameters
    private var rng: SplitMix64
    private var candidates: [(id: Int32, logit: Float)] = []
    private var probabilities: [Float] = []
    private var counts: [Int32: Int] = [:]

    /// A sampler applying `parameters` (its draws seeded from `parameters.seed`).
    public init(_ parameters: SamplingParameters) {
        self.parameters = parameters
        rng = SplitMix64(seed: parameters.seed)
    }

    /// The index of the largest logit (the first one on ties).
    public static func argmax(_ logits: UnsafeBufferPointer<Float>) -> Int32 {
        var best = 0
        var bestValue = -Float.infinity
        for (i, v) in logits.enumerated() where v > bestValue { best = i; bestValue = v }
        return Int32(best)
    }

    /// Chooses the next token from `logits` given the tokens generated or seen so far.
    public mutating func sample(_ logits: UnsafeBufferPointer<Float>, history: [Int32]) -> Int32 {
        let p = parameters
        let penalised = p.repeatPenalty != 1 || p.frequencyPenalty != 0 || p.presencePenalty != 0
        if p.temperature <= 0 && !penalised { return Sampler.argmax(logits) }
        candidates.removeAll(keepingCapacity: true)
        candidates.reserveCapacity(logits.count)
        for (i, v) in logits.enumerated() { candidates.append((Int32(i), v)) }
        if penalised { applyPenalties(history) }
        if p.temperature <= 0 {
            var best = 0
            for i in candidates.indices where Self.ranksBefore(candidates[i], candidates[best]) { best = i }
            return candidates[best].id
        }
        keepBest(p.topK > 0 ? min(p.topK, candidates.count) : candidates.count)
        if p.topP < 1 {
            fillProbabilities(temperature: 1)
            var cum: Float = 0, keep = probabilities.count
            for (i, q) in probabilities.enumerated() { cum += q; if cum >= p.topP { keep = i + 1; break } }
            candidates.removeSubrange(keep...)
        }
        if p.minP > 0, let top = candidates.first?.logit {
            // p_i ≥ minP·p_max  ⇔  logit_i ≥ logit_max + ln(minP)
            let cut = top + log(p.minP)
            candidates.removeAll { $0.logit < cut }
        }
        fillProbabilities(temperature: p.temperature)
        let r = Float(Double(rng.next() >> 11) * 0x1p-53)
        var cum: Float = 0
        for (i, q) in probabilities.enumerated() { cum += q; if r < cum { return candidates[i].id } }
        return candidates.last!.id
    }

    /// Whether `a` ranks before `b`: higher logit, then lower id.
    @inline(__always)
    static func ranksBefore(_ a: (id: Int32, logit: Float), _ b: (id: Int32, logit: Float)) -> Bool {
        a.logit > b.logit || (a.logit == b.logit && a.id < b.id)
    }

    /// Leaves the `k` best candidates, best first, in place: a heap of the k best (the worst of them at its root)
    /// over one pass, then a heap sort of those k. O(n log k), no allocation.
    private mutating func keepBest(_ k: Int) {
        guard k > 0 else { candidates.removeAll(keepingCapacity: true); return }
        candidates.withUnsafeMutableBufferPointer { c in
            // Worst-at-root heap over c[0..<end]: every parent ranks after (is worse than) its children.
            func siftDown(_ start: Int, _ end: Int) {
                var i = start
                while true {
                    let l = 2 * i + 1, r = l + 1
                    var worst = i
                    if l < end && Self.ranksBefore(c[worst], c[l]) { worst = l }
                    if r < end && Self.ranksBefore(c[worst], c[r]) { worst = r }
                    if worst == i { return }
                    c.swapAt(i, worst)
                    i = worst
                }
            }
            for i in stride(from: k / 2 - 1, through: 0, by: -1) { siftDown(i, k) }
            for i in k..<c.count where Self.ranksBefore(c[i], c[0]) {
                c.swapAt(0, i)
                siftDown(0, k)
            }
            // Move the worst remaining to the end of the heap region, repeatedly: best first at the end.
            var end = k
            while end > 1 {
                end -= 1
                c.swapAt(0, end)
                siftDown(0, end)
            }
        }
        candidates.removeSubrange(k...)
    }

    private mutating func applyPenalties(_ history: [Int32]) {
        let p = parameters
        counts.removeAll(keepingCapacity: true)
        for t in history.suffix(p.penaltyLastN) { counts[t, default: 0] += 1 }
        for (t, c) in counts where Int(t) < candidates.count && t >= 0 {
            var l = candidates[Int(t)].logit
            l = l > 0 ? l / p.repeatPenalty : l * p.repeatPenalty
            l -= Float(c) * p.frequencyPenalty + p.presencePenalty
            candidates[Int(t)].logit = l
        }
    }

    /// `probabilities[i]` = softmax of the candidates' logits at `temperature`, in candidate order.
    private mutating func fillProbabilities(temperature: Float) {
        probabilities.removeAll(keepingCapacity: true)
        guard let m = candidates.lazy.map(\.logit).max() else { return }
        var s: Float = 0
        for c in candidates {
            let e = exp((c.logit - m) / temperature)
            probabilities.append(e)
            s += e
        }
        for i in probabilities.indices { probabilities[i] /= s }
    }
}

/// How likely the model found a sampled token, and its most likely alternatives, as natural-log probabilities.
///
/// Values are the log-softmax of the model's logits at that position, before repetition penalties and temperature
/// (the model's own distribution, as OpenAI reports it), so they do not depend on the sampling settings.
public struct TokenLogprob: Sendable, Codable, Equatable {
    /// One token and its log-probability.
    public struct Candidate: Sendable, Codable, Equatable {
        /// The token id.
        public var token: Int32
        /// Its natural-log probability.
        public var logprob: Float
    }
    /// The sampled token.
    public var token: Int32
    /// Its log-probability (≤ 0).
    public var logprob: Float
    /// The most likely tokens, most likely first (ties: lower id first); as many as were asked for.
    public var top: [Candidate]

    /// The log-probability of `token` and of the `topCount` most likely tokens under `softmax(logits)`.
    ///
    /// Two passes over the vocabulary plus an insertion into a list of at most `topCount` entries per candidate that
    /// beats the current last one; only called when a request asks for log-probabilities.
    public init(token: Int32, logits: UnsafeBufferPointer<Float>, topCount: Int) {
        var maxLogit = -Float.infinity
        for v in logits where v > maxLogit { maxLogit = v }
        // log Σ exp(l) = max + log Σ exp(l − max); Double keeps the sum exact enough over ~10⁵ terms.
        var sum = 0.0
        for v in logits { sum += exp(Double(v - maxLogit)) }
        let logSumExp = Double(maxLogit) + log(sum)
        func logSoftmax(_ v: Float) -> Float { Float(Double(v) - logSumExp) }

        self.token = token
        logprob = logits.indices.contains(Int(token)) ? logSoftmax(logits[Int(token)]) : -.infinity
        let n = min(max(0, topCount), logits.count)
        var best: [(id: Int, logit: Float)] = []
        best.reserveCapacity(n + 1)
        if n > 0 {
            for (i, v) in logits.enumerated() where best.count < n || v > best[best.count - 1].logit {
                // Insert after every entry ≥ v, so equal logits keep the lower id first.
                var at = best.count
                while at > 0 && best[at - 1].logit < v { at -= 1 }
                best.insert((i, v), at: at)
                if best.count > n { best.removeLast() }
            }
        }
        top = best.map { Candidate(token: Int32($0.id), logprob: logSoftmax($0.logit)) }
    }
}

/// SplitMix64: a small, fast, reproducible generator for sampling.
struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
