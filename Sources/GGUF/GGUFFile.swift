/// A parsed GGUF file: header, metadata, tensor directory, and zero-copy access to tensor data.
///
/// Parsing validates everything it reads (see `GGUFError`); once `init` returns, every tensor's byte range lies
/// inside the file, is aligned, and does not overlap another.
public final class GGUFFile: Sendable {
    /// Path the file was read from (or a label for in-memory bytes).
    public let path: String
    /// GGUF format version (2 or 3).
    public let version: UInt32
    /// All metadata, in file order.
    public let metadata: GGUFMetadata
    /// All tensor infos, in file order.
    public let tensors: [GGUFTensorInfo]
    /// Data-section alignment (`general.alignment`, default 32).
    public let alignment: Int
    /// Offset of the data section from the start of the file.
    public let dataOffset: Int
    /// The underlying bytes (mapped or owned).
    public let storage: MappedBytes
    private let tensorIndex: [String: Int]

    /// Default data alignment when `general.alignment` is absent.
    public static let defaultAlignment = 32
    /// Deepest array nesting the reader accepts.
    static let maxNesting = 8

    /// Memory-maps and parses `path`.
    /// - Throws: `GGUFError` describing the first problem found.
    public convenience init(path: String) throws(GGUFError) {
        try self.init(storage: MappedBytes(path: path), path: path)
    }

    /// Parses bytes already in memory; `label` names them in errors.
    public convenience init(bytes: [UInt8], label: String = "<memory>") throws(GGUFError) {
        try self.init(storage: MappedBytes(copying: bytes), path: label)
    }

    /// Parses `storage`, which the file keeps alive for as long as tensor views are used.
    public init(storage: MappedBytes, path: String) throws(GGUFError) {
        self.storage = storage
        self.path = path
        var cur = ByteCursor(bytes: storage.buffer, path: path)
        let magic = try cur.read(UInt32.self, "magic")
        guard magic == 0x4655_4747 else { throw .badMagic(path: path, found: magic) }
        version = try cur.read(UInt32.self, "version")
        guard version == 2 || version == 3 else { throw .unsupportedVersion(path: path, version: version) }
        let countOffset = cur.offset
        let tensorCount = try cur.read(UInt64.self, "tensor count")
        let kvCount = try cur.read(UInt64.self, "metadata count")
        // Each tensor info takes at least 8+4+8+4+8 bytes, each key/value at least 8+4+1.
        guard tensorCount <= UInt64(cur.remaining / 32) else {
            throw .lengthBeyondFile(path: path, offset: countOffset, what: "tensor count", length: tensorCount,
                                    available: cur.remaining)
        }
        guard kvCount <= UInt64(cur.remaining / 13) else {
            throw .lengthBeyondFile(path: path, offset: countOffset + 8, what: "metadata count", length: kvCount,
                                    available: cur.remaining)
        }
        var md = GGUFMetadata()
        for _ in 0..<Int(kvCount) {
            let at = cur.offset
            let key = try cur.readString("metadata key")
            let value = try GGUFFile.readValue(&cur, key: key, depth: 0)
            guard md.appendUnique(key, value) else { throw .duplicateKey(path: path, offset: at, key: key) }
        }
        metadata = md
        alignment = try GGUFFile.alignment(of: md, path: path)

        var infos: [(name: String, type: GGMLType, shape: [Int], offset: UInt64, infoAt: Int)] = []
        infos.reserveCapacity(Int(tensorCount))
        var seen: [String: Int] = [:]
        for i in 0..<Int(tensorCount) {
            let at = cur.offset
            let name = try cur.readString("tensor name")
            guard seen.updateValue(i, forKey: name) == nil else {
                throw .duplicateTensorName(path: path, offset: at, tensor: name)
            }
            let nDims = try cur.read(UInt32.self, "dimension count of '\(name)'")
            guard (1...4).contains(nDims) else {
                throw .invalidDimensions(path: path, offset: at, tensor: name, nDims: nDims)
            }
            var dims: [UInt64] = []
            for _ in 0..<nDims { dims.append(try cur.read(UInt64.self, "dimensions of '\(name)'")) }
            let typeId = try cur.read(UInt32.self, "type of '\(name)'")
            let offset = try cur.read(UInt64.self, "data offset of '\(name)'")
            var elements: Int = 1
            for d in dims {
                guard let di = Int(exactly: d) else {
                    throw .dimensionOverflow(path: path, offset: at, tensor: name, shape: dims)
                }
                let (p, o) = elements.multipliedReportingOverflow(by: di)
                guard !o else { throw .dimensionOverflow(path: path, offset: at, tensor: name, shape: dims) }
                elements = p
            }
            let type = GGMLType(rawValue: typeId)
            guard type.isKnown else { throw .unknownTensorType(path: path, offset: at, tensor: name, id: typeId) }
            infos.append((name, type, dims.map { Int($0) }, offset, at))
        }
        tensorIndex = seen

        // The data section starts at the next multiple of the alignment after the tensor directory.
        let (padded, o) = cur.offset.addingReportingOverflow(alignment - 1)
        dataOffset = o ? Int.max : padded / alignment * alignment
        if !infos.isEmpty { try cur.skip(to: dataOffset, "padding before tensor data") }
        tensors = try GGUFFile.locate(infos.map { ($0.name, $0.type, $0.shape, $0.offset) }, dataOffset: dataOffset,
                                      alignment: alignment, fileSize: storage.buffer.count, path: path)
    }

    /// The info for `name`, or nil.
    public func tensor(named name: String) -> GGUFTensorInfo? { tensorIndex[name].map { tensors[$0] } }

    /// The info for `name`.
    /// - Throws: `GGUFError.missingTensor`.
    public func requireTensor(_ name: String) throws(GGUFError) -> GGUFTensorInfo {
        guard let t = tensor(named: name) else { throw .missingTensor(name: name) }
        return t
    }

    /// The bytes of `info` without copying; valid while this file is alive.
    public func data(of info: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        // Bounds: init verified fileOffset + byteCount <= file size for every tensor.
        UnsafeRawBufferPointer(rebasing: storage.buffer[info.fileOffset..<(info.fileOffset + info.byteCount)])
    }

    /// Size of the file in bytes.
    public var fileSize: Int { storage.buffer.count }

    /// Total number of weights across all tensors.
    public var parameterCount: Int { tensors.reduce(0) { $0 + $1.elementCount } }

    private static func alignment(of md: GGUFMetadata, path: String) throws(GGUFError) -> Int {
        guard let v = md["general.alignment"] else { return defaultAlignment }
        guard case .uint32(let a) = v, a > 0, a & (a - 1) == 0 else {
            throw .invalidAlignment(path: path, value: v.summary())
        }
        return Int(a)
    }

    static func readValue(_ cur: inout ByteCursor, key: String, depth: Int) throws(GGUFError) -> GGUFValue {
        let at = cur.offset
        let raw = try cur.read(UInt32.self, "value type of '\(key)'")
        guard let type = GGUFValueType(rawValue: raw) else {
            throw .unknownValueType(path: cur.path, offset: at, key: key, id: raw)
        }
        return try readValue(&cur, type: type, key: key, depth: depth)
    }

    static func readValue(_ cur: inout ByteCursor, type: GGUFValueType, key: String,
                          depth: Int) throws(GGUFError) -> GGUFValue {
        let what = "value of '\(key)'"
        switch type {
        case .uint8: return .uint8(try cur.read(UInt8.self, what))
        case .int8: return .int8(try cur.read(Int8.self, what))
        case .uint16: return .uint16(try cur.read(UInt16.self, what))
        case .int16: return .int16(try cur.read(Int16.self, what))
        case .uint32: return .uint32(try cur.read(UInt32.self, what))
        case .int32: return .int32(try cur.read(Int32.self, what))
        case .float32: return .float32(Float(bitPattern: try cur.read(UInt32.self, what)))
        case .bool: return .bool(try cur.read(UInt8.self, what) != 0)
        case .string: return .string(try cur.readString(what))
        case .uint64: return .uint64(try cur.read(UInt64.self, what))
        case .int64: return .int64(try cur.read(Int64.self, what))
        case .float64: return .float64(Double(bitPattern: try cur.read(UInt64.self, what)))
        case .array:
            let at = cur.offset
            guard depth < maxNesting else { throw .nestingTooDeep(path: cur.path, offset: at, key: key, depth: depth + 1) }
            let rawElem = try cur.read(UInt32.self, "array element type of '\(key)'")
            guard let elem = GGUFValueType(rawValue: rawElem) else {
                throw .unknownValueType(path: cur.path, offset: at, key: key, id: rawElem)
            }
            let count = try cur.read(UInt64.self, "array length of '\(key)'")
            let minSize: UInt64 = switch elem {
            case .uint8, .int8, .bool: 1
            case .uint16, .int16: 2
            case .uint32, .int32, .float32: 4
            case .uint64, .int64, .float64, .string: 8
            case .array: 12
            }
            guard count <= UInt64(cur.remaining) / minSize else {
                throw .lengthBeyondFile(path: cur.path, offset: at + 4, what: "array length of '\(key)'",
                                        length: count, available: cur.remaining)
            }
            var values: [GGUFValue] = []
            values.reserveCapacity(Int(count))
            for _ in 0..<Int(count) {
                values.append(try readValue(&cur, type: elem, key: key, depth: depth + 1))
            }
            return .array(elem, values)
        }
    }
}
