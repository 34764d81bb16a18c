#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One tensor of a file written by `GGUFStreamingWriter`: everything its header entry needs before its bytes exist.
public struct GGUFTensorPlan: Sendable, Equatable {
    /// Tensor name.
    public var name: String
    /// ggml type.
    public var type: GGMLType
    /// ggml shape (fastest-varying dimension first).
    public var shape: [Int]

    /// A plan for `name`.
    public init(name: String, type: GGMLType, shape: [Int]) {
        self.name = name
        self.type = type
        self.shape = shape
    }

    /// Bytes of the tensor's data, or nil when the shape is not a whole number of `type`'s blocks.
    public var byteCount: Int? { type.byteCount(elementCount: shape.reduce(1, *), rowLength: shape.first ?? 0) }
}

/// Writes a GGUF v3 file whose tensor data arrives in pieces, so a model larger than memory can be produced: the
/// header (metadata and every tensor's name, shape, type and offset) is written first from the plans, then the
/// data of each tensor in order through `append`. Same layout as `GGUFWriter` (data in plan order, each tensor
/// padded to the alignment), so both give identical bytes for the same content.
///
/// Atomic: everything goes to `path + ".partial"`, which `commit()` renames into place only after every planned
/// byte was written; a writer released without `commit()` removes the partial file.
public final class GGUFStreamingWriter {
    /// Final path.
    public let path: String
    private let plans: [GGUFTensorPlan]
    private let sizes: [Int]
    private let alignment: Int
    private var fd: Int32
    private var buffer: [UInt8] = []
    private var current = 0
    private var writtenInCurrent = 0
    private var committed = false

    /// Opens `path + ".partial"` and writes the header.
    /// - Throws: `GGUFError.invalidTensorData` for a repeated name, a bad shape or an alignment that is not a power
    ///   of two; `.writeFailed` when the file cannot be created or written.
    public init(path: String, metadata: GGUFMetadata, tensors: [GGUFTensorPlan],
                alignment: Int = GGUFFile.defaultAlignment) throws(GGUFError) {
        var seen: Set<String> = []
        var sizes: [Int] = []
        for t in tensors {
            guard seen.insert(t.name).inserted else { throw .invalidTensorData(tensor: t.name, reason: "name planned twice") }
            guard (1...4).contains(t.shape.count), t.shape.allSatisfy({ $0 >= 0 }), let n = t.byteCount else {
                throw .invalidTensorData(tensor: t.name, reason: "shape \(t.shape) is not a whole number of \(t.type) blocks")
            }
            sizes.append(n)
        }
        guard alignment > 0, alignment & (alignment - 1) == 0 else {
            throw .invalidTensorData(tensor: "", reason: "alignment \(alignment) is not a power of two")
        }
        self.path = path
        self.plans = tensors
        self.sizes = sizes
        self.alignment = alignment
        fd = open(path + ".partial", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw .writeFailed(path: path, reason: String(cString: strerror(errno))) }
        var md = metadata
        if alignment != GGUFFile.defaultAlignment { md["general.alignment"] = .uint32(UInt32(alignment)) }
        writeHeader(md)
        skipEmptyTensors()
        try flushIfLarge(force: true)
    }

    deinit {
        if fd >= 0 { close(fd) }
        if !committed { unlink(path + ".partial") }
    }

    /// Name of the tensor the next `append` writes into, or nil when all data has been written.
    public var pendingTensor: String? { current < plans.count ? plans[current].name : nil }

    /// Appends `bytes` to the data of the current tensor; a tensor that becomes complete is padded and the next one
    /// starts. A piece may not cross a tensor boundary.
    /// - Throws: `GGUFError.invalidTensorData` when the piece is longer than what the current tensor still needs
    ///   (or every tensor is complete); `.writeFailed` on an I/O error.
    public func append(_ bytes: UnsafeRawBufferPointer) throws(GGUFError) {
        try checkRoom(bytes.count)
        if bytes.count >= Self.flushThreshold, let base = bytes.baseAddress {
            // A large piece (a memory-mapped tensor) goes straight to the file instead of through the buffer.
            try flushIfLarge(force: true)
            try writeAll(base, bytes.count)
        } else {
            buffer.append(contentsOf: bytes)
        }
        try advance(by: bytes.count)
    }

    /// Appends `bytes` (see `append(_: UnsafeRawBufferPointer)`).
    public func append(_ bytes: [UInt8]) throws(GGUFError) {
        try checkRoom(bytes.count)
        buffer.append(contentsOf: bytes)
        try advance(by: bytes.count)
    }

    private func checkRoom(_ count: Int) throws(GGUFError) {
        guard current < plans.count else {
            throw .invalidTensorData(tensor: "", reason: "\(count) bytes appended after the last tensor")
        }
        let remaining = sizes[current] - writtenInCurrent
        guard count <= remaining else {
            throw .invalidTensorData(tensor: plans[current].name,
                                     reason: "piece of \(count) bytes, only \(remaining) left of \(sizes[current])")
        }
    }

    private func advance(by count: Int) throws(GGUFError) {
        writtenInCurrent += count
        if writtenInCurrent == sizes[current] {
            buffer.append(contentsOf: repeatElement(0, count: padding(sizes[current])))
            current += 1
            writtenInCurrent = 0
            skipEmptyTensors()
        }
        try flushIfLarge(force: false)
    }

    /// Flushes, syncs and renames the partial file into place.
    /// - Throws: `GGUFError.invalidTensorData` naming the first tensor whose data is incomplete; `.writeFailed`.
    public func commit() throws(GGUFError) {
        guard current == plans.count else {
            throw .invalidTensorData(tensor: plans[current].name,
                                     reason: "only \(writtenInCurrent) of \(sizes[current]) bytes written before commit")
        }
        try flushIfLarge(force: true)
        guard fsync(fd) == 0 else { throw .writeFailed(path: path, reason: String(cString: strerror(errno))) }
        close(fd)
        fd = -1
        guard rename(path + ".partial", path) == 0 else {
            throw .writeFailed(path: path, reason: String(cString: strerror(errno)))
        }
        committed = true
    }

    private func padding(_ n: Int) -> Int { (alignment - n % alignment) % alignment }

    private func skipEmptyTensors() {
        while current < plans.count && sizes[current] == 0 { current += 1 }
    }

    private func writeHeader(_ md: GGUFMetadata) {
        buffer.appendLE(UInt32(0x4655_4747))
        buffer.appendLE(UInt32(3))
        buffer.appendLE(UInt64(plans.count))
        buffer.appendLE(UInt64(md.count))
        for (k, v) in md.entries {
            buffer.appendString(k)
            buffer.appendLE(v.type.rawValue)
            buffer.appendValue(v)
        }
        var offset: UInt64 = 0
        for (t, size) in zip(plans, sizes) {
            buffer.appendString(t.name)
            buffer.appendLE(UInt32(t.shape.count))
            for d in t.shape { buffer.appendLE(UInt64(d)) }
            buffer.appendLE(t.type.rawValue)
            buffer.appendLE(offset)
            offset += UInt64(size + padding(size))
        }
        buffer.append(contentsOf: repeatElement(0, count: padding(buffer.count)))
    }

    /// Buffered bytes that trigger a write; pieces at least this large bypass the buffer.
    static let flushThreshold = 8 << 20

    /// Writes the buffer out when it holds `flushThreshold` bytes or more, or always when `force`.
    private func flushIfLarge(force: Bool) throws(GGUFError) {
        guard force || buffer.count >= Self.flushThreshold, !buffer.isEmpty else { return }
        var failure: GGUFError?
        buffer.withUnsafeBytes { raw in
            do throws(GGUFError) { try writeAll(raw.baseAddress!, raw.count) } catch { failure = error }
        }
        if let failure { throw failure }
        buffer.removeAll(keepingCapacity: true)
    }

    /// `write(2)` of `count` bytes at `p`, retrying short writes and EINTR.
    private func writeAll(_ p: UnsafeRawPointer, _ count: Int) throws(GGUFError) {
        var done = 0
        while done < count {
            // Bounds: done < count, so [done, count) lies inside the caller's region.
            #if canImport(Glibc)
            let n = Glibc.write(fd, p + done, count - done)
            #else
            let n = Darwin.write(fd, p + done, count - done)
            #endif
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw .writeFailed(path: path, reason: String(cString: strerror(errno))) }
            done += n
        }
    }
}
