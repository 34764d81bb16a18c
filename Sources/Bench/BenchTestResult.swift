/// One test's raw times and the rates derived from them, for our engine and (when it ran) llama.cpp.
///
/// The raw times are the record; every rate is `timedTokens × 10^9 ÷ nanoseconds` of one repetition, and the means,
/// deviations and ratio are computed from those rates — which is what `verify-receipt` recomputes.
public struct BenchTestResult: Sendable, Codable {
    /// llama-bench's name: `pp512`, `tg128`.
    public let test: String
    public let promptTokens: Int, generateTokens: Int
    /// Our wall time of each repetition, in nanoseconds.
    public let runNanoseconds: [Int]
    /// Our rate per repetition (tokens per second).
    public let samples: [Double]
    /// llama.cpp's wall time of each repetition (llama-bench's `samples_ns`), interleaved with ours, when measured.
    public let referenceRunNanoseconds: [Int]?
    /// llama.cpp's rate per repetition, when measured.
    public let referenceSamples: [Double]?

    /// Mean and sample standard deviation of `samples`.
    public let mean: Double, standardDeviation: Double
    /// The same for `referenceSamples`, and our mean over llama.cpp's.
    public let referenceMean: Double?, referenceStandardDeviation: Double?, ratio: Double?

    /// Decode tests only: bytes read per token (`DecodeTraffic`), the rate that implies at our mean speed, and that
    /// rate as a percentage of the measured read bandwidth. Filled in by `withTraffic`.
    public private(set) var bytesPerToken: Double?
    public private(set) var gigabytesPerSecond: Double?
    public private(set) var percentOfBound: Double?

    /// The tokens one repetition times: the prompt for `ppN`, the generated tokens for `tgN`.
    public var timedTokens: Int { promptTokens > 0 ? promptTokens : generateTokens }

    public init(test: String, promptTokens: Int, generateTokens: Int, runNanoseconds: [Int],
                referenceRunNanoseconds: [Int]?) {
        self.test = test
        self.promptTokens = promptTokens
        self.generateTokens = generateTokens
        self.runNanoseconds = runNanoseconds
        self.referenceRunNanoseconds = referenceRunNanoseconds
        let tokens = promptTokens > 0 ? promptTokens : generateTokens
        samples = runNanoseconds.map { Self.rate(tokens: tokens, nanoseconds: $0) }
        referenceSamples = referenceRunNanoseconds.map { $0.map { Self.rate(tokens: tokens, nanoseconds: $0) } }
        mean = Self.mean(samples)
        standardDeviation = Self.standardDeviation(samples)
        let ourMean = Self.mean(samples), theirMean = referenceSamples.map(Self.mean)
        referenceMean = theirMean
        referenceStandardDeviation = referenceSamples.map(Self.standardDeviation)
        ratio = theirMean.flatMap { Self.ratio(ourMean, $0) }
    }

    /// This result with the decode traffic columns filled in (unchanged for prefill tests).
    public func withTraffic(_ traffic: DecodeTraffic, bandwidth: MemoryBandwidth?) -> BenchTestResult {
        guard promptTokens == 0, generateTokens > 0 else { return self }
        var copy = self
        let bytes = traffic.bytesPerToken(generateTokens: generateTokens)
        copy.bytesPerToken = bytes
        let rate = Self.gigabytesPerSecond(bytesPerToken: bytes, tokensPerSecond: mean)
        copy.gigabytesPerSecond = rate
        copy.percentOfBound = bandwidth.map { Self.percent(rate, of: $0.gigabytesPerSecond) }
        return copy
    }

    /// Tokens per second of one repetition.
    public static func rate(tokens: Int, nanoseconds: Int) -> Double { Double(tokens) * 1e9 / Double(nanoseconds) }
    /// Arithmetic mean (0 for no samples).
    public static func mean(_ x: [Double]) -> Double { x.isEmpty ? 0 : x.reduce(0, +) / Double(x.count) }
    /// Sample standard deviation (n − 1), as llama-bench reports it; 0 for fewer than two samples.
    public static func standardDeviation(_ x: [Double]) -> Double {
        guard x.count > 1 else { return 0 }
        let m = mean(x)
        return (x.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(x.count - 1)).squareRoot()
    }
    /// Ours ÷ reference, nil when the reference rate is not positive.
    public static func ratio(_ ours: Double, _ reference: Double) -> Double? { reference > 0 ? ours / reference : nil }
    /// Memory traffic in 10^9 bytes per second.
    public static func gigabytesPerSecond(bytesPerToken: Double, tokensPerSecond: Double) -> Double {
        bytesPerToken * tokensPerSecond / 1e9
    }
    /// `value` as a percentage of `bound`.
    public static func percent(_ value: Double, of bound: Double) -> Double { 100 * value / bound }
}
