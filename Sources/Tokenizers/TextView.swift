/// A segment of decoded text as the pre-tokenizer splitters see it: code points with their category flags, and
/// positions outside `[start, end)` reading as "nothing" (flags `.outside`, code point `outsideCodePoint`).
///
/// Each splitter walks one segment and appends the lengths (in code points) of the pieces it cuts, which always
/// sum to the segment's length.
struct TextView {
    let cps: UnsafeBufferPointer<UInt32>
    let flags: UnsafeBufferPointer<UInt8>
    let start: Int
    let end: Int

    static let outsideCodePoint: UInt32 = 0xFFFF_FFFF

    @inline(__always) func cp(_ i: Int) -> UInt32 {
        // Bounds: start >= 0 and end <= cps.count, checked where the view is made.
        i >= start && i < end ? cps[i] : Self.outsideCodePoint
    }

    @inline(__always) func flag(_ i: Int) -> CodePointFlags {
        i >= start && i < end ? CodePointFlags(rawValue: flags[i]) : .outside
    }
}
