import GGUF

/// Why a tensor cannot be used by the kernels.
public enum KernelError: Error, Equatable, CustomStringConvertible {
    /// No dot product / dequantizer exists for this type in this build.
    case unsupportedType(GGMLType)
    /// The row length is not a whole number of the type's blocks.
    case rowNotBlockAligned(type: GGMLType, cols: Int, blockSize: Int)
    /// The byte buffer does not match `rows × row bytes`.
    case sizeMismatch(type: GGMLType, rows: Int, cols: Int, expected: Int, found: Int)
    /// Rows or columns are not positive.
    case emptyShape(rows: Int, cols: Int)
    /// A per-tensor scale (I2_S's trailer) is not a finite number.
    case invalidTensorScale(type: GGMLType, value: String)

    public var description: String {
        switch self {
        case .unsupportedType(let t):
            "no kernel for tensor type \(t); supported: \(DotKernel.allTypes.map(\.name).joined(separator: ", "))"
        case .rowNotBlockAligned(let t, let cols, let block):
            "row length \(cols) is not a multiple of \(t)'s block size \(block); the tensor is malformed"
        case .sizeMismatch(let t, let rows, let cols, let expected, let found):
            "\(t) matrix \(rows)×\(cols) needs \(expected) bytes but \(found) were given; the file is truncated or "
                + "the shape is wrong"
        case .emptyShape(let rows, let cols):
            "matrix shape \(rows)×\(cols) has no elements"
        case .invalidTensorScale(let t, let value):
            "\(t) tensor scale is \(value), not a finite number; the file is corrupt"
        }
    }
}
