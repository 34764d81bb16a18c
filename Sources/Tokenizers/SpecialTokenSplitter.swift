#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A piece of input after special tokens are cut out: raw text still to tokenize, or a special token's id.
enum Fragment: Equatable {
    case text(Range<Int>)
    case token(Int32)
}

/// Cuts special tokens out of raw text before tokenization, as llama.cpp's `tokenizer_st_partition`: one pass per
/// special token, longest text first, each splitting every remaining text fragment at all of the token's
/// occurrences. Control and unknown tokens take part only when parsing specials; user-defined tokens always do.
/// A token with the left- or right-strip attribute also eats the whitespace beside it.
struct SpecialTokenSplitter: Sendable {
    private let candidates: [(id: Int32, text: [UInt8], attributes: TokenAttributes)]

    init(_ vocab: Vocabulary) {
        candidates = vocab.specialTokensByLength.map { id in
            (id, Array(vocab.texts.bytes(id)), vocab.attributes[Int(id)])
        }
    }

    func split(_ text: UnsafeBufferPointer<UInt8>, parseSpecial: Bool) -> [Fragment] {
        guard !text.isEmpty else { return [] }
        var fragments: [Fragment] = [.text(0..<text.count)]
        for c in candidates where !c.text.isEmpty {
            if !parseSpecial && !c.attributes.isDisjoint(with: [.control, .unknown]) { continue }
            var next: [Fragment] = []
            next.reserveCapacity(fragments.count)
            var changed = false
            for f in fragments {
                guard case .text(let range) = f else { next.append(f); continue }
                changed = cut(range, at: c, in: text, into: &next) || changed
            }
            if changed { fragments = next }
        }
        return fragments
    }

    /// Splits one text fragment at every occurrence of the token; returns false when there was none.
    private func cut(_ range: Range<Int>, at c: (id: Int32, text: [UInt8], attributes: TokenAttributes),
                     in text: UnsafeBufferPointer<UInt8>, into out: inout [Fragment]) -> Bool {
        var start = range.lowerBound
        var found = false
        while let match = find(c.text, in: text, from: start, to: range.upperBound) {
            found = true
            var leftEnd = match
            if c.attributes.contains(.leftStrip) {
                while leftEnd > start && Self.isSpace(text[leftEnd - 1]) { leftEnd -= 1 }
            }
            if leftEnd > start { out.append(.text(start..<leftEnd)) }
            out.append(.token(c.id))
            start = match + c.text.count
            if c.attributes.contains(.rightStrip) {
                while start < range.upperBound && Self.isSpace(text[start]) { start += 1 }
            }
        }
        if !found { out.append(.text(range)); return false }
        if start < range.upperBound { out.append(.text(start..<range.upperBound)) }
        return true
    }

    /// C `isspace` in the "C" locale.
    @inline(__always) static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }

    /// First occurrence of `needle` in `text[from..<to]`.
    private func find(_ needle: [UInt8], in text: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int? {
        guard let base = text.baseAddress, to - from >= needle.count else { return nil }
        let first = Int32(needle[0])
        var i = from
        return needle.withUnsafeBytes { n -> Int? in
            while to - i >= needle.count {
                // Bounds: i..<to lies inside the text; memchr reads at most `to - i` bytes.
                guard let hit = memchr(base + i, first, to - i) else { return nil }
                let at = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                guard to - at >= needle.count else { return nil }
                if memcmp(base + at, n.baseAddress!, needle.count) == 0 { return at }
                i = at + 1
            }
            return nil
        }
    }
}
