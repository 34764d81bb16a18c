import BitNetRuntime
import Foundation

/// OpenAI tool calling for models whose chat templates have no tool syntax of their own (SmolLM2's ChatML, Gemma 3,
/// and every other family `ChatTemplate` renders): the tools and the reply format are described in the system
/// message, and the reply is constrained by a grammar (from a JSON schema) to one JSON object —
/// `{"tool_call": {"name": …, "arguments": {…}}}` (or `{"tool_calls": [ … ]}` with `parallel_tool_calls: true`) to
/// call a tool, `{"response": "…"}` to answer — which the server turns into `message.tool_calls` or `content`.
/// Earlier calls and `role: tool` results in the conversation are written back in the same JSON.
///
/// Templates with their own syntax use it instead (`ChatTemplate.ToolCallSyntax`): for Hermes / Qwen2.5 the tools go
/// into the system turn in `<tools>` as the template writes them, a call is `<tool_call>\n{"name": …, "arguments":
/// {…}}\n</tool_call>` (the grammar allows those blocks, or with `auto` an answer that does not start with `<`),
/// and results come back as `<tool_response>` user turns.
struct ToolSet {
    struct Tool {
        let name: String
        let description: String?
        let parameters: OrderedJSON
    }

    enum Choice: Equatable { case auto, required, function(String) }

    let tools: [Tool]
    let choice: Choice
    let parallel: Bool
    /// The conversation's syntax for tools.
    let syntax: ChatTemplate.ToolCallSyntax
    /// The tools as the request gave them (the Hermes system turn lists them verbatim).
    let requestTools: [OrderedJSON]
    /// The grammar the reply must match.
    let grammar: Grammar

    /// The request's `tools`, or nil when it has none or `tool_choice` is `"none"`.
    /// - Throws: `invalidParameter` for a malformed tool, a `tool_choice` naming no tool, or parameters whose
    ///   schema cannot be enforced (with the JSON path).
    init?(request raw: OrderedJSON, syntax: ChatTemplate.ToolCallSyntax = .none) throws(ServerError) {
        guard let list = raw["tools"], list != .null else { return nil }
        guard case .array(let items) = list, !items.isEmpty else {
            throw .invalidParameter("tools must be a non-empty array of {\"type\": \"function\", \"function\": {…}}")
        }
        var tools: [Tool] = []
        for (k, item) in items.enumerated() {
            guard item["type"]?.stringValue ?? "function" == "function", let f = item["function"],
                  let name = f["name"]?.stringValue, !name.isEmpty else {
                throw .invalidParameter("tools[\(k)] must be {\"type\": \"function\", \"function\": {\"name\": …}}")
            }
            guard !tools.contains(where: { $0.name == name }) else { throw .invalidParameter("tools[\(k)]: the name '\(name)' is used twice") }
            let parameters = f["parameters"] ?? .object([.init("type", .string("object")), .init("properties", .object([]))])
            // Checked alone first, so an error names the tool's own path.
            do { _ = try JSONSchemaGrammar(schema: parameters) } catch {
                throw .invalidParameter("tools[\(k)].function.parameters\(error.path.dropFirst()): \(error.message)")
            }
            tools.append(Tool(name: name, description: f["description"]?.stringValue, parameters: parameters))
        }
        switch raw["tool_choice"] {
        case nil, .null?, .string("auto")?: choice = .auto
        case .string("none")?: return nil
        case .string("required")?: choice = .required
        case let c? where c["function"]?["name"]?.stringValue != nil:
            let name = c["function"]?["name"]?.stringValue ?? ""
            guard tools.contains(where: { $0.name == name }) else {
                throw .invalidParameter("tool_choice names '\(name)', which is not among the tools")
            }
            choice = .function(name)
        default:
            throw .invalidParameter("tool_choice must be \"auto\", \"none\", \"required\" or {\"type\": \"function\", \"function\": {\"name\": …}}")
        }
        parallel = raw["parallel_tool_calls"] == .bool(true)
        self.tools = tools
        self.syntax = syntax
        requestTools = items
        do {
            switch syntax {
            case .none:
                grammar = try JSONSchemaGrammar(schema: try Self.replySchema(tools, choice: choice, parallel: parallel)).grammar
            case .hermes:
                grammar = try Self.hermesGrammar(tools, choice: choice, parallel: parallel)
            }
        } catch let e as ServerError {
            throw e
        } catch {
            throw .invalidParameter("tools: the reply format could not be built (\(error))")
        }
    }

    /// The schema of one call: `{"name": <one of the allowed tools>, "arguments": {…}}`.
    private static func callSchema(_ tools: [Tool], choice: Choice) -> OrderedJSON {
        func obj(_ members: [(String, OrderedJSON)]) -> OrderedJSON { .object(members.map { .init($0.0, $0.1) }) }
        var calls: [OrderedJSON] = []
        for t in tools {
            if case .function(let only) = choice, only != t.name { continue }
            calls.append(obj([("type", .string("object")),
                              ("properties", obj([("name", obj([("const", .string(t.name))])), ("arguments", t.parameters)])),
                              ("required", .array([.string("name"), .string("arguments")]))]))
        }
        return calls.count == 1 ? calls[0] : obj([("anyOf", .array(calls))])
    }

    /// Hermes replies: `<tool_call>` blocks (one, or several with `parallel_tool_calls`), or with `auto` also an
    /// answer that does not begin with `<`.
    private static func hermesGrammar(_ tools: [Tool], choice: Choice, parallel: Bool) throws -> Grammar {
        let call = try JSONSchemaGrammar(schema: callSchema(tools, choice: choice)).gbnf
        // The call grammar's own root becomes `tool-call-json`.
        let renamed = call.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasPrefix("root ::=") ? "tool-call-json ::=" + line.dropFirst("root ::=".count) : Substring(line)
        }.joined(separator: "\n")
        let block = #"tool-call-block ::= "<tool_call>\n" tool-call-json "\n</tool_call>""#
        let calls = parallel ? #"tool-calls ::= tool-call-block ("\n" tool-call-block)*"# : "tool-calls ::= tool-call-block"
        let root = choice == .auto ? #"root ::= tool-calls | [^<] .*"# : "root ::= tool-calls"
        return try Grammar(gbnf: [root, calls, block, renamed].joined(separator: "\n"))
    }

    /// The schema of a reply: a call of one of the allowed tools, or (with `auto`) an answer.
    private static func replySchema(_ tools: [Tool], choice: Choice, parallel: Bool) throws(ServerError) -> OrderedJSON {
        func obj(_ members: [(String, OrderedJSON)]) -> OrderedJSON { .object(members.map { .init($0.0, $0.1) }) }
        let call = callSchema(tools, choice: choice)
        let invoke = parallel
            ? obj([("type", .string("object")),
                   ("properties", obj([("tool_calls", obj([("type", .string("array")), ("items", call), ("minItems", .number("1"))]))])),
                   ("required", .array([.string("tool_calls")]))])
            : obj([("type", .string("object")), ("properties", obj([("tool_call", call)])), ("required", .array([.string("tool_call")]))])
        guard choice == .auto else { return invoke }
        let answer = obj([("type", .string("object")), ("properties", obj([("response", obj([("type", .string("string"))]))])),
                          ("required", .array([.string("response")]))])
        return obj([("anyOf", .array([invoke, answer]))])
    }

    /// `messages` with the tool instructions added to (or as) the system message.
    func instructing(_ messages: [ChatMessage], template: ChatTemplate) -> [ChatMessage] {
        if syntax == .hermes { return hermesInstructing(messages, template: template) }
        var lines = ["You can call the following tools. Each is given as JSON with its name, what it does and the JSON "
                     + "schema of its arguments:"]
        for t in tools {
            var members: [OrderedJSON.Member] = [.init("name", .string(t.name))]
            if let d = t.description { members.append(.init("description", .string(d))) }
            members.append(.init("parameters", t.parameters))
            lines.append(OrderedJSON.object(members).serialized)
        }
        let call = parallel ? #"{"tool_calls": [{"name": "<tool name>", "arguments": {<arguments>}}, ...]}"#
            : #"{"tool_call": {"name": "<tool name>", "arguments": {<arguments>}}}"#
        switch choice {
        case .auto:
            lines.append("Reply with one JSON object only. To call a tool: \(call). To answer the user directly: "
                         + #"{"response": "<your answer>"}."#)
        case .required:
            lines.append("Reply with one JSON object only, calling a tool: \(call).")
        case .function(let name):
            lines.append("Reply with one JSON object only, calling the tool \(name): \(call).")
        }
        lines.append(#"Tool results come back as {"tool_response": {"name": ..., "content": ...}}."#)
        let instructions = lines.joined(separator: "\n")
        var out = messages
        if let first = out.first, first.role == "system" {
            out[0].content = first.content + "\n\n" + instructions
        } else {
            out.insert(ChatMessage(role: "system", content: instructions), at: 0)
        }
        return out
    }

    /// Hermes / Qwen2.5's system turn: the system message (or the template's default), then the tools in `<tools>`,
    /// each as Jinja's `tojson` writes it, and the call format — the text the template renders.
    private func hermesInstructing(_ messages: [ChatMessage], template: ChatTemplate) -> [ChatMessage] {
        var out = messages
        var system: String
        if let first = out.first, first.role == "system" {
            system = first.content
            out.removeFirst()
        } else {
            system = template.defaultSystemPrompt ?? ""
        }
        system += "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
            + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>"
        for t in requestTools { system += "\n" + Self.tojson(t) }
        system += "\n</tools>\n\nFor each function call, return a json object with function name and arguments within "
            + "<tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": "
            + "<args-json-object>}\n</tool_call>"
        out.insert(ChatMessage(role: "system", content: system), at: 0)
        return out
    }

    /// JSON as Jinja's `tojson` (Python's `json.dumps`) writes it: `", "` and `": "` separators, non-ASCII kept.
    static func tojson(_ v: OrderedJSON) -> String {
        switch v {
        case .object(let members):
            return "{" + members.map { OrderedJSON.string($0.key).serialized + ": " + tojson($0.value) }.joined(separator: ", ") + "}"
        case .array(let items):
            return "[" + items.map(tojson).joined(separator: ", ") + "]"
        default:
            return v.serialized
        }
    }

    /// The answer streamed so far, or nil while the reply may still be a tool call.
    func partialAnswer(_ generated: String) -> String? {
        switch syntax {
        case .none: return PartialAnswer.decode(generated)
        case .hermes: return generated.first.map { $0 == "<" ? nil : generated } ?? nil
        }
    }

    /// Reads the reply in this set's syntax.
    func parse(_ text: String) -> Reply? {
        syntax == .hermes ? Self.parseHermes(text) : Self.parse(text)
    }

    /// Hermes replies: every `<tool_call>…</tool_call>` block's JSON; text without one is an answer.
    static func parseHermes(_ text: String) -> Reply? {
        var calls: [ChatCompletionResponse.ToolCall] = []
        var rest = Substring(text)
        while let open = rest.range(of: "<tool_call>") {
            guard let close = rest[open.upperBound...].range(of: "</tool_call>") else { return nil }  // cut short
            guard let doc = try? OrderedJSON.parse(String(rest[open.upperBound..<close.lowerBound])),
                  let name = doc["name"]?.stringValue else { return nil }
            calls.append(.init(index: calls.count, id: Self.newCallID(),
                               function: .init(name: name, arguments: (doc["arguments"] ?? .object([])).serialized)))
            rest = rest[close.upperBound...]
        }
        return calls.isEmpty ? .answer(text) : .calls(calls)
    }

    /// A fresh `call_…` id for a tool call.
    static func newCallID() -> String {
        "call_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(24).lowercased()
    }

    /// A reply read back: the tool calls, or the answer text.
    enum Reply {
        case answer(String)
        case calls([ChatCompletionResponse.ToolCall])
    }

    /// Reads the constrained reply `text`; nil when it is not a complete reply (generation was cut short).
    static func parse(_ text: String) -> Reply? {
        guard let doc = try? OrderedJSON.parse(text) else { return nil }
        if let answer = doc["response"]?.stringValue { return .answer(answer) }
        var calls: [OrderedJSON] = []
        if let one = doc["tool_call"] { calls = [one] }
        if case .array(let many)? = doc["tool_calls"] { calls = many }
        guard !calls.isEmpty else { return nil }
        var out: [ChatCompletionResponse.ToolCall] = []
        for (k, c) in calls.enumerated() {
            guard let name = c["name"]?.stringValue else { return nil }
            out.append(.init(index: k, id: Self.newCallID(), function: .init(name: name, arguments: (c["arguments"] ?? .object([])).serialized)))
        }
        return .calls(out)
    }
}

/// The answer of a `{"response": "…"}` reply decoded as far as the text generated so far allows, so a streamed
/// reply that answers (rather than calls a tool) is sent as it is written.
enum PartialAnswer {
    /// The decoded answer so far; nil while the text is not (yet) known to be an answer. Escapes still incomplete at
    /// the end are held back, so successive results only grow.
    static func decode(_ text: String) -> String? {
        let b = Array(text.utf8)
        var i = 0
        func skipSpace() { while i < b.count, [0x20, 0x0A, 0x0D, 0x09].contains(b[i]) { i += 1 } }
        func expect(_ s: String) -> Bool? {
            for c in s.utf8 {
                guard i < b.count else { return nil }  // undecided: the text stops inside the prefix
                guard b[i] == c else { return false }
                i += 1
            }
            return true
        }
        skipSpace()
        guard expect("{") == true else { return nil }
        skipSpace()
        guard expect("\"response\"") == true else { return nil }
        skipSpace()
        guard expect(":") == true else { return nil }
        skipSpace()
        guard expect("\"") == true else { return nil }
        var out: [UInt8] = []
        while i < b.count {
            let c = b[i]
            if c == UInt8(ascii: "\"") { break }
            guard c == UInt8(ascii: "\\") else { out.append(c); i += 1; continue }
            guard i + 1 < b.count else { break }
            let e = b[i + 1]
            if e == UInt8(ascii: "u") {
                guard i + 6 <= b.count, let v = UInt32(String(decoding: b[(i + 2)..<(i + 6)], as: UTF8.self), radix: 16) else { break }
                if (0xD800..<0xDC00).contains(v) {
                    // A surrogate pair: wait for the low half.
                    guard i + 12 <= b.count, b[i + 6] == UInt8(ascii: "\\"), b[i + 7] == UInt8(ascii: "u"),
                          let low = UInt32(String(decoding: b[(i + 8)..<(i + 12)], as: UTF8.self), radix: 16),
                          let scalar = Unicode.Scalar(0x10000 + ((v - 0xD800) << 10) + (low &- 0xDC00)) else { break }
                    out.append(contentsOf: String(Character(scalar)).utf8)
                    i += 12
                } else {
                    out.append(contentsOf: String(Character(Unicode.Scalar(v) ?? "\u{FFFD}")).utf8)
                    i += 6
                }
                continue
            }
            let map: [UInt8: UInt8] = [UInt8(ascii: "n"): 0x0A, UInt8(ascii: "t"): 0x09, UInt8(ascii: "r"): 0x0D,
                                       UInt8(ascii: "b"): 0x08, UInt8(ascii: "f"): 0x0C]
            out.append(map[e] ?? e)
            i += 2
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension ChatCompletionRequest {
    /// The conversation for the chat template: `developer` becomes `system`; an assistant turn's `tool_calls` and a
    /// `tool` message's result are written as the JSON the tool format uses (a tool result as a user turn, which
    /// every template family can render).
    func chatMessages(syntax: ChatTemplate.ToolCallSyntax = .none) throws(ServerError) -> [ChatMessage] {
        guard !messages.isEmpty else { throw .invalidParameter("messages must not be empty") }
        var out: [ChatMessage] = []
        var callNames: [String: String] = [:]
        for (k, m) in messages.enumerated() {
            let text = m.content?.values.joined() ?? ""
            switch m.role {
            case "system", "developer", "user":
                out.append(ChatMessage(role: m.role == "developer" ? "system" : m.role, content: text))
            case "assistant":
                guard let calls = m.tool_calls, !calls.isEmpty else {
                    out.append(ChatMessage(role: "assistant", content: text))
                    continue
                }
                var written: [OrderedJSON] = []
                for c in calls {
                    let args = (try? OrderedJSON.parse(c.function.arguments)) ?? .string(c.function.arguments)
                    written.append(.object([.init("name", .string(c.function.name)), .init("arguments", args)]))
                    if let id = c.id { callNames[id] = c.function.name }
                }
                if syntax == .hermes {
                    // As Qwen2.5's template writes them: the content (if any), then one block per call.
                    let blocks = calls.map { c -> String in
                        let args = (try? OrderedJSON.parse(c.function.arguments)).map(ToolSet.tojson) ?? c.function.arguments
                        return "<tool_call>\n{\"name\": " + OrderedJSON.string(c.function.name).serialized + ", \"arguments\": "
                            + args + "}\n</tool_call>"
                    }
                    out.append(ChatMessage(role: "assistant", content: ([text].filter { !$0.isEmpty } + blocks).joined(separator: "\n")))
                    continue
                }
                let doc: OrderedJSON = written.count == 1 ? .object([.init("tool_call", written[0])])
                    : .object([.init("tool_calls", .array(written))])
                out.append(ChatMessage(role: "assistant", content: doc.serialized))
            case "tool" where syntax == .hermes:
                // Consecutive results share one user turn, each in <tool_response>.
                let block = "<tool_response>\n" + text + "\n</tool_response>"
                if k > 0, messages[k - 1].role == "tool", let last = out.last, last.role == "user" {
                    out[out.count - 1].content += "\n" + block
                } else {
                    out.append(ChatMessage(role: "user", content: block))
                }
            case "tool":
                var members: [OrderedJSON.Member] = []
                if let id = m.tool_call_id, let name = callNames[id] ?? m.name { members.append(.init("name", .string(name))) }
                members.append(.init("content", (try? OrderedJSON.parse(text)) ?? .string(text)))
                out.append(ChatMessage(role: "user", content: OrderedJSON.object([.init("tool_response", .object(members))]).serialized))
            default:
                throw .invalidParameter("messages[\(k)]: unknown role '\(m.role)' (system, developer, user, assistant, tool)")
            }
        }
        return out
    }
}
