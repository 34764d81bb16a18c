import Foundation
import GGUF

/// Element types read from safetensors files.
public enum SafetensorsDType: String, Sendable {
    case f32 = "F32", f16 = "F16", bf16 = "BF16"
    /// Raw bytes: read only as the packed ternary weights of a BitNet-quantized checkpoint (four 2-bit codes per
    /// byte, `quantization_config.quant_method` "bitnet").
    case u8 = "U8"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .f32: 4
        case .f16, .bf16: 2
        case .u8: 1
        }
    }
}

/// One tensor of a safetensors file: its bytes stay in the file's mapping.
public struct SafetensorsTensor: @unchecked Sendable {
    // Sendable: `bytes` points into `storage`, which is read-only and kept alive by this value.
    /// Name as stored (`model.layers.0.self_attn.q_proj.weight`).
    public let name: String
    /// Element type.
    public let dtype: SafetensorsDType
    /// Shape, slowest-varying dimension first (PyTorch order).
    public let shape: [Int]
    /// The tensor's little-endian bytes.
    public let bytes: UnsafeRawBufferPointer
    let storage: MappedBytes

    /// Number of elements.
    public var elementCount: Int { shape.reduce(1, *) }

    /// Element `i` as `Float` (exact for every type; a U8 element is its byte's value).
    @inline(__always) public func element(_ i: Int) -> Float {
        switch dtype {
        case .u8: Float(bytes[i])
        case .f32: Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
        case .f16: HalfConversion.f16ToF32(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
        case .bf16: HalfConversion.bf16ToF32(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
        }
    }

    /// All elements as `Float` (the dtype chosen once, not per element).
    public func floats() -> [Float] {
        let count = elementCount
        let bytes = bytes
        return [Float](unsafeUninitializedCapacity: count) { buf, n in
            func fill<Bits: FixedWidthInteger>(_: Bits.Type, _ convert: (Bits) -> Float) {
                for i in 0..<count {
                    let stored = bytes.loadUnaligned(fromByteOffset: MemoryLayout<Bits>.size * i, as: Bits.self)
                    buf[i] = convert(Bits(littleEndian: stored))
                }
            }
            switch dtype {
            case .f32: fill(UInt32.self) { Float(bitPattern: $0) }
            case .f16: fill(UInt16.self, HalfConversion.f16ToF32)
            case .bf16: fill(UInt16.self, HalfConversion.bf16ToF32)
            case .u8: fill(UInt8.self) { Float($0) }
            }
            n = count
        }
    }
}

/// A memory-mapped `.safetensors` file: an 8-byte little-endian header length, a JSON header naming each tensor's
/// dtype, shape and byte range, then the data.
public final class SafetensorsFile: @unchecked Sendable {
    // Sendable: immutable after init.
    /// Path of the file.
    public let path: String
    /// The tensors, sorted by name.
    public let tensors: [SafetensorsTensor]

    /// Maps and indexes `path`, checking every tensor's byte range against its dtype, shape and the file size.
    /// - Throws: `HFImportError.badSafetensors` (short file, bad header, ranges), `.unsupportedDType`.
    public init(path: String) throws(HFImportError) {
        self.path = path
        let mapped: MappedBytes
        do { mapped = try MappedBytes(path: path) } catch {
            throw .badSafetensors(path: path, reason: "\(error)")
        }
        let all = mapped.buffer
        guard all.count >= 8 else { throw .badSafetensors(path: path, reason: "\(all.count) bytes, shorter than the header length") }
        let headerLength = UInt64(littleEndian: all.loadUnaligned(as: UInt64.self))
        guard headerLength <= UInt64(all.count - 8), headerLength <= 100_000_000 else {
            throw .badSafetensors(path: path, reason: "header length \(headerLength) exceeds the file (\(all.count) bytes)")
        }
        let header = Data(UnsafeRawBufferPointer(rebasing: all[8..<(8 + Int(headerLength))]))
        guard let json = try? JSONSerialization.jsonObject(with: header) as? [String: Any] else {
            throw .badSafetensors(path: path, reason: "the header is not a JSON object")
        }
        let dataStart = 8 + Int(headerLength)
        let dataCount = all.count - dataStart
        var tensors: [SafetensorsTensor] = []
        for (name, value) in json where name != "__metadata__" {
            guard let entry = value as? [String: Any], let dtypeName = entry["dtype"] as? String,
                  let shape = (entry["shape"] as? [Any])?.compactMap(HFJSON.int),
                  let offsets = (entry["data_offsets"] as? [Any])?.compactMap(HFJSON.int), offsets.count == 2
            else { throw .badSafetensors(path: path, reason: "tensor '\(name)' has no dtype, shape or data_offsets") }
            guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
                throw .unsupportedDType(tensor: name, dtype: dtypeName)
            }
            // The element count without overflow (a hostile header can name any shape).
            var count: Int? = dtype.size
            for d in shape {
                guard let c = count, d >= 0 else { count = nil; break }
                let (product, overflow) = c.multipliedReportingOverflow(by: d)
                count = overflow ? nil : product
            }
            guard let byteCount = count, offsets[0] >= 0, offsets[1] >= offsets[0], offsets[1] <= dataCount,
                  offsets[1] - offsets[0] == byteCount
            else {
                throw .badSafetensors(path: path, reason: "tensor '\(name)' \(dtypeName) \(shape): bytes \(offsets) do not "
                    + "fit its size or the file's \(dataCount) data bytes")
            }
            let bytes = UnsafeRawBufferPointer(rebasing: all[(dataStart + offsets[0])..<(dataStart + offsets[1])])
            tensors.append(SafetensorsTensor(name: name, dtype: dtype, shape: shape, bytes: bytes, storage: mapped))
        }
        self.tensors = tensors.sorted { $0.name < $1.name }
    }
}

/// Small readers for values decoded by `JSONSerialization` (which gives JSON booleans as `NSNumber`s of a boolean
/// class, and on Linux lets any `NSNumber` cast to `Bool`, so booleans are told apart by their class).
enum HFJSON {
    /// Whether `v` came from a JSON `true`/`false`.
    static func isBool(_ v: Any?) -> Bool {
        guard let v else { return false }
        return type(of: v) == Bool.self || String(describing: type(of: v)).contains("Boolean")
    }

    /// An integer (a JSON number with no fraction), else nil. Booleans are not integers.
    static func int(_ v: Any?) -> Int? {
        guard !isBool(v), let d = double(v), d == d.rounded(), abs(d) < 9e15 else { return nil }
        return Int(d)
    }

    /// A number as `Double`, else nil.
    static func double(_ v: Any?) -> Double? {
        if isBool(v) { return nil }
        if let i = v as? Int { return Double(i) }
        return v as? Double
    }

    /// A boolean, else nil.
    static func bool(_ v: Any?) -> Bool? { isBool(v) ? v as? Bool : nil }

    /// Reads `path` as a JSON object.
    static func object(at path: String) throws(HFImportError) -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .badJSON(path: path, reason: "unreadable")
        }
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: data) } catch {
            throw .badJSON(path: path, reason: "not valid JSON (\(error.localizedDescription))")
        }
        guard let object = parsed as? [String: Any] else { throw .badJSON(path: path, reason: "not a JSON object") }
        return object
    }
}
