/// The simple regexes some pre-tokenizers chain before or after the word splitters: runs of one character
/// class, single characters of a class, an optional whitespace before a run, digit triples and trailing
/// whitespace.
///
/// llama.cpp runs these through `std::regex`, so each one follows regex-iterator semantics: find the leftmost
/// match, take it, continue after it; the text between matches stays one piece. Patterns using `\p{..}` see
/// llama.cpp's "collapsed" text, where every non-ASCII code point stands for its category and non-ASCII
/// whitespace for `\v`; the others see code points with non-ASCII whitespace replaced by `\v`.
enum CharClass: Sendable {
    /// `[\p{P}\$\+<=>\^~\|]` (the `default` pre-tokenizer).
    case defaultPunctuation
    /// `[\p{P}\$\+<=>\^~\|\`]` (falcon).
    case falconPunctuation
    /// `\p{N}`
    case number
    /// `\p{L}`
    case letter
    /// `\p{P}`
    case punctuation
    /// `[\r\n]`
    case lineBreak
    /// The Latin/Greek/Cyrillic/... letter ranges of DeepSeek LLM's tokenizer (`[A-Za-zµÀ-Ö...]`).
    case deepSeekLetters
    /// DeepSeek LLM's ASCII and full-width punctuation ranges (`[!-/:-~！-／：-～‘-‟　-。]`).
    case deepSeekPunctuation
    /// CJK and Hangul ranges used by DeepSeek (`[一-龥ࠀ-一가-퟿]`).
    case cjk

    /// Whether code point `cp` with flags `f` belongs to the class.
    @inline(__always) func contains(_ cp: UInt32, _ f: CodePointFlags) -> Bool {
        switch self {
        case .defaultPunctuation:
            return cp < 0x80 ? Self.asciiPunctuation(cp) || Self.asciiDefaultExtras(cp) : !f.isWhitespace && f.isPunctuation
        case .falconPunctuation:
            return cp < 0x80 ? Self.asciiPunctuation(cp) || Self.asciiDefaultExtras(cp) || cp == 0x60
                : !f.isWhitespace && f.isPunctuation
        case .number:
            return cp < 0x80 ? (cp >= 0x30 && cp <= 0x39) : !f.isWhitespace && f.isNumber
        case .letter:
            return cp < 0x80 ? ((cp | 0x20) >= 0x61 && (cp | 0x20) <= 0x7A) : !f.isWhitespace && f.isLetter
        case .punctuation:
            return cp < 0x80 ? Self.asciiPunctuation(cp) : !f.isWhitespace && f.isPunctuation
        case .lineBreak:
            return cp == 0x0D || cp == 0x0A
        case .deepSeekLetters:
            return !f.isWhitespace && DeepSeekRanges.contains(DeepSeekRanges.letters, cp)
        case .deepSeekPunctuation:
            return !(cp >= 0x80 && f.isWhitespace) && DeepSeekRanges.contains(DeepSeekRanges.punctuation, cp)
        case .cjk:
            return cp >= 0x80 && !f.isWhitespace && DeepSeekRanges.contains(DeepSeekRanges.cjk, cp)
        }
    }

    /// ASCII characters of llama.cpp's collapsed `\p{P}`: `!"#%&'()*,-./:;?@[\]_{}`.
    @inline(__always) static func asciiPunctuation(_ c: UInt32) -> Bool {
        switch c {
        case 0x21...0x23, 0x25...0x2A, 0x2C...0x2F, 0x3A, 0x3B, 0x3F, 0x40, 0x5B...0x5D, 0x5F, 0x7B, 0x7D: true
        default: false
        }
    }

    /// `$ + < = > ^ ~ |`
    @inline(__always) static func asciiDefaultExtras(_ c: UInt32) -> Bool {
        switch c {
        case 0x24, 0x2B, 0x3C...0x3E, 0x5E, 0x7E, 0x7C: true
        default: false
        }
    }
}

/// The literal ranges of DeepSeek's pre-tokenizer classes, as closed code point intervals.
enum DeepSeekRanges {
    /// DeepSeek LLM's letter class (`[A-Za-zµÀ-Ö...]` in its tokenizer.json), as code point ranges.
    static let letters: [ClosedRange<UInt32>] = [
        0x41...0x5A, 0x61...0x7A, 0xB5...0xB5, 0xC0...0xD6, 0xD8...0xF6, 0xF8...0x1BA, 0x1BC...0x1BF, 0x1C4...0x293,
        0x295...0x2AF, 0x370...0x373, 0x376...0x376, 0x377...0x377, 0x37B...0x37D, 0x37F...0x37F, 0x386...0x386,
        0x388...0x38A, 0x38C...0x38C, 0x38E...0x3A1, 0x3A3...0x3F5, 0x3F7...0x481, 0x48A...0x52F, 0x531...0x556,
        0x10A0...0x10C5, 0x13A0...0x13F5, 0x13F8...0x13FD, 0x1C90...0x1CBA, 0x1CBD...0x1CBF, 0x1D00...0x1D2B,
        0x1D6B...0x1D77, 0x1D79...0x1D9A, 0x1E00...0x1F15, 0x1F18...0x1F1D, 0x1F20...0x1F45, 0x1F48...0x1F4D,
        0x1F50...0x1F57, 0x1F59...0x1F59, 0x1F5B...0x1F5B, 0x1F5D...0x1F5D, 0x1F5F...0x1F7D, 0x1F80...0x1FB4,
        0x1FB6...0x1FBC, 0x1FBE...0x1FBE, 0x1FC2...0x1FC4, 0x1FC6...0x1FCC, 0x1FD0...0x1FD3, 0x1FD6...0x1FDB,
        0x1FE0...0x1FEC, 0x1FF2...0x1FF4, 0x1FF6...0x1FFC, 0x2102...0x2102, 0x2107...0x2107, 0x210A...0x2113,
        0x2115...0x2115, 0x2119...0x211D, 0x2124...0x2124, 0x2126...0x2126, 0x2128...0x2128, 0x212A...0x212D,
        0x212F...0x2134, 0x2139...0x2139, 0x213C...0x213F, 0x2145...0x2149, 0x214E...0x214E, 0x2183...0x2183,
        0x2184...0x2184, 0x2C00...0x2C7B, 0x2C7E...0x2CE4, 0x2CEB...0x2CEE, 0x2CF2...0x2CF2, 0x2CF3...0x2CF3,
        0xA640...0xA66D, 0xA680...0xA69B, 0xA722...0xA76F, 0xA771...0xA787, 0xA78B...0xA78E, 0xAB70...0xABBF,
        0xFB00...0xFB06, 0xFB13...0xFB17, 0xFF21...0xFF3A, 0xFF41...0xFF5A, 0x10400...0x1044F, 0x104B0...0x104D3,
        0x104D8...0x104FB, 0x10C80...0x10CB2, 0x10CC0...0x10CF2, 0x118A0...0x118DF, 0x1E900...0x1E943,
    ]
    /// `[!-/:-~！-／：-～‘-‟　-。]`
    static let punctuation: [ClosedRange<UInt32>] = [
        0x21...0x2F, 0x3A...0x7E, 0xFF01...0xFF0F, 0xFF1A...0xFF5E, 0x2018...0x201F, 0x3000...0x3002,
    ]
    /// `[一-龥ࠀ-一가-퟿]`
    static let cjk: [ClosedRange<UInt32>] = [0x4E00...0x9FA5, 0x800...0x4E00, 0xAC00...0xD7FF]

    @inline(__always) static func contains(_ ranges: [ClosedRange<UInt32>], _ cp: UInt32) -> Bool {
        for r in ranges where r.contains(cp) { return true }
        return false
    }
}

/// Executes the class-based rules with regex-iterator semantics on one segment.
enum ClassRunSplitters {
    /// Cuts `[start, end)` so every match of the rule is its own piece and each gap between matches is one piece.
    /// `matchAt` returns the end of a match starting at `i`, or nil.
    @inline(__always)
    static func split(_ v: TextView, into out: inout [Int], matchAt: (Int) -> Int?) {
        var gapStart = v.start
        var i = v.start
        while i < v.end {
            if let e = matchAt(i), e > i {
                if i > gapStart { out.append(i - gapStart) }
                out.append(e - i)
                i = e
                gapStart = e
            } else {
                i += 1
            }
        }
        if v.end > gapStart { out.append(v.end - gapStart) }
    }

    /// `X+`
    static func run(_ v: TextView, _ c: CharClass, into out: inout [Int]) {
        split(v, into: &out) { i in
            var e = i
            while e < v.end && c.contains(v.cps[e], v.flag(e)) { e += 1 }
            return e
        }
    }

    /// `X` (each matching code point alone)
    static func each(_ v: TextView, _ c: CharClass, into out: inout [Int]) {
        split(v, into: &out) { i in c.contains(v.cps[i], v.flag(i)) ? i + 1 : nil }
    }

    /// `\s?X+`
    static func spaceThenRun(_ v: TextView, _ c: CharClass, into out: inout [Int]) {
        split(v, into: &out) { i in
            var e = i
            if v.flag(i).isWhitespace && i + 1 < v.end && c.contains(v.cps[i + 1], v.flag(i + 1)) { e += 1 }
            while e < v.end && c.contains(v.cps[e], v.flag(e)) { e += 1 }
            return e
        }
    }

    /// `[0-9][0-9][0-9]`
    static func asciiDigitTriples(_ v: TextView, into out: inout [Int]) {
        @inline(__always) func digit(_ k: Int) -> Bool { k < v.end && v.cps[k] >= 0x30 && v.cps[k] <= 0x39 }
        split(v, into: &out) { i in digit(i) && digit(i + 1) && digit(i + 2) ? i + 3 : nil }
    }

    /// `\s+$` (the whitespace run that reaches the end of the segment)
    static func trailingWhitespace(_ v: TextView, into out: inout [Int]) {
        var s = v.end
        while s > v.start && v.flag(s - 1).isWhitespace { s -= 1 }
        if s > v.start { out.append(s - v.start) }
        if v.end > s { out.append(v.end - s) }
    }

    /// `[^\n]+|[\n]+` (alternating runs of non-newlines and newlines)
    static func newlineRuns(_ v: TextView, into out: inout [Int]) {
        var i = v.start
        while i < v.end {
            let isNewline = v.cps[i] == 0x0A
            let s = i
            while i < v.end && (v.cps[i] == 0x0A) == isNewline { i += 1 }
            out.append(i - s)
        }
    }
}
