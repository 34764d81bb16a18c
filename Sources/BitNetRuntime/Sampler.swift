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
public struct Sampler: Sendable {
    public let parameters: SamplingParameters
    private var rng: SplitMix64
    private var candidates: [(id: Int32, logit: Float)] = []

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
        for (i, v) in logits.enumerated() { candidates.append((Int32(i), v)) }
        if penalised { applyPenalties(history) }
        if p.temperature <= 0 {
            return candidates.max { $0.logit < $1.logit }!.id
        }
        candidates.sort { $0.logit > $1.logit }
        if p.topK > 0 && p.topK < candidates.count { candidates.removeSubrange(p.topK...) }
        var probs = softmax(candidates.map(\.logit), temperature: 1)
        if p.topP < 1 {
            var cum: Float = 0, keep = probs.count
            for (i, q) in probs.enumerated() { cum += q; if cum >= p.topP { keep = i + 1; break } }
            candidates.removeSubrange(keep...)
        }
        if p.minP > 0, let top = candidates.first?.logit {
            // p_i ≥ minP·p_max  ⇔  logit_i ≥ logit_max + ln(minP)
            let cut = top + log(p.minP)
            candidates.removeAll { $0.logit < cut }
        }
        probs = softmax(candidates.map(\.logit), temperature: p.temperature)
        let r = Float(Double(rng.next() >> 11) * 0x1p-53)
        var cum: Float = 0
        for (i, q) in probs.enumerated() { cum += q; if r < cum { return candidates[i].id } }
        return candidates.last!.id
    }

    private mutating func applyPenalties(_ history: [Int32]) {
        let p = parameters
        var counts: [Int32: Int] = [:]
        for t in history.suffix(p.penaltyLastN) { counts[t, default: 0] += 1 }
        for (t, c) in counts where Int(t) < candidates.count && t >= 0 {
            var l = candidates[Int(t)].logit
            l = l > 0 ? l / p.repeatPenalty : l * p.repeatPenalty
            l -= Float(c) * p.frequencyPenalty + p.presencePenalty
            candidates[Int(t)].logit = l
        }
    }

    private func softmax(_ logits: [Float], temperature: Float) -> [Float] {
        guard let m = logits.max() else { return [] }
        let e = logits.map { exp(($0 - m) / temperature) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }
}

/// How likely the model found a sampled token, and its most likely alternatives, as natural-log probabilities.
///
/// Values are the log-softmax of the model's logits at that position, before repetition penalties and temperature
/// (the model's own distribution, as OpenAI reports it), so they do not depend on the sampling settings.
public struct TokenLogprob: Sendable, Codable, Equatable {
    /// One token and its log-probability.
    public struct Candidate: Sendable, Codable, Equatable {
        public var token: Int32
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
