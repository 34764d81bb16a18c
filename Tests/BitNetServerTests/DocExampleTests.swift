import BitNetServer
import Foundation
import Testing

/// The `curl` examples of docs/server.md, run with curl against a live server: the test reads the document, so an
/// example that stops working, or a reply that loses a field the document shows, fails here.
@Suite(.serialized) struct DocExampleTests {
    static let docPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/server.md").path
    /// The address the document uses; the test swaps in its own port.
    static let docAddress = "http://127.0.0.1:8080"

    @Test func parserReadsTheConventions() throws {
        let markdown = """
        ```bash
        curl -s http://127.0.0.1:8080/a -d '{"x": "#1"}'   # 400 {"error":{"code":"c"}} because
        curl -s http://127.0.0.1:8080/b \\
          -d '{"y": 2}'
        curl -s http://127.0.0.1:8080/c   # not run by the doc test: needs a key
        ```

        ```bash
        curl -sN http://127.0.0.1:8080/d
        ```
        ```text
        data: {"choices":[{"delta":{}}]}
        data: [DONE]
        ```
        """
        let examples = try DocExample.parse(markdown)
        #expect(examples.count == 4)
        #expect(examples.map(\.expectedStatus) == [400, 200, 200, 200])
        #expect(examples[0].expected.map { if case .json(let v) = $0 { v == .object(["error": .object(["code": .string("c")])]) } else { false } } == true)
        #expect(examples[1].command.hasSuffix("-d '{\"y\": 2}'"))
        #expect(examples[1].expected == nil && examples[1].skipReason == nil)
        #expect(examples[2].skipReason?.contains("needs a key") == true)
        #expect(examples[3].expected.map { if case .events(let e) = $0 { e.count == 2 } else { false } } == true)
        // Shapes: a missing key and a changed type are both caught.
        let doc = JSONValue(parsing: #"{"a":[{"b":1}],"c":"x"}"#)!
        #expect(JSONValue(parsing: #"{"a":[{"b":2,"z":0}],"c":"y","d":null}"#)!.mismatch(against: doc) == nil)
        #expect(JSONValue(parsing: #"{"a":[{"b":"2"}],"c":"y"}"#)!.mismatch(against: doc) != nil)
        #expect(JSONValue(parsing: #"{"a":[],"c":"y"}"#)!.mismatch(against: doc) != nil)
        #expect(JSONValue(parsing: #"{"a":[{"b":2}]}"#)!.mismatch(against: doc) != nil)
        // A token-text map: the document's keys are examples, the value type is not.
        let map = JSONValue(parsing: #"{"m":{" red":-0.9," blue":-1.4}}"#)!
        #expect(JSONValue(parsing: #"{"m":{" the":-1.2,":":-2}}"#)!.mismatch(against: map) == nil)
        #expect(JSONValue(parsing: #"{"m":{" the":"x"}}"#)!.mismatch(against: map) != nil)
        #expect(JSONValue(parsing: #"{"m":{}}"#)!.mismatch(against: map) != nil)
    }

    @Test func serverDocExamplesRun() async throws {
        let markdown = try String(contentsOfFile: Self.docPath, encoding: .utf8)
        let examples = try DocExample.parse(markdown)
        #expect(examples.count >= 10, "docs/server.md should keep its curl examples in ```bash blocks")
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/curl") else {
            Issue.record("the doc examples need curl: apt-get install curl")
            return
        }
        var config = ServerHarness.configuration(parallel: 1, maxQueue: 4)
        config.modelID = "smollm2-135m-instruct"  // the id the document's replies show
        config.pooling = .mean  // as `bitnet serve --pooling mean` (SmolLM2 names no pooling of its own)
        try await ServerHarness.withServer(config) { client, _ in
            for example in examples {
                if let why = example.skipReason {
                    print("docs/server.md:\(example.line): not run (\(why))")
                    continue
                }
                #expect(example.command.contains(Self.docAddress), "docs/server.md:\(example.line) should use \(Self.docAddress)")
                let (status, body) = try await Self.run(example.command.replacingOccurrences(
                    of: Self.docAddress, with: "http://127.0.0.1:\(client.port)"))
                let at = "docs/server.md:\(example.line): \(example.command.prefix(120))"
                #expect(status == example.expectedStatus, "\(at) → \(status) \(body.prefix(300))")
                if let why = Self.mismatch(body, example.expected) { Issue.record("\(at): \(why)") }
            }
        }
    }

    /// Why `body` does not look like what the document shows, or nil.
    static func mismatch(_ body: String, _ expected: DocExample.Expectation?) -> String? {
        switch expected {
        case nil:
            return nil
        case .json(let doc):
            guard let reply = JSONValue(parsing: body) else { return "the reply is not JSON: \(body.prefix(200))" }
            return reply.mismatch(against: doc).map { "\($0) in \(body.prefix(300))" }
        case .events(let lines):
            let events = body.components(separatedBy: "\n\n").filter { $0.hasPrefix("data: ") }.map { String($0.dropFirst(6)) }
            if lines.last == "[DONE]", events.last != "[DONE]" { return "the stream does not end with data: [DONE]" }
            let replies = events.compactMap(JSONValue.init(parsing:))
            for line in lines where line != "[DONE]" {
                guard let doc = JSONValue(parsing: line) else { return "the document's event does not parse: \(line)" }
                if !replies.contains(where: { $0.mismatch(against: doc) == nil }) { return "no event has the shape of \(line)" }
            }
            return nil
        case .lines(let lines):
            let replyLines = body.components(separatedBy: "\n")
            for line in lines {
                let name = String(line.prefix { $0 != " " && $0 != "{" })
                if !replyLines.contains(where: { $0.hasPrefix(name) }) { return "no reply line starts with \(name)" }
            }
            return nil
        }
    }

    /// Runs `command` with bash; curl's `-w` appends the status on a line of its own.
    static func run(_ command: String) async throws -> (Int, String) {
        guard let range = command.range(of: "curl ") else { throw DocExample.ParseError(description: "not a curl command") }
        let instrumented = command.replacingCharacters(in: range, with: "curl --max-time 120 -w '\\n%{http_code}' ")
        return try await withCheckedThrowingContinuation { c in
            DispatchQueue.global().async {
                do {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: "/bin/bash")
                    process.arguments = ["-c", instrumented]
                    let out = Pipe()
                    process.standardOutput = out
                    try process.run()
                    let data = out.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    let text = String(decoding: data, as: UTF8.self)
                    guard let cut = text.lastIndex(of: "\n"), let status = Int(text[text.index(after: cut)...]) else {
                        throw DocExample.ParseError(description: "curl exited \(process.terminationStatus): \(text.suffix(200))")
                    }
                    c.resume(returning: (status, String(text[..<cut])))
                } catch { c.resume(throwing: error) }
            }
        }
    }
}
