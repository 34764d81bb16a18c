/// Hand-written equivalents of the two regex families most BPE vocabularies use. Each walks a segment left to
/// right, trying the regex alternatives in order at every position, exactly as llama.cpp's custom splitters in
/// `unicode.cpp` do (including their treatment of a position past the segment end as "no character").
enum WordSplitters {
    /// GPT-2: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    static func gpt2(_ v: TextView, into out: inout [Int]) {
        var prev = v.start
        @inline(__always) func cut(_ e: Int) -> Int {
            let n = e - prev
            if n > 0 { out.append(n) }
            prev = e
            return n
        }
        var pos = v.start
        while pos < v.end {
            let c = v.cp(pos)
            let f = v.flag(pos)
            // 's 't 're 've 'm 'll 'd (case-sensitive)
            if c == 0x27 && pos + 1 < v.end {
                let n1 = v.cp(pos + 1)
                if n1 == 0x73 || n1 == 0x74 || n1 == 0x6D || n1 == 0x64 { pos += cut(pos + 2); continue }
                if pos + 2 < v.end {
                    let n2 = v.cp(pos + 2)
                    if (n1 == 0x72 && n2 == 0x65) || (n1 == 0x76 && n2 == 0x65) || (n1 == 0x6C && n2 == 0x6C) {
                        pos += cut(pos + 3); continue
                    }
                }
            }
            let isSpace = c == 0x20
            var f2 = isSpace ? v.flag(pos + 1) : f
            if f2.isLetter {  //  ?\p{L}+
                if isSpace { pos += 1 }
                while f2.isLetter { pos += 1; f2 = v.flag(pos) }
                _ = cut(pos); continue
            }
            if f2.isNumber {  //  ?\p{N}+
                if isSpace { pos += 1 }
                while f2.isNumber { pos += 1; f2 = v.flag(pos) }
                _ = cut(pos); continue
            }
            if isOther(f2) {  //  ?[^\s\p{L}\p{N}]+
                if isSpace { pos += 1 }
                while isOther(f2) { pos += 1; f2 = v.flag(pos) }
                _ = cut(pos); continue
            }
            pos = whitespaceTail(v, pos, crlfRule: false, cut: cut)
        }
    }

    /// True for a present code point that is not whitespace, letter or number.
    @inline(__always) static func isOther(_ f: CodePointFlags) -> Bool {
        f.isPresent && !f.isWhitespace && !f.isLetter && !f.isNumber
    }

    /// The LLaMA-3 family (`llama3`, `qwen2`, `qwen35`):
    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?W+|\p{N}{1,maxDigits}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
    /// where W is `\p{L}`, or `[\p{L}\p{M}]` when `marksAreLetters` (qwen35, which also keeps marks out of the
    /// punctuation run).
    static func llama3(_ v: TextView, maxDigits: Int, marksAreLetters: Bool, trailingLineBreaks: Bool = true,
                       into out: inout [Int]) {
        var prev = v.start
        @inline(__always) func cut(_ e: Int) -> Int {
            let n = e - prev
            if n > 0 { out.append(n) }
            prev = e
            return n
        }
        @inline(__always) func isWord(_ f: CodePointFlags) -> Bool { f.isLetter || (marksAreLetters && f.isMark) }
        var pos = v.start
        while pos < v.end {
            let c = v.cp(pos)
            let f = v.flag(pos)
            if c == 0x27 && pos + 1 < v.end {  // contractions, case-insensitive (only ASCII letters lower to these)
                let n1 = asciiLower(v.cp(pos + 1))
                if n1 == 0x73 || n1 == 0x74 || n1 == 0x6D || n1 == 0x64 { pos += cut(pos + 2); continue }
                if pos + 2 < v.end {
                    let n2 = asciiLower(v.cp(pos + 2))
                    if (n1 == 0x72 && n2 == 0x65) || (n1 == 0x76 && n2 == 0x65) || (n1 == 0x6C && n2 == 0x6C) {
                        pos += cut(pos + 3); continue
                    }
                }
            }
            // [^\r\n\p{L}\p{N}]?W+
            if !(c == 0x0D || c == 0x0A || f.isNumber) && (isWord(f) || isWord(v.flag(pos + 1))) {
                pos += 1
                while isWord(v.flag(pos)) { pos += 1 }
                _ = cut(pos); continue
            }
            if f.isNumber {  // \p{N}{1,maxDigits}
                var first = pos
                while v.flag(pos).isNumber {
                    pos += 1
                    if pos - first >= maxDigits { _ = cut(pos); first = pos }
                }
                _ = cut(pos); continue
            }
            //  ?[^\s\p{L}\p{N}]+[\r\n]*  (the first test reads the current flags, as llama.cpp does; seed-coder's
            // regex has no [\r\n]*)
            var f2 = c == 0x20 ? v.flag(pos + 1) : f
            if isOtherRun(f2, marksAreLetters) && f.isPresent {
                if c == 0x20 { pos += 1 }
                while isOtherRun(f2, marksAreLetters) && f2.isPresent { pos += 1; f2 = v.flag(pos) }
                var c2 = v.cp(pos)
                while trailingLineBreaks && (c2 == 0x0D || c2 == 0x0A) { pos += 1; c2 = v.cp(pos) }
                _ = cut(pos); continue
            }
            pos = whitespaceTail(v, pos, crlfRule: true, cut: cut)
        }
    }

    @inline(__always) private static func isOtherRun(_ f: CodePointFlags, _ marks: Bool) -> Bool {
        !(f.isWhitespace || f.isLetter || f.isNumber || (marks && f.isMark))
    }

    @inline(__always) static func asciiLower(_ c: UInt32) -> UInt32 { c >= 0x41 && c <= 0x5A ? c + 32 : c }

    /// The whitespace alternatives shared by both families, at a position no earlier alternative matched:
    /// `\s*[\r\n]+` (only when `crlfRule`), `\s+(?!\S)`, `\s+`, else a single code point. Returns the new position.
    @inline(__always)
    static func whitespaceTail(_ v: TextView, _ pos: Int, crlfRule: Bool, cut: (Int) -> Int) -> Int {
        var count = 0
        var lastLineBreakEnd = 0
        while v.flag(pos + count).isWhitespace {
            let c = v.cp(pos + count)
            if c == 0x0D || c == 0x0A { lastLineBreakEnd = pos + count + 1 }
            count += 1
        }
        if crlfRule && lastLineBreakEnd > 0 {  // \s*[\r\n]+
            _ = cut(lastLineBreakEnd)
            return lastLineBreakEnd
        }
        if count > 1 && v.cp(pos + count) != TextView.outsideCodePoint {  // \s+(?!\S): leave one for the next word
            _ = cut(pos + count - 1)
            return pos + count - 1
        }
        if count > 0 {  // \s+
            _ = cut(pos + count)
            return pos + count
        }
        _ = cut(pos + 1)  // no alternative matched: the code point stands alone
        return pos + 1
    }
}
