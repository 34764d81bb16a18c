import BitNetModels
import Foundation
import Tokenizers

/// Why generation stopped.
public enum StopReason: String, Sendable, Codable {
    /// An end-of-generation token (EOS, EOT, `<|im_end|>` ...).
    case endOfGeneration = "eog"
    /// The requested number of tokens was produced.
    case length
    /// A stop string appeared in the text.
    case stopString = "stop"
    /// The caller asked to stop.
    case cancelled
}

/// What one generation produced and how long it took.
public struct GenerationResult: Sendable, Codable {
    /// Generated text (stop string excluded).
    public var text = ""
    /// Generated token ids (an end-of-generation token is not included).
    public var tokens: [Int32] = []
    /// Prompt tokens evaluated for this request (after reusing the cached prefix).
    public var promptTokens = 0
    /// Prompt tokens found already in the cache and not evaluated again.
    public var reusedTokens = 0
    /// One entry per generated token when log-probabilities were asked for, else empty.
    public var logprobs: [TokenLogprob] = []
    /// Why it stopped.
    public var stopReason: StopReason = .length
    /// Wall time of prompt evaluation and of decoding, in seconds.
    public var prefillSeconds = 0.0, decodeSeconds = 0.0

    /// Prompt tokens per second.
    public var prefillTokensPerSecond: Double { prefillSeconds > 0 ? Double(promptTokens) / prefillSeconds : 0 }
    /// Generated tokens per second (the first token's sampling counts as decode).
    public var decodeTokensPerSecond: Double { decodeSeconds > 0 ? Double(tokens.count) / decodeSeconds : 0 }
}

/// Runs prompts through a session and samples continuations, streaming text as it becomes valid UTF-8.
public struct Generator {
    public let session: InferenceSession
    public let tokenizer: Tokenizer

    public init(session: InferenceSession, tokenizer: Tokenizer) {
        self.session = session
        self.tokenizer = tokenizer
    }

    /// Continues `prompt` (token ids, including any BOS) by up to `maxTokens` tokens.
    ///
    /// Tokens the session already holds as a prefix of `prompt` are not evaluated again (chat turns reuse the
    /// cache). `onText` receives each new piece of text; return false from it to stop. With `logprobs` (the number
    /// of alternatives, 0 or more) each token's `TokenLogprob` goes to `onToken` before its text, and into
    /// `result.logprobs`; without it no per-token work is added.
    /// - Throws: `EngineError.contextOverflow` before any work when prompt + `maxTokens` exceed the context,
    ///   `.emptyPrompt`, `.invalidParameter`, `.model`.
    public func generate(prompt: [Int32], maxTokens: Int, sampling: SamplingParameters, stop: [String] = [],
                         logprobs topCount: Int? = nil, onText: (String) -> Bool = { _ in true },
                         onToken: (TokenLogprob) -> Void = { _ in }) throws(EngineError) -> GenerationResult {
        guard !prompt.isEmpty else { throw .emptyPrompt }
        guard maxTokens >= 0 else { throw .invalidParameter("the number of tokens to generate must be 0 or more") }
        if let why = sampling.validationError() { throw .invalidParameter(why) }
        if let topCount, topCount < 0 { throw .invalidParameter("the number of top log-probabilities must be 0 or more") }
        guard prompt.count + maxTokens <= session.contextLength else {
            throw .contextOverflow(promptTokens: prompt.count, requested: maxTokens, contextLength: session.contextLength)
        }
        var result = GenerationResult()
        // Reuse the cached prefix, but always evaluate at least the last prompt token to get its logits.
        let reuse = min(session.commonPrefixLength(with: prompt), prompt.count - 1)
        session.truncate(to: reuse)
        result.reusedTokens = reuse
        result.promptTokens = prompt.count - reuse
        let t0 = DispatchTime.now()
        let prefillLogits = try session.evaluate(Array(prompt[reuse...]))
        result.prefillSeconds = seconds(since: t0)
        // After the first step the logits are a view into the session's buffer (`decode`): no per-token copy.
        var stepLogits: UnsafeBufferPointer<Float>?
        func withLogits<R>(_ body: (UnsafeBufferPointer<Float>) -> R) -> R {
            if let stepLogits { return body(stepLogits) }
            return prefillLogits.withUnsafeBufferPointer(body)
        }

        var sampler = Sampler(sampling)
        var decoder = StreamingDecoder(tokenizer: tokenizer)
        var stopFilter = StopStringFilter(stops: stop)
        let t1 = DispatchTime.now()
        defer { result.decodeSeconds = seconds(since: t1) }
        while result.tokens.count < maxTokens {
            let next = withLogits { sampler.sample($0, history: session.tokens) }
            if tokenizer.isEndOfGeneration(next) { result.stopReason = .endOfGeneration; break }
            result.tokens.append(next)
            if let topCount {
                let lp = withLogits { TokenLogprob(token: next, logits: $0, topCount: topCount) }
                result.logprobs.append(lp)
                onToken(lp)
            }
            let (emit, hit) = stopFilter.push(decoder.feed(next))
            result.text += emit
            if !emit.isEmpty && !onText(emit) { result.stopReason = .cancelled; break }
            if hit { result.stopReason = .stopString; break }
            if result.tokens.count == maxTokens { break }
            stepLogits = try session.decode(next)
        }
        if result.stopReason != .stopString {
            let tail = stopFilter.finish(decoder.finish())
            result.text += tail
            if !tail.isEmpty { _ = onText(tail) }
        }
        result.decodeSeconds = seconds(since: t1)
        return result
    }

    private func seconds(since t: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - t.uptimeNanoseconds) / 1e9
    }
}

/// Holds back text that might be the start of a stop string, and cuts the text where a stop string appears.
struct StopStringFilter {
    let stops: [String]
    private var held = ""

    init(stops: [String]) { self.stops = stops.filter { !$0.isEmpty } }

    /// Adds `text`; returns what can be shown now and whether a stop string was found.
    mutating func push(_ text: String) -> (String, Bool) {
        guard !stops.isEmpty else { return (text, false) }
        held += text
        for s in stops {
            if let r = held.range(of: s) {
                let out = String(held[..<r.lowerBound])
                held = ""
                return (out, true)
            }
        }
        // Keep the longest suffix of `held` that is a proper prefix of some stop string.
        var keep = 0
        for s in stops {
            for n in stride(from: min(s.count - 1, held.count), to: 0, by: -1) where held.hasSuffix(String(s.prefix(n))) {
                keep = max(keep, n)
                break
            }
        }
        let out = String(held.dropLast(keep))
        held = String(held.suffix(keep))
        return (out, false)
    }

    /// Everything still held, plus `tail`.
    mutating func finish(_ tail: String) -> String {
        defer { held = "" }
        return held + tail
    }
}
