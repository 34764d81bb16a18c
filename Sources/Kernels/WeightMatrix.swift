import GGUF

/// A read-only weight matrix in a ggml block format: `rows` rows of `cols` elements, row-major, rows contiguous.
///
/// In ggml terms a tensor of shape `[cols, rows]` (shape[0] is the row length). The bytes usually live in a
/// memory-mapped GGUF file; the caller keeps that mapping alive as long as the matrix is used.
public struct WeightMatrix: @unchecked Sendable {
    // @unchecked Sendable: `data` points at immutable bytes (the mmapped file) that nothing writes.

    /// Element type (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q4_K, Q6_K, TQ1_0 or TQ2_0).
    public let type: GGMLType
    /// Output features (number of rows).
    public let rows: Int
    /// Input features (elements per row).
    public let cols: Int
    /// First byte of row 0.
    public let data: UnsafeRawPointer
    /// Bytes per row.
    public let rowBytes: Int
    /// The dot-product kernel `matmul` runs for this matrix.
    public let kernel: DotKernel

    /// Wraps `bytes` (exactly `rows × rowBytes` long) as a matrix; `path` picks the kernel family.
    /// - Throws: `KernelError` when the type has no kernel, the row is not whole blocks, or the size is wrong.
    public init(
        type: GGMLType, rows: Int, cols: Int, bytes: UnsafeRawBufferPointer, path: KernelPath = .simd
    ) throws(KernelError) {
        guard rows > 0, cols > 0, let base = bytes.baseAddress else { throw .emptyShape(rows: rows, cols: cols) }
        guard let kernel = DotKernel.kernel(for: type, path: path), let traits = type.traits else {
            throw .unsupportedType(type)
        }
        guard cols % traits.blockSize == 0, cols % kernel.activation.blockSize == 0 else {
            throw .rowNotBlockAligned(type: type, cols: cols, blockSize: max(traits.blockSize, kernel.activation.blockSize))
        }
        let rowBytes = cols / traits.blockSize * traits.blockBytes
        let (expected, overflow) = rows.multipliedReportingOverflow(by: rowBytes)
        guard !overflow, expected == bytes.count else {
            throw .sizeMismatch(type: type, rows: rows, cols: cols, expected: overflow ? Int.max : expected,
                                found: bytes.count)
        }
        self.type = type
        self.rows = rows
        self.cols = cols
        self.data = base
        self.rowBytes = rowBytes
        self.kernel = kernel
    }

    /// Start of row `r` (0 ≤ r < rows).
    @inline(__always)
    public func row(_ r: Int) -> UnsafeRawPointer { data + r * rowBytes }

    /// Dequantizes row `r` into `out` (`cols` floats), e.g. for an embedding lookup.
    public func dequantizeRow(_ r: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(r >= 0 && r < rows, "row \(r) outside 0..<\(rows)")
        // Row r spans rowBytes bytes inside the rows × rowBytes buffer checked in init; out holds cols floats.
        _ = Dequantize.row(type, row(r), into: out, count: cols)
    }
}
