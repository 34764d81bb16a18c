/// A ggml tensor element type, identified by the numeric id stored in GGUF tensor infos.
///
/// Known ids carry their block size (elements per block) and block byte size, which is all a reader needs
/// to compute a tensor's byte range. Unknown ids are kept as-is so errors can name them.
public struct GGMLType: Hashable, Sendable, CustomStringConvertible {
    /// The numeric id as stored in the file.
    public let rawValue: UInt32

    /// Creates a type from its numeric id; the id need not be known.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Layout facts for a known type.
    public struct Traits: Sendable {
        /// Lower-case name as llama.cpp prints it (`q4_1`, `tq2_0`, `i2_s`).
        public let name: String
        /// Elements per block.
        public let blockSize: Int
        /// Bytes per block.
        public let blockBytes: Int
        /// Whether the type is a quantized block format (as opposed to a plain scalar type).
        public let isQuantized: Bool
    }

    /// Layout facts, or nil when this build does not know the id.
    public var traits: Traits? { GGMLType.table[rawValue] }

    /// Whether the id is one this build knows.
    public var isKnown: Bool { traits != nil }

    /// Name of the type, or `type#<id>` when unknown.
    public var name: String { traits?.name ?? "type#\(rawValue)" }

    public var description: String { name }

    /// Bytes needed for a tensor of `elementCount` elements whose first dimension is `rowLength`,
    /// or nil when the type is unknown, the row is not a whole number of blocks, or the size overflows.
    ///
    /// I2_S (bitnet.cpp) packs four 2-bit codes a byte and appends a 32-byte trailer holding its f32 scale.
    public func byteCount(elementCount: Int, rowLength: Int) -> Int? {
        guard let t = traits, elementCount >= 0, rowLength >= 0 else { return nil }
        if self == .i2_s {
            guard elementCount % 4 == 0 else { return nil }
            return elementCount / 4 + 32
        }
        guard rowLength % t.blockSize == 0, elementCount % t.blockSize == 0 else { return nil }
        let (bytes, overflow) = (elementCount / t.blockSize).multipliedReportingOverflow(by: t.blockBytes)
        return overflow ? nil : bytes
    }

    /// Bytes in one row of `rowLength` elements, or nil when not a whole number of blocks.
    /// I2_S has no per-row size (its scale trails the whole tensor), so it returns `rowLength / 4`.
    public func rowByteCount(_ rowLength: Int) -> Int? {
        guard let t = traits else { return nil }
        if self == .i2_s { return rowLength % 4 == 0 ? rowLength / 4 : nil }
        guard rowLength % t.blockSize == 0 else { return nil }
        return rowLength / t.blockSize * t.blockBytes
    }
}

extension GGMLType {
    public static let f32 = GGMLType(rawValue: 0)
    public static let f16 = GGMLType(rawValue: 1)
    public static let q4_0 = GGMLType(rawValue: 2)
    public static let q4_1 = GGMLType(rawValue: 3)
    public static let q5_0 = GGMLType(rawValue: 6)
    public static let q5_1 = GGMLType(rawValue: 7)
    public static let q8_0 = GGMLType(rawValue: 8)
    public static let q8_1 = GGMLType(rawValue: 9)
    public static let q2_K = GGMLType(rawValue: 10)
    public static let q3_K = GGMLType(rawValue: 11)
    public static let q4_K = GGMLType(rawValue: 12)
    public static let q5_K = GGMLType(rawValue: 13)
    public static let q6_K = GGMLType(rawValue: 14)
    public static let q8_K = GGMLType(rawValue: 15)
    public static let iq4_nl = GGMLType(rawValue: 20)
    public static let iq4_xs = GGMLType(rawValue: 23)
    public static let i8 = GGMLType(rawValue: 24)
    public static let i16 = GGMLType(rawValue: 25)
    public static let i32 = GGMLType(rawValue: 26)
    public static let i64 = GGMLType(rawValue: 27)
    public static let f64 = GGMLType(rawValue: 28)
    public static let bf16 = GGMLType(rawValue: 30)
    public static let tq1_0 = GGMLType(rawValue: 34)
    public static let tq2_0 = GGMLType(rawValue: 35)
    /// Microsoft bitnet.cpp's 2-bit ternary format. Id 36 was IQ4_NL_4_4 upstream, removed from GGUF files there.
    public static let i2_s = GGMLType(rawValue: 36)
    public static let mxfp4 = GGMLType(rawValue: 39)

    /// Every id this build knows, in id order.
    public static var allKnown: [GGMLType] { table.keys.sorted().map(GGMLType.init(rawValue:)) }

    // Block layouts follow ggml/src/ggml-common.h at the pinned llama.cpp (ids 4, 5, 31-33, 37, 38 were removed
    // upstream) plus bitnet.cpp's I2_S. Sizes are the structs' byte sizes.
    static let table: [UInt32: Traits] = {
        func t(_ n: String, _ b: Int, _ s: Int, _ q: Bool = true) -> Traits {
            Traits(name: n, blockSize: b, blockBytes: s, isQuantized: q)
        }
        return [
            0: t("f32", 1, 4, false), 1: t("f16", 1, 2, false),
            2: t("q4_0", 32, 18), 3: t("q4_1", 32, 20), 6: t("q5_0", 32, 22), 7: t("q5_1", 32, 24),
            8: t("q8_0", 32, 34), 9: t("q8_1", 32, 36),
            10: t("q2_K", 256, 84), 11: t("q3_K", 256, 110), 12: t("q4_K", 256, 144), 13: t("q5_K", 256, 176),
            14: t("q6_K", 256, 210), 15: t("q8_K", 256, 292),
            16: t("iq2_xxs", 256, 66), 17: t("iq2_xs", 256, 74), 18: t("iq3_xxs", 256, 98), 19: t("iq1_s", 256, 50),
            20: t("iq4_nl", 32, 18), 21: t("iq3_s", 256, 110), 22: t("iq2_s", 256, 82), 23: t("iq4_xs", 256, 136),
            24: t("i8", 1, 1, false), 25: t("i16", 1, 2, false), 26: t("i32", 1, 4, false), 27: t("i64", 1, 8, false),
            28: t("f64", 1, 8, false), 29: t("iq1_m", 256, 56), 30: t("bf16", 1, 2, false),
            34: t("tq1_0", 256, 54), 35: t("tq2_0", 256, 66), 36: t("i2_s", 1, 1),
            39: t("mxfp4", 32, 17), 40: t("nvfp4", 64, 36), 41: t("q1_0", 128, 18), 42: t("q2_0", 64, 18),
        ]
    }()
}
