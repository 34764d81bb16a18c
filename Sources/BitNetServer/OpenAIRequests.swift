import BitNetRuntime
import Foundation

/// Text that OpenAI clients send either as a string or as an array of strings (`stop`) or of content parts
/// (`messages[].content`): decoded to a list of strings.
struct TextList: Decodable, Sendable {
    let values: [String]

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { values = []; return }
        if let s = try? c.decode(String.self) { values = [s]; return }
        if let a = try? c.decode([String].self) { values = a; return }
        // Content parts: [{"type":"text","text":"..."}].
        let parts = try c.decode([ContentPart].self)
        values = parts.map(\.text)
    }

    struct ContentPart: Decodable, Sendable {
        let type: String
        let text: String
    }
}

/// The sampling fields both endpoints share, validated into `SamplingParameters`.
struct SamplingFields: Decodable, Sendable {
    var max_tokens: Int?
    var max_completion_tokens: Int?
    var temperature: Double?
    var top_p: Double?
    var top_k: Int?
    var min_p: Double?
    var repeat_penalty: Double?
    var presence_penalty: Double?
    var frequency_penalty: Double?
    var seed: Int64?
    var n: Int?
    var stop: TextList?
    /// Reuse the slot's cached prefix of the prompt (llama-server's `cache_prompt`; default true).
    var cache_prompt: Bool?
    /// OpenAI's `response_format` (`{"type": "text" | "json_object" | "json_schema", …}`); the schema itself is
    /// read from the body in order (`outputFormat(raw:)`).
    var response_format: ResponseFormat?
    /// llama-server's GBNF `grammar`.
    var grammar: String?

    /// `response_format`'s `type`.
    struct ResponseFormat: Decodable, Sendable {
        var type: String
    }

    /// What the output must be: free text, one JSON object, text a JSON schema validates (`response_format`
    /// `json_schema`, or llama-server's `json_schema` field / `json_object` with a `schema`), or a GBNF `grammar`.
    /// - Parameter raw: the request body, members in order (a schema's property order is the output's).
    /// - Throws: `invalidParameter` saying where a schema or grammar is malformed or unsupported.
    func outputFormat(raw: OrderedJSON) throws(ServerError) -> OutputFormat {
        let type = response_format?.type ?? "text"
        let schema = raw["response_format"]?["json_schema"]?["schema"] ?? raw["response_format"]?["schema"]
            ?? raw["json_schema"].flatMap { $0 == .null ? nil : $0 }
        if let grammar {
            guard type == "text", schema == nil else {
                throw .invalidParameter("give either grammar or response_format / json_schema, not both")
            }
            do { return .grammar(try Grammar(gbnf: grammar)) } catch { throw .invalidParameter(error.description) }
        }
        switch type {
        case "text" where schema == nil: return .text
        case "json_object" where schema == nil: return .jsonObject
        case "text", "json_object", "json_schema":
            guard let schema else {
                throw .invalidParameter("response_format json_schema needs {\"json_schema\": {\"name\": …, \"schema\": {…}}}")
            }
            do { return .grammar(try JSONSchemaGrammar(schema: schema).grammar) } catch {
                throw .invalidParameter(error.description)
            }
        default:
            throw .invalidParameter("response_format type must be \"text\", \"json_object\" or \"json_schema\", not \"\(type)\"")
        }
    }

    /// The requested token budget, or nil for "until the context is full".
    func maxTokens() throws(ServerError) -> Int? {
        guard let m = max_completion_tokens ?? max_tokens else { return nil }
        guard m >= 0 else { throw .invalidParameter("max_tokens must be 0 or more, got \(m)") }
        return m
    }

    /// Stop strings (at most 16, each at most 1000 characters).
    func stops() throws(ServerError) -> [String] {
        let s = stop?.values ?? []
        guard s.count <= 16 else { throw .invalidParameter("stop takes at most 16 strings, got \(s.count)") }
        guard s.allSatisfy({ $0.count <= 1000 }) else { throw .invalidParameter("a stop string is longer than 1000 characters") }
        return s
    }

    /// The engine's sampling parameters: the engine defaults (those of `bitnet run`) for fields not given.
    func sampling() throws(ServerError) -> SamplingParameters {
        var p = SamplingParameters()
        if let n, n != 1 { throw .invalidParameter("n must be 1 (one choice per request), got \(n)") }
        if let t = temperature {
            guard t.isFinite, (0...2).contains(t) else { throw .invalidParameter("temperature must be in [0, 2], got \(t)") }
            p.temperature = Float(t)
        }
        if let v = top_p {
            guard v > 0 && v <= 1 else { throw .invalidParameter("top_p must be in (0, 1], got \(v)") }
            p.topP = Float(v)
        }
        if let v = top_k {
            guard (0...1_000_000).contains(v) else { throw .invalidParameter("top_k must be in [0, 1000000], got \(v)") }
            p.topK = v
        }
        if let v = min_p {
            guard (0...1).contains(v) else { throw .invalidParameter("min_p must be in [0, 1], got \(v)") }
            p.minP = Float(v)
        }
        if let v = repeat_penalty {
            guard v > 0 && v <= 10 else { throw .invalidParameter("repeat_penalty must be in (0, 10], got \(v)") }
            p.repeatPenalty = Float(v)
        }
        if let v = presence_penalty {
            guard (-2...2).contains(v) else { throw .invalidParameter("presence_penalty must be in [-2, 2], got \(v)") }
            p.presencePenalty = Float(v)
        }
        if let v = frequency_penalty {
            guard (-2...2).contains(v) else { throw .invalidParameter("frequency_penalty must be in [-2, 2], got \(v)") }
            p.frequencyPenalty = Float(v)
        }
        // A negative seed (llama.cpp's -1) asks for a random one.
        if let s = seed { p.seed = s >= 0 ? UInt64(s) : UInt64.random(in: 0...UInt64.max) }
        if let why = p.validationError() { throw .invalidParameter(why) }
        return p
    }
}

/// `stream_options`.
struct StreamOptions: Decodable, Sendable {
    var include_usage: Bool?
}

/// One message of a chat request.
struct ChatMessageIn: Decodable, Sendable {
    /// A tool call an assistant message made earlier in the conversation.
    struct ToolCallIn: Decodable, Sendable {
        struct Function: Decodable, Sendable {
            let name: String
            /// The arguments as JSON text, as OpenAI sends them.
            let arguments: String
        }
        let id: String?
        let function: Function
    }

    let role: String
    /// nil for an assistant message that only calls tools.
    let content: TextList?
    let tool_calls: [ToolCallIn]?
    /// On a `tool` message: which call this is the result of.
    let tool_call_id: String?
    let name: String?
}

/// `POST /v1/chat/completions` body.
struct ChatCompletionRequest: Decodable, Sendable {
    var model: String?
    var messages: [ChatMessageIn]
    var stream: Bool?
    var stream_options: StreamOptions?
    /// Return each token's log-probability (`logprobs: true`) and `top_logprobs` alternatives.
    var logprobs: Bool?
    var top_logprobs: Int?
    var sampling: SamplingFields

    enum CodingKeys: String, CodingKey { case model, messages, stream, stream_options, logprobs, top_logprobs }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decodeIfPresent(String.self, forKey: .model)
        messages = try c.decode([ChatMessageIn].self, forKey: .messages)
        stream = try c.decodeIfPresent(Bool.self, forKey: .stream)
        stream_options = try c.decodeIfPresent(StreamOptions.self, forKey: .stream_options)
        logprobs = try c.decodeIfPresent(Bool.self, forKey: .logprobs)
        top_logprobs = try c.decodeIfPresent(Int.self, forKey: .top_logprobs)
        sampling = try SamplingFields(from: decoder)
    }

}

/// `POST /v1/completions` body.
struct CompletionRequest: Decodable, Sendable {
    var model: String?
    var prompt: TextList
    var stream: Bool?
    var stream_options: StreamOptions?
    /// `logprobs: N`: each token's log-probability and its N most likely alternatives.
    var logprobs: Int?
    var sampling: SamplingFields

    enum CodingKeys: String, CodingKey { case model, prompt, stream, stream_options, logprobs }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decodeIfPresent(String.self, forKey: .model)
        prompt = try c.decode(TextList.self, forKey: .prompt)
        stream = try c.decodeIfPresent(Bool.self, forKey: .stream)
        stream_options = try c.decodeIfPresent(StreamOptions.self, forKey: .stream_options)
        logprobs = try c.decodeIfPresent(Int.self, forKey: .logprobs)
        sampling = try SamplingFields(from: decoder)
    }

    /// The single prompt string (batches of prompts are not supported).
    func promptText() throws(ServerError) -> String {
        guard prompt.values.count == 1 else {
            throw .invalidParameter("prompt must be one string (got \(prompt.values.count)); send one request per prompt")
        }
        return prompt.values[0]
    }
}

/// `POST /tokenize` body (llama-server's shape).
struct TokenizeRequest: Decodable, Sendable {
    var content: String
    var add_special: Bool?
    var parse_special: Bool?
}

/// `POST /detokenize` body.
struct DetokenizeRequest: Decodable, Sendable {
    var tokens: [Int]
}
