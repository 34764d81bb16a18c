/// A binary min-heap of merge candidates. The candidate that merges first compares smallest: for BPE the lowest
/// rank, for SentencePiece the highest score; ties go to the leftmost symbol (as llama.cpp's priority queues).
struct MergeQueue<Candidate: Comparable> {
    private(set) var items: [Candidate] = []

    var isEmpty: Bool { items.isEmpty }

    mutating func removeAll() { items.removeAll(keepingCapacity: true) }

    mutating func push(_ c: Candidate) {
        items.append(c)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[i] < items[parent] else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> Candidate? {
        guard let last = items.popLast() else { return nil }
        guard !items.isEmpty else { return last }
        let top = items[0]
        items[0] = last
        var i = 0
        let n = items.count
        while true {
            let l = 2 * i + 1
            let r = l + 1
            var m = i
            if l < n && items[l] < items[m] { m = l }
            if r < n && items[r] < items[m] { m = r }
            if m == i { break }
            items.swapAt(i, m)
            i = m
        }
        return top
    }
}

/// One symbol of a word being merged: a byte range of the word, its interned text id (-1 when the text is not
/// interned), and links to its live neighbours (-1 at the ends).
struct MergeSymbol {
    var start: Int32
    var length: Int32
    var id: Int32
    var prev: Int32
    var next: Int32
}
