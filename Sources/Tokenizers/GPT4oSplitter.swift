/// The GPT-4o (o200k) pre-tokenizer regex as llama.cpp runs it: through `std::regex` on collapsed text, where
/// the case-aware letter classes are written with lookaheads:
///
///     [^\r\n\p{L}\p{N}]?U*W+C? | [^\r\n\p{L}\p{N}]?U+W*C? | \p{N}{1,3} | ?[^\s\p{L}\p{N}]+[\r\n/]* |
///     \s*[\r\n]+ | \s+(?!\S) | \s+
///
/// with U = a letter that is not `a-z`, W = a letter that is not `A-Z`, C = `'s|'t|'re|'ve|'m|'ll|'d` (either case).
/// In collapsed text every non-ASCII letter is the same byte, so it counts as both U and W; the backtracking
/// outcome of the first two alternatives is worked out in `letterMatch`.
///
/// Mistral's Tekken regex (`tekken`) is the same without the contractions C and with single digits (`\p{N}`).
enum GPT4oSplitter {
    static func split(_ v: TextView, maxDigits: Int, contractions: Bool, into out: inout [Int]) {
        ClassRunSplitters.split(v, into: &out) { i in match(v, i, maxDigits: maxDigits, contractions: contractions) }
    }

    private static func match(_ v: TextView, _ i: Int, maxDigits: Int, contractions: Bool) -> Int? {
        let c = v.cp(i)
        let f = v.flag(i)
        if let e = letterMatch(v, i) { return contractions ? contraction(v, e) : e }
        if f.isNumber {
            var e = i
            while e < v.end && e - i < maxDigits && v.flag(e).isNumber { e += 1 }
            return e
        }
        if c == 0x20 && WordSplitters.isOther(v.flag(i + 1)) || WordSplitters.isOther(f) {
            var e = c == 0x20 ? i + 1 : i
            while WordSplitters.isOther(v.flag(e)) { e += 1 }
            while true {
                let c2 = v.cp(e)
                guard c2 == 0x0D || c2 == 0x0A || c2 == 0x2F else { break }
                e += 1
            }
            return e
        }
        var count = 0
        var lastLineBreakEnd = 0
        while v.flag(i + count).isWhitespace {
            let c2 = v.cp(i + count)
            if c2 == 0x0D || c2 == 0x0A { lastLineBreakEnd = i + count + 1 }
            count += 1
        }
        if lastLineBreakEnd > 0 { return lastLineBreakEnd }
        if count > 1 && v.cp(i + count) != TextView.outsideCodePoint { return i + count - 1 }
        return count > 0 ? i + count : nil
    }

    /// End of the first two alternatives' letter part at `i`, or nil when neither matches.
    private static func letterMatch(_ v: TextView, _ i: Int) -> Int? {
        let c = v.cp(i)
        let f = v.flag(i)
        let leading = f.isPresent && c != 0x0D && c != 0x0A && !f.isLetter && !f.isNumber
        let p = leading ? i + 1 : i
        @inline(__always) func upper(_ k: Int) -> Bool {
            let ck = v.cp(k)
            return v.flag(k).isLetter && !(ck >= 0x61 && ck <= 0x7A)
        }
        @inline(__always) func lower(_ k: Int) -> Bool {
            let ck = v.cp(k)
            return v.flag(k).isLetter && !(ck >= 0x41 && ck <= 0x5A)
        }
        var q = p
        while upper(q) { q += 1 }
        var r = q
        while lower(r) { r += 1 }
        if r > q { return r }  // U* then W+, both greedy
        // W+ found nothing after the U-run: backtrack into the run to its last letter that is also a W.
        var k = q - 1
        while k >= p {
            if v.cp(k) >= 0x80 { return k + 1 }
            k -= 1
        }
        return q > p ? q : nil  // second alternative: U+ then (empty) W*
    }

    private static func contraction(_ v: TextView, _ e: Int) -> Int {
        guard v.cp(e) == 0x27 else { return e }
        let n1 = WordSplitters.asciiLower(v.cp(e + 1))
        if n1 == 0x73 || n1 == 0x74 || n1 == 0x6D || n1 == 0x64 { return e + 2 }
        let n2 = WordSplitters.asciiLower(v.cp(e + 2))
        if (n1 == 0x72 && n2 == 0x65) || (n1 == 0x76 && n2 == 0x65) || (n1 == 0x6C && n2 == 0x6C) { return e + 3 }
        return e
    }
}
