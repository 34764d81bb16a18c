/// Token ids back to text, as llama.cpp's `token_to_piece` and `detokenize`.
extension Tokenizer {
    /// The bytes token `id` stands for. SentencePiece `▁` becomes a space, byte-level BPE spellings become their
    /// bytes, `<0xXX>` becomes the byte. Control and unknown tokens render as their text only when
    /// `renderSpecial`; an id outside the vocabulary renders as nothing.
    public func tokenToPiece(_ id: Int32, renderSpecial: Bool = true) -> [UInt8] {
        guard id >= 0 && Int(id) < vocab.count else { return [] }
        let attr = vocab.attributes[Int(id)]
        let special: TokenAttributes = [.unknown, .control]
        if !renderSpecial && !attr.isDisjoint(with: special) { return [] }
        let text = vocab.texts.bytes(id)
        if !attr.isDisjoint(with: [.unknown, .control, .userDefined]) { return Array(text) }
        if attr.contains(.normal) {
            if kind == .sentencePiece || vocab.preTokenizer?.escapeWhitespace == true {
                return Self.unescapeWhitespace(text)
            }
            return Self.byteLevelDecode(text)
        }
        if attr.contains(.byte) { return Self.byteValue(text).map { [$0] } ?? [] }
        return []
    }

    /// Decodes a sequence to text (malformed UTF-8 becomes U+FFFD). `removeSpecial` drops a leading BOS and a
    /// trailing EOS the model adds; `renderSpecial` keeps control tokens' text. SentencePiece output loses the
    /// space the tokenizer prefixed; BPE models with `clean_spaces` get llama.cpp's punctuation clean-up.
    /// The defaults match llama.cpp's `common_detokenize(ctx, tokens, special = true)`.
    public func decode(_ ids: [Int32], removeSpecial: Bool = false, renderSpecial: Bool = true) -> String {
        String(decoding: decodeBytes(ids, removeSpecial: removeSpecial, renderSpecial: renderSpecial), as: UTF8.self)
    }

    /// `decode` without the final UTF-8 conversion.
    public func decodeBytes(_ ids: [Int32], removeSpecial: Bool = false, renderSpecial: Bool = true) -> [UInt8] {
        var tokens = ids[...]
        var removeSpace = vocab.addSpacePrefix
        if removeSpecial && vocab.addBOS, let bos = vocab.special.bos, tokens.first == bos {
            removeSpace = false
            tokens = tokens.dropFirst()
        }
        if removeSpecial && vocab.addEOS, let eos = vocab.special.eos, tokens.last == eos {
            tokens = tokens.dropLast()
        }
        var out: [UInt8] = []
        for id in tokens {
            var piece = tokenToPiece(id, renderSpecial: renderSpecial)[...]
            if removeSpace && piece.first == 0x20 { piece = piece.dropFirst() }
            removeSpace = false
            out += piece
        }
        if kind == .bytePair && vocab.preTokenizer?.cleanSpaces == true { Self.cleanSpaces(&out) }
        return out
    }

    static func unescapeWhitespace(_ text: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var i = text.startIndex
        while i < text.endIndex {
            if text[i] == 0xE2 && i + 2 < text.endIndex && text[i + 1] == 0x96 && text[i + 2] == 0x81 {
                out.append(0x20); i += 3
            } else {
                out.append(text[i]); i += 1
            }
        }
        return out
    }

    /// Maps each code point of a byte-level spelling back to its byte; a code point outside the mapping becomes
    /// `[UNK_BYTE_0x<hex>` followed by the whole token text and `]`, as llama.cpp writes it.
    static func byteLevelDecode(_ text: ArraySlice<UInt8>) -> [UInt8] {
        var cps: [UInt32] = []
        Array(text).withUnsafeBufferPointer { UnicodeCategories.decode($0, into: &cps) }
        var out: [UInt8] = []
        out.reserveCapacity(cps.count)
        for cp in cps {
            if let b = ByteLevel.byte(for: cp) { out.append(b); continue }
            var utf8: [UInt8] = []
            UnicodeCategories.encode(cp, into: &utf8)
            out += Array("[UNK_BYTE_0x".utf8)
            for b in utf8 { out += Array(hex2(b).utf8) }
            out += text
            out.append(0x5D)
        }
        return out
    }

    private static func hex2(_ b: UInt8) -> String {
        let s = String(b, radix: 16)
        return s.count == 1 ? "0" + s : s
    }

    /// The byte of a `<0xXX>` token (its 4th and 5th characters in hex).
    static func byteValue(_ text: ArraySlice<UInt8>) -> UInt8? {
        guard text.count >= 5 else { return nil }
        let s = text.startIndex
        return UInt8(String(decoding: text[(s + 3)..<(s + 5)], as: UTF8.self), radix: 16)
    }

    /// llama.cpp's `clean_spaces` passes: drop the space before `? ! . ,`; turn ` ' ` into `'`; drop the space
    /// before `'s`, `'m`, `'re`, `'ve`. Works in place with the same quirks (the second pass reads the byte
    /// after a removed apostrophe's space as NUL).
    static func cleanSpaces(_ t: inout [UInt8]) {
        func pass(_ body: (inout [UInt8], Int, inout Int, inout Int) -> Void) {
            let n = t.count
            var total = n > 0 ? 1 : 0
            var i = 1
            while i < n {
                body(&t, n, &i, &total)
                i += 1
            }
            t.removeSubrange(total...)
        }
        pass { t, _, i, total in
            let x = t[i]
            if t[i - 1] == 0x20 && (x == 0x3F || x == 0x21 || x == 0x2E || x == 0x2C) { total -= 1 }
            t[total] = x; total += 1
        }
        pass { t, n, i, total in
            let x = t[i]
            if x == 0x27 && i + 1 < n && t[i - 1] == 0x20 && t[i + 1] == 0x20 {
                total -= 1
                i += 1
                t[i] = 0
            }
            t[total] = x; total += 1
        }
        pass { t, n, i, total in
            let x = t[i]
            if t[i - 1] == 0x20 && x == 0x27 && i + 1 < n {
                let x1 = t[i + 1]
                if x1 == 0x73 || x1 == 0x6D {
                    total -= 1
                } else if x1 != 0x74 && x1 != 0x64 && i + 2 < n {
                    let x2 = t[i + 2]
                    if (x1 == 0x72 && x2 == 0x65) || (x1 == 0x76 && x2 == 0x65) { total -= 1 }
                }
            }
            t[total] = x; total += 1
        }
    }
}
