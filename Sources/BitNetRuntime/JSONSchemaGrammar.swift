/// Turns a JSON Schema into a GBNF grammar whose every match is JSON that validates against the schema
/// (OpenAI's `response_format: {"type": "json_schema"}`, and the shape of tool calls).
///
/// Supported: `type` (one or a list), `enum`, `const`, `anyOf`/`oneOf`, a one-element `allOf`, `$ref` into
/// `#/$defs` or `#/definitions` (recursion allowed), objects (`properties` written in the schema's order, `required`,
/// `additionalProperties` — when `properties` are given and it is absent, no other members are allowed, as with
/// OpenAI's strict mode), arrays (`items`, `minItems`, `maxItems`), strings (`minLength`, `maxLength`, `format`
/// date / time / date-time / uuid, `pattern` — see `RegexGrammar`), integer bounds (`minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`:
/// the grammar lists the digit ranges of exactly the allowed integers), a number's lower bound 0 (`minimum: 0` or
/// `exclusiveMinimum: 0`, Pydantic's `ge=0` / `gt=0`), `nullable`. Annotations (`title`, `description`, `default`,
/// `examples`, `$schema`, `$id`, `strict`) are ignored. Any other keyword (other formats, other number bounds,
/// `uniqueItems`, …) is refused with the path where it appears, rather than generating JSON the schema would reject.
public struct JSONSchemaGrammar {
    /// The grammar text (GBNF), root rule `root`.
    public let gbnf: String
    /// The compiled grammar.
    public let grammar: Grammar

    /// Converts `schema`.
    /// - Throws: `JSONSchemaError` naming the JSON path of the part that cannot be enforced.
    public init(schema: OrderedJSON) throws(JSONSchemaError) {
        var builder = Builder(root: schema)
        let root = try builder.rule(for: schema, name: "root", path: "$")
        if root != "root" { builder.define("root", root) }
        gbnf = builder.text()
        do { grammar = try Grammar(gbnf: gbnf) } catch {
            throw JSONSchemaError(path: "$", message: "internal: the generated grammar does not compile (\(error))")
        }
    }

    /// Whitespace allowed between JSON tokens: at most a few characters, so a model cannot pad forever.
    static let primitives: [(String, String)] = [
        ("ws", #"[ \t\n]{0,4}"#),
        ("json-char", #"[^"\\\x00-\x1f] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F]{4})"#),
        ("json-string", #""\"" json-char* "\"""#),
        ("json-integer", #""-"? ("0" | [1-9] [0-9]{0,15})"#),
        ("json-number", #"json-integer ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,3})?"#),
        ("json-boolean", #""true" | "false""#),
        ("json-date", #"[0-9]{4} "-" ("0" [1-9] | "1" [0-2]) "-" ("0" [1-9] | [12] [0-9] | "3" [01])"#),
        ("json-time", #"([01] [0-9] | "2" [0-3]) ":" [0-5] [0-9] ":" [0-5] [0-9] ("." [0-9]{1,6})? ("Z" | [+-] ([01] [0-9] | "2" [0-3]) ":" [0-5] [0-9])"#),
        ("json-null", #""null""#),
        ("json-value", #"json-object | json-array | json-string | json-number | json-boolean | json-null"#),
        ("json-object", #""{" ws (json-string ws ":" ws json-value (ws "," ws json-string ws ":" ws json-value)*)? ws "}""#),
        ("json-array", #""[" ws (json-value (ws "," ws json-value)*)? ws "]""#),
    ]

    private struct Builder {
        let root: OrderedJSON
        var rules: [(String, String)] = []
        var used = Set<String>()
        var refs: [String: String] = [:]

        init(root: OrderedJSON) { self.root = root }

        mutating func define(_ name: String, _ body: String) {
            rules.append((name, body))
            used.insert(name)
        }

        func text() -> String {
            // Primitives are emitted only when a rule mentions them, directly or through another primitive.
            var needed = Set<String>()
            var frontier = rules.map(\.1)
            while let body = frontier.popLast() {
                for (p, pBody) in JSONSchemaGrammar.primitives where !needed.contains(p) && Self.mentions(body, p) {
                    needed.insert(p)
                    frontier.append(pBody)
                }
            }
            var out = ""
            for (name, body) in rules { out += "\(name) ::= \(body)\n" }
            for (name, body) in JSONSchemaGrammar.primitives where needed.contains(name) { out += "\(name) ::= \(body)\n" }
            return out
        }

        static func mentions(_ body: String, _ name: String) -> Bool {
            var search = body[...]
            while let r = search.range(of: name) {
                let before = r.lowerBound == body.startIndex ? nil : body[body.index(before: r.lowerBound)]
                let after = r.upperBound == body.endIndex ? nil : body[r.upperBound]
                let isName = { (c: Character?) in c.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" } ?? false }
                if !isName(before) && !isName(after) { return true }
                search = body[r.upperBound...]
            }
            return false
        }

        func fresh(_ base: String) -> String {
            let clean = String(base.map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "-" })
            var name = clean.isEmpty ? "r" : clean
            var k = 1
            while used.contains(name) || JSONSchemaGrammar.primitives.contains(where: { $0.0 == name }) {
                k += 1
                name = "\(clean)-\(k)"
            }
            return name
        }

        /// A GBNF expression for `schema` (a primitive's name, or a new rule's).
        mutating func rule(for schema: OrderedJSON, name: String, path: String) throws(JSONSchemaError) -> String {
            let body = try expression(for: schema, name: name, path: path)
            if JSONSchemaGrammar.primitives.contains(where: { $0.0 == body }) || used.contains(body) { return body }
            let n = fresh(name)
            define(n, body)
            return n
        }

        static let annotations: Set<String> = ["title", "description", "default", "examples", "$schema", "$id", "$comment",
                                               "strict", "$defs", "definitions", "readOnly", "writeOnly", "deprecated"]
        static let handled: Set<String> = ["type", "enum", "const", "anyOf", "oneOf", "allOf", "$ref", "properties",
                                           "required", "additionalProperties", "items", "minItems", "maxItems",
                                           "minLength", "maxLength", "nullable", "format",
                                           "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "pattern"]
        static let bounds = ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]

        /// String `format`s the grammar enforces (RFC 3339 date, time and date-time, and UUIDs), as GBNF between
        /// the quotes.
        static let formats: [String: String] = [
            "date": #"json-date"#,
            "time": #"json-time"#,
            "date-time": #"json-date "T" json-time"#,
            "uuid": #"[0-9a-fA-F]{8} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{4} "-" [0-9a-fA-F]{12}"#,
        ]

        mutating func expression(for schema: OrderedJSON, name: String, path: String) throws(JSONSchemaError) -> String {
            switch schema {
            case .bool(true): return "json-value"
            case .bool(false): throw JSONSchemaError(path: path, message: "the schema false matches nothing")
            case .object(let members):
                if members.isEmpty { return "json-value" }
                for m in members where !Self.annotations.contains(m.key) && !Self.handled.contains(m.key) {
                    throw JSONSchemaError(path: path, message: "keyword '\(m.key)' is not supported (supported: "
                        + Self.handled.sorted().joined(separator: ", ") + ")")
                }
            default:
                throw JSONSchemaError(path: path, message: "a schema must be an object or a boolean")
            }
            if schema["nullable"] == .bool(true) {
                var copy = schema
                if case .object(let m) = schema { copy = .object(m.filter { $0.key != "nullable" }) }
                let inner = try rule(for: copy, name: name, path: path)
                return "\(inner) | json-null"
            }
            if let ref = schema["$ref"] { return try reference(ref, path: path + ".$ref") }
            if let c = schema["const"] { return Self.literal(c.serialized) }
            if let e = schema["enum"] {
                guard case .array(let options) = e, !options.isEmpty else {
                    throw JSONSchemaError(path: path + ".enum", message: "enum must be a non-empty array")
                }
                return options.map { Self.literal($0.serialized) }.joined(separator: " | ")
            }
            for key in ["anyOf", "oneOf", "allOf"] {
                guard let list = schema[key] else { continue }
                guard case .array(let options) = list, !options.isEmpty else {
                    throw JSONSchemaError(path: path + "." + key, message: "\(key) must be a non-empty array")
                }
                if key == "allOf" && options.count != 1 {
                    throw JSONSchemaError(path: path + ".allOf", message: "allOf with more than one schema is not supported")
                }
                var alternatives: [String] = []
                for (k, option) in options.enumerated() {
                    alternatives.append(try rule(for: option, name: "\(name)-\(k)", path: "\(path).\(key)[\(k)]"))
                }
                return alternatives.joined(separator: " | ")
            }
            switch schema["type"] {
            case nil:
                if let key = Self.bounds.first(where: { schema[$0] != nil }) {
                    throw JSONSchemaError(path: path + "." + key, message: "\(key) needs \"type\": \"integer\" or \"number\"")
                }
                if schema["properties"] != nil { return try object(schema, name: name, path: path) }
                if schema["items"] != nil { return try array(schema, name: name, path: path) }
                return "json-value"
            case .string(let t)?:
                return try typed(t, schema, name: name, path: path)
            case .array(let types)?:
                var alternatives: [String] = []
                for t in types {
                    guard case .string(let s) = t else { throw JSONSchemaError(path: path + ".type", message: "type names must be strings") }
                    let body = try typed(s, schema, name: "\(name)-\(s)", path: path)
                    alternatives.append(body.contains(" ") ? "(\(body))" : body)
                }
                return alternatives.joined(separator: " | ")
            default:
                throw JSONSchemaError(path: path + ".type", message: "type must be a string or an array of strings")
            }
        }

        mutating func typed(_ type: String, _ schema: OrderedJSON, name: String, path: String) throws(JSONSchemaError) -> String {
            switch type {
            case "string":
                if let pattern = schema["pattern"] {
                    guard let text = pattern.stringValue else {
                        throw JSONSchemaError(path: path + ".pattern", message: "pattern must be a string")
                    }
                    guard schema["format"] == nil, schema["minLength"] == nil, schema["maxLength"] == nil else {
                        throw JSONSchemaError(path: path, message: "pattern together with format, minLength or maxLength is not supported")
                    }
                    do { return "\"\\\"\" " + (try RegexGrammar.body(text)) + " \"\\\"\"" } catch {
                        throw JSONSchemaError(path: path + ".pattern", message: error.description)
                    }
                }
                if let format = schema["format"] {
                    guard let name = format.stringValue, let body = Self.formats[name] else {
                        throw JSONSchemaError(path: path + ".format", message: "format \(format.serialized) is not supported "
                            + "(supported: " + Self.formats.keys.sorted().joined(separator: ", ") + ")")
                    }
                    guard schema["minLength"] == nil, schema["maxLength"] == nil else {
                        throw JSONSchemaError(path: path, message: "minLength/maxLength together with format are not supported")
                    }
                    return "\"\\\"\" \(body) \"\\\"\""
                }
                let lo = try count(schema, "minLength", path) ?? 0
                let hi = try count(schema, "maxLength", path)
                if lo == 0 && hi == nil { return "json-string" }
                if let hi, hi < lo { throw JSONSchemaError(path: path, message: "maxLength is below minLength") }
                return "\"\\\"\" json-char{\(lo),\(hi.map(String.init) ?? "")} \"\\\"\""
            case "number": return try number(schema, path: path)
            case "integer": return try integer(schema, path: path)
            case "boolean": return "json-boolean"
            case "null": return "json-null"
            case "object": return try object(schema, name: name, path: path)
            case "array": return try array(schema, name: name, path: path)
            default:
                throw JSONSchemaError(path: path + ".type", message: "unknown type '\(type)' (string, number, integer, "
                    + "boolean, null, object, array)")
            }
        }

        /// The largest bound magnitude enforced: `json-integer` has at most 16 digits.
        static let boundLimit = 999_999_999_999_999

        /// `json-integer`, or exactly the integers within the schema's bounds.
        func integer(_ schema: OrderedJSON, path: String) throws(JSONSchemaError) -> String {
            guard Self.bounds.contains(where: { schema[$0] != nil }) else { return "json-integer" }
            var lo: Int?, hi: Int?
            for key in Self.bounds {
                guard let v = schema[key] else { continue }
                guard let d = v.doubleValue, d.isFinite, abs(d) <= Double(Self.boundLimit) else {
                    throw JSONSchemaError(path: path + "." + key, message: "\(key) must be a number of magnitude at most "
                        + "\(Self.boundLimit)")
                }
                switch key {
                case "minimum": lo = max(lo ?? Int.min, Int(d.rounded(.up)))
                case "exclusiveMinimum": lo = max(lo ?? Int.min, Int(d.rounded(.down)) + 1)
                case "maximum": hi = min(hi ?? Int.max, Int(d.rounded(.down)))
                default: hi = min(hi ?? Int.max, Int(d.rounded(.up)) - 1)
                }
            }
            if let lo, let hi, lo > hi { throw JSONSchemaError(path: path, message: "no integer lies within the bounds") }
            return IntegerRange.grammar(lo, hi)
        }

        /// `json-number`, or for a lower bound of 0 the non-negative (`minimum: 0`) or positive
        /// (`exclusiveMinimum: 0`) numbers; other number bounds are refused.
        func number(_ schema: OrderedJSON, path: String) throws(JSONSchemaError) -> String {
            let present = Self.bounds.filter { schema[$0] != nil }
            if present.isEmpty { return "json-number" }
            let fraction = #"("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,3})?"#
            if present == ["minimum"], schema["minimum"]?.doubleValue == 0 {
                return #"("0" | [1-9] [0-9]{0,15}) "# + fraction
            }
            if present == ["exclusiveMinimum"], schema["exclusiveMinimum"]?.doubleValue == 0 {
                // Not zero: a non-zero integer part, or 0.<digits with a non-zero one>.
                return #"([1-9] [0-9]{0,15} ("." [0-9]{1,16})? | "0." [0-9]{0,15} [1-9] [0-9]{0,15}) ([eE] [-+]? [0-9]{1,3})?"#
            }
            throw JSONSchemaError(path: path + "." + present[0], message: "bounds on a number are enforced only as "
                + "minimum 0 or exclusiveMinimum 0 (use \"type\": \"integer\" for other bounds)")
        }

        func count(_ schema: OrderedJSON, _ key: String, _ path: String) throws(JSONSchemaError) -> Int? {
            guard let v = schema[key] else { return nil }
            guard let n = v.intValue, n >= 0, n <= GBNFParser.maxRepetition else {
                throw JSONSchemaError(path: path + "." + key, message: "\(key) must be an integer from 0 to \(GBNFParser.maxRepetition)")
            }
            return n
        }

        mutating func object(_ schema: OrderedJSON, name: String, path: String) throws(JSONSchemaError) -> String {
            guard let props = schema["properties"] else {
                if let extra = schema["additionalProperties"], extra != .bool(true), case .object = extra {
                    let value = try rule(for: extra, name: name + "-value", path: path + ".additionalProperties")
                    return "\"{\" ws (json-string ws \":\" ws \(value) (ws \",\" ws json-string ws \":\" ws \(value))*)? ws \"}\""
                }
                return "json-object"
            }
            guard case .object(let members) = props else {
                throw JSONSchemaError(path: path + ".properties", message: "properties must be an object")
            }
            var required = Set<String>()
            if let r = schema["required"] {
                guard case .array(let names) = r else { throw JSONSchemaError(path: path + ".required", message: "required must be an array") }
                for n in names {
                    guard let s = n.stringValue else { throw JSONSchemaError(path: path + ".required", message: "required names must be strings") }
                    guard members.contains(where: { $0.key == s }) else {
                        throw JSONSchemaError(path: path + ".required", message: "'\(s)' is required but not among the properties")
                    }
                    required.insert(s)
                }
            }
            if let extra = schema["additionalProperties"], extra != .bool(false) {
                throw JSONSchemaError(path: path + ".additionalProperties",
                                      message: "additional properties beside 'properties' are not supported; set it to false or leave it out")
            }
            var mandatory: [String] = [], optional: [String] = []
            for m in members {
                let value = try rule(for: m.value, name: "\(name)-\(m.key)", path: "\(path).properties.\(m.key)")
                let kv = fresh("\(name)-\(m.key)-kv")
                define(kv, "\(Self.literal(OrderedJSON.quoted(m.key))) ws \":\" ws \(value)")
                if required.contains(m.key) { mandatory.append(kv) } else { optional.append(kv) }
            }
            var body = "\"{\" ws "
            if !mandatory.isEmpty {
                body += mandatory.joined(separator: " ws \",\" ws ")
                for kv in optional { body += " (ws \",\" ws \(kv))?" }
            } else if !optional.isEmpty {
                // Any ordered subset of the optional members: start at one, then maybe each later one.
                var tails: [String] = []
                for (k, kv) in optional.enumerated() {
                    let rest = optional[(k + 1)...].map { " (ws \",\" ws \($0))?" }.joined()
                    tails.append(kv + rest)
                }
                let any = fresh(name + "-some")
                define(any, tails.map { "(\($0))" }.joined(separator: " | "))
                body += "\(any)?"
            }
            return body + " ws \"}\""
        }

        mutating func array(_ schema: OrderedJSON, name: String, path: String) throws(JSONSchemaError) -> String {
            let item = try schema["items"].map { (s) throws(JSONSchemaError) in
                try rule(for: s, name: name + "-item", path: path + ".items")
            } ?? "json-value"
            let lo = try count(schema, "minItems", path) ?? 0
            let hi = try count(schema, "maxItems", path)
            if let hi, hi < lo { throw JSONSchemaError(path: path, message: "maxItems is below minItems") }
            if hi == 0 { return "\"[\" ws \"]\"" }
            let more = "(ws \",\" ws \(item)){\(max(lo - 1, 0)),\(hi.map { String($0 - 1) } ?? "")}"
            let list = "\(item) \(more)"
            return lo == 0 ? "\"[\" ws (\(list))? ws \"]\"" : "\"[\" ws \(list) ws \"]\""
        }

        mutating func reference(_ ref: OrderedJSON, path: String) throws(JSONSchemaError) -> String {
            guard let target = ref.stringValue else { throw JSONSchemaError(path: path, message: "$ref must be a string") }
            if let known = refs[target] { return known }
            let parts = target.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 3, parts[0] == "#", parts[1] == "$defs" || parts[1] == "definitions",
                  let schema = root[String(parts[1])]?[String(parts[2])] else {
                throw JSONSchemaError(path: path, message: "cannot resolve '\(target)' (only #/$defs/NAME and #/definitions/NAME)")
            }
            let n = fresh("ref-" + parts[2])
            refs[target] = n
            used.insert(n)
            let index = rules.count
            rules.append((n, ""))
            let body = try expression(for: schema, name: n, path: "$." + parts[1] + "." + parts[2])
            rules[index] = (n, body)
            return n
        }

        /// A GBNF string literal for the JSON text `text` (JSON's string escapes are GBNF's too).
        static func literal(_ text: String) -> String { OrderedJSON.quoted(text) }
    }
}

/// Why a JSON schema cannot be enforced: where (a JSON path such as `$.properties.age`) and why.
public struct JSONSchemaError: Error, Sendable, Equatable, CustomStringConvertible {
    public let path: String
    public let message: String
    public var description: String { "JSON schema at \(path): \(message)" }
}

/// GBNF for exactly the canonical decimal integers (no leading zeros, no "-0") in `lo...hi`, either end open; an
/// open end stops where `json-integer` does, at 16 digits. Built per digit count as the classic range-to-pattern
/// split: a fixed leading digit followed by the range of the rest, a class of full middle digits, and the top.
enum IntegerRange {
    static func grammar(_ lo: Int?, _ hi: Int?) -> String {
        var alternatives: [String] = []
        if lo == nil || lo! < 0 {
            let nearest = min(hi ?? -1, -1)  // the negative value closest to zero allowed
            if lo == nil || nearest >= lo! {
                alternatives.append("\"-\" (" + magnitudes(-nearest, lo.map { -$0 }) + ")")
            }
        }
        if hi == nil || hi! >= 0 {
            let a = max(lo ?? 0, 0)
            if hi == nil || a <= hi! { alternatives.append(magnitudes(a, hi)) }
        }
        return alternatives.count == 1 ? alternatives[0] : alternatives.map { "(\($0))" }.joined(separator: " | ")
    }

    static let maxDigits = 16

    /// Alternatives matching the decimals of a...b (a ≥ 0; b nil: up to 16 digits).
    static func magnitudes(_ a: Int, _ b: Int?) -> String {
        let la = String(a).count, lb = b.map { String($0).count } ?? la
        var out: [String] = []
        for length in la...lb {
            let low = length == la ? a : power(length - 1)
            let high = (b != nil && length == lb) ? b! : power(length) - 1
            if low <= high { out += sameLength(Array(String(low)).map { Int(String($0))! }[...],
                                               Array(String(high)).map { Int(String($0))! }[...]) }
        }
        if b == nil, la < maxDigits { out.append("[1-9] [0-9]{\(la),\(maxDigits - 1)}") }
        return out.joined(separator: " | ")
    }

    static func power(_ n: Int) -> Int { (0..<n).reduce(1) { r, _ in r * 10 } }

    /// Sequences matching every digit string from `lo` to `hi` (same length).
    static func sameLength(_ lo: ArraySlice<Int>, _ hi: ArraySlice<Int>) -> [String] {
        guard let l = lo.first, let h = hi.first else { return [""] }
        let restLo = lo.dropFirst(), restHi = hi.dropFirst(), n = restLo.count
        if l == h { return sameLength(restLo, restHi).map { join("\"\(l)\"", $0) } }
        var out: [String] = []
        var first = l, last = h
        if !restLo.allSatisfy({ $0 == 0 }) {
            out += sameLength(restLo, Array(repeating: 9, count: n)[...]).map { join("\"\(l)\"", $0) }
            first += 1
        }
        let topPartial = !restHi.allSatisfy { $0 == 9 }
        if topPartial { last -= 1 }
        if first <= last {
            let cls = first == last ? "\"\(first)\"" : "[\(first)-\(last)]"
            out.append(join(cls, n == 0 ? "" : n == 1 ? "[0-9]" : "[0-9]{\(n)}"))
        }
        if topPartial { out += sameLength(Array(repeating: 0, count: n)[...], restHi).map { join("\"\(h)\"", $0) } }
        return out
    }

    static func join(_ a: String, _ b: String) -> String { b.isEmpty ? a : a + " " + b }
}
