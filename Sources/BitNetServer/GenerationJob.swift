import BitNetRuntime
import Foundation
import Tokenizers

/// What a job reports to the HTTP handler, in order: `started` or `failed`, then `text`s, then `finished` or `failed`.
enum GenerationEvent: Sendable {
    /// The prompt fits and generation began; `promptTokens` is the full prompt length.
    case started(promptTokens: Int)
    /// A piece of generated text, with the log-probabilities of the tokens generated since the previous piece
    /// (empty unless the request asked for them).
    case text(String, [TokenLogprob])
    /// Generation ended.
    case finished(GenerationResult, promptTokens: Int)
    /// The request failed (before or during generation).
    case failed(ServerError)
}

/// The prompt of a request: rendered chat text (special tokens parsed, no BOS added, as `bitnet chat` does) or raw
/// completion text (BOS added as the model asks, as `bitnet run` does).
enum PromptInput: Sendable {
    case chat(String)
    case completion(String)

    func tokens(_ tokenizer: Tokenizer) -> [Int32] {
        switch self {
        case .chat(let text): PromptTokenization.chat.tokens(text, tokenizer)
        case .completion(let text): PromptTokenization.completion.tokens(text, tokenizer)
        }
    }
}

/// One generation request as a slot runs it.
struct GenerationJob: Sendable {
    let prompt: PromptInput
    /// nil: until the context is full.
    let maxTokens: Int?
    let sampling: SamplingParameters
    let stop: [String]
    /// Alternatives per token when the request asked for log-probabilities, else nil.
    let logprobs: Int?
    /// What the output must be (free text, one JSON object, a grammar's match).
    let format: OutputFormat
    /// The vocabulary a constrained `format` masks (shared by the engine's requests); nil for free text.
    let vocabulary: TokenVocabulary?
    /// Reuse the slot's cached prompt prefix (false: evaluate the whole prompt).
    let cachePrompt: Bool
    let control: RequestControl
    let metrics: ServerMetrics
    let slots: SlotTable
    let events: AsyncStream<GenerationEvent>.Continuation

    /// Runs on the slot's thread: tokenizes, checks the context, generates, streaming events; stops at the next
    /// token once the client is gone or the deadline passed.
    func run(on slot: Slot) {
        guard var active = start(in: slot.generator.session, tokenizer: slot.generator.tokenizer, slotIndex: slot.index) else {
            return
        }
        while active.advance() {}
    }

    /// Begins the job in `session`: tokenizes, checks the context and evaluates the prompt (the iterator's work),
    /// then reports `started`. Returns nil when the job already ended (cancelled, expired, refused), its events
    /// finished.
    func start(in session: InferenceSession, tokenizer: Tokenizer, slotIndex: Int,
               tokens: [Int32]? = nil, deferPrefill: Bool = false) -> ActiveGeneration? {
        if control.isCancelled { events.finish(); return nil }
        if control.isExpired { fail(.timeout(seconds: control.timeoutSeconds)); return nil }
        let ids = tokens ?? prompt.tokens(tokenizer)
        if !cachePrompt { session.truncate(to: 0) }
        // The iterator checks the context (before any work) and runs the one generation loop (`TokenIterator`).
        let steps: TokenIterator
        do {
            steps = try TokenIterator(session: session, tokenizer: tokenizer, prompt: ids, maxTokens: maxTokens,
                                      sampling: sampling, stop: stop, logprobs: logprobs, format: format,
                                      vocabulary: vocabulary, deferPrefill: deferPrefill)
        } catch {
            fail(ServerError(error))
            return nil
        }
        slots.started(slot: slotIndex, reused: steps.result.reusedTokens, evaluated: steps.result.promptTokens)
        metrics.promptCache(reused: steps.result.reusedTokens, evaluated: steps.result.promptTokens)
        events.yield(.started(promptTokens: ids.count))
        return ActiveGeneration(job: self, steps: steps, promptTokens: ids.count, slotIndex: slotIndex)
    }

    /// Reports `error` and ends the event stream.
    func fail(_ error: ServerError) {
        events.yield(.failed(error))
        events.finish()
    }
}

/// A job whose prompt is evaluated, generating on one slot: `advance` runs one step and reports it.
struct ActiveGeneration {
    let job: GenerationJob
    /// The generation loop (its session is the slot's).
    var steps: TokenIterator
    let promptTokens: Int
    let slotIndex: Int
    /// Log-probabilities of tokens whose text is still held back (part of a character, a possible stop string);
    /// they ride with the next piece.
    private var pending: [TokenLogprob] = []

    init(job: GenerationJob, steps: TokenIterator, promptTokens: Int, slotIndex: Int) {
        self.job = job
        self.steps = steps
        self.promptTokens = promptTokens
        self.slotIndex = slotIndex
    }

    /// True while the prompt is still being evaluated in chunks (`prefill(upTo:)`).
    var isPrefilling: Bool { steps.isPrefilling }

    /// Evaluates up to `count` more prompt tokens; false once the job is over (the pass failed, its error sent). A
    /// job whose client left or whose deadline passed stops prefilling; its next `advance` ends it.
    mutating func prefill(upTo count: Int) -> Bool {
        if job.control.isCancelled || job.control.isExpired {
            steps.cancel()
            return true
        }
        do {
            try steps.prefill(upTo: count)
            job.metrics.prefillChunk()
            return true
        } catch {
            job.slots.finished(slot: slotIndex, cached: steps.session.tokens.count)
            job.fail(ServerError(error))
            return false
        }
    }

    /// Runs one step (evaluating the pending token first unless its logits were provided) and reports its text;
    /// false once the job is over, its final event sent and its stream finished.
    mutating func advance() -> Bool {
        do {
            if let step = try steps.next() {
                if let logprob = step.logprob { pending.append(logprob) }
                if !step.text.isEmpty {
                    job.events.yield(.text(step.text, pending))
                    pending.removeAll()
                }
                if job.control.isCancelled || job.control.isExpired { steps.cancel() }
                return true
            }
        } catch {
            job.slots.finished(slot: slotIndex, cached: steps.session.tokens.count)
            job.fail(ServerError(error))
            return false
        }
        let result = steps.result, session = steps.session
        job.slots.finished(slot: slotIndex, cached: session.tokens.count)
        // Counted before the reply completes, so a client that reads /metrics after its reply sees its tokens.
        job.metrics.generation(promptTokens: result.promptTokens, predicted: result.tokens.count,
                               tokensPerSecond: result.decodeTokensPerSecond, slot: slotIndex,
                               kvUsed: Double(session.tokens.count) / Double(max(1, session.contextLength)))
        if result.stopReason == .cancelled && job.control.isExpired && !job.control.isCancelled {
            job.fail(.timeout(seconds: job.control.timeoutSeconds))
        } else {
            job.events.yield(.finished(result, promptTokens: promptTokens))
            job.events.finish()
        }
        return false
    }
}
