import Foundation
import Synchronization

/// A conversation with a model: the messages so far and one session whose KV cache keeps them, so each turn
/// evaluates only its new tokens. Renders turns with the model's chat template (ChatML, Gemma, Llama-3).
///
/// ```swift
/// let chat = try ChatSession(model: model, system: "You are terse.")
/// print(try await chat.respond(to: "What is the capital of France?"))
/// for try await piece in chat.streamResponse(to: "And of Italy?") { print(piece, terminator: "") }
/// ```
///
/// Turns run one at a time (a second `respond` waits for the first). A cancelled turn leaves the conversation as it
/// was before it.
public final class ChatSession: Sendable {
    /// The model the conversation runs on.
    public let model: LanguageModel
    /// Sampling, stop strings, the token budget per reply and the session's context.
    public let options: GenerationOptions
    private let template: ChatTemplate
    private let box: SessionBox
    private let history: Mutex<[ChatMessage]>
    private let system: String?

    /// - Throws: `EngineError.unsupportedChatTemplate` when the model has no chat template this engine renders.
    public init(model: LanguageModel, system: String? = nil, options: GenerationOptions = GenerationOptions())
        throws(EngineError)
    {
        template = try model.engine.chatTemplate.get()
        self.model = model
        self.options = options
        self.system = system
        box = SessionBox(model.engine.makeSession(options.session))
        history = Mutex(system.map { [ChatMessage(role: "system", content: $0)] } ?? [])
    }

    /// The conversation so far (the system prompt first, when given).
    public var messages: [ChatMessage] { history.withLock { $0 } }

    /// Forgets every turn (the system prompt stays); the cache is reused from its start.
    public func reset() {
        history.withLock { $0 = system.map { [ChatMessage(role: "system", content: $0)] } ?? [] }
    }

    /// The model's whole reply to `message`.
    /// - Throws: `EngineError` (the conversation no longer fits the context, bad options), `CancellationError`
    ///   when the task was cancelled.
    public func respond(to message: String) async throws -> String {
        var text = ""
        for try await piece in streamResponse(to: message) { text += piece }
        try Task.checkCancellation()
        return text
    }

    /// The reply to `message`, piece by piece; the turn joins the conversation when the reply is complete.
    public func streamResponse(to message: String) -> GenerationStream<String> {
        let engine = model.engine
        let bosText = engine.tokenizer.bos.flatMap { engine.tokenizer.text(of: $0) } ?? ""
        var options = options
        options.tokenization = .chat
        return LanguageModel.stream(session: box, engine: engine, options: options) { [self] in
            // Read when the turn starts (turns run one at a time), so it sees every earlier reply.
            let turn = messages + [ChatMessage(role: "user", content: message)]
            return PromptTokenization.chat.tokens(template.render(turn, addGenerationPrompt: true, bosText: bosText),
                                                  engine.tokenizer)
        } onFinish: { [self] result in
            history.withLock {
                $0.append(ChatMessage(role: "user", content: message))
                $0.append(ChatMessage(role: "assistant", content: result.text))
            }
        } transform: { event in
            if case .text(let piece) = event { piece } else { nil }
        }
    }
}
