#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Read-only bytes that stay valid for the life of this object: a memory-mapped file or an owned copy.
public final class MappedBytes: @unchecked Sendable {
    // Sendable: the buffer is never written after init and is released only in deinit.
    /// The bytes.
    public let buffer: UnsafeRawBufferPointer
    private let isMapped: Bool

    /// Maps `path` read-only. An empty file yields an empty buffer.
    /// - Throws: `GGUFError.cannotOpen` with the OS reason.
    public init(path: String) throws(GGUFError) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw .cannotOpen(path: path, reason: "not a regular file") }
        let size = Int(st.st_size)
        if size == 0 {
            buffer = UnsafeRawBufferPointer(start: nil, count: 0)
            isMapped = false
            return
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw .cannotOpen(path: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        buffer = UnsafeRawBufferPointer(start: p, count: size)
        isMapped = true
    }

    /// Copies `bytes` into memory owned by this object.
    public init<C: Collection>(copying bytes: C) where C.Element == UInt8 {
        let p = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 64)
        p.copyBytes(from: bytes)
        buffer = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(p)[0..<bytes.count])
        isMapped = false
    }

    deinit {
        if isMapped, let base = buffer.baseAddress {
            munmap(UnsafeMutableRawPointer(mutating: base), buffer.count)
        } else if !isMapped, let base = buffer.baseAddress {
            base.deallocate()
        }
    }
}
