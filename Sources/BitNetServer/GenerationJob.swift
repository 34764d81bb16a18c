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
    let control: RequestControl
    let metrics: ServerMetrics
    let events: AsyncStream<GenerationEvent>.Continuation

    /// Runs on the slot's thread: tokenizes, checks the context, generates, streaming events; stops at the next
    /// token once the client is gone or the deadline passed.
    func run(on slot: Slot) {
        defer { events.finish() }
        if control.isCancelled { return }
        if control.isExpired { events.yield(.failed(.timeout(seconds: control.timeoutSeconds))); return }
        let generator = slot.generator
        let ids = prompt.tokens(generator.tokenizer)
        // The iterator checks the context (before any work) and runs the one generation loop (`TokenIterator`).
        var steps: TokenIterator
        do {
            steps = try TokenIterator(session: generator.session, tokenizer: generator.tokenizer, prompt: ids,
                                      maxTokens: maxTokens, sampling: sampling, stop: stop, logprobs: logprobs)
        } catch {
            events.yield(.failed(ServerError(error)))
            return
        }
        events.yield(.started(promptTokens: ids.count))
        // Tokens whose text is still held back (part of a character, a possible stop string) ride with the next piece.
        var pending: [TokenLogprob] = []
        do {
            while let step = try steps.next() {
                if let logprob = step.logprob { pending.append(logprob) }
                guard !step.text.isEmpty else { continue }
                events.yield(.text(step.text, pending))
                pending.removeAll()
                if control.isCancelled || control.isExpired { steps.cancel() }
            }
            let result = steps.result
            // Counted before the reply completes, so a client that reads /metrics after its reply sees its tokens.
            let session = generator.session
            metrics.generation(promptTokens: result.promptTokens, predicted: result.tokens.count,
                               tokensPerSecond: result.decodeTokensPerSecond, slot: slot.index,
                               kvUsed: Double(session.tokens.count) / Double(max(1, session.contextLength)))
            if result.stopReason == .cancelled && control.isExpired && !control.isCancelled {
                events.yield(.failed(.timeout(seconds: control.timeoutSeconds)))
            } else {
                events.yield(.finished(result, promptTokens: ids.count))
            }
        } catch {
            events.yield(.failed(ServerError(error)))
        }
    }
}
