import Tokenizers

/// A byte-level recogniser of JSON text that must be one object (OpenAI's `response_format: {"type":
/// "json_object"}`): `feed` accepts a byte only if the text so far can still be extended to a complete object.
/// A plain value type (the nesting is a bit stack), so copying it to try a token costs nothing.
public struct JSONObjectRecognizer: Sendable, Equatable {
    /// Nesting deeper than this is refused.
    public static let maxDepth = 64
    /// Whitespace allowed in a row between tokens of the JSON text (a model must not pad forever).
    public static let maxWhitespaceRun = 8

    private enum Mode: Equatable {
        case start                   // before the top-level '{'
        case keyOrClose              // after '{'
        case key                     // after ',' in an object
        case colon                   // after a key
        case value                   // after ':' or ',' in an array
        case valueOrClose            // after '['
        case afterValue              // after a value: ',' or the container's close
        case string(key: Bool)
        case escape(key: Bool)
        case unicode(key: Bool, left: UInt8)
        case number(NumberPart)
        case literal(Literal, matched: UInt8)
        case done                    // the top-level object closed
    }

    private enum NumberPart: Equatable { case minus, zero, integer, point, fraction, exponent, exponentSign, exponentDigits }

    private enum Literal: Equatable {
        case `true`, `false`, null
        var bytes: [UInt8] {
            switch self {
            case .true: Self.trueBytes
            case .false: Self.falseBytes
            case .null: Self.nullBytes
            }
        }
        static let trueBytes = Array("true".utf8), falseBytes = Array("false".utf8), nullBytes = Array("null".utf8)
    }

    /// The characters a backslash may escape besides `u`.
    private static let escapes = Array("\"\\/bfnrt".utf8)

    private var mode = Mode.start
    /// Bit i set: container i (from the outside) is an array; clear: an object.
    private var arrays: UInt64 = 0
    private var depth = 0
    private var whitespace = 0

    public init() {}

    /// True once the top-level object is closed: only the end of generation may follow.
    public var isComplete: Bool { mode == .done }

    /// Consumes `bytes` in order; false (and the recogniser unusable) when one of them cannot continue the text.
    public mutating func feed<S: Sequence<UInt8>>(_ bytes: S) -> Bool {
        for b in bytes where !feed(b) { return false }
        return true
    }

    /// Consumes one byte; false when it cannot continue the text.
    public mutating func feed(_ b: UInt8) -> Bool {
        switch mode {
        case .string(let key):
            if b == UInt8(ascii: "\"") { mode = key ? .colon : .afterValue; whitespace = 0; return true }
            if b == UInt8(ascii: "\\") { mode = .escape(key: key); return true }
            return b >= 0x20  // control characters must be escaped
        case .escape(let key):
            if b == UInt8(ascii: "u") { mode = .unicode(key: key, left: 4); return true }
            guard Self.escapes.contains(b) else { return false }
            mode = .string(key: key)
            return true
        case .unicode(let key, let left):
            guard Self.isHex(b) else { return false }
            mode = left == 1 ? .string(key: key) : .unicode(key: key, left: left - 1)
            return true
        case .literal(let literal, let matched):
            let bytes = literal.bytes
            guard b == bytes[Int(matched)] else { return false }
            if Int(matched) + 1 == bytes.count { valueEnded() } else { mode = .literal(literal, matched: matched + 1) }
            return true
        case .number(let part):
            if let next = Self.numberStep(part, b) { mode = .number(next); return true }
            guard Self.numberCanEnd(part) else { return false }
            valueEnded()
            return feed(b)  // the byte after a number is read in the context that follows it
        default:
            break
        }
        if Self.isWhitespace(b) {
            guard mode != .done, whitespace < Self.maxWhitespaceRun else { return false }
            whitespace += 1
            return true
        }
        whitespace = 0
        switch mode {
        case .start:
            return b == UInt8(ascii: "{") && open(array: false)
        case .keyOrClose:
            if b == UInt8(ascii: "}") { return close(array: false) }
            fallthrough
        case .key:
            guard b == UInt8(ascii: "\"") else { return false }
            mode = .string(key: true)
            return true
        case .colon:
            guard b == UInt8(ascii: ":") else { return false }
            mode = .value
            return true
        case .valueOrClose:
            if b == UInt8(ascii: "]") { return close(array: true) }
            return startValue(b)
        case .value:
            return startValue(b)
        case .afterValue:
            let inArray = depth > 0 && arrays >> UInt64(depth - 1) & 1 == 1
            if b == UInt8(ascii: ",") { mode = inArray ? .value : .key; return true }
            if b == UInt8(ascii: inArray ? "]" : "}") { return close(array: inArray) }
            return false
        default:
            return false  // .done: nothing may follow the object
        }
    }

    private mutating func startValue(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "{"): return open(array: false)
        case UInt8(ascii: "["): return open(array: true)
        case UInt8(ascii: "\""): mode = .string(key: false); return true
        case UInt8(ascii: "t"): mode = .literal(.true, matched: 1); return true
        case UInt8(ascii: "f"): mode = .literal(.false, matched: 1); return true
        case UInt8(ascii: "n"): mode = .literal(.null, matched: 1); return true
        case UInt8(ascii: "-"): mode = .number(.minus); return true
        case UInt8(ascii: "0"): mode = .number(.zero); return true
        case UInt8(ascii: "1")...UInt8(ascii: "9"): mode = .number(.integer); return true
        default: return false
        }
    }

    private mutating func open(array: Bool) -> Bool {
        guard depth < Self.maxDepth else { return false }
        if array { arrays |= 1 << UInt64(depth) } else { arrays &= ~(1 << UInt64(depth)) }
        depth += 1
        mode = array ? .valueOrClose : .keyOrClose
        return true
    }

    private mutating func close(array: Bool) -> Bool {
        depth -= 1
        valueEnded()
        return true
    }

    private mutating func valueEnded() {
        mode = depth == 0 ? .done : .afterValue
        whitespace = 0
    }

    private static func numberStep(_ part: NumberPart, _ b: UInt8) -> NumberPart? {
        let digit = (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b)
        switch part {
        case .minus: return b == UInt8(ascii: "0") ? .zero : digit ? .integer : nil
        case .zero, .integer:
            if part == .integer && digit { return .integer }
            if b == UInt8(ascii: ".") { return .point }
            if b == UInt8(ascii: "e") || b == UInt8(ascii: "E") { return .exponent }
            return nil
        case .point, .fraction:
            if digit { return .fraction }
            if part == .fraction && (b == UInt8(ascii: "e") || b == UInt8(ascii: "E")) { return .exponent }
            return nil
        case .exponent: return digit ? .exponentDigits : b == UInt8(ascii: "+") || b == UInt8(ascii: "-") ? .exponentSign : nil
        case .exponentSign, .exponentDigits: return digit ? .exponentDigits : nil
        }
    }

    private static func numberCanEnd(_ part: NumberPart) -> Bool {
        part == .zero || part == .integer || part == .fraction || part == .exponentDigits
    }

    private static func isHex(_ b: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(b)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(b)
    }

    private static func isWhitespace(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09
    }
}

/// Constrained sampling for JSON mode: a token is allowed when its bytes keep the text a prefix of a JSON object;
/// end-of-generation tokens are allowed only once the object is complete, and then nothing else is.
public final class JSONObjectConstraint: OutputConstraint {
    private var recognizer = JSONObjectRecognizer()
    private let vocabulary: TokenVocabulary
    private var masked: [Float] = []

    /// A constraint over `vocabulary`.
    public init(vocabulary: TokenVocabulary) {
        self.vocabulary = vocabulary
    }

    /// A constraint over `tokenizer`'s vocabulary (builds its `TokenVocabulary`; reuse one across requests instead).
    public convenience init(tokenizer: Tokenizer) {
        self.init(vocabulary: TokenVocabulary(tokenizer: tokenizer))
    }

    /// True once the object is complete.
    public var isComplete: Bool { recognizer.isComplete }

    public func allows(_ token: Int32) -> Bool {
        let id = Int(token)
        guard id >= 0, id < vocabulary.pieces.count else { return false }
        if vocabulary.endOfGeneration[id] { return recognizer.isComplete }
        let piece = vocabulary.pieces[id]
        var r = recognizer
        return !piece.isEmpty && !recognizer.isComplete && r.feed(piece)
    }

    public func mask(_ logits: UnsafeBufferPointer<Float>) -> [Float]? {
        let complete = recognizer.isComplete
        return vocabulary.mask(logits, into: &masked, from: complete ? nil : recognizer, endAllowed: complete) { state, b in
            var r = state
            return r.feed(b) ? r : nil
        }
    }

    /// Advances past the sampled `token` (which `allows` accepted).
    public func accept(_ token: Int32) {
        let id = Int(token)
        guard id >= 0, id < vocabulary.pieces.count, !vocabulary.endOfGeneration[id] else { return }
        _ = recognizer.feed(vocabulary.pieces[id])
    }
}
