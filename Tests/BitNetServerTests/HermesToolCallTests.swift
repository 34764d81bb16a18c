import BitNetRuntime
@testable import BitNetServer
import Foundation
import Testing
import TestSupport

/// Tools in a template's own syntax (Hermes / Qwen2.5): the prompt the server renders equals what the model's Jinja
/// template renders for the same conversation, and `<tool_call>` replies are read back.
struct HermesToolCallTests {
    /// Qwen2.5-Coder-0.5B-Instruct's `tokenizer.chat_template` rendered with Jinja (`tojson` as Hugging Face defines
    /// it) for `conversation` and `tools` below, with the generation prompt.
    static let expected = """
        <|im_start|>system
        You are Qwen, created by Alibaba Cloud. You are a helpful assistant.

        # Tools

        You may call one or more functions to assist with the user query.

        You are provided with function signatures within <tools></tools> XML tags:
        <tools>
        {"type": "function", "function": {"name": "get_weather", "description": "Current weather for a city", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}
        </tools>

        For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:
        <tool_call>
        {"name": <function-name>, "arguments": <args-json-object>}
        </tool_call><|im_end|>
        <|im_start|>user
        What is the weather in Paris?<|im_end|>
        <|im_start|>assistant
        <tool_call>
        {"name": "get_weather", "arguments": {"city": "Paris"}}
        </tool_call><|im_end|>
        <|im_start|>user
        <tool_response>
        {"temp": 18}
        </tool_response>
        <tool_response>
        sunny
        </tool_response><|im_end|>
        <|im_start|>assistant

        """

    static let tools = #"[{"type":"function","function":{"name":"get_weather","description":"Current weather for a city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]"#
    static let conversation = #"[{"role":"user","content":"What is the weather in Paris?"},{"role":"assistant","content":"","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},{"role":"tool","tool_call_id":"call_1","content":"{\"temp\": 18}"},{"role":"tool","tool_call_id":"call_1","content":"sunny"}]"#

    static func request(_ extra: String = "") throws -> (ChatCompletionRequest, OrderedJSON) {
        let body = #"{"messages":"# + conversation + #","tools":"# + tools + extra + "}"
        return (try JSONDecoder().decode(ChatCompletionRequest.self, from: Data(body.utf8)), try OrderedJSON.parse(body))
    }

    static var qwen: ChatTemplate {
        var t = ChatTemplate(family: .chatML, defaultSystemPrompt: "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.")
        t.toolCallSyntax = .hermes
        return t
    }

    @Test func promptMatchesTheJinjaTemplate() throws {
        let (req, raw) = try Self.request()
        let tools = try #require(try ToolSet(request: raw, syntax: .hermes))
        let messages = tools.instructing(try req.chatMessages(syntax: .hermes), template: Self.qwen)
        #expect(Self.qwen.render(messages, addGenerationPrompt: true) == Self.expected)
    }

    @Test func templatesMentioningToolCallUseIt() throws {
        #expect(try ChatTemplate(template: "{{'<|im_start|>'}}{% if tools %}<tool_call>{% endif %}").toolCallSyntax == .hermes)
        #expect(try ChatTemplate(template: "{{'<|im_start|>' + message['role']}}").toolCallSyntax == .none)
    }

    @Test func repliesAreReadBack() throws {
        let (_, raw) = try Self.request(#","parallel_tool_calls":true"#)
        let tools = try #require(try ToolSet(request: raw, syntax: .hermes))
        let two = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n"
            + "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}\n</tool_call>"
        guard case .calls(let calls)? = tools.parse(two) else { Issue.record("not read as calls"); return }
        #expect(calls.map(\.function.arguments) == [#"{"city":"Paris"}"#, #"{"city":"Oslo"}"#])
        // The grammar accepts exactly such blocks, or (auto) an answer that does not start with "<".
        let r = GrammarRecognizer(tools.grammar)
        #expect(r.feed(r.initialState(), Array(two.utf8))?.isAccepting == true)
        #expect(r.feed(r.initialState(), Array("It is sunny.".utf8))?.isAccepting == true)
        #expect(r.feed(r.initialState(), Array("<tool_call>\n{\"name\": \"nope\"".utf8)) == nil)
        #expect(r.feed(r.initialState(), Array("<b>hi</b>".utf8)) == nil)
        guard case .answer("It is sunny.")? = tools.parse("It is sunny.") else { Issue.record("answer"); return }
        #expect(tools.partialAnswer("It is") == "It is" && tools.partialAnswer("<tool") == nil)
    }

    /// The real Qwen2.5-Coder-0.5B-Instruct (opt-in `integration` tier; runs when cached): a forced call in its own
    /// syntax comes back as get_weather {"city": "Paris"}.
    @Test func qwenCallsInItsOwnSyntaxWhenCached() async throws {
        let sha = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
        guard let path = try? TestModels.cachedModel(sha256: sha, name: "Qwen2.5-Coder-0.5B-Instruct Q4_K_M") else {
            print("qwen2.5-coder-0.5b not cached (bitnet fetch-models --name qwen2.5-coder-0.5b); skipped")
            return
        }
        try await ServerHarness.withServer(ServerHarness.configuration(), model: path) { client, _ in
            let body: [String: Any] = [
                "messages": [["role": "user", "content": "What is the weather in Paris?"]], "temperature": 0,
                "max_tokens": 60, "tool_choice": "required",
                "tools": try JSONSerialization.jsonObject(with: Data(Self.tools.utf8)),
            ]
            let reply = try await client.post("/v1/chat/completions", json: body)
            #expect(reply.status == 200, "\(reply.text)")
            #expect(reply.text.contains(#""name":"get_weather""#) && reply.text.contains(#"\"city\":\"Paris\""#), "\(reply.text)")
            #expect(reply.text.contains(#""finish_reason":"tool_calls""#), "\(reply.text)")
        }
    }
}
