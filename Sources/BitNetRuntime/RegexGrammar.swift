/// Translates a JSON Schema `pattern` (an ECMA-262 regular expression) into GBNF for the inside of a JSON string:
/// what the grammar lets the model write between the quotes is JSON text whose decoded value the regular expression
/// matches. JSON Schema patterns are not anchored: without `^` the match may start anywhere, without `$` end
/// anywhere, so the missing side gets any string characters.
///
/// Supported: literals and escaped metacharacters, `.`, classes (`[a-z_]`, `[^…]`), `\d \w \s \D \W \S`, groups
/// (`(…)`, `(?:…)`, named `(?<n>…)`), alternation, `* + ? {n} {n,} {n,m}` (lazy forms match the same strings), `^` at
/// the start and `$` at the end. Refused (`RegexGrammarError`): back-references, look-arounds, word boundaries,
/// anchors elsewhere, and repetition counts above `GBNFParser.maxRepetition`. Characters that JSON must escape are
/// written escaped (`"` as `\"`, a tab as `\t`); `.` and negated classes match only characters JSON writes as
/// themselves (not `"`, `\` or control characters) — a subset of what the expression allows, never more.
public enum RegexGrammar {
    /// GBNF for the JSON string body matching `pattern` (without the quotes).
    /// - Throws: `RegexGrammarError` naming the position and the construct.
    public static func body(_ pattern: String) throws(RegexGrammarError) -> String {
        var p = Parser(Array(pattern.unicodeScalars))
        var anchoredStart = false, anchoredEnd = false
        if p.peek == "^" { p.i += 1; anchoredStart = true }
        var scalars = p.s
        if scalars.last == "$", !(scalars.count >= 2 && scalars[scalars.count - 2] == "\\" && !p.escapedAt(scalars.count - 2)) {
            scalars.removeLast()
            anchoredEnd = true
            p.s = scalars
        }
        let inner = try p.alternation()
        guard p.i == p.s.count else { throw RegexGrammarError(position: p.i, message: "unexpected '\(p.s[p.i])'") }
        let any = "json-char*"
        return [anchoredStart ? nil : any, "(\(inner))", anchoredEnd ? nil : any].compactMap { $0 }.joined(separator: " ")
    }

    /// A character JSON writes as itself inside a string (not `"`, `\` or a control character).
    static let plainChar = #"[^"\\\x00-\x1f]"#

    struct Parser {
        var s: [Unicode.Scalar]
        var i = 0
        init(_ s: [Unicode.Scalar]) { self.s = s }

        var peek: Unicode.Scalar? { i < s.count ? s[i] : nil }

        /// Whether the backslash at `k` is itself escaped (preceded by an odd run of backslashes).
        func escapedAt(_ k: Int) -> Bool {
            var n = 0, j = k - 1
            while j >= 0, s[j] == "\\" { n += 1; j -= 1 }
            return n % 2 == 1
        }

        mutating func alternation() throws(RegexGrammarError) -> String {
            var branches = [try sequence()]
            while peek == "|" {
                i += 1
                branches.append(try sequence())
            }
            return branches.map { $0.isEmpty ? "\"\"" : $0 }.joined(separator: " | ")
        }

        mutating func sequence() throws(RegexGrammarError) -> String {
            var items: [String] = []
            while let c = peek, c != "|", c != ")" {
                var atom = try self.atom()
                atom = try quantified(atom)
                items.append(atom)
            }
            return items.joined(separator: " ")
        }

        mutating func quantified(_ atom: String) throws(RegexGrammarError) -> String {
            guard let c = peek else { return atom }
            var out: String
            switch c {
            case "*": i += 1; out = "(\(atom))*"
            case "+": i += 1; out = "(\(atom))+"
            case "?": i += 1; out = "(\(atom))?"
            case "{":
                let start = i
                i += 1
                var lo = "", hi = "", comma = false
                while let d = peek, d != "}" {
                    if d == "," { comma = true } else if d.properties.numericType != nil, d.isASCII {
                        if comma { hi.unicodeScalars.append(d) } else { lo.unicodeScalars.append(d) }
                    } else {
                        throw RegexGrammarError(position: i, message: "'{' starts no repetition count")
                    }
                    i += 1
                }
                guard peek == "}", let m = Int(lo) else { throw RegexGrammarError(position: start, message: "unterminated repetition count") }
                i += 1
                let n = comma ? (hi.isEmpty ? nil : Int(hi)) : m
                guard m <= GBNFParser.maxRepetition, (n ?? 0) <= GBNFParser.maxRepetition, n.map({ $0 >= m }) ?? true else {
                    throw RegexGrammarError(position: start, message: "repetition {\(lo),\(hi)} is out of range (at most \(GBNFParser.maxRepetition))")
                }
                out = "(\(atom)){\(m)" + (comma ? ",\(n.map(String.init) ?? "")" : "") + "}"
            default:
                return atom
            }
            if peek == "?" { i += 1 }  // lazy: the same strings
            if let q = peek, "*+?{".unicodeScalars.contains(q) {
                throw RegexGrammarError(position: i, message: "a quantifier cannot follow another")
            }
            return out
        }

        mutating func atom() throws(RegexGrammarError) -> String {
            let c = s[i]
            switch c {
            case "(":
                i += 1
                if peek == "?" {
                    let next = i + 1 < s.count ? s[i + 1] : " "
                    if next == ":" {
                        i += 2
                    } else if next == "<", i + 2 < s.count, s[i + 2] != "=", s[i + 2] != "!" {
                        i += 2
                        while let n = peek, n != ">" { i += 1 }
                        guard peek == ">" else { throw RegexGrammarError(position: i, message: "unterminated group name") }
                        i += 1
                    } else {
                        throw RegexGrammarError(position: i - 1, message: "look-arounds and other (? groups are not supported")
                    }
                }
                let inner = try alternation()
                guard peek == ")" else { throw RegexGrammarError(position: i, message: "missing ')'") }
                i += 1
                return "(\(inner))"
            case "[": return try characterClass()
            case ".": i += 1; return "[^\"\\\\\\x00-\\x1f]"
            case "\\": return try escape(inClass: false).grammar
            case "^", "$":
                throw RegexGrammarError(position: i, message: "'\(c)' is supported only at the start / end of the pattern")
            case "*", "+", "?", "{":
                throw RegexGrammarError(position: i, message: "'\(c)' has nothing to repeat")
            default:
                i += 1
                return RegexGrammar.literal(c)
            }
        }

        /// An escape: a class shorthand, an escaped character, or a refused construct.
        mutating func escape(inClass: Bool) throws(RegexGrammarError) -> (grammar: String, scalar: Unicode.Scalar?) {
            i += 1
            guard let e = peek else { throw RegexGrammarError(position: i - 1, message: "a trailing backslash") }
            i += 1
            switch e {
            case "d": return ("[0-9]", nil)
            case "D": return ("[^0-9\"\\\\\\x00-\\x1f]", nil)
            case "w": return ("[a-zA-Z0-9_]", nil)
            case "W": return ("[^a-zA-Z0-9_\"\\\\\\x00-\\x1f]", nil)
            case "s": return ("(\" \" | \"\\\\t\" | \"\\\\n\" | \"\\\\r\" | \"\\\\f\")", nil)
            case "S": return ("[^ \"\\\\\\x00-\\x1f]", nil)
            case "n": return (RegexGrammar.literal("\n"), "\n")
            case "t": return (RegexGrammar.literal("\t"), "\t")
            case "r": return (RegexGrammar.literal("\r"), "\r")
            case "b", "B":
                if inClass, e == "b" { return (RegexGrammar.literal("\u{8}"), "\u{8}") }
                throw RegexGrammarError(position: i - 2, message: "word boundaries (\\\(e)) are not supported")
            case "1"..."9", "k":
                throw RegexGrammarError(position: i - 2, message: "back-references are not supported")
            case "u", "x", "p", "P", "c":
                throw RegexGrammarError(position: i - 2, message: "\\\(e) escapes are not supported")
            default:
                return (RegexGrammar.literal(e), e)
            }
        }

        /// `[…]`: ranges and single characters as a GBNF class; a negated class also excludes what JSON escapes.
        mutating func characterClass() throws(RegexGrammarError) -> String {
            let start = i
            i += 1
            var negated = false
            if peek == "^" { negated = true; i += 1 }
            var items: [String] = []        // class items (GBNF class syntax)
            var shorthands: [String] = []   // \d etc. inside a non-negated class, as alternatives
            var first = true
            while let c = peek, c != "]" || first {
                first = false
                var low: Unicode.Scalar
                if c == "\\" {
                    let (g, scalar) = try escape(inClass: true)
                    guard let scalar else {
                        guard !negated else {
                            throw RegexGrammarError(position: i - 2, message: "class shorthands inside [^…] are not supported")
                        }
                        shorthands.append(g)
                        continue
                    }
                    low = scalar
                } else {
                    low = c
                    i += 1
                }
                if peek == "-", i + 1 < s.count, s[i + 1] != "]" {
                    i += 1
                    var high = s[i]
                    if high == "\\" {
                        guard let scalar = try escape(inClass: true).scalar else {
                            throw RegexGrammarError(position: i, message: "a range cannot end in a class shorthand")
                        }
                        high = scalar
                    } else {
                        i += 1
                    }
                    guard high.value >= low.value else { throw RegexGrammarError(position: i, message: "range out of order") }
                    items.append(RegexGrammar.classChar(low) + "-" + RegexGrammar.classChar(high))
                } else {
                    items.append(RegexGrammar.classChar(low))
                }
            }
            guard peek == "]" else { throw RegexGrammarError(position: start, message: "missing ']'") }
            i += 1
            if negated { return "[^" + items.joined() + "\"\\\\\\x00-\\x1f]" }
            // A positive class: plain characters as one class; quotes, backslashes and control characters, which JSON
            // writes escaped, as their escaped spellings.
            var plain = "", escaped: [String] = []
            for item in items {
                if item.count <= 6, let scalar = RegexGrammar.singleScalar(item), RegexGrammar.needsEscape(scalar) {
                    escaped.append(RegexGrammar.literal(scalar))
                } else {
                    plain += item
                }
            }
            var alternatives = plain.isEmpty ? [] : ["[" + plain + "]"]
            alternatives += escaped + shorthands
            guard !alternatives.isEmpty else { throw RegexGrammarError(position: start, message: "an empty class matches nothing") }
            return alternatives.count == 1 ? alternatives[0] : "(" + alternatives.joined(separator: " | ") + ")"
        }
    }

    /// Whether JSON writes `c` escaped inside a string.
    static func needsEscape(_ c: Unicode.Scalar) -> Bool { c == "\"" || c == "\\" || c.value < 0x20 }

    /// A GBNF literal for the JSON spelling of `c`.
    static func literal(_ c: Unicode.Scalar) -> String {
        switch c {
        case "\"": return #""\\\"""#
        case "\\": return #""\\\\""#
        case "\n": return #""\\n""#
        case "\t": return #""\\t""#
        case "\r": return #""\\r""#
        case "\u{8}": return #""\\b""#
        case "\u{c}": return #""\\f""#
        default:
            if c.value < 0x20 { return "\"\\\\u00" + String(format2(c.value)) + "\"" }
            return "\"" + String(c) + "\""
        }
    }

    static func format2(_ v: UInt32) -> String {
        let hex = String(v, radix: 16)
        return hex.count == 1 ? "0" + hex : hex
    }

    /// `c` written inside a GBNF class.
    static func classChar(_ c: Unicode.Scalar) -> String {
        switch c {
        case "]", "[", "-", "^", "\\": return "\\" + String(c)
        default: return c.value < 0x20 ? "\\x" + format2(c.value) : String(c)
        }
    }

    /// The one scalar a class item stands for, or nil for a range.
    static func singleScalar(_ item: String) -> Unicode.Scalar? {
        let u = Array(item.unicodeScalars)
        if u.count == 1 { return u[0] }
        if u.count == 2, u[0] == "\\" { return u[1] }
        if u.count == 4, u[0] == "\\", u[1] == "x", let v = UInt32(String(String.UnicodeScalarView(u[2...])), radix: 16) {
            return Unicode.Scalar(v)
        }
        return nil
    }
}

/// Why a `pattern` cannot be enforced.
public struct RegexGrammarError: Error, Equatable, CustomStringConvertible {
    /// Offset (in Unicode scalars) in the pattern.
    public let position: Int
    public let message: String

    public var description: String { "pattern position \(position): \(message)" }
}
