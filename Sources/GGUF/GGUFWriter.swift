#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Builds a GGUF v3 file from metadata and tensors and writes it atomically (temporary file, then rename).
///
/// Tensor data is laid out in insertion order, each tensor padded to the alignment, exactly as llama.cpp lays
/// out the files it writes.
public struct GGUFWriter: Sendable {
    /// Metadata to write, in order. `general.alignment` is added when `alignment` is not the default.
    public var metadata = GGUFMetadata()
    /// Data alignment in bytes (a power of two).
    public private(set) var alignment: Int
    private var pending: [(name: String, type: GGMLType, shape: [Int], bytes: [UInt8])] = []
    private var names: Set<String> = []

    /// A writer with the given data alignment.
    public init(alignment: Int = GGUFFile.defaultAlignment) {
        self.alignment = alignment
        if alignment != GGUFFile.defaultAlignment { metadata["general.alignment"] = .uint32(UInt32(alignment)) }
    }

    /// Number of tensors added so far.
    public var tensorCount: Int { pending.count }

    /// Adds a tensor from raw bytes already in `type`'s block layout.
    /// - Throws: `GGUFError.invalidTensorData` when the name repeats, the shape is empty or has more than four
    ///   dimensions, the row is not a whole number of blocks, or the byte count does not match the shape.
    public mutating func addTensor(name: String, type: GGMLType, shape: [Int], bytes: [UInt8]) throws(GGUFError) {
        guard !names.contains(name) else { throw .invalidTensorData(tensor: name, reason: "name already added") }
        guard (1...4).contains(shape.count), shape.allSatisfy({ $0 >= 0 }) else {
            throw .invalidTensorData(tensor: name, reason: "shape \(shape) must have 1...4 non-negative dimensions")
        }
        let elements = shape.reduce(1, *)
        guard let expected = type.byteCount(elementCount: elements, rowLength: shape[0]) else {
            throw .invalidTensorData(tensor: name, reason: "shape \(shape) is not a whole number of \(type) blocks")
        }
        guard expected == bytes.count else {
            throw .invalidTensorData(tensor: name,
                                     reason: "\(type) shape \(shape) needs \(expected) bytes, got \(bytes.count)")
        }
        names.insert(name)
        pending.append((name, type, shape, bytes))
    }

    /// Adds an F32 tensor.
    public mutating func addTensor(name: String, shape: [Int], f32 values: [Float]) throws(GGUFError) {
        var bytes = [UInt8](repeating: 0, count: values.count * 4)
        for (i, v) in values.enumerated() { bytes.storeLE(v.bitPattern, at: i * 4) }
        try addTensor(name: name, type: .f32, shape: shape, bytes: bytes)
    }

    /// Adds an F16 tensor, rounding each value to the nearest half.
    public mutating func addTensor(name: String, shape: [Int], f16 values: [Float]) throws(GGUFError) {
        var bytes = [UInt8](repeating: 0, count: values.count * 2)
        for (i, v) in values.enumerated() { bytes.storeLE(HalfConversion.f32ToF16(v), at: i * 2) }
        try addTensor(name: name, type: .f16, shape: shape, bytes: bytes)
    }

    /// Adds a BF16 tensor, rounding each value to nearest-even as ggml does.
    public mutating func addTensor(name: String, shape: [Int], bf16 values: [Float]) throws(GGUFError) {
        var bytes = [UInt8](repeating: 0, count: values.count * 2)
        for (i, v) in values.enumerated() { bytes.storeLE(HalfConversion.f32ToBF16(v), at: i * 2) }
        try addTensor(name: name, type: .bf16, shape: shape, bytes: bytes)
    }

    /// The complete file as bytes.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        writeHeader(into: &out)
        for t in pending {
            out.append(contentsOf: t.bytes)
            out.append(contentsOf: repeatElement(0, count: padding(t.bytes.count)))
        }
        return out
    }

    /// Writes the file to `path` through a temporary sibling that is renamed into place only when complete.
    /// - Throws: `GGUFError.writeFailed`; the temporary file is removed on failure.
    public func write(to path: String) throws(GGUFError) {
        let tmp = path + ".partial"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw .writeFailed(path: path, reason: String(cString: strerror(errno))) }
        var ok = false
        defer {
            close(fd)
            if !ok { unlink(tmp) }
        }
        var header: [UInt8] = []
        writeHeader(into: &header)
        try writeAll(fd, header, path: path)
        for t in pending {
            try writeAll(fd, t.bytes, path: path)
            try writeAll(fd, [UInt8](repeating: 0, count: padding(t.bytes.count)), path: path)
        }
        guard fsync(fd) == 0, rename(tmp, path) == 0 else {
            throw .writeFailed(path: path, reason: String(cString: strerror(errno)))
        }
        ok = true
    }

    private func padding(_ n: Int) -> Int { (alignment - n % alignment) % alignment }

    private func writeHeader(into out: inout [UInt8]) {
        out.appendLE(UInt32(0x4655_4747))
        out.appendLE(UInt32(3))
        out.appendLE(UInt64(pending.count))
        out.appendLE(UInt64(metadata.count))
        for (k, v) in metadata.entries {
            out.appendString(k)
            out.appendLE(v.type.rawValue)
            out.appendValue(v)
        }
        var offset: UInt64 = 0
        for t in pending {
            out.appendString(t.name)
            out.appendLE(UInt32(t.shape.count))
            for d in t.shape { out.appendLE(UInt64(d)) }
            out.appendLE(t.type.rawValue)
            out.appendLE(offset)
            offset += UInt64(t.bytes.count + padding(t.bytes.count))
        }
        out.append(contentsOf: repeatElement(0, count: padding(out.count)))
    }

    private func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(GGUFError) {
        var done = 0
        while done < bytes.count {
            // Bounds: done < bytes.count, so the slice [done, count) is inside the array.
            let n = bytes.withUnsafeBytes { systemWrite(fd, $0.baseAddress! + done, bytes.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw .writeFailed(path: path, reason: String(cString: strerror(errno))) }
            done += n
        }
    }
}

extension [UInt8] {
    mutating func appendLE<T: FixedWidthInteger>(_ v: T) {
        Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) }
    }

    mutating func storeLE<T: FixedWidthInteger>(_ v: T, at offset: Int) {
        Swift.withUnsafeBytes(of: v.littleEndian) { src in
            for (i, b) in src.enumerated() { self[offset + i] = b }
        }
    }

    mutating func appendString(_ s: String) {
        let utf8 = Array(s.utf8)
        appendLE(UInt64(utf8.count))
        append(contentsOf: utf8)
    }

    mutating func appendValue(_ v: GGUFValue) {
        switch v {
        case .uint8(let x): appendLE(x)
        case .int8(let x): appendLE(x)
        case .uint16(let x): appendLE(x)
        case .int16(let x): appendLE(x)
        case .uint32(let x): appendLE(x)
        case .int32(let x): appendLE(x)
        case .float32(let x): appendLE(x.bitPattern)
        case .bool(let x): appendLE(UInt8(x ? 1 : 0))
        case .string(let s): appendString(s)
        case .uint64(let x): appendLE(x)
        case .int64(let x): appendLE(x)
        case .float64(let x): appendLE(x.bitPattern)
        case .array(let t, let a):
            appendLE(t.rawValue)
            appendLE(UInt64(a.count))
            for e in a { appendValue(e) }
        }
    }
}

/// `write(2)`, named so it does not collide with `GGUFWriter.write(to:)`.
private func systemWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, p, n)
    #else
    return Darwin.write(fd, p, n)
    #endif
}
