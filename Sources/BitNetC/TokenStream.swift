import BitNetRuntime
import Synchronization
import Tokenizers

/// One generated token as `bitnet_inference_next_token` hands it out: complete UTF-8 text, the id (-1 when the
/// call produced no token) and whether generation has ended.
struct TokenPiece {
    var text: [UInt8]
    var token: Int32
    var done: Bool
}

/// Generation one token per call, an adapter over `TokenIterator` (the engine's one generation loop), with the
/// completion tokenization `bitnet run` uses, so greedy output equals the Swift API's token for token.
///
/// A piece stays `undelivered` until the caller's buffer took it, so a too-small buffer loses nothing.
/// Not thread-safe; `InferenceObject` keeps it behind a lock.
final class TokenStream {
    private let session: InferenceSession
    private var steps: TokenIterator
    private var finished = false
    private var failure: CAPIError?
    private(set) var undelivered: TokenPiece?

    /// Tokenizes and evaluates `prompt`; `maxTokens` 0 generates until end of generation or a full context.
    /// - Throws: `.invalidArgument` (empty prompt, bad sampling), `.contextOverflow`, `.inferenceFailed`.
    init(engine: Engine, options: SessionOptions, prompt: String, sampling: SamplingParameters,
         maxTokens: Int) throws(CAPIError) {
        if let why = sampling.validationError() { throw .invalidArgument("sampling: \(why)") }
        guard maxTokens >= 0 else { throw .invalidArgument("max_tokens must be 0 or more, not \(maxTokens)") }
        let ids = PromptTokenization.completion.tokens(prompt, engine.tokenizer)
        guard !ids.isEmpty else { throw CAPIError(EngineError.emptyPrompt) }
        session = engine.makeSession(options)
        do throws(EngineError) {
            steps = try TokenIterator(session: session, tokenizer: engine.tokenizer, prompt: ids,
                                      maxTokens: maxTokens == 0 ? nil : maxTokens, sampling: sampling)
        } catch {
            switch error {
            case .contextOverflow, .emptyPrompt, .invalidParameter: throw CAPIError(error)
            default: throw CAPIError(.inferenceFailed, "evaluating the prompt: \(error.description)")
            }
        }
    }

    /// Runs a `parallelFor` with one range per pool thread and counts the ranges that ran (for health checks).
    func probeWorkers() -> WorkerProbe {
        let pool = session.context.pool
        let ran = Atomic<Int>(0)
        pool.parallelFor(pool.threadCount) { _ in ran.add(1, ordering: .relaxed) }
        return WorkerProbe(failed: failure != nil, ranges: ran.load(ordering: .relaxed), threads: pool.threadCount)
    }

    /// The next piece: the undelivered one again, or a new token (its `done` set when it is the last; the text
    /// held back until the end rides with it).
    /// - Throws: `.inferenceFailed` when a forward pass failed (then on every later call too).
    func next() throws(CAPIError) -> TokenPiece {
        if let failure { throw failure }
        if let undelivered { return undelivered }
        if finished { return TokenPiece(text: [], token: -1, done: true) }
        var piece: TokenPiece
        do throws(EngineError) {
            let step = try steps.next()
            if let step, let token = step.token {
                piece = TokenPiece(text: Array(step.text.utf8), token: token, done: steps.isExhausted)
            } else {  // an end-of-generation token or the end of the budget, with any held-back text
                piece = TokenPiece(text: Array((step?.text ?? "").utf8), token: -1, done: true)
            }
            if piece.done { while let tail = try steps.next() { piece.text += Array(tail.text.utf8) } }
        } catch {
            failure = CAPIError(.inferenceFailed, "generating: \(error.description)")
            throw failure!
        }
        finished = piece.done
        undelivered = piece
        return piece
    }

    /// The caller took the piece `next()` returned.
    func markDelivered() { undelivered = nil }
}
