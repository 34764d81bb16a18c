/// SentencePiece-style BPE for `llama` vocabularies, as llama.cpp's `llm_tokenizer_spm_session`: the text starts
/// as one symbol per UTF-8 character; the adjacent pair whose concatenation is a token with the highest score is
/// merged until no pair forms a token; symbols that are still not tokens fall back to `<0xXX>` byte tokens.
struct SPMTokenizer: Sendable {
    private let texts: ByteStringTable
    private let scores: [Float]
    private let vocabularySize: Int32
    /// Token for each byte: `<0xXX>`, else the byte as a one-byte token, else the unknown token (-1 if none).
    private let byteToken: [Int32]

    init(_ vocab: Vocabulary) {
        texts = vocab.texts
        scores = vocab.scores
        vocabularySize = Int32(vocab.count)
        let hex = Array("0123456789ABCDEF".utf8)
        let n = vocab.count
        func token(_ bytes: [UInt8]) -> Int32? {
            let id = vocab.texts.find(bytes)
            return id >= 0 && Int(id) < n ? id : nil
        }
        byteToken = (0..<256).map { b in
            token([0x3C, 0x30, 0x78, hex[b >> 4], hex[b & 15], 0x3E]) ?? token([UInt8(b)]) ?? vocab.special.unk ?? -1
        }
    }

    struct Candidate: Comparable {
        var score: Float
        var left: Int32
        var right: Int32
        var size: Int32
        static func < (a: Candidate, b: Candidate) -> Bool {
            a.score != b.score ? a.score > b.score : a.left < b.left
        }
    }

    /// Scratch buffers reused across the fragments of one `encode` call.
    struct Session {
        var text: [UInt8] = []
        var symbols: [MergeSymbol] = []
        var queue = MergeQueue<Candidate>()
    }

    /// Tokenizes one fragment: `prefixSpace` prepends a space; spaces become U+2581 before merging.
    func encode(_ fragment: UnsafeBufferPointer<UInt8>, prefixSpace: Bool, session s: inout Session,
                into out: inout [Int32]) {
        s.text.removeAll(keepingCapacity: true)
        if prefixSpace { s.text += [0xE2, 0x96, 0x81] }
        for b in fragment { if b == 0x20 { s.text += [0xE2, 0x96, 0x81] } else { s.text.append(b) } }
        s.symbols.removeAll(keepingCapacity: true)
        s.queue.removeAll()
        let n = s.text.count
        var i = 0
        while i < n {
            let len = min(UnicodeCategories.sequenceLength(lead: s.text[i]), n - i)
            let k = Int32(s.symbols.count)
            s.symbols.append(MergeSymbol(start: Int32(i), length: Int32(len), id: -1, prev: k - 1,
                                         next: i + len == n ? -1 : k + 1))
            i += len
        }
        s.text.withUnsafeBufferPointer { text in
            for k in 1..<max(s.symbols.count, 1) { addCandidate(&s, text, Int32(k - 1), Int32(k)) }
            while let c = s.queue.pop() {
                let l = Int(c.left), r = Int(c.right)
                // A merged-away or grown neighbour makes the candidate stale.
                guard s.symbols[l].length > 0, s.symbols[r].length > 0,
                      s.symbols[l].length + s.symbols[r].length == c.size else { continue }
                s.symbols[l].length += s.symbols[r].length
                s.symbols[r].length = 0
                s.symbols[l].next = s.symbols[r].next
                if s.symbols[r].next >= 0 { s.symbols[Int(s.symbols[r].next)].prev = c.left }
                addCandidate(&s, text, s.symbols[l].prev, c.left)
                addCandidate(&s, text, c.left, s.symbols[l].next)
            }
            var k = s.symbols.isEmpty ? -1 : 0
            while k >= 0 {
                let sym = s.symbols[k]
                let range = Int(sym.start)..<Int(sym.start + sym.length)
                let id = texts.find(UnsafeBufferPointer(rebasing: text[range]))
                if id >= 0 && id < vocabularySize {
                    out.append(id)
                } else {
                    for b in text[range] where byteToken[Int(b)] >= 0 { out.append(byteToken[Int(b)]) }
                }
                k = Int(sym.next)
            }
        }
    }

    @inline(__always)
    private func addCandidate(_ s: inout Session, _ text: UnsafeBufferPointer<UInt8>, _ left: Int32, _ right: Int32) {
        guard left >= 0, right >= 0 else { return }
        let start = Int(s.symbols[Int(left)].start)
        let size = Int(s.symbols[Int(left)].length + s.symbols[Int(right)].length)
        // Bounds: live neighbours are contiguous, so [start, start + size) lies inside the text.
        let id = texts.find(UnsafeBufferPointer(rebasing: text[start..<(start + size)]))
        guard id >= 0 && id < vocabularySize else { return }
        s.queue.push(Candidate(score: scores[Int(id)], left: left, right: right, size: Int32(size)))
    }
}
