/// The 13 GGUF metadata value types, with their on-disk ids.
public enum GGUFValueType: UInt32, Sendable, CaseIterable {
    case uint8 = 0, int8, uint16, int16, uint32, int32, float32, bool, string, array, uint64, int64, float64

    /// Name used in messages and JSON (`u32`, `str`, `arr`...).
    public var name: String {
        switch self {
        case .uint8: "u8"
        case .int8: "i8"
        case .uint16: "u16"
        case .int16: "i16"
        case .uint32: "u32"
        case .int32: "i32"
        case .float32: "f32"
        case .bool: "bool"
        case .string: "str"
        case .array: "arr"
        case .uint64: "u64"
        case .int64: "i64"
        case .float64: "f64"
        }
    }
}

/// One metadata value. Arrays keep their declared element type so a round trip writes the same bytes.
public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case float32(Float), bool(Bool), string(String)
    case array(GGUFValueType, [GGUFValue])
    case uint64(UInt64), int64(Int64), float64(Double)

    /// The on-disk type of this value.
    public var type: GGUFValueType {
        switch self {
        case .uint8: .uint8
        case .int8: .int8
        case .uint16: .uint16
        case .int16: .int16
        case .uint32: .uint32
        case .int32: .int32
        case .float32: .float32
        case .bool: .bool
        case .string: .string
        case .array: .array
        case .uint64: .uint64
        case .int64: .int64
        case .float64: .float64
        }
    }

    /// The value as `Int` when it is an integer that fits (any width or signedness), else nil.
    public var int: Int? {
        switch self {
        case .uint8(let v): Int(v)
        case .int8(let v): Int(v)
        case .uint16(let v): Int(v)
        case .int16(let v): Int(v)
        case .uint32(let v): Int(v)
        case .int32(let v): Int(v)
        case .uint64(let v): Int(exactly: v)
        case .int64(let v): Int(v)
        default: nil
        }
    }

    /// The value as `Double` for any numeric type, else nil.
    public var double: Double? {
        switch self {
        case .float32(let v): Double(v)
        case .float64(let v): v
        default: int.map(Double.init)
        }
    }

    /// The value as `Float` for any numeric type, else nil.
    public var float: Float? { double.map(Float.init) }

    /// The string, when this is a string.
    public var string: String? { if case .string(let s) = self { s } else { nil } }

    /// The boolean, when this is a bool.
    public var bool: Bool? { if case .bool(let b) = self { b } else { nil } }

    /// The elements, when this is an array.
    public var array: [GGUFValue]? { if case .array(_, let a) = self { a } else { nil } }

    /// The elements as strings, when this is an array of strings.
    public var stringArray: [String]? {
        guard case .array(.string, let a) = self else { return nil }
        return a.map { $0.string ?? "" }
    }

    /// The elements as `Float`, when this is an array of numbers.
    public var floatArray: [Float]? {
        guard let a = array else { return nil }
        var out: [Float] = []
        out.reserveCapacity(a.count)
        for v in a { guard let f = v.float else { return nil }; out.append(f) }
        return out
    }

    /// The elements as `Int`, when this is an array of integers.
    public var intArray: [Int]? {
        guard let a = array else { return nil }
        var out: [Int] = []
        out.reserveCapacity(a.count)
        for v in a { guard let i = v.int else { return nil }; out.append(i) }
        return out
    }

    /// A short human-readable rendering; long arrays are summarised.
    public func summary(maxElements: Int = 8) -> String {
        switch self {
        case .string(let s): return "\"\(s.count > 120 ? String(s.prefix(117)) + "..." : s)\""
        case .array(let t, let a):
            let head = a.prefix(maxElements).map { $0.summary(maxElements: maxElements) }.joined(separator: ", ")
            return "[\(t.name) × \(a.count)] [\(head)\(a.count > maxElements ? ", ..." : "")]"
        case .bool(let b): return b ? "true" : "false"
        case .float32(let f): return "\(f)"
        case .float64(let d): return "\(d)"
        default: return int.map(String.init) ?? "\(self)"
        }
    }
}
