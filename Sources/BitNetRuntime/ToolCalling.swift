import Foundation

/// A function a model may call (OpenAI's `{"type": "function", "function": {…}}`).
public struct Tool: Sendable {
    /// The name the model calls it by.
    public var name: String
    /// What it does, shown to the model.
    public var description: String?
    /// JSON schema of the arguments object.
    public var parameters: OrderedJSON

    /// A tool; `parameters` defaults to an object schema with no properties.
    public init(name: String, description: String? = nil,
                parameters: OrderedJSON = .object([.init("type", .string("object")), .init("properties", .object([]))])) {
        self.name = name
        self.description = description
        self.parameters = parameters
    }

    /// The tool as OpenAI's request lists it (what Hermes templates show the model).
    public var openAI: OrderedJSON {
        var f: [OrderedJSON.Member] = [.init("name", .string(name))]
        if let description { f.append(.init("description", .string(description))) }
        f.append(.init("parameters", parameters))
        return .object([.init("type", .string("function")), .init("function", .object(f))])
    }
}

/// Which calls a reply may make.
public enum ToolChoice: Sendable, Equatable {
    /// Call tools or answer.
    case auto
    /// Call at least one tool.
    case required
    /// Call this tool.
    case function(String)
}

/// One call a model made.
public struct ToolCall: Sendable, Equatable {
    /// The tool called.
    public var name: String
    /// The arguments object (valid against the tool's parameter schema when the reply was constrained).
    public var arguments: OrderedJSON

    /// A call of `name` with `arguments`.
    public init(name: String, arguments: OrderedJSON) {
        self.name = name
        self.arguments = arguments
    }
}

/// A reply to a turn with tools.
public enum ToolReply: Sendable, Equatable {
    /// The model answered in text.
    case answer(String)
    /// The model called tools.
    case calls([ToolCall])
}

/// Why tools cannot be offered as given: a parameter schema the grammar cannot enforce, a choice naming no tool.
public struct ToolError: Error, Equatable, CustomStringConvertible {
    /// Index of the tool in the list, when the problem is one tool's.
    public let tool: Int?
    /// Where in the tool (`function.parameters.properties.x`), or empty.
    public let path: String
    /// What is wrong.
    public let message: String

    /// An error about tool `tool` (nil: about the set) at `path`.
    public init(tool: Int?, path: String = "", message: String) {
        self.tool = tool
        self.path = path
        self.message = message
    }

    /// `tools[i].path: message`, or the message alone.
    public var description: String {
        guard let tool else { return message }
        return "tools[\(tool)]" + (path.isEmpty ? "" : "." + path) + ": " + message
    }
}

/// Tool calling in a conversation: how the tools are described to the model, the grammar its reply must match,
/// and how the reply is read back — in the chat template's own syntax where it has one the engine speaks
/// (`ChatTemplate.ToolCallSyntax.hermes`: Qwen2.5 / Hermes `<tool_call>` blocks), else in one JSON convention for
/// every family (the tools and the reply format in the system message; the reply one JSON object —
/// `{"tool_call": {"name": …, "arguments": {…}}}`, `{"tool_calls": [ … ]}` when parallel calls are allowed, or with
/// `auto` `{"response": "…"}`). Used by the server (`tools` in chat completions) and by
/// `ChatSession.respond(to:tools:)`.
public struct ToolCallFormat: Sendable {
    /// The tools offered.
    public let tools: [Tool]
    /// Which calls the reply may make.
    public let choice: ToolChoice
    /// Whether one reply may make several calls.
    public let parallel: Bool
    /// The conversation's tool syntax.
    public let syntax: ChatTemplate.ToolCallSyntax
    /// The tools as Hermes templates list them (the request's own objects when given).
    let requestTools: [OrderedJSON]
    /// The grammar the reply must match.
    public let grammar: Grammar

    /// The format for `tools` in `syntax`; `requestTools` are the tools as a request listed them (default: each
    /// tool's `openAI` form).
    /// - Throws: `ToolError` for a tool whose parameter schema the grammar cannot enforce (with its JSON path), a
    ///   repeated name, or a choice naming no tool.
    public init(tools: [Tool], choice: ToolChoice = .auto, parallel: Bool = false,
                syntax: ChatTemplate.ToolCallSyntax = .none, requestTools: [OrderedJSON]? = nil) throws(ToolError) {
        guard !tools.isEmpty else { throw ToolError(tool: nil, message: "no tools were given") }
        for (k, t) in tools.enumerated() {
            guard !t.name.isEmpty else { throw ToolError(tool: k, message: "a tool needs a name") }
            guard !tools[..<k].contains(where: { $0.name == t.name }) else {
                throw ToolError(tool: k, message: "the name '\(t.name)' is used twice")
            }
            do { _ = try JSONSchemaGrammar(schema: t.parameters) } catch {
                throw ToolError(tool: k, path: "function.parameters" + error.path.dropFirst(), message: error.message)
            }
        }
        if case .function(let name) = choice, !tools.contains(where: { $0.name == name }) {
            throw ToolError(tool: nil, message: "tool_choice names '\(name)', which is not among the tools")
        }
        self.tools = tools
        self.choice = choice
        self.parallel = parallel
        self.syntax = syntax
        self.requestTools = requestTools ?? tools.map(\.openAI)
        do {
            switch syntax {
            case .none: grammar = try JSONSchemaGrammar(schema: Self.replySchema(tools, choice: choice, parallel: parallel)).grammar
            case .hermes: grammar = try Self.hermesGrammar(tools, choice: choice, parallel: parallel)
            }
        } catch {
            throw ToolError(tool: nil, message: "the reply format could not be built (\(error))")
        }
    }

    /// The schema of one call: `{"name": <one of the allowed tools>, "arguments": {…}}`.
    private static func callSchema(_ tools: [Tool], choice: ToolChoice) -> OrderedJSON {
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
    private static func hermesGrammar(_ tools: [Tool], choice: ToolChoice, parallel: Bool) throws -> Grammar {
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
    private static func replySchema(_ tools: [Tool], choice: ToolChoice, parallel: Bool) -> OrderedJSON {
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
    public func instructing(_ messages: [ChatMessage], template: ChatTemplate) -> [ChatMessage] {
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
    public static func tojson(_ v: OrderedJSON) -> String {
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
    public func partialAnswer(_ generated: String) -> String? {
        switch syntax {
        case .none: return PartialAnswer.decode(generated)
        case .hermes: return generated.first.map { $0 == "<" ? nil : generated } ?? nil
        }
    }

    /// Reads the reply in this set's syntax.
    public func parse(_ text: String) -> ToolReply? {
        syntax == .hermes ? Self.parseHermes(text) : Self.parseJSON(text)
    }

    /// Hermes replies: every `<tool_call>…</tool_call>` block's JSON; text without one is an answer.
    /// JSON-convention replies: `{"response": …}`, `{"tool_call": …}` or `{"tool_calls": […]}`; nil when the text is
    /// not a complete reply (generation was cut short).
    static func parseJSON(_ text: String) -> ToolReply? {
        guard let doc = try? OrderedJSON.parse(text) else { return nil }
        if let answer = doc["response"]?.stringValue { return .answer(answer) }
        var calls: [OrderedJSON] = []
        if let one = doc["tool_call"] { calls = [one] }
        if case .array(let many)? = doc["tool_calls"] { calls = many }
        guard !calls.isEmpty else { return nil }
        var out: [ToolCall] = []
        for c in calls {
            guard let name = c["name"]?.stringValue else { return nil }
            out.append(ToolCall(name: name, arguments: c["arguments"] ?? .object([])))
        }
        return .calls(out)
    }

    static func parseHermes(_ text: String) -> ToolReply? {
        var calls: [ToolCall] = []
        var rest = Substring(text)
        while let open = rest.range(of: "<tool_call>") {
            guard let close = rest[open.upperBound...].range(of: "</tool_call>") else { return nil }  // cut short
            guard let doc = try? OrderedJSON.parse(String(rest[open.upperBound..<close.lowerBound])),
                  let name = doc["name"]?.stringValue else { return nil }
            calls.append(ToolCall(name: name, arguments: doc["arguments"] ?? .object([])))
            rest = rest[close.upperBound...]
        }
        return calls.isEmpty ? .answer(text) : .calls(calls)
    }

    /// An assistant turn that made `calls` (after `content`), written as this syntax writes it back.
    public func assistantMessage(content: String, calls: [ToolCall]) -> ChatMessage {
        Self.assistantMessage(content: content, calls: calls, syntax: syntax)
    }

    /// An assistant turn that made `calls`, as `syntax` writes it back: Hermes blocks after the content, or the JSON
    /// convention's `{"tool_call": …}` / `{"tool_calls": […]}` object.
    public static func assistantMessage(content: String, calls: [ToolCall], syntax: ChatTemplate.ToolCallSyntax) -> ChatMessage {
        if syntax == .hermes {
            // As Qwen2.5's template writes them: the content (if any), then one block per call.
            let blocks = calls.map { c in
                "<tool_call>\n{\"name\": " + OrderedJSON.string(c.name).serialized + ", \"arguments\": " + tojson(c.arguments) + "}\n</tool_call>"
            }
            return ChatMessage(role: "assistant", content: ([content].filter { !$0.isEmpty } + blocks).joined(separator: "\n"))
        }
        let written = calls.map { OrderedJSON.object([.init("name", .string($0.name)), .init("arguments", $0.arguments)]) }
        let doc: OrderedJSON = written.count == 1 ? .object([.init("tool_call", written[0])])
            : .object([.init("tool_calls", .array(written))])
        return ChatMessage(role: "assistant", content: doc.serialized)
    }

    /// Appends a tool's result to `messages` as `syntax` writes it: a `<tool_response>` block (consecutive results
    /// share one user turn), or a user turn `{"tool_response": {"name": …, "content": …}}`.
    public static func appendResult(_ content: String, name: String?, syntax: ChatTemplate.ToolCallSyntax,
                                    to messages: inout [ChatMessage], afterResult: Bool) {
        if syntax == .hermes {
            let block = "<tool_response>\n" + content + "\n</tool_response>"
            if afterResult, let last = messages.last, last.role == "user" {
                messages[messages.count - 1].content += "\n" + block
            } else {
                messages.append(ChatMessage(role: "user", content: block))
            }
            return
        }
        var members: [OrderedJSON.Member] = []
        if let name { members.append(.init("name", .string(name))) }
        members.append(.init("content", (try? OrderedJSON.parse(content)) ?? .string(content)))
        messages.append(ChatMessage(role: "user", content: OrderedJSON.object([.init("tool_response", .object(members))]).serialized))
    }
}

/// The answer of a `{"response": "…"}` reply decoded as far as the text generated so far allows, so a streamed
/// reply that answers (rather than calls a tool) is sent as it is written.
public enum PartialAnswer {
    /// The decoded answer so far; nil while the text is not (yet) known to be an answer. Escapes still incomplete at
    /// the end are held back, so successive results only grow.
    public static func decode(_ text: String) -> String? {
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

