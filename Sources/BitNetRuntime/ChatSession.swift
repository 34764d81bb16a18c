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
        let newTurn: [ChatMessage] = [ChatMessage(role: "user", content: message)]
        let conversation: @Sendable ([ChatMessage]) -> [ChatMessage] = { earlier in earlier + newTurn }
        let record: @Sendable (String) -> Void = { [self] reply in
            history.withLock { $0 += newTurn + [ChatMessage(role: "assistant", content: reply)] }
        }
        return turn(options: options, conversation: conversation, record: record)
    }

    /// One turn with `tools`: the model calls some of them or answers, in the chat template's tool syntax when it
    /// has one the engine speaks (Qwen2.5 / Hermes), else in the JSON convention (`ToolCallFormat`); the reply is
    /// constrained by a grammar built from the tools' parameter schemas, so a call's arguments validate. The turn
    /// joins the conversation (a call as the syntax writes it back); answer the calls with `addToolResult` and call
    /// `respond(to:tools:)` again (with an empty `message` to let the model continue after the results).
    /// - Throws: `ToolError` (a parameter schema the grammar cannot enforce, a choice naming no tool),
    ///   `EngineError`, `CancellationError`.
    public func respond(to message: String, tools: [Tool], choice: ToolChoice = .auto, parallel: Bool = false)
        async throws -> ToolReply
    {
        let format = try ToolCallFormat(tools: tools, choice: choice, parallel: parallel, syntax: template.toolCallSyntax)
        var options = options
        options.format = .grammar(format.grammar)
        let template = template
        let newTurn: [ChatMessage] = message.isEmpty ? [] : [ChatMessage(role: "user", content: message)]
        let conversation: @Sendable ([ChatMessage]) -> [ChatMessage] = { earlier in
            format.instructing(earlier + newTurn, template: template)
        }
        let record: @Sendable (String) -> Void = { [self] reply in
            let written: ChatMessage
            if case .calls(let calls)? = format.parse(reply) {
                written = format.assistantMessage(content: "", calls: calls)
            } else {
                written = ChatMessage(role: "assistant", content: reply)
            }
            history.withLock { $0 += newTurn + [written] }
        }
        var text = ""
        for try await piece in turn(options: options, conversation: conversation, record: record) { text += piece }
        try Task.checkCancellation()
        return format.parse(text) ?? .answer(text)
    }

    /// Streams one turn's reply text: `conversation` turns the messages so far into what the template renders
    /// (read when the turn starts — turns run one at a time — so it sees every earlier reply), and `record` gets the
    /// whole reply once it is complete, to write the turn into the history.
    private func turn(options: GenerationOptions, conversation: @escaping @Sendable ([ChatMessage]) -> [ChatMessage],
                      record: @escaping @Sendable (String) -> Void) -> GenerationStream<String>
    {
        let engine = model.engine
        let template = template
        let bosText: String = engine.tokenizer.bos.flatMap { engine.tokenizer.text(of: $0) } ?? ""
        var options = options
        options.tokenization = .chat
        let prompt: @Sendable () -> [Int32] = { [self] in
            let rendered: String = template.render(conversation(messages), addGenerationPrompt: true, bosText: bosText)
            return PromptTokenization.chat.tokens(rendered, engine.tokenizer)
        }
        let finish: @Sendable (GenerationResult) -> Void = { result in record(result.text) }
        let text: @Sendable (GenerationEvent) -> String? = { event in
            if case .text(let piece) = event { return piece }
            return nil
        }
        return LanguageModel.stream(session: box, engine: engine, options: options, prompt: prompt, onFinish: finish,
                                    transform: text)
    }

    /// Adds a tool's result (`content`, the called tool's `name` when known) to the conversation, as the template's
    /// tool syntax writes results.
    public func addToolResult(_ content: String, name: String? = nil) {
        let syntax = template.toolCallSyntax
        history.withLock { messages in
            let afterResult = messages.last.map { $0.role == "user" && $0.content.hasPrefix("<tool_response>") } ?? false
            ToolCallFormat.appendResult(content, name: name, syntax: syntax, to: &messages, afterResult: afterResult)
        }
    }
}
