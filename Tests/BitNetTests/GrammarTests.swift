import BitNet
import Foundation
import Testing

/// GBNF grammars: parsing (errors say where), and the recogniser's verdict on whole texts and on every prefix.
struct GrammarTests {
    static func grammar(_ text: String) throws -> Grammar { try Grammar(gbnf: text) }

    /// (text is a prefix of a match, text is a whole match).
    static func verdict(_ g: Grammar, _ text: String) -> (prefix: Bool, complete: Bool) {
        let r = GrammarRecognizer(g)
        guard let s = r.feed(r.initialState(), Array(text.utf8)) else { return (false, false) }
        return (true, s.isAccepting)
    }

    static let arithmetic = """
        # sums and products of small numbers
        root ::= expr
        expr ::= term (("+" | "-") term)*
        term ::= factor ("*" factor)*
        factor ::= [0-9]{1,3} | "(" expr ")"
        """

    @Test(arguments: ["1", "12+3", "(1+2)*345", "((7))", "1-2-3*4"])
    func matchesArithmetic(_ text: String) throws {
        let g = try Self.grammar(Self.arithmetic)
        #expect(Self.verdict(g, text) == (true, true), "\(text)")
        for n in 0..<text.utf8.count {
            #expect(Self.verdict(g, String(text.prefix(n))).prefix, "prefix of \(text)")
        }
    }

    @Test(arguments: ["", "1+", "(1", "1234", "a", "1 + 2", "()"])
    func refusesOrLeavesIncomplete(_ text: String) throws {
        let v = Self.verdict(try Self.grammar(Self.arithmetic), text)
        #expect(!v.complete, "\(text)")
        if ["1234", "a", "1 + 2", "()"].contains(text) { #expect(!v.prefix, "\(text) should be refused outright") }
    }

    @Test func classesRepetitionAndUnicode() throws {
        let g = try Self.grammar(#"""
            root ::= greeting{2,3} tail?
            greeting ::= ("hé" | "東京") " "
            tail ::= [^a-z\n]+ | "\\" . "\x41" "\u00e9"
            """#)
        #expect(Self.verdict(g, "hé 東京 ") == (true, true))
        #expect(Self.verdict(g, "hé 東京 hé 东?!") == (true, true))
        #expect(!Self.verdict(g, "hé ").complete)
        #expect(!Self.verdict(g, "hé hé hé hé ").prefix)       // at most three greetings
        #expect(!Self.verdict(g, "hé hé abc").prefix)          // the class excludes a-z
        #expect(Self.verdict(g, "hé hé \\zAé") == (true, true))
        // A character split across feeds: the first two bytes of 東 are a live prefix, of a character no rule
        // starts with (U+00FF range) are not.
        let r = GrammarRecognizer(g)
        let start = try #require(r.feed(r.initialState(), Array("hé ".utf8)))
        let east = Array("東".utf8)
        #expect(r.feed(start, east[0..<2]) != nil)
        #expect(r.feed(start, [0xC3]) == nil)                 // U+00C0…U+00FF: neither 東 nor h
        #expect(r.feed(start, [0xE4, 0xB8]) == nil)           // U+4E00…U+4E3F: neither 東 nor h
        #expect(r.feed(start, [0xFF]) == nil)                 // never UTF-8
        // Overlong encodings of "h" (0x68) are not "h": refused at their lead byte, as is a surrogate.
        #expect(r.feed(start, [0xC1]) == nil)
        #expect(r.feed(start, [0xE0]) == nil && r.feed(start, [0xE0, 0x81, 0xA8]) == nil)
        #expect(r.feed(start, [0xF0]) == nil)
        let any = try Self.grammar("root ::= .")
        let ra = GrammarRecognizer(any)
        #expect(ra.feed(ra.initialState(), [0xED, 0xA0, 0x80]) == nil)   // U+D800
        #expect(ra.feed(ra.initialState(), [0xF0, 0x9F, 0x98, 0x80])?.isAccepting == true)
    }

    @Test(arguments: [
        ("expr ::= \"a\"", "no 'root' rule"),
        ("root ::= item\n", "'item' is used but never defined"),
        ("root ::= \"a\" )", "line 1, column 14"),
        ("root ::= \"abc", "unterminated string"),
        ("root ::= [a-", "unterminated character class"),
        ("root ::= \"\\q\"", "unknown escape"),
        ("root ::= x\nx ::= x \"a\" | \"b\"", "left-recursive"),
        ("root ::= y\ny ::= z? y \"a\"\nz ::= \"b\"", "left-recursive"),
        ("root ::= \"a\"{3,2}", "below the minimum"),
        ("root ::= \"a\"\nroot ::= \"b\"", "defined twice"),
        ("root ::= \"a\" b ::= \"c\"", "missing newline"),
    ])
    func refusesMalformedGrammars(_ text: String, _ fragment: String) {
        do {
            _ = try Grammar(gbnf: text)
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.description.contains(fragment), "\(error.description)")
        }
    }
}

/// JSON schemas turned into grammars: what they accept validates, what violates the schema is refused before it is
/// complete, and keywords that cannot be enforced are refused with their path.
struct JSONSchemaGrammarTests {
    static let person = #"""
        {"type": "object", "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 12},
            "age": {"type": "integer"},
            "tags": {"type": "array", "items": {"enum": ["a", "b", 3, null]}, "maxItems": 2},
            "pet": {"anyOf": [{"type": "null"}, {"$ref": "#/$defs/pet"}]},
            "score": {"type": ["number", "boolean"]}
        }, "required": ["name", "age"],
        "$defs": {"pet": {"type": "object", "properties": {"kind": {"const": "cat"}, "friend": {"$ref": "#/$defs/pet"}},
                          "required": ["kind"]}}}
        """#

    static func verdict(_ schema: String, _ text: String) throws -> (prefix: Bool, complete: Bool) {
        let g = try JSONSchemaGrammar(schema: try OrderedJSON.parse(schema)).grammar
        return GrammarTests.verdict(g, text)
    }

    @Test(arguments: [
        #"{"name":"Ann","age":41}"#,
        #"{ "name": "Bo", "age": -3, "tags": ["a", 3], "score": 1.5e3 }"#,
        #"{"name":"Cé","age":0,"pet":{"kind":"cat","friend":{"kind":"cat"}},"score":true}"#,
        #"{"name":"D","age":7,"tags":[],"pet":null}"#,
    ])
    func acceptsValidObjects(_ text: String) throws {
        #expect(try Self.verdict(Self.person, text) == (true, true), "\(text)")
        #expect(try JSONSerialization.jsonObject(with: Data(text.utf8)) is [String: Any])
    }

    @Test(arguments: [
        #"{"age":41,"name":"Ann"}"#,           // properties come in the schema's order
        #"{"name":"D","age":7,"pet":null,"tags":[]}"#,
        #"{"name":"Ann"}"#,                    // age is required
        #"{"name":"","age":1}"#,               // minLength
        #"{"name":"Ann","age":4.5}"#,          // integer
        #"{"name":"Ann","age":4,"x":1}"#,      // no other members
        #"{"name":"Ann","age":4,"tags":["c"]}"#,
        #"{"name":"Ann","age":4,"tags":["a","b","a"]}"#,
        #"{"name":"Ann","age":4,"pet":{"kind":"dog"}}"#,
        #"{"name":"Ann","age":4,"score":"1"}"#,
        #"[1]"#,
    ])
    func refusesInvalidObjects(_ text: String) throws {
        #expect(try !Self.verdict(Self.person, text).complete, "\(text)")
    }

    @Test func optionalOnlyObjectsAndFreeValues() throws {
        let schema = #"{"type":"object","properties":{"a":{"type":"boolean"},"b":{},"c":{"type":"null"}}}"#
        for ok in ["{}", #"{"b":[1,{"x":"y"}]}"#, #"{"a":true,"c":null}"#, #"{"a":false,"b":"s","c":null}"#] {
            #expect(try Self.verdict(schema, ok) == (true, true), "\(ok)")
        }
        for bad in [#"{"c":null,"a":true}"#, #"{,"a":true}"#, #"{"a":true,}"#] {
            #expect(try !Self.verdict(schema, bad).complete, "\(bad)")
        }
    }

    @Test(arguments: [
        (#"{"type":"string","pattern":"^(?=a)b$"}"#, "$.pattern", "look-arounds"),
        (#"{"type":"string","pattern":"(a)\\1"}"#, "$.pattern", "back-references"),
        (#"{"type":"object","properties":{"d":{"type":"string","format":"email"}}}"#, "$.properties.d.format", "not supported"),
        (#"{"type":"array","items":{"type":"number","minimum":1}}"#, "$.items.minimum", "minimum 0"),
        (#"{"minimum":1}"#, "$.minimum", "needs \"type\""),
        (#"{"type":"integer","minimum":5,"maximum":4}"#, "$", "no integer"),
        (##"{"$ref":"#/components/x"}"##, "$.$ref", "cannot resolve"),
        (#"{"type":"object","properties":{},"required":["z"]}"#, "$.required", "not among the properties"),
        (#"{"type":"thing"}"#, "$.type", "unknown type"),
    ])
    func refusesWhatItCannotEnforce(_ schema: String, _ path: String, _ fragment: String) throws {
        let parsed = try OrderedJSON.parse(schema)
        do {
            _ = try JSONSchemaGrammar(schema: parsed)
            Issue.record("accepted \(schema)")
        } catch {
            #expect(error.path == path, "\(error)")
            #expect(error.message.contains(fragment), "\(error)")
        }
    }

    /// Integer bounds: every integer from −2100 to 2100 (and a few long ones) is accepted exactly when it lies in
    /// the range, for closed, half-open and exclusive bounds on both sides of zero.
    @Test(arguments: [
        (#""minimum":0"#, 0, Int.max), (#""minimum":1"#, 1, Int.max), (#""maximum":-1"#, Int.min, -1),
        (#""minimum":-123,"maximum":4567"#, -123, 4567), (#""minimum":18,"maximum":120"#, 18, 120),
        (#""exclusiveMinimum":-10.5,"exclusiveMaximum":99"#, -10, 98), (#""minimum":-2000,"maximum":-1000"#, -2000, -1000),
        (#""minimum":7,"maximum":7"#, 7, 7), (#""maximum":1009"#, Int.min, 1009), (#""minimum":990"#, 990, Int.max),
    ])
    func integerBounds(_ bounds: String, _ lo: Int, _ hi: Int) throws {
        let g = try JSONSchemaGrammar(schema: try OrderedJSON.parse(#"{"type":"integer","# + bounds + "}")).grammar
        var wrong: [Int] = []
        for v in Array(-2100...2100) + [123_456_789, -123_456_789, 999_999_999_999_999] {
            if GrammarTests.verdict(g, String(v)).complete != (lo...hi).contains(v) { wrong.append(v) }
        }
        #expect(wrong.isEmpty, "\(bounds): wrong verdict for \(wrong.prefix(10))")
        for bad in ["-0", "007", "+5", "1.0"] { #expect(!GrammarTests.verdict(g, bad).complete, "\(bounds) \(bad)") }
    }

    /// `pattern`: the JSON string body matches the regular expression (anchored or not), escapes included.
    @Test(arguments: [
        (#"^\\d{3}-\\d{4}$"#, [#""555-1234""#], [#""5551234""#, #""555-12345""#, #"" 555-1234""#]),
        (#"^[A-Z][a-z]+( [A-Z][a-z]+)*$"#, [#""Ada Lovelace""#, #""Bo""#], [#""ada""#, #""Ada  L""#, #""A""#]),
        (#"^(cat|dog)s?$"#, [#""cats""#, #""dog""#], [#""cow""#, #""catss""#]),
        (#"ab"#, [#""xxabyy""#, #""ab""#], [#""a b""#, #""""#]),
        (#"^a\\.b$"#, [#""a.b""#], [#""axb""#]),
        (#"^[^0-9]{2,3}$"#, [#""ab""#, #""x-y""#], [#""a1""#, #""abcd""#, #""a\"""#]),
        (#"^say \"hi\"\\\\$"#, [#""say \"hi\"\\""#], [#""say hi""#]),
        (#"^[\\w.+-]+@[a-z]+\\.(com|org)$"#, [#""a.b+c@site.org""#], [#""a@site.net""#, #""@site.com""#]),
    ])
    func patterns(_ pattern: String, _ good: [String], _ bad: [String]) throws {
        let schema = #"{"type":"string","pattern":"# + "\"" + pattern + "\"}"
        let g = try JSONSchemaGrammar(schema: try OrderedJSON.parse(schema)).grammar
        for text in good { #expect(GrammarTests.verdict(g, text).complete, "\(pattern) should accept \(text)") }
        for text in bad { #expect(!GrammarTests.verdict(g, text).complete, "\(pattern) should refuse \(text)") }
    }

    @Test func numberLowerBoundZero() throws {
        let ge = try JSONSchemaGrammar(schema: try OrderedJSON.parse(#"{"type":"number","minimum":0}"#)).grammar
        let gt = try JSONSchemaGrammar(schema: try OrderedJSON.parse(#"{"type":"number","exclusiveMinimum":0}"#)).grammar
        for (text, nonNegative, positive) in [("0", true, false), ("0.0", true, false), ("0.05", true, true), ("12.5e-3", true, true),
                                              ("3", true, true), ("-1", false, false), ("-0.5", false, false), ("0e5", true, false)] {
            #expect(GrammarTests.verdict(ge, text).complete == nonNegative, "≥ 0: \(text)")
            #expect(GrammarTests.verdict(gt, text).complete == positive, "> 0: \(text)")
        }
    }

    @Test func stringFormats() throws {
        let schema = #"{"type":"object","properties":{"d":{"type":"string","format":"date"},"t":{"type":"string","format":"date-time"},"u":{"type":"string","format":"uuid"}},"required":["d","t","u"]}"#
        let ok = #"{"d":"2026-12-06","t":"2026-12-06T17:04:30.5+01:00","u":"123e4567-e89b-12d3-a456-426614174000"}"#
        #expect(try Self.verdict(schema, ok) == (true, true))
        #expect(try Self.verdict(schema, ok.replacingOccurrences(of: "+01:00", with: "Z")) == (true, true))
        for bad in ["2026-13-06", "26-12-06", "2026-12-06T25:00:00Z", "2026-12-06T17:04:30", "123e4567e89b12d3a456426614174000"] {
            let text = bad.contains("T") ? ok.replacingOccurrences(of: "2026-12-06T17:04:30.5+01:00", with: bad)
                : bad.count > 20 ? ok.replacingOccurrences(of: "123e4567-e89b-12d3-a456-426614174000", with: bad)
                : ok.replacingOccurrences(of: "\"2026-12-06\"", with: "\"\(bad)\"")
            #expect(try !Self.verdict(schema, text).complete, "\(bad)")
        }
    }

    @Test func orderedJSONKeepsOrderAndRoundTrips() throws {
        let text = #"{"z":1,"a":[true,null,-0.5e2,"q\"\n\u00e9\ud83d\ude00"],"m":{}}"#
        let v = try OrderedJSON.parse(text)
        guard case .object(let members) = v else { Issue.record("not an object"); return }
        #expect(members.map(\.key) == ["z", "a", "m"])
        #expect(v.serialized == #"{"z":1,"a":[true,null,-0.5e2,"q\"\né😀"],"m":{}}"#)
        for bad in ["{", #"{"a" 1}"#, "[1,]", "01", #""\x""#, "{} x", "\"\u{01}\""] {
            #expect(throws: OrderedJSON.ParseError.self, "\(bad)") { try OrderedJSON.parse(bad) }
        }
    }
}
