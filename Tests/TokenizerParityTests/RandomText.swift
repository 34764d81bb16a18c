import TestSupport
/// Seeded random strings that stress tokenizers: ASCII prose, mixed scripts, emoji (with ZWJ and flags), long
/// whitespace runs, digits, code, contractions, combining marks, special-token look-alikes and code points
/// assigned after Unicode 15.1 (which llama.cpp's tables treat as unassigned).
struct RandomText {
    private var random: SeededRandom

    init(seed: UInt64) { random = SeededRandom(seed: seed) }

    mutating func next() -> UInt64 { random.next() }

    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func pick<T>(_ a: [T]) -> T { a[below(a.count)] }

    static let words = ["the", "Hello", "world", "tokenizer", "LLaMA", "don't", "I'm", "we'LL", "they're", "it's",
                        "café", "naïve", "Äpfel", "straße", "ÆØÅ", "über", "x", "a", "HTTPServer", "camelCase"]
    static let scripts = ["нещо на Български", "Ελληνικά γράμματα", "中文字符测试", "日本語のテキスト", "한국어 문장",
                          "العربية", "हिन्दी पाठ", "ภาษาไทย", "עברית", "Tiếng Việt có dấu", "ქართული", "ꙮ𐐀𐑏𞤀"]
    static let emoji = ["🦙", "🚀", "👍🏽", "👨‍👩‍👧‍👦", "🇫🇷", "❤️", "☕", "🤖💬", "😀😃😄", "🏳️‍🌈"]
    static let spaces = [" ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", " \n ", "\u{A0}", "\u{3000}", "\u{2009}",
                         "\u{85}", "\t\t\n  ", String(repeating: " ", count: 17), String(repeating: "\n", count: 5)]
    static let digits = ["0", "7", "42", "123", "2024", "3.14159", "1,000,000", "٣٤٥", "①②", "12345678901234", "½"]
    static let code = ["func f(x: Int) -> Int { return x * 2 }", "if (a && b) { c++; }", "#include <stdio.h>",
                       "print(f\"{x!r}\")", "let s = \"a\\nb\";", "SELECT * FROM t WHERE id=1;", "x->y->z", "<div>",
                       "$HOME/.cache", "a==b!=c<=d>=e", "// comment", "/* block */", "`tick`", "@decorator", "~^|"]
    static let specials = ["<s>", "</s>", "<unk>", "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|im_start",
                           "<|begin_of_text|>", "<|eot_id|>", "[INST]", "<|im_start|>user\n", "< s >", "<<s>>",
                           "<|reserved_special_token_5|>", "<0x0A>", "▁", "Ġ"]
    static let marks = ["e\u{301}", "a\u{308}\u{304}", "\u{301}", "n\u{303}o", "\u{200D}", "\u{FEFF}", "\u{200B}"]
    static let newer = ["\u{1C89}", "\u{2427}", "\u{10D40}", "\u{1B4E}", "\u{31E4}", "\u{1FAE9}", "\u{11F00}"]

    /// One random string of up to about `maxPieces` pieces.
    mutating func string(maxPieces: Int = 12) -> String {
        var s = ""
        for _ in 0..<(1 + below(maxPieces)) {
            switch below(11) {
            case 0, 1: s += pick(Self.words)
            case 2: s += pick(Self.scripts)
            case 3: s += pick(Self.emoji)
            case 4, 5: s += pick(Self.spaces)
            case 6: s += pick(Self.digits)
            case 7: s += pick(Self.code)
            case 8: s += pick(Self.specials)
            case 9: s += pick(Self.marks) + pick(Self.newer)
            default: s += String(pick(Array("'.,!?;:-_()[]{}\"'s'T're've'm'll'd")))
            }
            if below(3) == 0 { s += " " }
        }
        return s
    }
}
