import Foundation
import ModelFetcher
import Synchronization
import Tokenizers

/// What `LanguageModel.generate` and `ChatSession` take: how much to generate and how to sample.
public struct GenerationOptions: Sendable {
    /// Tokens to generate at most; nil: until an end-of-generation token or a full context.
    public var maxTokens: Int? = 256
    /// Sampling (`.greedy` for temperature 0).
    public var sampling = SamplingParameters()
    /// Generation stops when one of these appears; it is not part of the text.
    public var stop: [String] = []
    /// How prompt text becomes tokens (`ChatSession` always renders and tokenizes as `.chat`).
    public var tokenization = PromptTokenization.completion
    /// Context length, threads and KV-cache type of the session.
    public var session = SessionOptions()
    /// What the text must be: free text, one JSON object, or a grammar's match (`Grammar(gbnf:)`,
    /// `JSONSchemaGrammar(schema:).grammar`).
    public var format = OutputFormat.text

    /// Options with the given values (each defaults as its property does).
    public init(maxTokens: Int? = 256, sampling: SamplingParameters = SamplingParameters(), stop: [String] = [],
                tokenization: PromptTokenization = .completion, session: SessionOptions = SessionOptions(),
                format: OutputFormat = .text) {
        (self.maxTokens, self.sampling, self.stop) = (maxTokens, sampling, stop)
        (self.tokenization, self.session, self.format) = (tokenization, session, format)
    }
}

/// What a generation stream delivers: text as it becomes printable, then, last, the whole result (token ids,
/// usage, timings, why it stopped).
public enum GenerationEvent: Sendable {
    /// A piece of generated text, as soon as it is valid UTF-8 and cannot be part of a stop string.
    case text(String)
    /// The end: every token, the text, usage, timings and why generation stopped.
    case finished(GenerationResult)
}

/// A model loaded for generation: the async entry point for Swift programs.
///
/// ```swift
/// let model = try await LanguageModel.load(.file(URL(fileURLWithPath: "model.gguf")))
/// for try await event in model.generate(prompt: "The capital of France is") {
///     if case .text(let piece) = event { print(piece, terminator: "") }
/// }
/// ```
///
/// Each `generate` call runs on its own thread with its own session (KV cache); cancelling the consuming task (or
/// dropping the stream) stops generation within one token and frees the session. `ChatSession` keeps one session
/// across turns.
public final class LanguageModel: Sendable {
    /// Where a model comes from.
    public enum Source: Sendable {
        /// A GGUF file.
        case file(URL)
        /// A model of the lockfile by name (`smollm2-135m-instruct`; `models.lock.json` found from the current
        /// directory or `BITNET_MODEL_LOCKFILE`, else the one built in), fetched into the verified cache
        /// (`~/.cache/bitnet-swift/models`, SHA-256 checked) on first use.
        case named(String)
    }

    /// The loaded engine (network, tokenizer, chat template), for the synchronous API.
    public let engine: Engine

    /// Wraps an engine loaded with the synchronous API.
    public init(engine: Engine) { self.engine = engine }

    /// Fetches the model when it is named and not cached yet, then maps and checks it, off the caller's executor.
    /// `progress` receives the fetcher's events (started, progress in bytes, retrying, finished) while a named model
    /// downloads.
    /// - Throws: `LanguageModelError.unknownModel` for a name the lockfile lacks, `LockfileError` / `FetchError` when
    ///   the lockfile is unusable or the download fails (nothing half-written stays in the cache), `EngineError` for
    ///   an unreadable or malformed file, an unsupported architecture or an inconsistent tokenizer.
    public static func load(_ source: Source, progress: (@Sendable (FetchEvent) -> Void)? = nil) async throws
        -> LanguageModel
    {
        try await Task.detached(priority: .userInitiated) { () throws -> LanguageModel in
            let path: String
            switch source {
            case .file(let url): path = url.path
            case .named(let name):
                let lockfile = try ModelLockfile.load()
                guard let entry = lockfile.entry(named: name) else {
                    throw LanguageModelError.unknownModel(name, known: lockfile.models.map(\.name))
                }
                if let cached = ModelCache.standard.cachedPath(for: entry) {
                    path = cached
                } else {
                    let reporter = ClosureProgressReporter(handler: progress ?? { _ in })
                    path = try ModelFetcher(reporter: reporter).fetch(entry).path
                }
            }
            return LanguageModel(engine: try Engine(path: path))
        }.value
    }

    /// Streams a continuation of `prompt`: `.text` pieces, then `.finished` with the result (a `GenerationStream`).
    ///
    /// Errors (`EngineError`: an empty prompt, bad options, a prompt that does not fit the context) end the stream
    /// with that error before any text. Cancelling the consuming task stops generation at the next token; the
    /// stream then finishes without a `.finished` event.
    public func generate(prompt: String, options: GenerationOptions = GenerationOptions())
        -> GenerationStream<GenerationEvent>
    {
        let engine = engine
        let session = SessionBox(engine.makeSession(options.session))
        return Self.stream(session: session, engine: engine, options: options) {
            options.tokenization.tokens(prompt, engine.tokenizer)
        } onFinish: { _ in } transform: { $0 }
    }

    /// Runs a `TokenIterator` on its own thread, yielding its text and result into a stream; `onFinish` sees the
    /// result when generation was not cancelled (what `ChatSession` records as the reply).
    static func stream<Element: Sendable>(session: SessionBox, engine: Engine, options: GenerationOptions,
                                          prompt: @escaping @Sendable () -> [Int32],
                                          onFinish: @escaping @Sendable (GenerationResult) -> Void,
                                          transform: @escaping @Sendable (GenerationEvent) -> Element?)
        -> GenerationStream<Element>
    {
        let flag = CancelFlag()
        let events = AsyncThrowingStream<GenerationEvent, Error> { continuation in
            continuation.onTermination = { _ in flag.set() }
            let work = GenerationWork(session: session, tokenizer: engine.tokenizer,
                                      vocabulary: options.format == .text ? nil : engine.tokenVocabulary,
                                      options: options, prompt: prompt,
                                      continuation: continuation, cancel: flag, onFinish: onFinish)
            let thread = Thread { work.run() }
            thread.name = "bitnet-generate"
            thread.start()
        }
        return GenerationStream(events: events, cancel: flag, transform: transform)
    }
}

/// What `LanguageModel.generate` and `ChatSession.streamResponse` return: the elements of a generation running on
/// its own thread. Once the consuming task is cancelled, `next()` returns nil — even when elements are already
/// waiting — and the generation stops at its next token.
public struct GenerationStream<Element: Sendable>: AsyncSequence, Sendable {
    let events: AsyncThrowingStream<GenerationEvent, Error>
    let cancel: CancelFlag
    let transform: @Sendable (GenerationEvent) -> Element?

    /// Iterates the stream; not shared between tasks.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<GenerationEvent, Error>.AsyncIterator
        let cancel: CancelFlag
        let transform: @Sendable (GenerationEvent) -> Element?

        /// The next element, or nil at the end or once the task is cancelled.
        /// - Throws: the generation's error (`EngineError`), once, in place of further elements.
        public mutating func next() async throws -> Element? {
            while true {
                if Task.isCancelled { cancel.set(); return nil }
                let cancel = cancel
                let event = try await withTaskCancellationHandler { try await base.next() } onCancel: { cancel.set() }
                guard let event else { return nil }
                if Task.isCancelled { cancel.set(); return nil }
                if let element = transform(event) { return element }
            }
        }
    }

    /// An iterator over the generation's elements.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: events.makeAsyncIterator(), cancel: cancel, transform: transform)
    }
}

/// Why `LanguageModel.load` could not find a model.
public enum LanguageModelError: Error, Equatable, CustomStringConvertible {
    /// No model of this name in the lockfile.
    case unknownModel(String, known: [String])

    /// What went wrong and what to do, for a person.
    public var description: String {
        switch self {
        case .unknownModel(let name, let known):
            "no model named '\(name)' in models.lock.json (known: \(known.joined(separator: ", "))); "
                + "pass .file(URL) for a GGUF file of your own"
        }
    }
}

/// Hands fetch events to a closure.
struct ClosureProgressReporter: FetchProgressReporter {
    let handler: @Sendable (FetchEvent) -> Void
    func report(_ event: FetchEvent) { handler(event) }
}

/// A session handed to one generation thread at a time.
final class SessionBox: @unchecked Sendable {
    // @unchecked Sendable: the session is used only by the generation thread that holds `lock` (ChatSession turns
    // and single generations never overlap on one box).
    let session: InferenceSession
    let lock = NSLock()
    init(_ session: InferenceSession) { self.session = session }
}

/// Set when the consumer went away; read by the generation loop before each token.
final class CancelFlag: Sendable {
    private let cancelled = Atomic<Bool>(false)
    func set() { cancelled.store(true, ordering: .relaxed) }
    var isSet: Bool { cancelled.load(ordering: .relaxed) }
}

/// One generation as its thread runs it.
struct GenerationWork: @unchecked Sendable {
    // @unchecked Sendable: the tokenizer is immutable after load, and the session is only touched under its box's lock.
    let session: SessionBox
    let tokenizer: Tokenizer
    let vocabulary: TokenVocabulary?
    let options: GenerationOptions
    let prompt: @Sendable () -> [Int32]
    let continuation: AsyncThrowingStream<GenerationEvent, Error>.Continuation
    let cancel: CancelFlag
    let onFinish: @Sendable (GenerationResult) -> Void

    func run() {
        session.lock.lock()
        defer { session.lock.unlock() }
        do {
            var steps = try TokenIterator(session: session.session, tokenizer: tokenizer, prompt: prompt(),
                                          maxTokens: options.maxTokens, sampling: options.sampling, stop: options.stop,
                                          format: options.format, vocabulary: vocabulary)
            while let step = try steps.next() {
                if cancel.isSet { steps.cancel() }
                if !step.text.isEmpty { continuation.yield(.text(step.text)) }
            }
            if steps.result.stopReason != .cancelled {
                onFinish(steps.result)
                continuation.yield(.finished(steps.result))
            }
            continuation.finish()
        } catch {
            continuation.finish(throwing: error)
        }
    }
}
