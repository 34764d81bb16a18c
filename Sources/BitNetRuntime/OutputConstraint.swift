import Tokenizers

/// What shape generated text must have (OpenAI's `response_format`, llama-server's `grammar`).
public enum OutputFormat: Sendable, Equatable {
    /// Free text.
    case text
    /// One JSON object (`{"type": "json_object"}`).
    case jsonObject
    /// Text the grammar matches (a GBNF `grammar`, or a JSON schema through `JSONSchemaGrammar`).
    case grammar(Grammar)

    /// A fresh constraint for one generation, or nil for free text.
    public func makeConstraint(_ vocabulary: TokenVocabulary) -> (any OutputConstraint)? {
        switch self {
        case .text: nil
        case .jsonObject: JSONObjectConstraint(vocabulary: vocabulary)
        case .grammar(let g): GrammarConstraint(grammar: g, vocabulary: vocabulary)
        }
    }
}

/// Constrained sampling: which tokens may come next. `TokenIterator` samples as usual, keeps the token when
/// `allows` says so, and otherwise samples again from `mask`'s logits. Keeping an allowed first draw and redrawing
/// from the masked distribution otherwise gives exactly the masked distribution (P(t) = p(t) + (1 − Z)·p(t)/Z =
/// p(t)/Z for an allowed t, Z the allowed mass), and the full mask is only computed when the model strays.
public protocol OutputConstraint: AnyObject {
    /// True once the text is complete: only an end-of-generation token may follow.
    var isComplete: Bool { get }
    /// Whether `token` may come next.
    func allows(_ token: Int32) -> Bool
    /// `logits` with every token that may not come next at −∞ (a buffer of the constraint's, valid until the next
    /// call); nil when no token may.
    func mask(_ logits: UnsafeBufferPointer<Float>) -> [Float]?
    /// Moves past `token` (which `allows` accepted).
    func accept(_ token: Int32)
}

/// A vocabulary's token texts as bytes, in byte order with each token's shared prefix with the one before, so a
/// constraint can test all tokens walking the sorted list and re-feed only what differs (a trie without nodes).
/// Built once per engine (`Engine.tokenVocabulary`); immutable.
public final class TokenVocabulary: Sendable {
    /// Each token's bytes (empty for control tokens, which a constraint never allows).
    public let pieces: [[UInt8]]
    /// End-of-generation tokens.
    public let endOfGeneration: [Bool]
    /// Non-empty, non-end-of-generation token ids sorted by their bytes.
    let order: [Int32]
    /// `commonPrefix[i]`: bytes `order[i]` shares with `order[i − 1]`.
    let commonPrefix: [Int]

    /// The pieces of `tokenizer`'s vocabulary.
    public init(tokenizer: Tokenizer) {
        let n = tokenizer.vocabularySize
        let pieces = (0..<n).map { tokenizer.tokenToPiece(Int32($0), renderSpecial: false) }
        let endOfGeneration = (0..<n).map { tokenizer.isEndOfGeneration(Int32($0)) }
        self.pieces = pieces
        self.endOfGeneration = endOfGeneration
        let ids = (0..<n).filter { !pieces[$0].isEmpty && !endOfGeneration[$0] }
        let sorted = ids.sorted { pieces[$0].lexicographicallyPrecedes(pieces[$1]) }
        order = sorted.map { Int32($0) }
        var prefix = [Int](repeating: 0, count: sorted.count)
        for k in sorted.indices.dropFirst() {
            let a = pieces[sorted[k - 1]], b = pieces[sorted[k]]
            var l = 0
            while l < a.count, l < b.count, a[l] == b[l] { l += 1 }
            prefix[k] = l
        }
        commonPrefix = prefix
    }

    /// `logits` with every token a constraint does not allow at −∞, written into `buffer` (reused across steps):
    /// ordinary tokens whose bytes `feed` accepts from `state` (none when `state` is nil) keep their logit, and
    /// end-of-generation tokens when `endAllowed`. Nil when no token is allowed.
    func mask<State>(_ logits: UnsafeBufferPointer<Float>, into buffer: inout [Float], from state: State?,
                     endAllowed: Bool, feed: (State, UInt8) -> State?) -> [Float]? {
        let n = min(logits.count, pieces.count)
        if buffer.count == logits.count {
            buffer.withUnsafeMutableBufferPointer { $0.update(repeating: -.infinity) }
        } else {
            buffer = [Float](repeating: -.infinity, count: logits.count)
        }
        var any = false
        if let state {
            forEachAccepted(from: state, feed: feed) { id in
                if Int(id) < n { buffer[Int(id)] = logits[Int(id)]; any = true }
            }
        }
        if endAllowed {
            for id in 0..<n where endOfGeneration[id] { buffer[id] = logits[id]; any = true }
        }
        return any ? buffer : nil
    }

    /// Calls `body(id)` for every ordinary token whose bytes `feed` accepts from `start`: `feed` is called once per
    /// distinct prefix, and a rejected prefix rejects every token that starts with it.
    func forEachAccepted<State>(from start: State, feed: (State, UInt8) -> State?, _ body: (Int32) -> Void) {
        var states = [start]        // states[k]: after the first k bytes of the current token
        var dead = Int.max          // length of the shortest rejected prefix of the current token
        for (k, id) in order.enumerated() {
            let piece = pieces[Int(id)]
            let shared = commonPrefix[k]
            if shared >= dead { continue }
            dead = .max
            states.removeSubrange(min(states.count, shared + 1)...)
            var ok = true
            for j in states.count - 1..<piece.count {
                guard let next = feed(states[j], piece[j]) else { dead = j + 1; ok = false; break }
                states.append(next)
            }
            if ok { body(id) }
        }
    }
}

/// Grammar-constrained sampling: a token is allowed when its bytes keep the text a prefix of something the grammar
/// matches; end-of-generation is allowed once the text is a complete match, and is the only choice when nothing
/// else can follow.
public final class GrammarConstraint: OutputConstraint {
    private let recognizer: GrammarRecognizer
    private let vocabulary: TokenVocabulary
    private var state: GrammarState
    private var masked: [Float] = []

    /// A constraint for `grammar` over `vocabulary`.
    public init(grammar: Grammar, vocabulary: TokenVocabulary) {
        recognizer = GrammarRecognizer(grammar)
        self.vocabulary = vocabulary
        state = recognizer.initialState()
    }

    public var isComplete: Bool { state.isAccepting && !state.canContinue }

    public func allows(_ token: Int32) -> Bool {
        let id = Int(token)
        guard id >= 0, id < vocabulary.pieces.count else { return false }
        if vocabulary.endOfGeneration[id] { return state.isAccepting }
        let piece = vocabulary.pieces[id]
        return !piece.isEmpty && recognizer.feed(state, piece) != nil
    }

    public func mask(_ logits: UnsafeBufferPointer<Float>) -> [Float]? {
        let r = recognizer
        return vocabulary.mask(logits, into: &masked, from: state, endAllowed: state.isAccepting) { r.feed($0, $1) }
    }

    public func accept(_ token: Int32) {
        let id = Int(token)
        guard id >= 0, id < vocabulary.pieces.count, !vocabulary.endOfGeneration[id],
              let next = recognizer.feed(state, vocabulary.pieces[id]) else { return }
        state = next
    }
}
