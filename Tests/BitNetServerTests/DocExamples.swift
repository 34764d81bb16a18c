import Foundation

/// The `curl` examples of a Markdown document, and what the document says each one answers.
///
/// Conventions (stated in docs/server.md, which this reads):
/// - every ```` ```bash ```` block is a list of `curl` commands (other shell goes in ```` ```sh ```` blocks);
/// - a command answers 200 unless its trailing comment starts with a status (`# 400 …`);
/// - a JSON object at the start of the trailing comment (after the status) is the reply's shape, as is a
///   ```` ```json ```` block right after a block of one command; a ```` ```text ```` block right after is the reply's
///   lines (`data: …` lines for a stream, else lines whose leading name the reply must have);
/// - a command whose comment says `not run by the doc test` is skipped (the comment says why).
struct DocExample {
    /// The command as written (may span lines).
    let command: String
    /// 1-based line of the document where it starts, for failure messages.
    let line: Int
    let expectedStatus: Int
    let expected: Expectation?
    /// Why the test does not run it, or nil.
    let skipReason: String?

    enum Expectation {
        /// The reply is JSON with this shape.
        case json(JSONValue)
        /// The reply is an SSE stream; each JSON `data:` line must match some event, `[DONE]` must end it.
        case events([String])
        /// Each line's leading name (up to a space or `{`) must start some line of the reply.
        case lines([String])
    }

    static let skipMarker = "not run by the doc test"

    struct ParseError: Error, CustomStringConvertible { let description: String }

    /// Every `curl` command in the ```` ```bash ```` blocks of `markdown`.
    static func parse(_ markdown: String) throws -> [DocExample] {
        let blocks = fencedBlocks(markdown)
        var out: [DocExample] = []
        for (i, block) in blocks.enumerated() where block.info == "bash" {
            let commands = splitCommands(block.lines, firstLine: block.firstLine)
            guard !commands.isEmpty else { throw ParseError(description: "line \(block.firstLine): a bash block without curl") }
            var following: Expectation?
            if i + 1 < blocks.count, blocks[i + 1].follows(block, in: markdown) {
                following = try expectation(of: blocks[i + 1])
                if following != nil, commands.count > 1 {
                    throw ParseError(description: "line \(block.firstLine): a reply block follows several commands")
                }
            }
            for (text, line) in commands {
                let comment = trailingComment(text)
                let (status, rest) = leadingStatus(comment)
                var expected = following
                if let json = jsonPrefix(rest) {
                    guard let value = JSONValue(parsing: json) else {
                        throw ParseError(description: "line \(line): the comment's JSON does not parse: \(json)")
                    }
                    expected = .json(value)
                }
                let skip = comment.range(of: skipMarker).map { _ in comment }
                out.append(DocExample(command: text, line: line, expectedStatus: status ?? 200, expected: expected,
                                      skipReason: skip))
            }
        }
        return out
    }

    // MARK: Markdown

    struct Block {
        let info: String
        let lines: [String]
        /// 1-based line numbers of the opening and closing fences.
        let firstLine: Int, lastLine: Int

        /// Whether only blank lines separate `previous` from this block.
        func follows(_ previous: Block, in markdown: String) -> Bool {
            let all = markdown.components(separatedBy: "\n")
            return all[previous.lastLine..<(firstLine - 1)].allSatisfy { $0.trimmingCharacters(in: .whitespaces).isEmpty }
        }
    }

    static func fencedBlocks(_ markdown: String) -> [Block] {
        var out: [Block] = []
        var open: (info: String, start: Int, lines: [String])?
        for (n, line) in markdown.components(separatedBy: "\n").enumerated() {
            if line.hasPrefix("```") {
                if let o = open {
                    out.append(Block(info: o.info, lines: o.lines, firstLine: o.start, lastLine: n + 1))
                    open = nil
                } else {
                    open = (String(line.dropFirst(3)).trimmingCharacters(in: .whitespaces), n + 1, [])
                }
            } else if open != nil {
                open!.lines.append(line)
            }
        }
        return out
    }

    static func expectation(of block: Block) throws -> Expectation? {
        switch block.info {
        case "json":
            let text = block.lines.joined(separator: "\n")
            guard let value = JSONValue(parsing: text) else {
                throw ParseError(description: "line \(block.firstLine): the json block does not parse")
            }
            return .json(value)
        case "text":
            let lines = block.lines.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            if lines.first?.hasPrefix("data: ") == true { return .events(lines.map { String($0.dropFirst(6)) }) }
            return .lines(lines)
        default:
            return nil
        }
    }

    // MARK: Shell text

    /// Commands start at lines beginning with `curl`; comment-only lines between them are dropped.
    static func splitCommands(_ lines: [String], firstLine: Int) -> [(String, Int)] {
        var out: [(String, Int)] = []
        for (k, line) in lines.enumerated() {
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.hasPrefix("curl ") {
                out.append((line, firstLine + 1 + k))
            } else if !out.isEmpty, !t.hasPrefix("#") || out[out.count - 1].0.hasSuffix("\\") {
                out[out.count - 1].0 += "\n" + line
            }
        }
        return out.map { ($0.0.trimmingCharacters(in: .whitespacesAndNewlines), $0.1) }
    }

    /// The text after the last unquoted `#` that starts a word, or "".
    static func trailingComment(_ command: String) -> String {
        var quote: Character?
        var previous: Character = " "
        var comment: String.Index?
        for i in command.indices {
            let c = command[i]
            if let q = quote {
                if c == q { quote = nil }
            } else if c == "'" || c == "\"" {
                quote = c
            } else if c == "#", previous.isWhitespace {
                comment = command.index(after: i)
                break
            }
            previous = c
        }
        guard let comment else { return "" }
        return command[comment...].trimmingCharacters(in: .whitespaces)
    }

    /// A leading three-digit status (`400 …`), and the rest.
    static func leadingStatus(_ comment: String) -> (Int?, String) {
        let word = comment.prefix { !$0.isWhitespace }
        guard word.count == 3, let status = Int(word), (100...599).contains(status) else { return (nil, comment) }
        return (status, comment.dropFirst(3).trimmingCharacters(in: .whitespaces))
    }

    /// The balanced `{…}` at the start of `text`, if it starts with `{`.
    static func jsonPrefix(_ text: String) -> String? {
        guard text.hasPrefix("{") else { return nil }
        var depth = 0, inString = false, escaped = false
        for i in text.indices {
            let c = text[i]
            if inString {
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
            } else if c == "\"" {
                inString = true
            } else if c == "{" || c == "[" {
                depth += 1
            } else if c == "}" || c == "]" {
                depth -= 1
                if depth == 0 { return String(text[...i]) }
            }
        }
        return text
    }
}

/// A JSON value with its type kept (numbers and booleans apart), for shape comparisons.
enum JSONValue: Decodable, Equatable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null } else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) } else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) } else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    init?(parsing text: String) {
        guard let v = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) else { return nil }
        self = v
    }

    /// Why `self` (a reply) does not have the shape of `doc`, or nil when it does: every key `doc` shows is present
    /// with the same JSON type, and every element of a non-empty array has the shape of the first one `doc` shows.
    /// Values are not compared (the model's text, ids and times differ from the document's). An object that shares
    /// no key with the document's, whose values are all of one type, is taken as a map (token text → logprob).
    func mismatch(against doc: JSONValue, at path: String = "") -> String? {
        switch (doc, self) {
        case (.null, .null), (.bool, .bool), (.number, .number), (.string, .string): return nil
        case (.object(let d), .object(let a)):
            // A map keyed by token text (legacy `top_logprobs`): the document's keys are examples, so when the reply
            // has none of them, every reply value must have the shape of the document's values.
            if let example = d.values.first, d.values.allSatisfy({ $0.kind == example.kind }),
               !a.isEmpty, d.keys.allSatisfy({ a[$0] == nil }) {
                for (key, value) in a.sorted(by: { $0.key < $1.key }) {
                    if let why = value.mismatch(against: example, at: "\(path)[\(key)]") { return why }
                }
                return nil
            }
            for (key, value) in d.sorted(by: { $0.key < $1.key }) {
                guard let got = a[key] else { return "\(path).\(key) is missing" }
                if let why = got.mismatch(against: value, at: "\(path).\(key)") { return why }
            }
            return nil
        case (.array(let d), .array(let a)):
            guard let first = d.first else { return nil }
            guard !a.isEmpty else { return "\(path) is empty; the document shows elements" }
            for (i, element) in a.enumerated() {
                if let why = element.mismatch(against: first, at: "\(path)[\(i)]") { return why }
            }
            return nil
        default:
            return "\(path.isEmpty ? "(reply)" : path) is \(kind), the document shows \(doc.kind)"
        }
    }

    var kind: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
