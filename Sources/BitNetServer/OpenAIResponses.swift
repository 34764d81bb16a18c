import BitNetRuntime
import Foundation
import Hummingbird

/// Token counts of one request.
struct Usage: Codable, Sendable {
    /// OpenAI's `prompt_tokens_details`: how many prompt tokens came from the prompt cache.
    struct PromptTokensDetails: Codable, Sendable {
        let cached_tokens: Int
    }

    let prompt_tokens: Int
    let completion_tokens: Int
    let total_tokens: Int
    let prompt_tokens_details: PromptTokensDetails

    init(prompt: Int, completion: Int, cached: Int) {
        prompt_tokens = prompt
        completion_tokens = completion
        total_tokens = prompt + completion
        prompt_tokens_details = PromptTokensDetails(cached_tokens: cached)
    }
}

/// OpenAI's `finish_reason` for an engine stop reason.
func finishReason(_ r: StopReason) -> String {
    // "tool_calls" is chosen by the chat endpoint when the reply is a tool call.
    switch r {
    case .endOfGeneration, .stopString: "stop"
    case .length, .cancelled: "length"
    }
}

/// `chat.completion` / `chat.completion.chunk`.
struct ChatCompletionResponse: Encodable, Sendable {
    struct Message: Encodable, Sendable {
        var role: String?
        var content: String?
        var tool_calls: [ToolCall]?
    }
    /// One call in `message.tool_calls` / `delta.tool_calls`.
    struct ToolCall: Encodable, Sendable {
        struct Function: Encodable, Sendable {
            let name: String
            /// The arguments object as JSON text.
            let arguments: String
        }
        /// Position in the list (streamed deltas carry it).
        let index: Int
        let id: String
        var type = "function"
        let function: Function

        init(index: Int, id: String, function: Function) {
            self.index = index
            self.id = id
            self.function = function
        }
    }
    struct Choice: Encodable, Sendable {
        let index: Int
        var message: Message?
        var delta: Message?
        var logprobs: ChoiceLogprobs?
        let finish_reason: String?

        init(index: Int, message: Message? = nil, delta: Message? = nil, logprobs: ChoiceLogprobs? = nil,
             finish_reason: String?) {
            self.index = index
            self.message = message
            self.delta = delta
            self.logprobs = logprobs
            self.finish_reason = finish_reason
        }

        enum CodingKeys: String, CodingKey { case index, message, delta, logprobs, finish_reason }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(index, forKey: .index)
            try c.encodeIfPresent(message, forKey: .message)
            try c.encodeIfPresent(delta, forKey: .delta)
            try c.encode(logprobs, forKey: .logprobs)  // explicit null when not asked for, as OpenAI does
            try c.encode(finish_reason, forKey: .finish_reason)  // explicit null while streaming
        }
    }
    let id: String
    let object: String
    let created: Int
    let model: String
    let choices: [Choice]
    var usage: Usage?
}

/// `text_completion` (whole or streamed chunk).
struct CompletionResponse: Encodable, Sendable {
    struct Choice: Encodable, Sendable {
        let text: String
        let index: Int
        var logprobs: ChoiceLogprobs?
        let finish_reason: String?

        init(text: String, index: Int, logprobs: ChoiceLogprobs? = nil, finish_reason: String?) {
            self.text = text
            self.index = index
            self.logprobs = logprobs
            self.finish_reason = finish_reason
        }

        enum CodingKeys: String, CodingKey { case text, index, logprobs, finish_reason }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(text, forKey: .text)
            try c.encode(index, forKey: .index)
            try c.encode(logprobs, forKey: .logprobs)
            try c.encode(finish_reason, forKey: .finish_reason)
        }
    }
    let id: String
    let object: String
    let created: Int
    let model: String
    let choices: [Choice]
    var usage: Usage?
}

/// `GET /v1/models`.
struct ModelList: Encodable, Sendable {
    struct Model: Encodable, Sendable {
        let id: String
        let object = "model"
        let created: Int
        let owned_by = "bitnet-swift"
    }
    let object = "list"
    let data: [Model]
}

/// JSON encoding into NIO buffers, and SSE framing.
enum JSONCoding {
    static func buffer(_ value: some Encodable) -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        // Encoding our own value types cannot fail; an empty object keeps the contract if it ever did.
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return ByteBuffer(bytes: data)
    }

    /// One server-sent event: `data: <json>\n\n`.
    static func event(_ value: some Encodable) -> ByteBuffer {
        var b = ByteBuffer(string: "data: ")
        var json = buffer(value)
        b.writeBuffer(&json)
        b.writeString("\n\n")
        return b
    }

    /// The stream terminator.
    static let done = ByteBuffer(string: "data: [DONE]\n\n")

    /// Decodes `T`, mapping decoding failures to `ServerError.malformedRequest` with the offending path.
    static func decode<T: Decodable>(_ type: T.Type, from buffer: ByteBuffer) throws(ServerError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let DecodingError.dataCorrupted(ctx) {
            throw .malformedRequest("the body is not valid JSON (\(ctx.debugDescription))")
        } catch let DecodingError.typeMismatch(t, ctx) {
            throw .malformedRequest("'\(path(ctx))' has the wrong type (expected \(t))")
        } catch let DecodingError.keyNotFound(key, ctx) {
            throw .malformedRequest("missing field '\(path(ctx, key))'")
        } catch let DecodingError.valueNotFound(t, ctx) {
            throw .malformedRequest("'\(path(ctx))' is null (expected \(t))")
        } catch {
            throw .malformedRequest("the body could not be decoded: \(error)")
        }
    }

    /// The body with object members in order (schemas, tool definitions); call after `decode` succeeded.
    static func ordered(_ buffer: ByteBuffer) throws(ServerError) -> OrderedJSON {
        do { return try OrderedJSON.parse(Array(buffer.readableBytesView)) } catch {
            throw .malformedRequest("the body is not valid JSON (\(error))")
        }
    }

    private static func path(_ ctx: DecodingError.Context, _ key: (any CodingKey)? = nil) -> String {
        let keys = ctx.codingPath + (key.map { [$0] } ?? [])
        let p = keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        return p.isEmpty ? "(body)" : p
    }
}
