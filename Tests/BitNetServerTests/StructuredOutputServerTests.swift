import BitNetRuntime
@testable import BitNetServer
import Foundation
import Testing
import TestSupport

/// Structured output on SmolLM2: JSON-schema replies that validate, GBNF grammars, and an OpenAI tool-call round
/// trip, streamed and not; malformed schemas, grammars and tools get a 400 saying where.
@Suite(.serialized) struct StructuredOutputServerTests {
    static func content(_ reply: LoopbackHTTPClient.Reply) throws -> (text: String?, message: [String: Any], finish: String?) {
        let choice = try ((try reply.json()["choices"] as? [[String: Any]])?.first).unwrap("a choice")
        let message = try (choice["message"] as? [String: Any]).unwrap("message")
        return (message["content"] as? String, message, choice["finish_reason"] as? String)
    }

    @Test func jsonSchemaRepliesValidate() async throws {
        try await ServerHarness.withServer(ServerHarness.configuration()) { client, _ in
            for (temperature, seed) in [(0.0, 1), (0.9, 5)] {
                // The body is sent as text so the schema's property order is the one written here.
                let body = #"{"messages":[{"role":"user","content":"Describe a person called Ann who likes two colours."}],"#
                    + #""temperature":\#(temperature),"seed":\#(seed),"max_tokens":120,"response_format":{"type":"json_schema","#
                    + #""json_schema":{"name":"person","strict":true,"schema":{"type":"object","properties":{"name":{"type":"string","maxLength":24},"#
                    + #""age":{"type":"integer"},"colours":{"type":"array","items":{"enum":["red","green","blue"]},"maxItems":3}},"#
                    + #""required":["name","age","colours"],"additionalProperties":false}}}}"#
                let reply = try await client.send("POST", "/v1/chat/completions", body: Data(body.utf8),
                                                   headers: ["Content-Type": "application/json"])
                #expect(reply.status == 200, "\(reply.text)")
                let (text, _, finish) = try Self.content(reply)
                let json = try text.unwrap("content")
                #expect(finish == "stop", "did not finish within 120 tokens: \(json)")
                let object = try (JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]).unwrap("object: \(json)")
                #expect(Set(object.keys) == ["name", "age", "colours"], "\(json)")
                #expect(((object["name"] as? String)?.count ?? 99) <= 24)
                #expect(object["age"] is Int, "\(json)")
                let colours = try (object["colours"] as? [String]).unwrap("colours")
                #expect(colours.count <= 3 && colours.allSatisfy { ["red", "green", "blue"].contains($0) }, "\(json)")
                // The schema's order: name, age, colours.
                #expect(json.range(of: "\"name\"")!.lowerBound < json.range(of: "\"age\"")!.lowerBound)
                var streamed = try (JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]).unwrap("body")
                streamed["stream"] = true
                let sse = try ServerHarness.sseText(try await client.post("/v1/chat/completions", json: streamed).text)
                #expect(sse.finishReason == "stop")
                #expect((try? JSONSerialization.jsonObject(with: Data(sse.text.utf8))) is [String: Any], "\(sse.text)")
            }
        }
    }

    @Test func grammarConstrainsCompletions() async throws {
        try await ServerHarness.withServer(ServerHarness.configuration()) { client, _ in
            let grammar = #"root ::= ("yes" | "no") ", because " [a-z ]{1,40} "."\#n"#
            for (temperature, seed) in [(0.0, 0), (1.0, 7), (1.0, 8)] {
                let request: [String: Any] = ["prompt": "Is the sky blue? Answer:", "grammar": grammar,
                                              "temperature": temperature, "seed": seed, "max_tokens": 40]
                let reply = try await client.post("/v1/completions", json: request)
                #expect(reply.status == 200, "\(reply.text)")
                let choice = try ((try reply.json()["choices"] as? [[String: Any]])?.first).unwrap("a choice")
                let text = try (choice["text"] as? String).unwrap("text")
                #expect(text.hasPrefix("yes, because ") || text.hasPrefix("no, because "), "\(text)")
                if choice["finish_reason"] as? String == "stop" {
                    #expect(text.hasSuffix("."), "\(text)")
                    #expect(text.dropFirst(text.hasPrefix("yes") ? 13 : 12).dropLast().allSatisfy { $0 == " " || ("a"..."z").contains($0) })
                }
            }
        }
    }

    static var weatherTool: [String: Any] { [
        "type": "function",
        "function": ["name": "get_weather", "description": "Current weather for a city",
                     "parameters": ["type": "object", "properties": ["city": ["type": "string", "maxLength": 30]],
                                    "required": ["city"]]],
    ] }

    @Test func toolCallRoundTrip() async throws {
        try await ServerHarness.withServer(ServerHarness.configuration()) { client, _ in
            let user: [String: Any] = ["role": "user", "content": "What is the weather in Paris?"]
            let request: [String: Any] = ["messages": [user], "tools": [Self.weatherTool], "tool_choice": "required",
                                          "temperature": 0, "max_tokens": 60]
            let reply = try await client.post("/v1/chat/completions", json: request)
            #expect(reply.status == 200, "\(reply.text)")
            let (_, message, finish) = try Self.content(reply)
            #expect(finish == "tool_calls", "\(reply.text)")
            let call = try ((message["tool_calls"] as? [[String: Any]])?.first).unwrap("tool_calls in \(reply.text)")
            let function = try (call["function"] as? [String: Any]).unwrap("function")
            #expect(function["name"] as? String == "get_weather")
            #expect(call["type"] as? String == "function")
            let id = try (call["id"] as? String).unwrap("id")
            let arguments = try (function["arguments"] as? String).unwrap("arguments")
            let args = try (JSONSerialization.jsonObject(with: Data(arguments.utf8)) as? [String: Any]).unwrap("arguments object")
            #expect(args["city"] is String, "\(arguments)")

            // Streamed: the same call as one delta.tool_calls chunk, then finish_reason tool_calls.
            var streamed = request
            streamed["stream"] = true
            let chunks = try ServerHarness.sseChunks(try await client.post("/v1/chat/completions", json: streamed).text)
            let choices = chunks.compactMap { ($0["choices"] as? [[String: Any]])?.first }
            let deltaCalls = choices.compactMap { ($0["delta"] as? [String: Any])?["tool_calls"] as? [[String: Any]] }
            #expect(deltaCalls.count == 1 && deltaCalls.first?.first?["index"] as? Int == 0)
            #expect((deltaCalls.first?.first?["function"] as? [String: Any])?["arguments"] as? String == arguments)
            #expect(choices.last?["finish_reason"] as? String == "tool_calls")

            // The result goes back as a tool message; with tool_choice auto the model may answer or call again,
            // either way in the format.
            let followUp: [String: Any] = [
                "messages": [user, ["role": "assistant", "content": NSNull(), "tool_calls": [call]],
                             ["role": "tool", "tool_call_id": id, "content": "{\"temperature_c\": 18, \"sky\": \"clear\"}"]],
                "tools": [Self.weatherTool], "temperature": 0, "max_tokens": 80,
            ]
            let second = try await client.post("/v1/chat/completions", json: followUp)
            #expect(second.status == 200, "\(second.text)")
            let (answer, secondMessage, secondFinish) = try Self.content(second)
            if secondFinish == "tool_calls" {
                #expect((secondMessage["tool_calls"] as? [[String: Any]])?.isEmpty == false)
            } else {
                #expect(secondFinish == "stop" && answer != nil, "\(second.text)")
                #expect(answer.map { !$0.hasPrefix("{") } ?? false, "the answer should be unwrapped text: \(second.text)")
            }
        }
    }

    @Test func refusesWhatItCannotEnforce() async throws {
        try await ServerHarness.withServer(ServerHarness.configuration()) { client, _ in
            let user = [["role": "user", "content": "Hi"]]
            let cases: [([String: Any], String)] = [
                (["messages": user, "grammar": "root ::= item"], "'item' is used but never defined"),
                (["messages": user, "response_format": ["type": "json_schema", "json_schema": ["name": "x", "schema":
                    ["type": "object", "properties": ["d": ["type": "string", "pattern": "^(?=a)"]]]]]],
                 "$.properties.d.pattern: pattern position 1: look-arounds"),
                (["messages": user, "tools": [Self.weatherTool], "tool_choice": ["type": "function", "function": ["name": "nope"]]],
                 "'nope'"),
                (["messages": user, "tools": [Self.weatherTool], "response_format": ["type": "json_object"]], "cannot be combined"),
                (["messages": user, "tools": [["type": "function", "function": ["name": "f", "parameters":
                    ["type": "object", "properties": ["n": ["type": "string", "format": "email"]]]]]]],
                 "tools[0].function.parameters.properties.n.format"),
                (["messages": [["role": "robot", "content": "Hi"]]], "unknown role 'robot'"),
            ]
            for (body, fragment) in cases {
                let reply = try await client.post("/v1/chat/completions", json: body)
                #expect(reply.status == 400, "\(body)")
                #expect(reply.text.contains(fragment), "\(reply.text) lacks \(fragment)")
            }
        }
    }
}

/// The masking walk over the sorted vocabulary agrees with testing each token alone, on SmolLM2's 49 152 tokens.
struct GrammarMaskTests {
    @Test func maskAgreesWithTokenByTokenChecks() throws {
        let engine = try Engine(path: try TestModels.smolLM2())
        let vocabulary = engine.tokenVocabulary
        let schema = try OrderedJSON.parse(#"{"type":"object","properties":{"name":{"type":"string"},"n":{"type":"integer"}},"required":["name","n"]}"#)
        let grammar = try JSONSchemaGrammar(schema: schema).grammar
        let logits = [Float](repeating: 0, count: vocabulary.pieces.count)
        for prefix in ["", "{", #"{"name": "Ann"#, #"{"name":"é"#, #"{"name":"x", "n": 1"#, #"{"name":"x","n":12}"#] {
            for constraint in [GrammarConstraint(grammar: grammar, vocabulary: vocabulary) as any OutputConstraint,
                               JSONObjectConstraint(vocabulary: vocabulary)] {
                // Move the constraint along the prefix token by token (each token one byte here).
                for b in prefix.utf8 {
                    let id = try (vocabulary.pieces.firstIndex(of: [b])).unwrap("a one-byte token for \(b)")
                    #expect(constraint.allows(Int32(id)), "\(prefix)")
                    constraint.accept(Int32(id))
                }
                let masked = logits.withUnsafeBufferPointer { constraint.mask($0) } ?? []
                var disagreements = 0
                for id in 0..<vocabulary.pieces.count where (masked.isEmpty ? false : masked[id] == 0) != constraint.allows(Int32(id)) {
                    disagreements += 1
                }
                #expect(disagreements == 0, "\(prefix): \(disagreements) tokens")
                let allowed = masked.filter { $0 == 0 }.count
                print("mask after '\(prefix)' (\(type(of: constraint))): \(allowed) of \(vocabulary.pieces.count) tokens allowed")
            }
        }
    }
}

/// The Swift API: `format` on `Generator.generate` gives text the grammar matches.
struct GrammarGenerationTests {
    @Test func generatorFollowsTheGrammar() throws {
        let engine = try Engine(path: try TestModels.smolLM2())
        let generator = Generator(session: engine.makeSession(ServerHarness.sessionOptions()), tokenizer: engine.tokenizer)
        let grammar = try Grammar(gbnf: #"root ::= "Colour: " ("red" | "green" | "blue") "\n""#)
        let prompt = engine.tokenizer.encode("My favourite colour is", addSpecial: true, parseSpecial: false)
        let result = try generator.generate(prompt: prompt, maxTokens: 12, sampling: .greedy, format: .grammar(grammar))
        #expect(["Colour: red\n", "Colour: green\n", "Colour: blue\n"].contains(result.text), "\(result.text)")
        #expect(result.stopReason == .endOfGeneration)
    }
}

/// A streamed tool-format answer is decoded as it grows: never ahead of the text, never shrinking, escapes whole.
struct PartialAnswerTests {
    @Test func decodesAnswersAsTheyGrow() {
        let reply = #" {"response": "Hi \"you\"\n\u00e9\ud83d\ude00 end"}"#
        var previous = ""
        for n in 0...reply.utf8.count {
            let prefix = String(decoding: Array(reply.utf8)[0..<n], as: UTF8.self)
            guard let answer = PartialAnswer.decode(prefix) else {
                #expect(n < 15, "undecided after \(prefix)")
                continue
            }
            #expect(answer.hasPrefix(previous), "\(prefix): \(answer) after \(previous)")
            previous = answer
        }
        #expect(previous == "Hi \"you\"\né😀 end")
        #expect(PartialAnswer.decode(#"{"tool_call": {"name": "f"#) == nil)
        #expect(PartialAnswer.decode(#"{"resp"#) == nil)
    }
}
