/// Where a `Grammar` stands after some text: every way the text so far can be read, each a stack of positions
/// (the top is the next character element to match; the entries below are where to continue when a rule ends),
/// plus any UTF-8 sequence begun but not finished. An empty stack means the text can end here.
public struct GrammarState: Sendable {
    /// Every live reading; empty when the text cannot continue the grammar.
    var stacks: [[Int32]]
    /// A multi-byte character in progress: its bits so far, how many continuation bytes are still due, and the
    /// smallest scalar its length may encode (a shorter form is an overlong encoding, refused).
    var partial: (value: UInt32, remaining: Int, minimum: UInt32)?

    /// True when the text so far is a complete match of the grammar (more may still follow).
    public var isAccepting: Bool { partial == nil && stacks.contains { $0.isEmpty } }
    /// True when some continuation other than the end of the text is possible.
    public var canContinue: Bool { stacks.contains { !$0.isEmpty } }
}

/// Runs a `Grammar` over UTF-8 text a byte at a time (the model's tokens are byte strings that may split a
/// character). Value semantics: trying a token is feeding a copy of the state.
public struct GrammarRecognizer: Sendable {
    /// The grammar.
    public let grammar: Grammar

    /// Readings deeper than this are dropped (a grammar nesting without bound, e.g. brackets in brackets).
    public static let maxStackDepth = 256

    public init(_ grammar: Grammar) { self.grammar = grammar }

    /// The state before any text.
    public func initialState() -> GrammarState {
        var out = Set<[Int32]>()
        expandRule(grammar.root, under: [], into: &out)
        return GrammarState(stacks: Array(out), partial: nil)
    }

    /// The state after `bytes`, or nil when they cannot continue the text.
    public func feed<S: Sequence<UInt8>>(_ state: GrammarState, _ bytes: S) -> GrammarState? {
        var s = state
        for b in bytes {
            guard let next = feed(s, b) else { return nil }
            s = next
        }
        return s
    }

    /// The state after one byte, or nil when it cannot continue the text (including malformed UTF-8).
    public func feed(_ state: GrammarState, _ b: UInt8) -> GrammarState? {
        if let (value, remaining, minimum) = state.partial {
            guard b & 0xC0 == 0x80 else { return nil }
            let v = value << 6 | UInt32(b & 0x3F)
            if remaining > 1 {
                let next = GrammarState(stacks: state.stacks, partial: (v, remaining - 1, minimum))
                return mayComplete(next) ? next : nil
            }
            guard v >= minimum, v <= 0x10FFFF, !(0xD800...0xDFFF).contains(v) else { return nil }
            return advance(state.stacks, by: v)
        }
        switch b {
        case 0x00..<0x80: return advance(state.stacks, by: UInt32(b))
        case 0xC2..<0xE0: return started(state, UInt32(b & 0x1F), 1, minimum: 0x80)
        case 0xE0..<0xF0: return started(state, UInt32(b & 0x0F), 2, minimum: 0x800)
        case 0xF0..<0xF5: return started(state, UInt32(b & 0x07), 3, minimum: 0x10000)
        default: return nil  // a stray continuation byte or an invalid lead byte
        }
    }

    private func started(_ state: GrammarState, _ value: UInt32, _ remaining: Int, minimum: UInt32) -> GrammarState? {
        let next = GrammarState(stacks: state.stacks, partial: (value, remaining, minimum))
        return mayComplete(next) ? next : nil
    }

    /// Whether some character the partial UTF-8 sequence can still become is allowed by some reading.
    private func mayComplete(_ state: GrammarState) -> Bool {
        guard let (value, remaining, minimum) = state.partial else { return true }
        let shift = UInt32(6 * remaining)
        let top = min((value << shift) | ((1 << shift) - 1), 0x10FFFF)
        let bottom = max(value << shift, minimum)
        guard bottom <= top else { return false }
        let span = bottom...top
        return state.stacks.contains { stack in
            guard let top = stack.last, case .character(let c) = grammar.elements[Int(top)] else { return false }
            return grammar.classes[Int(c)].intersects(span)
        }
    }

    /// Every reading that can take character `c`, moved past it; nil when none can.
    private func advance(_ stacks: [[Int32]], by c: UInt32) -> GrammarState? {
        var out = Set<[Int32]>()
        for stack in stacks {
            guard let top = stack.last, case .character(let k) = grammar.elements[Int(top)],
                  grammar.classes[Int(k)].contains(c) else { continue }
            var rest = stack
            rest.removeLast()
            let next = Int(top) + 1
            if grammar.elements[next] != .end { rest.append(Int32(next)) }
            expand(rest, into: &out)
        }
        guard !out.isEmpty else { return nil }
        return GrammarState(stacks: Array(out), partial: nil)
    }

    /// Adds every reading `stack` stands for with a character element (or nothing) on top.
    private func expand(_ stack: [Int32], into out: inout Set<[Int32]>) {
        guard let top = stack.last else { out.insert(stack); return }
        switch grammar.elements[Int(top)] {
        case .character:
            out.insert(stack)
        case .rule(let r):
            var under = stack
            under.removeLast()
            let next = Int(top) + 1
            if grammar.elements[next] != .end { under.append(Int32(next)) }
            expandRule(r, under: under, into: &out)
        case .end:
            // Never pushed: a position is only stacked when an element follows it.
            var rest = stack
            rest.removeLast()
            expand(rest, into: &out)
        }
    }

    private func expandRule(_ r: Int32, under: [Int32], into out: inout Set<[Int32]>) {
        guard under.count < Self.maxStackDepth else { return }
        for start in grammar.alternatives[Int(r)] {
            if grammar.elements[Int(start)] == .end {
                expand(under, into: &out)
            } else {
                expand(under + [start], into: &out)
            }
        }
    }
}
