/// Byte-pair encoding over ranked merges (`tokenizer.ggml.merges`), as llama.cpp's `llm_tokenizer_bpe_session`:
/// each pre-tokenized word starts as one symbol per character (per byte after GPT-2 byte-level mapping), then the
/// adjacent pair with the lowest merge rank is merged until no ranked pair remains.
///
/// Merges work on interned ids: every token text, merge side and merge result is interned once at load time,
/// so the inner loop compares integers instead of building strings.
struct BPETokenizer: Sendable {
    private let strings: ByteStringTable
    private let vocabularySize: Int32
    /// (left id << 32 | right id) -> (rank << 32 | merged id)
    private let ranks: [UInt64: UInt64]
    /// Interned id of each byte's byte-level spelling (byte-encoded vocabularies).
    private let byteSymbol: [Int32]
    /// Tokens emitted for a byte of an unmergeable symbol: the single-byte token of each byte of its spelling
    /// (byte-encoded) or the `<0xXX>` token (raw UTF-8 vocabularies); bytes without a token are dropped.
    private let fallback: [[Int32]]
    let preTokenizer: PreTokenizer

    init(_ vocab: Vocabulary, preTokenizer: PreTokenizer) {
        self.preTokenizer = preTokenizer
        vocabularySize = Int32(vocab.count)
        var strings = vocab.texts
        var ranks: [UInt64: UInt64] = [:]
        ranks.reserveCapacity(vocab.merges.count)
        var joined: [UInt8] = []  // left + right of the current merge, reused (no allocation per merge)
        for (rank, line) in vocab.merges.enumerated() {
            var line = line
            line.withUTF8 { b in
                // The two sides split at the first space after the first byte (a side may itself start with a space).
                guard b.count > 1, let space = b[1...].firstIndex(of: 0x20) else { return }
                let leftBytes = UnsafeBufferPointer(rebasing: b[..<space])
                let rightBytes = UnsafeBufferPointer(rebasing: b[(space + 1)...])
                let left = strings.intern(leftBytes).id, right = strings.intern(rightBytes).id
                joined.removeAll(keepingCapacity: true)
                joined.append(contentsOf: leftBytes)
                joined.append(contentsOf: rightBytes)
                let merged = joined.withUnsafeBufferPointer { strings.intern($0).id }
                let key = UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
                if ranks[key] == nil { ranks[key] = UInt64(rank) << 32 | UInt64(UInt32(bitPattern: merged)) }
            }
        }
        self.ranks = ranks
        self.strings = strings
        byteSymbol = ByteLevel.utf8.map { strings.find($0) }
        let n = vocab.count
        @inline(__always) func token(_ bytes: [UInt8]) -> Int32? {
            let id = vocab.texts.find(bytes)
            return id >= 0 && Int(id) < n ? id : nil
        }
        if preTokenizer.byteEncode {
            fallback = (0..<256).map { b in ByteLevel.utf8[b].compactMap { token([$0]) } }
        } else {
            let hex = Array("0123456789ABCDEF".utf8)
            fallback = (0..<256).map { b in
                token([0x3C, 0x30, 0x78, hex[b >> 4], hex[b & 15], 0x3E]).map { [$0] } ?? []
            }
        }
    }

    /// Scratch buffers reused across the words of one `encode` call.
    struct Session {
        var word: [UInt8] = []
        var symbols: [MergeSymbol] = []
        var queue = MergeQueue<Candidate>()
        var cps: [UInt32] = []
        var flags: [UInt8] = []
    }

    struct Candidate: Comparable {
        var rank: Int32
        var left: Int32
        var right: Int32
        var leftID: Int32
        var rightID: Int32
        var merged: Int32
        static func < (a: Candidate, b: Candidate) -> Bool {
            a.rank != b.rank ? a.rank < b.rank : a.left < b.left
        }
    }

    /// Tokenizes one raw-text fragment (special tokens already split off), appending ids to `out`.
    func encode(_ text: UnsafeBufferPointer<UInt8>, session s: inout Session, into out: inout [Int32]) {
        s.cps.removeAll(keepingCapacity: true)
        if preTokenizer.escapeWhitespace {
            var escaped: [UInt8] = []
            escaped.reserveCapacity(text.count + text.count / 4)
            for b in text { if b == 0x20 { escaped += [0xE2, 0x96, 0x81] } else { escaped.append(b) } }
            escaped.withUnsafeBufferPointer { UnicodeCategories.decode($0, into: &s.cps) }
        } else {
            UnicodeCategories.decode(text, into: &s.cps)
        }
        let table = UnicodeCategories.table
        s.flags = s.cps.map { $0 < 0x11_0000 ? table[Int($0)] : CodePointFlags(class: .undefined, whitespace: false).rawValue }
        let lengths = s.cps.withUnsafeBufferPointer { c in
            s.flags.withUnsafeBufferPointer { f in preTokenizer.split(c, f) }
        }
        var start = 0
        for length in lengths {
            s.word.removeAll(keepingCapacity: true)
            for k in start..<(start + length) { UnicodeCategories.encode(s.cps[k], into: &s.word) }
            start += length
            encodeWord(&s, into: &out)
        }
    }

    private func encodeWord(_ s: inout Session, into out: inout [Int32]) {
        s.symbols.removeAll(keepingCapacity: true)
        s.queue.removeAll()
        if preTokenizer.ignoreMerges || (preTokenizer.family == .gemma4 && !s.word.contains(where: { $0 != 0x0A })) {
            // A word that is already a token skips merging.
            let whole = wholeWordID(&s)
            if whole >= 0 && whole < vocabularySize { out.append(whole); return }
        }
        makeSymbols(&s)
        for i in 1..<max(s.symbols.count, 1) { addCandidate(&s, Int32(i - 1), Int32(i)) }
        while let c = s.queue.pop() {
            let l = Int(c.left), r = Int(c.right)
            // Skip candidates made stale by an earlier merge.
            guard s.symbols[l].length > 0, s.symbols[r].length > 0,
                  s.symbols[l].id == c.leftID, s.symbols[r].id == c.rightID else { continue }
            s.symbols[l].length += s.symbols[r].length
            s.symbols[l].id = c.merged
            s.symbols[r].length = 0
            s.symbols[l].next = s.symbols[r].next
            if s.symbols[r].next >= 0 { s.symbols[Int(s.symbols[r].next)].prev = c.left }
            addCandidate(&s, s.symbols[l].prev, c.left)
            addCandidate(&s, c.left, s.symbols[l].next)
        }
        for sym in s.symbols where sym.length > 0 {
            if sym.id >= 0 && sym.id < vocabularySize {
                out.append(sym.id)
            } else {
                emitFallback(sym, s.word, into: &out)
            }
        }
    }

    /// The interned id of the word as the vocabulary spells it (byte-level mapped when byte-encoding), or -1.
    private func wholeWordID(_ s: inout Session) -> Int32 {
        guard preTokenizer.byteEncode else { return s.word.withUnsafeBufferPointer { strings.find($0) } }
        var spelled: [UInt8] = []
        spelled.reserveCapacity(s.word.count * 2)
        for b in s.word { spelled += ByteLevel.utf8[Int(b)] }
        return spelled.withUnsafeBufferPointer { strings.find($0) }
    }

    /// One symbol per character of the word; for byte-encoded vocabularies one per original byte.
    private func makeSymbols(_ s: inout Session) {
        let n = s.word.count
        var i = 0
        while i < n {
            let len = min(UnicodeCategories.sequenceLength(lead: s.word[i]), n - i)
            let id: Int32
            if preTokenizer.byteEncode {
                id = -1  // resolved below per byte
            } else {
                id = s.word.withUnsafeBufferPointer { strings.find(UnsafeBufferPointer(rebasing: $0[i..<(i + len)])) }
            }
            if preTokenizer.byteEncode {
                for k in i..<(i + len) {
                    s.symbols.append(MergeSymbol(start: Int32(k), length: 1, id: byteSymbol[Int(s.word[k])],
                                                 prev: Int32(s.symbols.count - 1), next: -1))
                }
            } else {
                s.symbols.append(MergeSymbol(start: Int32(i), length: Int32(len), id: id,
                                             prev: Int32(s.symbols.count - 1), next: -1))
            }
            i += len
        }
        for k in 0..<max(s.symbols.count - 1, 0) { s.symbols[k].next = Int32(k + 1) }
    }

    @inline(__always)
    private func addCandidate(_ s: inout Session, _ left: Int32, _ right: Int32) {
        guard left >= 0, right >= 0 else { return }
        let a = s.symbols[Int(left)].id, b = s.symbols[Int(right)].id
        guard a >= 0, b >= 0 else { return }
        guard let v = ranks[UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b))] else { return }
        s.queue.push(Candidate(rank: Int32(truncatingIfNeeded: v >> 32), left: left, right: right, leftID: a,
                               rightID: b, merged: Int32(truncatingIfNeeded: v & 0xFFFF_FFFF)))
    }

    /// A symbol that is not a token: emit tokens for the bytes of its spelling, as llama.cpp does.
    private func emitFallback(_ sym: MergeSymbol, _ word: [UInt8], into out: inout [Int32]) {
        for k in Int(sym.start)..<Int(sym.start + sym.length) { out += fallback[Int(word[k])] }
    }
}
