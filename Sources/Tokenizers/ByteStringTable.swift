/// An interning table of byte strings: each distinct string gets a dense `Int32` id in insertion order.
///
/// Token texts are compared as bytes, never as Swift `String`s (which compare by canonical equivalence, so two
/// different tokens such as "é" and "e\u{301}" would collide). Lookups take a buffer pointer and allocate nothing,
/// which keeps the BPE and SPM inner loops free of string building.
struct ByteStringTable: Sendable {
    private var arena: [UInt8] = []
    private var starts: [Int] = []
    private var lengths: [Int32] = []
    private var hashes: [UInt64] = []
    /// Open addressing with linear probing; `-1` marks an empty slot. Capacity is a power of two.
    private var slots: [Int32] = []
    private var mask = 0

    init(capacity: Int = 16) {
        var cap = 16
        while cap < capacity * 2 { cap <<= 1 }
        slots = [Int32](repeating: -1, count: cap)
        mask = cap - 1
    }

    /// Number of interned strings.
    var count: Int { starts.count }

    @inline(__always) static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h ^ (h >> 29)
    }

    /// The id of `bytes`, or -1 when absent.
    func find(_ bytes: UnsafeBufferPointer<UInt8>) -> Int32 {
        find(bytes, hash: Self.hash(bytes))
    }

    private func find(_ bytes: UnsafeBufferPointer<UInt8>, hash h: UInt64) -> Int32 {
        var slot = Int(truncatingIfNeeded: h) & mask
        while true {
            let id = slots[slot]
            if id < 0 { return -1 }
            if hashes[Int(id)] == h && equals(Int(id), bytes) { return id }
            slot = (slot + 1) & mask
        }
    }

    /// The id of `bytes`, or -1 when absent.
    func find(_ bytes: [UInt8]) -> Int32 { bytes.withUnsafeBufferPointer { find($0) } }

    private func equals(_ id: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = Int(lengths[id])
        guard n == bytes.count else { return false }
        let s = starts[id]
        // Bounds: s + n <= arena.count because every entry was appended whole.
        return arena.withUnsafeBufferPointer { a in
            for k in 0..<n where a[s + k] != bytes[k] { return false }
            return true
        }
    }

    /// Interns `bytes`, returning its id and whether it was newly added.
    @discardableResult
    mutating func intern(_ bytes: UnsafeBufferPointer<UInt8>) -> (id: Int32, inserted: Bool) {
        let h = Self.hash(bytes)
        let existing = find(bytes, hash: h)
        if existing >= 0 { return (existing, false) }
        let id = Int32(starts.count)
        starts.append(arena.count)
        lengths.append(Int32(bytes.count))
        hashes.append(h)
        arena.append(contentsOf: bytes)
        if starts.count * 2 > slots.count { grow() } else { place(id, hash: h) }
        return (id, true)
    }

    /// Interns `bytes`, returning its id and whether it was newly added.
    @discardableResult
    mutating func intern(_ bytes: [UInt8]) -> (id: Int32, inserted: Bool) {
        bytes.withUnsafeBufferPointer { intern($0) }
    }

    private mutating func place(_ id: Int32, hash h: UInt64) {
        var slot = Int(truncatingIfNeeded: h) & mask
        while slots[slot] >= 0 { slot = (slot + 1) & mask }
        slots[slot] = id
    }

    private mutating func grow() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        mask = slots.count - 1
        for id in 0..<starts.count { place(Int32(id), hash: hashes[id]) }
    }

    /// The bytes of string `id` (which must be valid).
    func bytes(_ id: Int32) -> ArraySlice<UInt8> {
        let s = starts[Int(id)]
        return arena[s..<(s + Int(lengths[Int(id)]))]
    }

    /// Calls `body` with the bytes of string `id` without copying.
    @inline(__always)
    func withBytes<R>(_ id: Int32, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let s = starts[Int(id)]
        let n = Int(lengths[Int(id)])
        // Bounds: [s, s + n) lies inside the arena (appended whole in `intern`).
        return arena.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[s..<(s + n)])) }
    }
}
