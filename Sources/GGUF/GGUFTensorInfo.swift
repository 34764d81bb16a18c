/// A tensor's entry in the GGUF tensor directory: where its bytes are, not the bytes themselves.
public struct GGUFTensorInfo: Sendable, Equatable {
    /// Tensor name, e.g. `blk.0.attn_q.weight`.
    public let name: String
    /// Element type.
    public let type: GGMLType
    /// Dimensions in ggml order: `shape[0]` is the row length (contiguous), `shape[1]` the row count.
    public let shape: [Int]
    /// Offset of the data relative to the start of the file's data section.
    public let offset: UInt64
    /// Offset of the data from the start of the file.
    public let fileOffset: Int
    /// Size of the data in bytes.
    public let byteCount: Int

    /// Number of elements (product of the shape).
    public var elementCount: Int { shape.reduce(1, *) }

    /// Number of rows when viewed as a matrix whose rows have `shape[0]` elements.
    public var rowCount: Int { shape.dropFirst().reduce(1, *) }
}
