import BitNet
import Foundation
import Testing
import TestSupport

/// The async API on the real SmolLM2 model: the stream gives the synchronous API's greedy text, cancellation stops it
/// within a token, and a chat keeps its turns.
@Suite struct AsyncAPITests {
    static let prompt = "The capital of France is"

    static func model() async throws -> LanguageModel {
        try await LanguageModel.load(.file(URL(fileURLWithPath: try TestModels.smolLM2())))
    }

    @Test func streamEqualsSynchronousGreedy() async throws {
        let model = try await Self.model()
        var options = GenerationOptions(maxTokens: 16, sampling: .greedy)
        options.session.contextLength = 256
        var text = "", result: GenerationResult?
        for try await event in model.generate(prompt: Self.prompt, options: options) {
            switch event {
            case .text(let piece): text += piece
            case .finished(let r): result = r
            }
        }
        let engine = model.engine
        let generator = Generator(session: engine.makeSession(options.session), tokenizer: engine.tokenizer)
        let expected = try generator.generate(prompt: PromptTokenization.completion.tokens(Self.prompt, engine.tokenizer),
                                              maxTokens: 16, sampling: .greedy)
        #expect(text == expected.text)
        #expect(result?.tokens == expected.tokens)
        #expect(result?.text == text)
        print("async greedy: \(text.debugDescription) (\(result?.tokens.count ?? 0) tokens, \(result?.stopReason.rawValue ?? "?"))")
    }

    @Test func loadsAModelByItsLockfileName() async throws {
        _ = try TestModels.smolLM2()  // the test command fetched it; loading by name then finds it in the cache
        let events = EventLog()
        let model = try await LanguageModel.load(.named("smollm2-135m-instruct")) { events.append($0) }
        #expect(model.engine.model.hyperParameters.vocabSize == 49_152)
        #expect(events.count == 0, "a cached model needs no fetch")
        do {
            _ = try await LanguageModel.load(.named("no-such-model"))
            Issue.record("an unknown name must throw")
        } catch let error as LanguageModelError {
            #expect(error.description.contains("smollm2-135m-instruct"), "\(error)")
        }
    }

    @Test func cancellingTheTaskStopsGeneration() async throws {
        let model = try await Self.model()
        var options = GenerationOptions(maxTokens: 200, sampling: .greedy)
        options.session.contextLength = 256
        let stream = model.generate(prompt: "Once upon a time", options: options)
        let consumer = Task { () -> (pieces: Int, finished: Bool) in
            var pieces = 0, finished = false
            do {
                for try await event in stream {
                    if case .text = event { pieces += 1 }
                    if case .finished = event { finished = true }
                    // A slow consumer: the generation thread runs ahead and fills the stream's buffer, so the
                    // cancellation below must hold even with elements already waiting.
                    if pieces == 1 { try? await Task.sleep(for: .milliseconds(400)) }
                    if pieces == 3 { withUnsafeCurrentTask { $0?.cancel() } }
                }
            } catch {}
            return (pieces, finished)
        }
        let outcome = await consumer.value
        #expect(outcome.pieces == 3, "pieces after cancelling at the third: \(outcome.pieces)")
        #expect(!outcome.finished, "a cancelled generation must not report a result")
    }

    @Test func badInputEndsTheStreamWithATypedError() async throws {
        let model = try await Self.model()
        var options = GenerationOptions(maxTokens: 1_000)
        options.session.contextLength = 64
        await #expect(throws: EngineError.self) {
            for try await _ in model.generate(prompt: Self.prompt, options: options) {}
        }
        do {
            for try await _ in model.generate(prompt: "", options: GenerationOptions(maxTokens: 4)) {}
            Issue.record("an empty prompt must end the stream with an error")
        } catch let error as EngineError {
            guard case .emptyPrompt = error else { Issue.record("expected emptyPrompt, got \(error)"); return }
        }
    }

    /// Tools through the Swift API: a forced call comes back parsed with arguments valid for the schema, the call
    /// and the tool's result join the conversation, and a follow-up turn reads them; a schema the grammar cannot
    /// enforce is a typed error.
    @Test func chatCallsToolsAndTakesTheirResults() async throws {
        let model = try await Self.model()
        var options = GenerationOptions(maxTokens: 60, sampling: .greedy)
        options.session.contextLength = 1024
        let chat = try ChatSession(model: model, options: options)
        let weather = Tool(name: "get_weather", description: "Current weather for a city", parameters: try OrderedJSON.parse(
            #"{"type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false}"#))
        let reply = try await chat.respond(to: "What is the weather in Paris?", tools: [weather], choice: .required)
        guard case .calls(let calls) = reply else { Issue.record("no call: \(reply)"); return }
        #expect(calls.count == 1 && calls[0].name == "get_weather" && calls[0].arguments["city"]?.stringValue != nil)
        chat.addToolResult(#"{"temperature": 18, "sky": "clear"}"#, name: "get_weather")
        let after = try await chat.respond(to: "", tools: [weather])
        #expect(chat.messages.map(\.role) == ["user", "assistant", "user", "assistant"])
        #expect(chat.messages[2].content.contains("tool_response"))
        print("chat tools: \(reply) then \(after)")
        await #expect(throws: ToolError.self) {
            _ = try await chat.respond(to: "x", tools: [Tool(name: "f", parameters: try OrderedJSON.parse(#"{"type":"string","format":"email"}"#))])
        }
    }

    @Test func chatKeepsTurnsAndMatchesTheRenderedPrompt() async throws {
        let model = try await Self.model()
        var options = GenerationOptions(maxTokens: 12, sampling: .greedy)
        options.session.contextLength = 512
        let chat = try ChatSession(model: model, system: "You are a helpful assistant.", options: options)
        let first = try await chat.respond(to: "What is the capital of France?")
        var streamed = ""
        for try await piece in chat.streamResponse(to: "And of Italy?") { streamed += piece }
        let messages = chat.messages
        #expect(messages.map(\.role) == ["system", "user", "assistant", "user", "assistant"])
        #expect(messages[2].content == first && messages[4].content == streamed)
        #expect(!first.isEmpty && !streamed.isEmpty)
        // The first reply equals the synchronous API on the same rendered prompt.
        let engine = model.engine, template = try engine.chatTemplate.get()
        let bos = engine.tokenizer.bos.flatMap { engine.tokenizer.text(of: $0) } ?? ""
        let rendered = template.render(Array(messages[0..<2]), addGenerationPrompt: true, bosText: bos)
        let generator = Generator(session: engine.makeSession(options.session), tokenizer: engine.tokenizer)
        let expected = try generator.generate(prompt: PromptTokenization.chat.tokens(rendered, engine.tokenizer),
                                              maxTokens: 12, sampling: .greedy)
        #expect(first == expected.text)
        print("chat: \(first.debugDescription) / \(streamed.debugDescription)")
        chat.reset()
        #expect(chat.messages.map(\.role) == ["system"])
    }
}

/// Fetch events collected from the loader's thread.
final class EventLog: @unchecked Sendable {
    // @unchecked Sendable: `events` is only touched under `lock`.
    private let lock = NSLock()
    private var events: [FetchEvent] = []
    func append(_ event: FetchEvent) { lock.lock(); events.append(event); lock.unlock() }
    var count: Int { lock.lock(); defer { lock.unlock() }; return events.count }
}
