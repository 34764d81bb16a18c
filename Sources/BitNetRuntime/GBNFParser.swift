/// Reads GBNF text into rule bodies (`GrammarTerm`), tracking line and column for messages.
struct GBNFParser {
    private let s: [Unicode.Scalar]
    private var i = 0
    private var line = 1
    private var lineStart = 0

    init(_ text: String) { s = Array(text.unicodeScalars) }

    /// Repetition counts above this are refused (each copy is compiled out).
    static let maxRepetition = 1000

    mutating func parseRules() throws(GrammarError) -> [(name: String, body: [[GrammarTerm]], line: Int)] {
        var rules: [(name: String, body: [[GrammarTerm]], line: Int)] = []
        skipSpace(newlines: true)
        while i < s.count {
            let ruleLine = line
            let name = try parseName()
            skipSpace(newlines: false)
            guard consume("::=") else { throw error("expected '::=' after the rule name '\(name)'") }
            skipSpace(newlines: true)
            let body = try parseAlternatives(nested: false)
            rules.append((name, body, ruleLine))
            guard i == s.count || s[i] == "\n" || s[i] == "\r" else {
                throw error("unexpected '\(s[i])'; a rule ends at the end of its line")
            }
            skipSpace(newlines: true)
        }
        guard !rules.isEmpty else { throw GrammarError(line: 1, column: 1, message: "the grammar is empty") }
        return rules
    }

    private func error(_ message: String) -> GrammarError {
        GrammarError(line: line, column: i - lineStart + 1, message: message)
    }

    private static func isNameCharacter(_ c: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || c == "-" || c == "_"
    }

    private mutating func parseName() throws(GrammarError) -> String {
        let start = i
        while i < s.count, Self.isNameCharacter(s[i]) { i += 1 }
        guard i > start else {
            throw error(i < s.count ? "expected a rule name, found '\(s[i])'" : "expected a rule name")
        }
        return String(String.UnicodeScalarView(s[start..<i]))
    }

    private mutating func consume(_ text: String) -> Bool {
        let t = Array(text.unicodeScalars)
        guard i + t.count <= s.count, Array(s[i..<(i + t.count)]) == t else { return false }
        i += t.count
        return true
    }

    /// Skips blanks and `#` comments; newlines too when `newlines` (inside parentheses, after `|` or `::=`).
    private mutating func skipSpace(newlines: Bool) {
        while i < s.count {
            let c = s[i]
            if c == " " || c == "\t" {
                i += 1
            } else if c == "#" {
                while i < s.count, s[i] != "\n" { i += 1 }
            } else if newlines && (c == "\n" || c == "\r") {
                if c == "\n" { line += 1; lineStart = i + 1 }
                i += 1
            } else {
                return
            }
        }
    }

    private mutating func parseAlternatives(nested: Bool) throws(GrammarError) -> [[GrammarTerm]] {
        var out = [try parseSequence(nested: nested)]
        while i < s.count, s[i] == "|" {
            i += 1
            skipSpace(newlines: true)
            out.append(try parseSequence(nested: nested))
        }
        return out
    }

    private mutating func parseSequence(nested: Bool) throws(GrammarError) -> [GrammarTerm] {
        var terms: [GrammarTerm] = []
        while i < s.count {
            let c = s[i]
            var term: GrammarTerm
            if c == "\"" {
                i += 1
                var scalars: [UInt32] = []
                while true {
                    guard i < s.count, s[i] != "\n" else { throw error("unterminated string literal") }
                    if s[i] == "\"" { i += 1; break }
                    scalars.append(try parseCharacter())
                }
                term = .literal(scalars)
            } else if c == "[" {
                i += 1
                let negated = i < s.count && s[i] == "^"
                if negated { i += 1 }
                var ranges: [ClosedRange<UInt32>] = []
                while true {
                    guard i < s.count, s[i] != "\n" else { throw error("unterminated character class") }
                    if s[i] == "]" { i += 1; break }
                    let lo = try parseCharacter()
                    var hi = lo
                    if i + 1 < s.count, s[i] == "-", s[i + 1] != "]" {
                        i += 1
                        hi = try parseCharacter()
                        guard hi >= lo else { throw error("character range is backwards") }
                    }
                    ranges.append(lo...hi)
                }
                term = .characters(ranges: ranges, negated: negated)
            } else if c == "." {
                i += 1
                term = .characters(ranges: [], negated: true)
            } else if Self.isNameCharacter(c) {
                let (l, col) = (line, i - lineStart + 1)
                let name = try parseName()
                // A name followed by '::=' starts the next rule: this sequence is over.
                let save = (i, line, lineStart)
                skipSpace(newlines: false)
                if consume("::=") { throw GrammarError(line: l, column: col, message: "missing newline before rule '\(name)'") }
                (i, line, lineStart) = save
                term = .reference(name, line: l, column: col)
            } else if c == "(" {
                i += 1
                skipSpace(newlines: true)
                let body = try parseAlternatives(nested: true)
                guard i < s.count, s[i] == ")" else { throw error("expected ')'") }
                i += 1
                term = .group(body)
            } else {
                break  // '|', ')', a newline, or an error the caller reports
            }
            skipSpace(newlines: nested)
            term = try parseRepetitions(term)
            terms.append(term)
            skipSpace(newlines: nested)
        }
        if i < s.count, !"|)\n\r".unicodeScalars.contains(s[i]) {
            throw error("unexpected '\(s[i])'")
        }
        if i < s.count, s[i] == ")", !nested { throw error("')' without a matching '('") }
        return terms
    }

    private mutating func parseRepetitions(_ term: GrammarTerm) throws(GrammarError) -> GrammarTerm {
        var term = term
        while i < s.count {
            switch s[i] {
            case "*": i += 1; term = .repeated(term, min: 0, max: nil)
            case "+": i += 1; term = .repeated(term, min: 1, max: nil)
            case "?": i += 1; term = .repeated(term, min: 0, max: 1)
            case "{":
                i += 1
                skipSpace(newlines: false)
                let lo = try parseInteger() ?? 0
                skipSpace(newlines: false)
                var hi: Int? = lo
                if i < s.count, s[i] == "," {
                    i += 1
                    skipSpace(newlines: false)
                    hi = try parseInteger()
                    skipSpace(newlines: false)
                }
                guard i < s.count, s[i] == "}" else { throw error("expected '}' to close the repetition count") }
                i += 1
                if let hi, hi < lo { throw error("repetition {\(lo),\(hi)}: the maximum is below the minimum") }
                guard lo <= Self.maxRepetition, (hi ?? 0) <= Self.maxRepetition else {
                    throw error("repetition counts above \(Self.maxRepetition) are not supported")
                }
                term = .repeated(term, min: lo, max: hi)
            default:
                return term
            }
            skipSpace(newlines: false)
        }
        return term
    }

    private mutating func parseInteger() throws(GrammarError) -> Int? {
        var v = 0, digits = 0
        while i < s.count, let d = Int(String(s[i])), ("0"..."9").contains(s[i]) {
            v = v * 10 + d
            digits += 1
            i += 1
            guard v <= 1_000_000 else { throw error("repetition count too large") }
        }
        return digits == 0 ? nil : v
    }

    /// One character of a literal or class, with escapes.
    private mutating func parseCharacter() throws(GrammarError) -> UInt32 {
        let c = s[i]
        i += 1
        guard c == "\\" else { return c.value }
        guard i < s.count else { throw error("a backslash ends the grammar") }
        let e = s[i]
        i += 1
        switch e {
        case "n": return 0x0A
        case "r": return 0x0D
        case "t": return 0x09
        case "\\", "\"", "[", "]", "-", "^", "/": return e.value
        case "x": return try parseHex(2)
        case "u": return try parseHex(4)
        case "U": return try parseHex(8)
        default: throw error("unknown escape '\\\(e)'")
        }
    }

    private mutating func parseHex(_ count: Int) throws(GrammarError) -> UInt32 {
        var v: UInt32 = 0
        for _ in 0..<count {
            guard i < s.count, let d = UInt32(String(s[i]), radix: 16) else { throw error("expected \(count) hex digits") }
            v = v << 4 | d
            i += 1
        }
        guard v <= 0x10FFFF else { throw error("\\U value beyond Unicode") }
        return v
    }
}
