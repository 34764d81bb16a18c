/// A bounds-checked little-endian reader over a byte buffer. Every read either succeeds inside the buffer or
/// throws `GGUFError.truncated` naming the offset; nothing reads past the end.
struct ByteCursor {
    let bytes: UnsafeRawBufferPointer
    let path: String
    private(set) var offset: Int

    init(bytes: UnsafeRawBufferPointer, path: String, offset: Int = 0) {
        self.bytes = bytes
        self.path = path
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws(GGUFError) -> T {
        let n = MemoryLayout<T>.size
        guard remaining >= n else {
            throw .truncated(path: path, offset: offset, what: what(), needed: n, available: remaining)
        }
        // Bounds: offset + n <= bytes.count was checked above.
        let v = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += n
        return T(littleEndian: v)
    }

    /// Reads a GGUF string: u64 byte length, then that many bytes (not NUL-terminated).
    mutating func readString(_ what: @autoclosure () -> String) throws(GGUFError) -> String {
        let start = offset
        let len = try read(UInt64.self, what())
        guard len <= UInt64(remaining) else {
            throw .lengthBeyondFile(path: path, offset: start, what: what(), length: len, available: remaining)
        }
        let n = Int(len)
        // Bounds: n <= remaining was checked above.
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)])
        offset += n
        return String(decoding: slice, as: UTF8.self)
    }

    mutating func skip(to newOffset: Int, _ what: String) throws(GGUFError) {
        guard newOffset <= bytes.count else {
            throw .truncated(path: path, offset: offset, what: what, needed: newOffset - offset, available: remaining)
        }
        offset = newOffset
    }
}
