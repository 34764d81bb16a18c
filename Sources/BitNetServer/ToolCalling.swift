import BitNetRuntime
import Foundation

/// OpenAI tool calling on chat completions: the request's `tools`, `tool_choice` and `parallel_tool_calls` read into
/// a `ToolCallFormat` (BitNetRuntime) in the syntax the chat template decides — Hermes / Qwen2.5 `<tool_call>` blocks
/// for templates that have them, else the JSON convention for every family (docs/server.md) — and replies turned
/// into `message.tool_calls`.
struct ToolSet {
    let format: ToolCallFormat
    var syntax: ChatTemplate.ToolCallSyntax { format.syntax }
    /// The grammar the reply must match.
    var grammar: Grammar { format.grammar }

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
            var tool = Tool(name: name, description: f["description"]?.stringValue)
            if let parameters = f["parameters"] { tool.parameters = parameters }
            tools.append(tool)
        }
        let choice: ToolChoice
        switch raw["tool_choice"] {
        case nil, .null?, .string("auto")?: choice = .auto
        case .string("none")?: return nil
        case .string("required")?: choice = .required
        case let c? where c["function"]?["name"]?.stringValue != nil:
            choice = .function(c["function"]?["name"]?.stringValue ?? "")
        default:
            throw .invalidParameter("tool_choice must be \"auto\", \"none\", \"required\" or {\"type\": \"function\", \"function\": {\"name\": …}}")
        }
        do {
            format = try ToolCallFormat(tools: tools, choice: choice, parallel: raw["parallel_tool_calls"] == .bool(true),
                                        syntax: syntax, requestTools: items)
        } catch {
            throw .invalidParameter(error.description)
        }
    }

    /// `messages` with the tools described as the syntax describes them.
    func instructing(_ messages: [ChatMessage], template: ChatTemplate) -> [ChatMessage] {
        format.instructing(messages, template: template)
    }

    /// The answer streamed so far, or nil while the reply may still be a tool call.
    func partialAnswer(_ generated: String) -> String? { format.partialAnswer(generated) }

    /// A reply read back: the tool calls (with ids), or the answer text.
    enum Reply {
        case answer(String)
        case calls([ChatCompletionResponse.ToolCall])
    }

    /// Reads the constrained reply `text`; nil when it is not a complete reply (generation was cut short).
    func parse(_ text: String) -> Reply? {
        switch format.parse(text) {
        case .answer(let a)?: return .answer(a)
        case .calls(let calls)?:
            return .calls(calls.enumerated().map { k, c in
                .init(index: k, id: Self.newCallID(), function: .init(name: c.name, arguments: c.arguments.serialized))
            })
        case nil: return nil
        }
    }

    /// A fresh `call_…` id for a tool call.
    static func newCallID() -> String {
        "call_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(24).lowercased()
    }
}

extension ChatCompletionRequest {
    /// The conversation for the chat template: `developer` becomes `system`; an assistant turn's `tool_calls` and a
    /// `tool` message's result are written as the tool syntax writes them back (`ToolCallFormat`).
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
                let read = calls.map { c -> ToolCall in
                    if let id = c.id { callNames[id] = c.function.name }
                    let args = (try? OrderedJSON.parse(c.function.arguments)) ?? .string(c.function.arguments)
                    return ToolCall(name: c.function.name, arguments: args)
                }
                out.append(ToolCallFormat.assistantMessage(content: syntax == .hermes ? text : "", calls: read, syntax: syntax))
            case "tool":
                let name = m.tool_call_id.flatMap { callNames[$0] } ?? m.name
                ToolCallFormat.appendResult(text, name: name, syntax: syntax, to: &out,
                                            afterResult: k > 0 && messages[k - 1].role == "tool")
            default:
                throw .invalidParameter("messages[\(k)]: unknown role '\(m.role)' (system, developer, user, assistant, tool)")
            }
        }
        return out
    }
}
