/// What kind of token an id is, from `tokenizer.ggml.token_type` plus llama.cpp's by-name fix-ups
/// (bit values match llama.cpp's `llama_token_attr`).
public struct TokenAttributes: OptionSet, Sendable, Hashable {
    /// The bits, as llama.cpp numbers them.
    public let rawValue: UInt32
    /// Attributes from their bits.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// The unknown-token placeholder (`<unk>`).
    public static let unknown = TokenAttributes(rawValue: 1 << 0)
    /// Reserved, never produced.
    public static let unused = TokenAttributes(rawValue: 1 << 1)
    /// An ordinary text token.
    public static let normal = TokenAttributes(rawValue: 1 << 2)
    /// A control token (`<s>`, `<|im_end|>`): matched in text only when parsing specials, hidden when decoding
    /// without rendering specials.
    public static let control = TokenAttributes(rawValue: 1 << 3)
    /// A user-defined token: always matched in text as a whole and rendered as written.
    public static let userDefined = TokenAttributes(rawValue: 1 << 4)
    /// A byte-fallback token (`<0x0A>`).
    public static let byte = TokenAttributes(rawValue: 1 << 5)
    /// Whitespace before a matched special token is dropped.
    public static let leftStrip = TokenAttributes(rawValue: 1 << 7)
    /// Whitespace after a matched special token is dropped.
    public static let rightStrip = TokenAttributes(rawValue: 1 << 8)

    /// The attributes of a GGUF token type (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte;
    /// anything else is undefined, i.e. no attribute).
    init(ggufTokenType t: Int) {
        switch t {
        case 1: self = .normal
        case 2: self = .unknown
        case 3: self = .control
        case 4: self = .userDefined
        case 5: self = .unused
        case 6: self = .byte
        default: self = []
        }
    }
}
