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
    /// The session whose KV cache the prompts and replies go into.
    public let session: InferenceSession
    /// The model's tokenizer.
    public let tokenizer: Tokenizer

    /// A generator over `session` with the model's `tokenizer`.
    public init(session: InferenceSession, tokenizer: Tokenizer) {
        self.session = session
        self.tokenizer = tokenizer
    }

    /// Continues `prompt` (token ids, including any BOS) by up to `maxTokens` tokens.
    ///
    /// Tokens the session already holds as a prefix of `prompt` are not evaluated again (chat turns reuse the
    /// cache). `onText` receives each new piece of text; return false from it to stop. With `logprobs` (the number
    /// of alternatives, 0 or more) each token's `TokenLogprob` goes to `onToken` before its text, and into
    /// `result.logprobs`; without it no per-token work is added. `format` constrains the text (`OutputFormat`: one
    /// JSON object or a grammar's match); `vocabulary` is the engine's `TokenVocabulary` for it, built per call when
    /// nil.
    /// - Throws: `EngineError.contextOverflow` before any work when prompt + `maxTokens` exceed the context,
    ///   `.emptyPrompt`, `.invalidParameter`, `.model`.
    public func generate(prompt: [Int32], maxTokens: Int, sampling: SamplingParameters, stop: [String] = [],
                         logprobs topCount: Int? = nil, format: OutputFormat = .text,
                         vocabulary: TokenVocabulary? = nil,
                         onText: (String) -> Bool = { _ in true },
                         onToken: (TokenLogprob) -> Void = { _ in }) throws(EngineError) -> GenerationResult {
        var steps = try TokenIterator(session: session, tokenizer: tokenizer, prompt: prompt, maxTokens: maxTokens,
                                      sampling: sampling, stop: stop, logprobs: topCount, format: format,
                                      vocabulary: vocabulary)
        while let step = try steps.next() {
            if let logprob = step.logprob { onToken(logprob) }
            if !step.text.isEmpty && !onText(step.text) { steps.cancel() }
        }
        return steps.result
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
