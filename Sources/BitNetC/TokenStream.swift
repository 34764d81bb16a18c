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

/// Generation one token per call, the pull-based twin of `Generator.generate`: same tokenization as `bitnet run`,
/// same sampler and streaming decoder, so greedy output equals the Swift API's token for token.
///
/// A piece stays `undelivered` until the caller's buffer took it, so a too-small buffer loses nothing.
/// Not thread-safe; `InferenceObject` keeps it behind a lock.
final class TokenStream {
    private let tokenizer: Tokenizer
    private let session: InferenceSession
    private var sampler: Sampler
    private var decoder: StreamingDecoder
    /// Tokens to generate; 0 = until end of generation or a full context.
    private let maxTokens: Int
    private var logits: [Float]
    /// The last sampled token, not yet evaluated (evaluated lazily, so the final token costs no forward pass).
    private var unevaluated: Int32?
    private var produced = 0
    private var finished = false
    private var failure: CAPIError?
    private(set) var undelivered: TokenPiece?

    /// Tokenizes and evaluates `prompt`.
    /// - Throws: `.invalidArgument` (empty prompt, bad sampling), `.contextOverflow`, `.inferenceFailed`.
    init(engine: Engine, options: SessionOptions, prompt: String, sampling: SamplingParameters,
         maxTokens: Int) throws(CAPIError) {
        if let why = sampling.validationError() { throw .invalidArgument("sampling: \(why)") }
        guard maxTokens >= 0 else { throw .invalidArgument("max_tokens must be 0 or more, not \(maxTokens)") }
        let ids = engine.tokenizer.encode(prompt, addSpecial: true, parseSpecial: false)
        guard !ids.isEmpty else { throw CAPIError(EngineError.emptyPrompt) }
        tokenizer = engine.tokenizer
        session = engine.makeSession(options)
        guard ids.count + maxTokens <= session.contextLength, ids.count < session.contextLength else {
            throw CAPIError(.contextOverflow(promptTokens: ids.count, requested: maxTokens,
                                             contextLength: session.contextLength))
        }
        sampler = Sampler(sampling)
        decoder = StreamingDecoder(tokenizer: engine.tokenizer)
        self.maxTokens = maxTokens
        do throws(EngineError) { logits = try session.evaluate(ids) } catch {
            throw CAPIError(.inferenceFailed, "evaluating the prompt: \(error.description)")
        }
    }

    /// Runs a `parallelFor` with one range per pool thread and counts the ranges that ran (for health checks).
    func probeWorkers() -> WorkerProbe {
        let pool = session.context.pool
        let ran = Atomic<Int>(0)
        pool.parallelFor(pool.threadCount) { _ in ran.add(1, ordering: .relaxed) }
        return WorkerProbe(failed: failure != nil, ranges: ran.load(ordering: .relaxed), threads: pool.threadCount)
    }

    /// The next piece: the undelivered one again, or a new token.
    /// - Throws: `.inferenceFailed` when a forward pass failed (then on every later call too).
    func next() throws(CAPIError) -> TokenPiece {
        if let failure { throw failure }
        if let undelivered { return undelivered }
        if finished { return TokenPiece(text: [], token: -1, done: true) }
        if let t = unevaluated {
            do throws(EngineError) { logits = try session.evaluate([t]) } catch {
                failure = CAPIError(.inferenceFailed, "evaluating token \(t): \(error.description)")
                throw failure!
            }
            unevaluated = nil
        }
        let next = logits.withUnsafeBufferPointer { sampler.sample($0, history: session.tokens) }
        var piece: TokenPiece
        if tokenizer.isEndOfGeneration(next) {
            piece = TokenPiece(text: [], token: -1, done: true)
        } else {
            produced += 1
            piece = TokenPiece(text: Array(decoder.feed(next).utf8), token: next, done: false)
            // Ends at the requested count, or when the context has no room to evaluate this token.
            piece.done = produced == maxTokens || session.tokens.count >= session.contextLength
            unevaluated = next
        }
        if piece.done {
            piece.text += Array(decoder.finish().utf8)
            finished = true
        }
        undelivered = piece
        return piece
    }

    /// The caller took the piece `next()` returned.
    func markDelivered() { undelivered = nil }
}
