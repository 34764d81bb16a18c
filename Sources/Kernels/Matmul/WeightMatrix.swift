import GGUF

/// A read-only weight matrix in a ggml block format: `rows` rows of `cols` elements, row-major, rows contiguous.
///
/// In ggml terms a tensor of shape `[cols, rows]` (shape[0] is the row length). The bytes usually live in a
/// memory-mapped GGUF file; the caller keeps that mapping alive as long as the matrix is used.
///
/// I2_S (bitnet.cpp) differs from the block formats: its rows are `cols / 4` bytes of bare 2-bit codes and the
/// tensor ends with 32 bytes whose first four hold one F32 scale for the whole matrix (`tensorScale`).
public struct WeightMatrix: @unchecked Sendable {
    // @unchecked Sendable: `data` points at immutable bytes (the mmapped file) that nothing writes.

    /// Element type (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q4_K, Q6_K, TQ1_0, TQ2_0 or I2_S).
    public let type: GGMLType
    /// Output features (number of rows).
    public let rows: Int
    /// Input features (elements per row).
    public let cols: Int
    /// First byte of row 0.
    public let data: UnsafeRawPointer
    /// Bytes per row.
    public let rowBytes: Int
    /// The dot-product kernel for one activation row: the one llama.cpp's CPU backend runs for this type and row
    /// count. Batches may use others (`kernels`, `kernel(forRow:of:)`).
    public var kernel: DotKernel { kernels.single }
    /// Every kernel llama.cpp runs for this matrix, by batch size and row.
    public let kernels: DotKernel.GGMLKernels
    /// The one scale of a tensor-scaled type (I2_S), which `matmul` multiplies every output by; nil for block
    /// formats, whose scales live inside each block.
    public let tensorScale: Float?

    /// Bytes after the last row of an I2_S tensor (the scale and padding).
    static let i2sTrailerBytes = 32

    /// Wraps `bytes` (exactly `rows × rowBytes` long, plus the 32-byte trailer for I2_S) as a matrix; `path` picks
    /// the kernel family.
    /// - Throws: `KernelError` when the type has no kernel, the row is not whole blocks, the size is wrong, or an
    ///   I2_S scale is not finite.
    public init(
        type: GGMLType, rows: Int, cols: Int, bytes: UnsafeRawBufferPointer, path: KernelPath = .simd
    ) throws(KernelError) {
        guard rows > 0, cols > 0, let base = bytes.baseAddress else { throw .emptyShape(rows: rows, cols: cols) }
        guard let kernels = DotKernel.ggmlKernels(for: type, rows: rows, cols: cols, path: path), let traits = type.traits else {
            throw .unsupportedType(type)
        }
        let scaled = DotKernel.tensorScaledTypes.contains(type)
        let activationBlock = kernels.single.activation.blockSize
        let blockSize = scaled ? activationBlock : traits.blockSize
        guard cols % blockSize == 0, cols % activationBlock == 0 else {
            throw .rowNotBlockAligned(type: type, cols: cols, blockSize: max(blockSize, activationBlock))
        }
        let rowBytes = scaled ? cols / 4 : cols / traits.blockSize * traits.blockBytes
        let (payload, overflow) = rows.multipliedReportingOverflow(by: rowBytes)
        let (expected, overflow2) = payload.addingReportingOverflow(scaled ? Self.i2sTrailerBytes : 0)
        guard !overflow, !overflow2, expected == bytes.count else {
            throw .sizeMismatch(type: type, rows: rows, cols: cols, expected: overflow || overflow2 ? Int.max : expected,
                                found: bytes.count)
        }
        if scaled {
            // payload + 4 ≤ payload + 32 == bytes.count: the scale lies inside the trailer.
            let scale = bytes.loadUnaligned(fromByteOffset: payload, as: Float.self)
            guard scale.isFinite else { throw .invalidTensorScale(type: type, value: "\(scale)") }
            tensorScale = scale
        } else {
            tensorScale = nil
        }
        self.type = type
        self.rows = rows
        self.cols = cols
        self.data = base
        self.rowBytes = rowBytes
        self.kernels = kernels
    }

    /// Rows `range` as a matrix of their own, over the same bytes. It keeps this matrix's kernels — chosen for the
    /// whole row count, as llama.cpp chooses them for a fused tensor (phi3's `attn_qkv`, `ffn_up` holding gate and
    /// up) — and its tensor scale, so each output is computed exactly as the whole matrix computes it.
    public func rows(_ range: Range<Int>) -> WeightMatrix {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows && !range.isEmpty,
                     "rows \(range) outside 0..<\(rows)")
        return WeightMatrix(type: type, rows: range.count, cols: cols, data: data + range.lowerBound * rowBytes,
                            rowBytes: rowBytes, kernels: kernels, tensorScale: tensorScale)
    }

    private init(type: GGMLType, rows: Int, cols: Int, data: UnsafeRawPointer, rowBytes: Int,
                 kernels: DotKernel.GGMLKernels, tensorScale: Float?) {
        self.type = type
        self.rows = rows
        self.cols = cols
        self.data = data
        self.rowBytes = rowBytes
        self.kernels = kernels
        self.tensorScale = tensorScale
    }

    /// The kernel for activation row `t` of a matmul of `count` rows (all share one activation format).
    @inline(__always)
    public func kernel(forRow t: Int, of count: Int) -> DotKernel {
        if let grouped = kernels.grouped, t < count - count % 4 { return grouped }
        return count >= kernels.batchFloor ? kernels.batched ?? kernels.single : kernels.single
    }

    /// Start of row `r` (0 ≤ r < rows).
    @inline(__always)
    public func row(_ r: Int) -> UnsafeRawPointer { data + r * rowBytes }

    /// Dequantizes row `r` into `out` (`cols` floats), e.g. for an embedding lookup.
    public func dequantizeRow(_ r: Int, into out: UnsafeMutablePointer<Float>) {
        precondition(r >= 0 && r < rows, "row \(r) outside 0..<\(rows)")
        // Row r spans rowBytes bytes inside the rows × rowBytes buffer checked in init; out holds cols floats.
        if type == .i2_s, let tensorScale {
            Dequantize.i2_s(row(r), into: out, count: cols, scale: tensorScale)
        } else {
            _ = Dequantize.row(type, row(r), into: out, count: cols)
        }
    }
}
