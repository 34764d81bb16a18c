/// Turns generated ids into text one id at a time without ever emitting broken UTF-8: bytes of a character
/// split across tokens (byte-fallback tokens, byte-level BPE pieces of an emoji) are held back until the
/// character is complete.
///
/// Pieces are rendered as `Tokenizer.tokenToPiece` renders them (no space stripping, no clean-up), which is
/// what llama.cpp's generation loop prints.
public struct StreamingDecoder: Sendable {
    private let tokenizer: Tokenizer
    private let renderSpecial: Bool
    private var pending: [UInt8] = []

    /// A decoder for `tokenizer`; `renderSpecial` prints control tokens' text (usually unwanted in output).
    public init(tokenizer: Tokenizer, renderSpecial: Bool = false) {
        self.tokenizer = tokenizer
        self.renderSpecial = renderSpecial
    }

    /// Bytes received but not yet emitted because they end in an incomplete UTF-8 sequence.
    public var pendingBytes: [UInt8] { pending }

    /// Adds one id; returns the text that is now complete (possibly empty).
    public mutating func feed(_ id: Int32) -> String {
        feed(bytes: tokenizer.tokenToPiece(id, renderSpecial: renderSpecial))
    }

    /// Adds raw bytes; returns the text that is now complete (possibly empty).
    public mutating func feed(bytes: [UInt8]) -> String {
        pending += bytes
        let cut = Self.completePrefixLength(pending)
        guard cut > 0 else { return "" }
        let text = String(decoding: pending[..<cut], as: UTF8.self)
        pending.removeFirst(cut)
        return text
    }

    /// Emits whatever is held back (an incomplete sequence becomes U+FFFD) and resets the decoder.
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// Length of the longest prefix that does not end inside a UTF-8 sequence that could still be completed.
    /// Malformed bytes are not held (they decode to U+FFFD); only a valid-so-far tail shorter than its lead byte
    /// announces is.
    static func completePrefixLength(_ b: [UInt8]) -> Int {
        let n = b.count
        // Look back at most 3 bytes for the lead byte of the last sequence.
        var i = n - 1
        while i >= 0 && i >= n - 4 {
            let x = b[i]
            if x & 0xC0 != 0x80 {  // a lead byte or ASCII
                let need: Int
                switch x {
                case 0xC2...0xDF: need = 2
                case 0xE0...0xEF: need = 3
                case 0xF0...0xF4: need = 4
                default: return n  // ASCII or an invalid lead: nothing to wait for
                }
                return n - i < need ? i : n
            }
            i -= 1
        }
        return n
    }
}
