/// The general-category groups the pre-tokenizer regexes ask about (`\p{N}`, `\p{L}`, ...), in llama.cpp's
/// grouping: every two-letter Unicode category maps to one group; unassigned code points (Cn) are `.undefined`.
enum UnicodeClass: UInt8 {
    case undefined = 0, number, letter, separator, mark, punctuation, symbol, control
}

/// Category flags of one code point as the splitters see them, packed in a byte.
///
/// `rawValue == 0` means "no code point here" (a position outside the current segment); every real code point,
/// even an unassigned one, has a non-zero value. llama.cpp's splitters rely on that distinction.
struct CodePointFlags: Equatable {
    var rawValue: UInt8

    static let outside = CodePointFlags(rawValue: 0)
    private static let present: UInt8 = 0x80
    private static let whitespaceBit: UInt8 = 0x40

    init(rawValue: UInt8) { self.rawValue = rawValue }

    init(class c: UnicodeClass, whitespace: Bool) {
        rawValue = Self.present | c.rawValue | (whitespace ? Self.whitespaceBit : 0)
    }

    /// A real code point (inside the segment).
    @inline(__always) var isPresent: Bool { rawValue != 0 }
    @inline(__always) var unicodeClass: UnicodeClass { UnicodeClass(rawValue: rawValue & 0x07) ?? .undefined }
    /// Unicode White_Space (what `\s` matches in llama.cpp).
    @inline(__always) var isWhitespace: Bool { rawValue & Self.whitespaceBit != 0 }
    @inline(__always) var isLetter: Bool { rawValue & 0x07 == UnicodeClass.letter.rawValue && isPresent }
    @inline(__always) var isNumber: Bool { rawValue & 0x07 == UnicodeClass.number.rawValue && isPresent }
    @inline(__always) var isMark: Bool { rawValue & 0x07 == UnicodeClass.mark.rawValue && isPresent }
    @inline(__always) var isPunctuation: Bool { rawValue & 0x07 == UnicodeClass.punctuation.rawValue && isPresent }
}

/// Code point classification and llama.cpp-compatible UTF-8 decoding.
enum UnicodeCategories {
    /// One flag byte per code point U+0000...U+10FFFF, expanded once from the generated run table.
    static let table: [UInt8] = {
        var t = [UInt8](repeating: 0, count: 0x11_0000)
        for (i, entry) in runs.enumerated() {
            let start = Int(entry >> 8)
            let end = i + 1 < runs.count ? Int(runs[i + 1] >> 8) : 0x11_0000
            let c = UnicodeClass(rawValue: UInt8(entry & 0xFF)) ?? .undefined
            let flags = CodePointFlags(class: c, whitespace: false).rawValue
            for cp in start..<end { t[cp] = flags }
        }
        for cp in whitespace { t[Int(cp)] |= CodePointFlags(class: .undefined, whitespace: true).rawValue }
        return t
    }()

    /// The Unicode White_Space property (PropList.txt): what llama.cpp's `\s` matches.
    static let whitespace: [UInt32] = [
        0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005,
        0x2006, 0x2007, 0x2008, 0x2009, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
    ]

    /// Flags of `cp`; code points beyond U+10FFFF count as unassigned.
    @inline(__always) static func flags(_ cp: UInt32) -> CodePointFlags {
        cp < 0x11_0000 ? CodePointFlags(rawValue: table[Int(cp)])
            : CodePointFlags(class: .undefined, whitespace: false)
    }

    /// Decodes UTF-8 into code points the way llama.cpp does: a malformed sequence yields U+FFFD and skips one
    /// byte. Overlong forms are accepted as written (llama.cpp does not reject them either).
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt32]) {
        out.reserveCapacity(out.count + bytes.count)
        let n = bytes.count
        var i = 0
        while i < n {
            let b0 = bytes[i]
            if b0 < 0x80 { out.append(UInt32(b0)); i += 1; continue }
            @inline(__always) func cont(_ k: Int) -> Bool { i + k < n && bytes[i + k] & 0xC0 == 0x80 }
            if b0 & 0x40 == 0 {
                out.append(0xFFFD); i += 1
            } else if b0 & 0x20 == 0 {
                guard cont(1) else { out.append(0xFFFD); i += 1; continue }
                out.append(UInt32(b0 & 0x1F) << 6 | UInt32(bytes[i + 1] & 0x3F)); i += 2
            } else if b0 & 0x10 == 0 {
                guard cont(1), cont(2) else { out.append(0xFFFD); i += 1; continue }
                out.append(UInt32(b0 & 0x0F) << 12 | UInt32(bytes[i + 1] & 0x3F) << 6 | UInt32(bytes[i + 2] & 0x3F))
                i += 3
            } else if b0 & 0x08 == 0 {
                guard cont(1), cont(2), cont(3) else { out.append(0xFFFD); i += 1; continue }
                let v = UInt32(b0 & 0x07) << 18 | UInt32(bytes[i + 1] & 0x3F) << 12
                    | UInt32(bytes[i + 2] & 0x3F) << 6 | UInt32(bytes[i + 3] & 0x3F)
                out.append(v <= 0x10_FFFF ? v : 0xFFFD); i += 4
            } else {
                out.append(0xFFFD); i += 1
            }
        }
    }

    /// Appends the UTF-8 encoding of `cp` (surrogates are encoded as three bytes, as llama.cpp does).
    @inline(__always) static func encode(_ cp: UInt32, into out: inout [UInt8]) {
        if cp < 0x80 {
            out.append(UInt8(cp))
        } else if cp < 0x800 {
            out.append(0xC0 | UInt8(cp >> 6)); out.append(0x80 | UInt8(cp & 0x3F))
        } else if cp < 0x10000 {
            out.append(0xE0 | UInt8(cp >> 12)); out.append(0x80 | UInt8((cp >> 6) & 0x3F))
            out.append(0x80 | UInt8(cp & 0x3F))
        } else {
            out.append(0xF0 | UInt8(cp >> 18)); out.append(0x80 | UInt8((cp >> 12) & 0x3F))
            out.append(0x80 | UInt8((cp >> 6) & 0x3F)); out.append(0x80 | UInt8(cp & 0x3F))
        }
    }

    /// Length of the UTF-8 sequence a lead byte announces, by its high nibble (1 for stray continuation bytes).
    @inline(__always) static func sequenceLength(lead b: UInt8) -> Int {
        switch b >> 4 {
        case 0xC, 0xD: 2
        case 0xE: 3
        case 0xF: 4
        default: 1
        }
    }
}
