import BitNetRuntime
import Foundation
import Hummingbird

/// Reads a job's events from any task; the box lets the streaming body (a `@Sendable` closure) keep the iterator.
final class EventReader: @unchecked Sendable {
    private var iterator: AsyncStream<GenerationEvent>.AsyncIterator
    private let control: RequestControl
    private let state: LockedState

    init(_ stream: AsyncStream<GenerationEvent>, control: RequestControl, state: LockedState) {
        iterator = stream.makeAsyncIterator()
        self.control = control
        self.state = state
    }

    /// The next event; nil when the job is over (or the reading task was cancelled).
    func next() async -> GenerationEvent? { await iterator.next() }

    /// The client went away: the job stops at its next token and its slot takes the next request.
    func abandon() {
        if !control.isCancelled { state.countCancelled() }
        control.cancel()
    }
}

/// How a streamed response frames its chunks (chat deltas or completion text).
struct StreamFormat: Sendable {
    let id: String, model: String, created: Int, isChat: Bool, includeUsage: Bool
    /// Set when the request asked for log-probabilities; keeps the text offset across chunks.
    var logprobFormatter: LogprobFormatter?

    func opening() -> ByteBuffer? {
        guard isChat else { return nil }
        return JSONCoding.event(chat([.init(index: 0, delta: .init(role: "assistant", content: ""), finish_reason: nil)]))
    }

    func piece(_ text: String, _ logprobs: ChoiceLogprobs?) -> ByteBuffer {
        isChat ? JSONCoding.event(chat([.init(index: 0, delta: .init(content: text), logprobs: logprobs, finish_reason: nil)]))
            : JSONCoding.event(completion([.init(text: text, index: 0, logprobs: logprobs, finish_reason: nil)]))
    }

    /// A chunk carrying a reply's tool calls (sent whole, once the reply is complete).
    func toolCalls(_ calls: [ChatCompletionResponse.ToolCall]) -> ByteBuffer {
        JSONCoding.event(chat([.init(index: 0, delta: .init(tool_calls: calls), finish_reason: nil)]))
    }

    /// The finishing chunk; `logprobs` covers tokens whose text never showed (the held-back start of a stop string).
    func closing(_ reason: String, usage: Usage, logprobs: ChoiceLogprobs?) -> [ByteBuffer] {
        var out = [isChat ? JSONCoding.event(chat([.init(index: 0, delta: .init(), logprobs: logprobs, finish_reason: reason)]))
            : JSONCoding.event(completion([.init(text: "", index: 0, logprobs: logprobs, finish_reason: reason)]))]
        if includeUsage {
            out.append(isChat ? JSONCoding.event({ var c = chat([]); c.usage = usage; return c }())
                : JSONCoding.event({ var c = completion([]); c.usage = usage; return c }()))
        }
        return out
    }

    /// The `logprobs` object for the next `lps` of the choice, or nil when the request did not ask for them.
    mutating func logprobs(_ lps: [TokenLogprob]) -> ChoiceLogprobs? {
        guard var formatter = logprobFormatter else { return nil }
        defer { logprobFormatter = formatter }
        return formatter.format(lps)
    }

    private func chat(_ choices: [ChatCompletionResponse.Choice]) -> ChatCompletionResponse {
        ChatCompletionResponse(id: id, object: "chat.completion.chunk", created: created, model: model, choices: choices)
    }

    private func completion(_ choices: [CompletionResponse.Choice]) -> CompletionResponse {
        CompletionResponse(id: id, object: "text_completion", created: created, model: model, choices: choices)
    }
}

extension InferenceServer {
    func chatCompletion(_ req: ChatCompletionRequest, raw: OrderedJSON, _ ready: ReadyModel) async throws(ServerError) -> Response {
        try checkModel(req.model)
        let template: ChatTemplate
        switch ready.engine.chatTemplate {
        case .success(let t): template = t
        case .failure(let e): throw ServerError(e)
        }
        let tools = try ToolSet(request: raw, syntax: template.toolCallSyntax)
        var messages = try req.chatMessages(syntax: tools?.syntax ?? .none)
        let outputFormat: OutputFormat
        if let tools {
            guard req.sampling.response_format == nil, req.sampling.grammar == nil else {
                throw .invalidParameter("tools cannot be combined with response_format or grammar (the tool-call format is "
                    + "itself a constraint)")
            }
            guard req.logprobs != true else { throw .invalidParameter("logprobs are not supported together with tools") }
            messages = tools.instructing(messages, template: template)
            outputFormat = .grammar(tools.grammar)
        } else {
            outputFormat = try req.sampling.outputFormat(raw: raw)
        }
        let tokenizer = ready.engine.tokenizer
        let bosText = tokenizer.bos.flatMap { tokenizer.text(of: $0) } ?? ""
        let text = template.render(messages, addGenerationPrompt: true, bosText: bosText)
        let logprobs = try req.logprobCount()
        var format = StreamFormat(id: "chatcmpl-" + UUID().uuidString.lowercased(), model: configuration.modelID,
                                  created: Int(Date().timeIntervalSince1970), isChat: true,
                                  includeUsage: req.stream_options?.include_usage ?? false,
                                  logprobFormatter: logprobs.map { _ in LogprobFormatter(tokenizer: tokenizer, isChat: true) })
        let reader = try submit(.chat(text), req.sampling, format: outputFormat, logprobs: logprobs, ready)
        if req.stream ?? false { return try await streamed(reader, format, tools: tools) }
        let (result, promptTokens) = try await collect(reader)
        var message = ChatCompletionResponse.Message(role: "assistant", content: result.text)
        var reason = finishReason(result.stopReason)
        if let tools {
            switch tools.parse(result.text) {
            case .calls(let calls)?: message = .init(role: "assistant", content: nil, tool_calls: calls); reason = "tool_calls"
            case .answer(let answer)?: message.content = answer
            case nil: break  // cut short (max_tokens): the partial JSON is returned as it is, finish_reason "length"
            }
        }
        let choice = ChatCompletionResponse.Choice(index: 0, message: message, logprobs: format.logprobs(result.logprobs),
                                                   finish_reason: reason)
        return json(ChatCompletionResponse(id: format.id, object: "chat.completion", created: format.created,
                                           model: format.model, choices: [choice],
                                           usage: Usage(prompt: promptTokens, completion: result.tokens.count, cached: result.reusedTokens)))
    }

    func completion(_ req: CompletionRequest, raw: OrderedJSON, _ ready: ReadyModel) async throws(ServerError) -> Response {
        try checkModel(req.model)
        let text = try req.promptText()
        let logprobs = try req.logprobCount()
        var format = StreamFormat(id: "cmpl-" + UUID().uuidString.lowercased(), model: configuration.modelID,
                                  created: Int(Date().timeIntervalSince1970), isChat: false,
                                  includeUsage: req.stream_options?.include_usage ?? false,
                                  logprobFormatter: logprobs.map { _ in LogprobFormatter(tokenizer: ready.engine.tokenizer, isChat: false) })
        let reader = try submit(.completion(text), req.sampling, format: try req.sampling.outputFormat(raw: raw),
                                logprobs: logprobs, ready)
        if req.stream ?? false { return try await streamed(reader, format) }
        let (result, promptTokens) = try await collect(reader)
        let choice = CompletionResponse.Choice(text: result.text, index: 0, logprobs: format.logprobs(result.logprobs),
                                               finish_reason: finishReason(result.stopReason))
        return json(CompletionResponse(id: format.id, object: "text_completion", created: format.created,
                                       model: format.model, choices: [choice],
                                       usage: Usage(prompt: promptTokens, completion: result.tokens.count, cached: result.reusedTokens)))
    }

    /// Validates the sampling fields and queues the job; 503 when the queue is full.
    private func submit(_ prompt: PromptInput, _ fields: SamplingFields, format: OutputFormat, logprobs: Int?,
                        _ ready: ReadyModel) throws(ServerError) -> EventReader {
        let sampling = try fields.sampling()
        let maxTokens = try fields.maxTokens()
        let stop = try fields.stops()
        let control = RequestControl(timeoutSeconds: configuration.timeoutSeconds)
        let (stream, continuation) = AsyncStream<GenerationEvent>.makeStream()
        // The reader going away (client disconnected, handler cancelled) stops the job at its next token.
        continuation.onTermination = { reason in
            if case .cancelled = reason { control.cancel() }
        }
        let job = GenerationJob(prompt: prompt, maxTokens: maxTokens, sampling: sampling, stop: stop, logprobs: logprobs,
                                format: format, vocabulary: format == .text ? nil : ready.engine.tokenVocabulary,
                                cachePrompt: fields.cache_prompt ?? true, control: control, metrics: metrics,
                                slots: slotTable, events: continuation)
        guard ready.pool.submit(job) else {
            continuation.finish()
            // A slot frees roughly once per request; suggest a short wait that grows with the queue.
            throw .overloaded(retryAfterSeconds: max(1, ready.pool.maxQueue / max(1, ready.pool.parallel)))
        }
        return EventReader(stream, control: control, state: state)
    }

    /// Waits for the whole generation.
    private func collect(_ reader: EventReader) async throws(ServerError) -> (GenerationResult, Int) {
        while let event = await reader.next() {
            switch event {
            case .started, .text: continue
            case .finished(let result, let promptTokens): return (result, promptTokens)
            case .failed(let error): throw error
            }
        }
        throw .engine("the request was cancelled before it finished")
    }

    /// Waits for the job to start (so prompt errors are still plain 4xx responses), then streams SSE chunks.
    private func streamed(_ reader: EventReader, _ format: StreamFormat, tools: ToolSet? = nil) async throws(ServerError) -> Response {
        switch await reader.next() {
        case .started: break
        case .failed(let error): throw error
        default: throw .engine("the request ended before it started")
        }
        let body = ResponseBody { writer in
            do {
                try await self.writeEvents(reader, format, tools: tools, &writer)
            } catch {
                reader.abandon()
                throw error
            }
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: body)
    }

    /// Writes the SSE chunks of one job, ending with `data: [DONE]`; throws when the client is gone.
    /// With `tools`, the reply is sent once complete: as `delta.tool_calls` when it calls tools, else as content.
    private func writeEvents(_ reader: EventReader, _ format: StreamFormat, tools: ToolSet?,
                             _ writer: inout any ResponseBodyWriter) async throws {
        var format = format
        if let first = format.opening() { try await writer.write(first) }
        var sent = 0  // tokens whose log-probabilities went out with a piece
        var generated = "", answerSent = 0  // with tools: the reply so far, and the bytes of its answer sent
        loop: while let event = await reader.next() {
            switch event {
            case .started: continue
            case .text(let t, _) where tools != nil:
                // An answer is streamed as it is decoded; a tool call is sent whole at the end.
                generated += t
                if let answer = tools!.partialAnswer(generated), answer.utf8.count > answerSent {
                    try await writer.write(format.piece(String(decoding: Array(answer.utf8)[answerSent...], as: UTF8.self), nil))
                    answerSent = answer.utf8.count
                }
            case .text(let t, let lps):
                sent += lps.count
                let logprobs = format.logprobs(lps)
                try await writer.write(format.piece(t, logprobs))
            case .finished(let result, let promptTokens):
                let usage = Usage(prompt: promptTokens, completion: result.tokens.count, cached: result.reusedTokens)
                let rest = Array(result.logprobs.dropFirst(sent))
                let logprobs = rest.isEmpty ? nil : format.logprobs(rest)
                var reason = finishReason(result.stopReason)
                if let tools {
                    switch tools.parse(result.text) {
                    case .calls(let calls)?: try await writer.write(format.toolCalls(calls)); reason = "tool_calls"
                    case .answer(let answer)?:
                        let rest = Array(answer.utf8).dropFirst(answerSent)
                        if !rest.isEmpty { try await writer.write(format.piece(String(decoding: rest, as: UTF8.self), nil)) }
                    case nil where answerSent == 0:
                        try await writer.write(format.piece(result.text, nil))
                    case nil:
                        break  // an answer cut short: what was decoded is already out
                    }
                }
                let chunks = format.closing(reason, usage: usage, logprobs: logprobs)
                for chunk in chunks { try await writer.write(chunk) }
                break loop
            case .failed(let error):
                try await writer.write(JSONCoding.event(error.body))
                break loop
            }
        }
        try await writer.write(JSONCoding.done)
        if Task.isCancelled { throw CancellationError() }
        try await writer.finish(nil)
    }
}
