/// GPT-2's byte-to-unicode mapping: byte-level BPE vocabularies spell every byte as a printable code point.
/// Printable Latin-1 bytes (`!`...`~`, `¡`...`¬`, `®`...`ÿ`) stand for themselves; the other 68 bytes take the
/// code points U+0100, U+0101, ... in byte order (so a space is `Ġ` U+0120 and a newline `Ċ` U+010A).
enum ByteLevel {
    /// The code point that spells each byte.
    static let codePoint: [UInt32] = {
        var map = [UInt32](repeating: 0, count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            if (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b) {
                map[b] = UInt32(b)
            } else {
                map[b] = next
                next += 1
            }
        }
        return map
    }()

    /// The UTF-8 spelling of each byte.
    static let utf8: [[UInt8]] = codePoint.map { cp in
        var out: [UInt8] = []
        UnicodeCategories.encode(cp, into: &out)
        return out
    }

    /// The byte a code point spells, or nil when it is not part of the mapping.
    static func byte(for cp: UInt32) -> UInt8? {
        if cp < 256, codePoint[Int(cp)] == cp { return UInt8(cp) }
        if cp >= 256 && cp < 256 + 68 { return reverseHigh[Int(cp - 256)] }
        return nil
    }

    private static let reverseHigh: [UInt8] = {
        var r = [UInt8](repeating: 0, count: 68)
        for b in 0..<256 where codePoint[b] >= 256 { r[Int(codePoint[b] - 256)] = UInt8(b) }
        return r
    }()
}
