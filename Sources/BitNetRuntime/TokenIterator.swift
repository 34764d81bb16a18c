import Foundation
import Tokenizers

/// How prompt text becomes token ids — the one rule every entry point (CLI, server, C API, Swift API) applies.
public enum PromptTokenization: Sendable, Equatable {
    /// Plain text to continue: the model's BOS added as its metadata asks, special-token text left as text
    /// (`bitnet run`, text completions, the C API).
    case completion
    /// Text rendered by a chat template: special tokens parsed, nothing added, since the template writes BOS itself
    /// where the family needs it (`bitnet chat`, chat completions, `ChatSession`).
    case chat

    /// The token ids of `text` under this rule.
    public func tokens(_ text: String, _ tokenizer: Tokenizer) -> [Int32] {
        switch self {
        case .completion: tokenizer.encode(text, addSpecial: true, parseSpecial: false)
        case .chat: tokenizer.encode(text, addSpecial: false, parseSpecial: true)
        }
    }
}

/// One step of generation: the token sampled (nil only on the final step, which carries held-back text), the
/// text that became printable with it (possibly empty: part of a character, or text that may begin a stop
/// string), and its log-probabilities when they were asked for.
public struct GenerationStep: Sendable {
    /// The sampled token; nil on a final step that only flushes held-back text.
    public var token: Int32?
    /// Text that became printable with this step (may be empty).
    public var text: String
    /// The token's log-probabilities, when they were asked for.
    public var logprob: TokenLogprob?
}

/// Pull-style generation over one session, the single generation loop of the engine: `next()` samples one token,
/// evaluates the previous one first (so the last token costs no forward pass), and returns a `GenerationStep`
/// until generation has ended, then nil. It owns the context-overflow check, the reuse of a cached prompt prefix,
/// stop strings, end-of-generation tokens and streaming UTF-8; `Generator`, the server, the C API and the async
/// `LanguageModel` are adapters over it.
public struct TokenIterator {
    /// The session generation runs in.
    public let session: InferenceSession
    /// The model's tokenizer.
    public let tokenizer: Tokenizer
    /// What has been generated so far; complete (stop reason, timings) once `next()` returned nil.
    public private(set) var result = GenerationResult()

    private let budget: Int
    private let topCount: Int?
    private var sampler: Sampler
    /// Structured output (JSON mode, a grammar): which tokens may come next.
    private let constraint: (any OutputConstraint)?
    private var decoder: StreamingDecoder
    private var stopFilter: StopStringFilter
    private var prefillLogits: [Float] = []
    private var stepLogits: UnsafeBufferPointer<Float>?
    /// The last sampled token, not yet evaluated.
    private var unevaluated: Int32?
    private var finished = false
    private var decodeStart = DispatchTime.now()
    /// The prompt, and how far it has been evaluated (`prefill(upTo:)` evaluates it in chunks).
    private let prompt: [Int32]
    private var evaluated: Int

    /// Evaluates `prompt` (token ids, including any BOS) after the prefix the session already holds.
    ///
    /// - Parameters:
    ///   - session: the session whose KV cache holds the conversation so far (its common prefix is reused).
    ///   - tokenizer: the model's tokenizer (end-of-generation tokens, streaming text).
    ///   - prompt: token ids, including any BOS (`PromptTokenization`).
    ///   - maxTokens: tokens to generate at most; nil generates until an end-of-generation token or a full context.
    ///   - sampling: how each token is chosen.
    ///   - stop: strings that end generation; they are not part of the text.
    ///   - logprobs: alternatives per token when log-probabilities are wanted (0 or more), else nil.
    ///   - format: constrain the output to one JSON object or to a grammar (the stop reason is `endOfGeneration`
    ///     once the text is complete).
    ///   - vocabulary: the tokenizer's `TokenVocabulary` for a constrained `format` (`Engine.tokenVocabulary`);
    ///     built here when nil.
    ///   - deferPrefill: evaluate nothing yet: the caller evaluates the prompt in chunks with `prefill(upTo:)`
    ///     (a server interleaving a long prompt with other requests' decode steps); `next()` finishes whatever is
    ///     left.
    /// - Throws: `EngineError.emptyPrompt`, `.invalidParameter`, `.contextOverflow` (before any work, when the prompt
    ///   and `maxTokens` do not fit, or the prompt alone fills the context), `.model` from the forward pass.
    public init(session: InferenceSession, tokenizer: Tokenizer, prompt: [Int32], maxTokens: Int?,
                sampling: SamplingParameters, stop: [String] = [], logprobs: Int? = nil,
                format: OutputFormat = .text, vocabulary: TokenVocabulary? = nil,
                deferPrefill: Bool = false) throws(EngineError) {
        guard !prompt.isEmpty else { throw .emptyPrompt }
        if let maxTokens, maxTokens < 0 { throw .invalidParameter("the number of tokens to generate must be 0 or more") }
        if let why = sampling.validationError() { throw .invalidParameter(why) }
        if let logprobs, logprobs < 0 { throw .invalidParameter("the number of top log-probabilities must be 0 or more") }
        // With no budget given, generation runs until the context is full: every token but the last is evaluated
        // (the last needs no forward pass), so `context − prompt + 1` fit, and the prompt must leave one position.
        let context = session.contextLength
        let budget = maxTokens ?? max(0, context - prompt.count + 1)
        guard maxTokens == nil ? prompt.count < context : prompt.count + budget <= context else {
            throw .contextOverflow(promptTokens: prompt.count, requested: maxTokens ?? 0, contextLength: context)
        }
        self.session = session
        self.tokenizer = tokenizer
        self.budget = budget
        topCount = logprobs
        sampler = Sampler(sampling)
        constraint = format == .text ? nil : format.makeConstraint(vocabulary ?? TokenVocabulary(tokenizer: tokenizer))
        decoder = StreamingDecoder(tokenizer: tokenizer)
        stopFilter = StopStringFilter(stops: stop)
        // Reuse the cached prefix, but always evaluate at least the last prompt token to get its logits.
        let reuse = min(session.commonPrefixLength(with: prompt), prompt.count - 1)
        session.truncate(to: reuse)
        result.reusedTokens = reuse
        result.promptTokens = prompt.count - reuse
        self.prompt = prompt
        evaluated = reuse
        if !deferPrefill { try prefill(upTo: .max) }
    }

    /// True while part of the prompt is still to be evaluated (only with `deferPrefill`); false once cancelled or
    /// finished, so a caller stepping prefilling iterators separately hands a cancelled one to `next()`.
    public var isPrefilling: Bool { !cancelled && !finished && evaluated < prompt.count }

    /// Evaluates up to `count` more prompt tokens (at least one while any are left); the last chunk's logits are
    /// the first token's. A cancelled iterator evaluates nothing more.
    /// - Throws: `EngineError.model` from the forward pass; the iterator is finished after it.
    public mutating func prefill(upTo count: Int) throws(EngineError) {
        guard isPrefilling, !cancelled, !finished else { return }
        let end = evaluated + min(max(1, count), prompt.count - evaluated)
        let t0 = DispatchTime.now()
        let logits: [Float]
        do { logits = try session.evaluate(Array(prompt[evaluated..<end])) } catch {
            finished = true
            throw error
        }
        result.prefillSeconds += Self.seconds(since: t0)
        evaluated = end
        if end == prompt.count {
            prefillLogits = logits
            decodeStart = DispatchTime.now()
        }
    }

    /// The next step, or nil once generation has ended (`result.stopReason` says why).
    /// - Throws: `EngineError` from a forward pass; the iterator is finished after it.
    public mutating func next() throws(EngineError) -> GenerationStep? {
        guard !finished else { return nil }
        if cancelled { return finish(.cancelled) }
        if isPrefilling { try prefill(upTo: .max) }
        if result.tokens.count >= budget { return finish(.length) }
        if let token = unevaluated {
            unevaluated = nil
            do { stepLogits = try session.decode(token) } catch {
                finished = true
                throw error
            }
        }
        let next: Int32
        if let constraint {
            // Structured output: keep the first draw when it fits (cheap), else draw again among the tokens that
            // fit (see OutputConstraint for why that samples the masked distribution).
            if constraint.isComplete { return finish(.endOfGeneration) }
            var drawn = withLogits { sampler.sample($0, history: session.tokens) }
            if !constraint.allows(drawn) {
                guard let masked = withLogits({ constraint.mask($0) }) else { return finish(.endOfGeneration) }
                drawn = masked.withUnsafeBufferPointer { sampler.sample($0, history: session.tokens) }
            }
            constraint.accept(drawn)
            next = drawn
        } else {
            next = withLogits { sampler.sample($0, history: session.tokens) }
        }
        if tokenizer.isEndOfGeneration(next) { return finish(.endOfGeneration) }
        result.tokens.append(next)
        let logprob = topCount.map { top in withLogits { TokenLogprob(token: next, logits: $0, topCount: top) } }
        if let logprob { result.logprobs.append(logprob) }
        let (text, hit) = stopFilter.push(decoder.feed(next))
        result.text += text
        if hit {
            finished = true
            result.stopReason = .stopString
            result.decodeSeconds = Self.seconds(since: decodeStart)
        } else {
            unevaluated = next
        }
        return GenerationStep(token: next, text: text, logprob: logprob)
    }

    /// The sampled token whose forward pass the next `next()` runs first, if any. A caller batching several
    /// iterators (continuous batching) evaluates these tokens together (`InferenceSession.decodeBatch`) and hands
    /// each iterator its row with `provideLogits` before calling `next()`.
    public var pendingToken: Int32? { unevaluated }

    /// Supplies the logits of `pendingToken`, evaluated by the caller in this iterator's session; the view must
    /// stay valid until the following `next()` returns.
    public mutating func provideLogits(_ logits: UnsafeBufferPointer<Float>) {
        precondition(unevaluated != nil, "provideLogits without a pending token")
        precondition(session.tokens.last == unevaluated, "provideLogits before the pending token was evaluated in the session")
        unevaluated = nil
        stepLogits = logits
    }

    /// Ends generation early (the caller stopped listening): the next `next()` returns the held-back text, if
    /// any, then nil, with `result.stopReason == .cancelled`.
    public mutating func cancel() {
        guard !finished else { return }
        cancelled = true
        unevaluated = nil
    }

    /// True when no further token will be sampled: the next `next()` can only return held-back text or nil (a token
    /// budget spent, a stop string found, cancelled). An end-of-generation token is only known once sampled.
    public var isExhausted: Bool { finished || cancelled || result.tokens.count >= budget }

    private var cancelled = false

    /// Flushes held-back text as a final step (nil when there is none) and records why generation ended.
    private mutating func finish(_ reason: StopReason) -> GenerationStep? {
        finished = true
        result.stopReason = reason
        let tail = stopFilter.finish(decoder.finish())
        result.text += tail
        result.decodeSeconds = Self.seconds(since: decodeStart)
        return tail.isEmpty ? nil : GenerationStep(token: nil, text: tail, logprob: nil)
    }

    private func withLogits<R>(_ body: (UnsafeBufferPointer<Float>) -> R) -> R {
        if let stepLogits { return body(stepLogits) }
        return prefillLogits.withUnsafeBufferPointer(body)
    }

    private static func seconds(since t: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - t.uptimeNanoseconds) / 1e9
    }
}
