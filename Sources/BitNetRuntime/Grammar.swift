/// A context-free grammar in llama.cpp's GBNF notation, compiled for `GrammarRecognizer`: the `grammar` field of
/// llama-server's requests, and what `JSONSchemaGrammar` turns a JSON schema into.
///
/// The notation: `name ::= alternatives` rules (one per line; a line ending in `|` or inside parentheses
/// continues), `"literal"` strings and `[a-z]` / `[^"\\]` character classes with `\n \r \t \\ \" \[ \] \xHH \uHHHH
/// \UHHHHHHHH` escapes, `.` for any character, `( … )` groups, `*` `+` `?` `{m}` `{m,}` `{m,n}` `{,n}` repetition,
/// `#` comments. The rule `root` is the whole text. Characters are Unicode scalars; the recogniser reads UTF-8.
///
/// Compiled form: every rule is a list of alternatives, each a run of `Element`s ending in `.end` in one flat
/// array, so a position in a rule is one integer. Groups and repetitions become generated rules (`x*` is
/// `r ::= x r |`, right-recursive), so the recogniser only knows characters and rule references.
public struct Grammar: Sendable, Equatable {
    /// One step of an alternative.
    public enum Element: Sendable, Equatable {
        /// One character from `classes[index]`.
        case character(Int32)
        /// Everything `rule` matches.
        case rule(Int32)
        /// The alternative is complete.
        case end
    }

    /// A set of Unicode scalars: sorted, merged, inclusive ranges, or their complement.
    public struct CharacterClass: Sendable, Equatable {
        /// Sorted, disjoint, non-adjacent inclusive ranges.
        public let ranges: [ClosedRange<UInt32>]
        /// True: the class is every scalar NOT in `ranges`.
        public let negated: Bool

        init(_ raw: [ClosedRange<UInt32>], negated: Bool) {
            var merged: [ClosedRange<UInt32>] = []
            for r in raw.sorted(by: { $0.lowerBound < $1.lowerBound }) {
                if let last = merged.last, r.lowerBound <= last.upperBound &+ 1 {
                    merged[merged.count - 1] = last.lowerBound...max(last.upperBound, r.upperBound)
                } else {
                    merged.append(r)
                }
            }
            ranges = merged
            self.negated = negated
        }

        /// Whether `c` is in the class.
        public func contains(_ c: UInt32) -> Bool {
            var lo = 0, hi = ranges.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if ranges[mid].upperBound < c { lo = mid + 1 } else { hi = mid }
            }
            let inRanges = lo < ranges.count && ranges[lo].contains(c)
            return inRanges != negated
        }

        /// Whether some scalar in `span` is in the class (used to reject a token that ends inside a UTF-8 sequence
        /// no allowed character starts with).
        public func intersects(_ span: ClosedRange<UInt32>) -> Bool {
            if !negated { return ranges.contains { $0.overlaps(span) } }
            // Negated: true unless the ranges cover all of `span`.
            var next = span.lowerBound
            for r in ranges where r.upperBound >= next {
                if r.lowerBound > next { return true }
                if r.upperBound >= span.upperBound { return false }
                next = r.upperBound + 1
            }
            return true
        }
    }

    /// Every rule's alternatives back to back, each closed by `.end`.
    public let elements: [Element]
    /// For each rule, the position in `elements` where each alternative starts.
    public let alternatives: [[Int32]]
    /// The character classes `.character` elements name.
    public let classes: [CharacterClass]
    /// Rule names (generated rules get `name-N`), for messages.
    public let ruleNames: [String]
    /// The rule the whole text must match.
    public let root: Int32

    /// Parses and compiles GBNF `text`.
    /// - Throws: `GrammarError` saying where (line and column) and what is wrong: a syntax error, an undefined
    ///   rule, no `root` rule, or a left-recursive rule (which the recogniser could not run).
    public init(gbnf text: String) throws(GrammarError) {
        var parser = GBNFParser(text)
        let rules = try parser.parseRules()
        var compiler = GrammarCompiler()
        try compiler.compile(rules)
        elements = compiler.elements
        alternatives = compiler.alternatives
        classes = compiler.classes
        ruleNames = compiler.names
        guard let root = compiler.index["root"] else {
            throw GrammarError(line: 1, column: 1, message: "the grammar has no 'root' rule (the rule the whole output must match)")
        }
        self.root = root
        try checkNoLeftRecursion()
    }

    /// Rules that can match the empty text.
    private func nullableRules() -> [Bool] {
        var nullable = [Bool](repeating: false, count: alternatives.count)
        var changed = true
        while changed {
            changed = false
            for r in alternatives.indices where !nullable[r] {
                for start in alternatives[r] where sequenceIsNullable(from: Int(start), nullable) {
                    nullable[r] = true
                    changed = true
                    break
                }
            }
        }
        return nullable
    }

    private func sequenceIsNullable(from start: Int, _ nullable: [Bool]) -> Bool {
        var p = start
        while true {
            switch elements[p] {
            case .end: return true
            case .character: return false
            case .rule(let r): if !nullable[Int(r)] { return false }
            }
            p += 1
        }
    }

    /// Refuses a rule that can reach itself without consuming a character: expanding it would never end.
    private func checkNoLeftRecursion() throws(GrammarError) {
        let nullable = nullableRules()
        // leftEdges[r]: rules r can start with (after nullable rules only).
        var leftEdges = [[Int32]](repeating: [], count: alternatives.count)
        for r in alternatives.indices {
            for start in alternatives[r] {
                var p = Int(start)
                while case .rule(let s) = elements[p] {
                    leftEdges[r].append(s)
                    if !nullable[Int(s)] { break }
                    p += 1
                }
            }
        }
        // Depth-first search for a cycle: 0 unvisited, 1 on the path, 2 done.
        var mark = [UInt8](repeating: 0, count: alternatives.count)
        for start in alternatives.indices where mark[start] == 0 {
            var path: [(rule: Int, edge: Int)] = [(start, 0)]
            mark[start] = 1
            while let (r, e) = path.last {
                if e < leftEdges[r].count {
                    path[path.count - 1].edge += 1
                    let s = Int(leftEdges[r][e])
                    if mark[s] == 1 {
                        throw GrammarError(line: 0, column: 0, message: "rule '\(ruleNames[s])' is left-recursive (it can "
                            + "reach itself before matching a character); rewrite it with repetition, e.g. x ::= y (\",\" y)*")
                    }
                    if mark[s] == 0 { mark[s] = 1; path.append((s, 0)) }
                } else {
                    mark[r] = 2
                    path.removeLast()
                }
            }
        }
    }
}

/// Why a grammar was refused: where, and what is wrong.
public struct GrammarError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 1-based line of the problem (0 when it concerns the grammar as a whole).
    public let line: Int
    /// 1-based column.
    public let column: Int
    /// What is wrong and how to fix it.
    public let message: String

    /// "line L, column C: message".
    public var description: String {
        line > 0 ? "grammar line \(line), column \(column): \(message)" : "grammar: \(message)"
    }
}

/// The parsed, uncompiled form of one GBNF rule body.
indirect enum GrammarTerm: Equatable {
    case characters(ranges: [ClosedRange<UInt32>], negated: Bool)
    case literal([UInt32])
    case reference(String, line: Int, column: Int)
    case group([[GrammarTerm]])
    case repeated(GrammarTerm, min: Int, max: Int?)
}

/// Turns parsed rules into `Grammar`'s flat form.
struct GrammarCompiler {
    var elements: [Grammar.Element] = []
    var alternatives: [[Int32]] = []
    var classes: [Grammar.CharacterClass] = []
    var names: [String] = []
    var index: [String: Int32] = [:]
    private var classIndex: [Grammar.CharacterClass: Int32] = [:]
    /// Rule bodies not yet emitted (generated rules are added while emitting).
    private var pending: [(rule: Int32, body: [[GrammarTerm]])] = []

    mutating func compile(_ rules: [(name: String, body: [[GrammarTerm]], line: Int)]) throws(GrammarError) {
        for r in rules {
            guard index[r.name] == nil else {
                throw GrammarError(line: r.line, column: 1, message: "rule '\(r.name)' is defined twice")
            }
            _ = newRule(r.name, body: r.body)
        }
        while !pending.isEmpty {
            let (rule, body) = pending.removeFirst()
            var starts: [Int32] = []
            for sequence in body {
                starts.append(Int32(elements.count))
                for term in sequence { try emit(term, into: rule) }
                elements.append(.end)
            }
            alternatives[Int(rule)] = starts
        }
    }

    private mutating func newRule(_ name: String, body: [[GrammarTerm]]) -> Int32 {
        let id = Int32(names.count)
        names.append(name)
        alternatives.append([])
        index[name] = id
        pending.append((id, body))
        return id
    }

    private mutating func generated(_ parent: Int32, _ body: [[GrammarTerm]]) -> Int32 {
        newRule("\(names[Int(parent)])-\(names.count)", body: body)
    }

    private mutating func classID(_ c: Grammar.CharacterClass) -> Int32 {
        if let id = classIndex[c] { return id }
        let id = Int32(classes.count)
        classes.append(c)
        classIndex[c] = id
        return id
    }

    private mutating func emit(_ term: GrammarTerm, into rule: Int32) throws(GrammarError) {
        switch term {
        case .characters(let ranges, let negated):
            elements.append(.character(classID(.init(ranges, negated: negated))))
        case .literal(let scalars):
            for s in scalars { elements.append(.character(classID(.init([s...s], negated: false)))) }
        case .reference(let name, let line, let column):
            guard let id = index[name] else {
                throw GrammarError(line: line, column: column, message: "rule '\(name)' is used but never defined")
            }
            elements.append(.rule(id))
        case .group(let body):
            elements.append(.rule(generated(rule, body)))
        case .repeated(let inner, let min, let max):
            // x{m,n}: m copies of x, then n−m nested optionals (x (x (…)?)?)?; x{m,}: m copies then x*.
            for _ in 0..<min { try emit(inner, into: rule) }
            if let max {
                guard max > min else { return }
                var tail: [[GrammarTerm]] = [[inner], []]
                for _ in 0..<(max - min - 1) { tail = [[inner, .group(tail)], []] }
                elements.append(.rule(generated(rule, tail)))
            } else {
                let star = generated(rule, [])
                pending.removeLast()
                let selfName = names[Int(star)]
                pending.append((star, [[inner, .reference(selfName, line: 0, column: 0)], []]))
                elements.append(.rule(star))
            }
        }
    }
}

extension Grammar.CharacterClass: Hashable {
    public func hash(into hasher: inout Hasher) {
        hasher.combine(negated)
        for r in ranges { hasher.combine(r.lowerBound); hasher.combine(r.upperBound) }
    }
}
