import GGUF

/// A dot-product kernel: weight row · activation row, both `count` elements in their formats.
public typealias RowDotFunction = @convention(c) (UnsafeRawPointer, UnsafeRawPointer, Int) -> Float

/// A multi-row dot-product kernel: `(w, stride, x, count, out, rows)` computes, for `r < rows`,
/// `out[r] = dot(w + r · stride, x, count)` with exactly the bits of the kind's `RowDotFunction`. One call covers a
/// whole range of rows, so the row loop is inside the kernel (inlined, several rows interleaved) rather than one
/// indirect call per row.
public typealias RowsDotFunction = @convention(c) (
    UnsafeRawPointer, Int, UnsafeRawPointer, Int, UnsafeMutablePointer<Float>, Int
) -> Void

/// A batch (prefill) form of a kernel: weight rows are first decoded into an L1-friendly layout (`unpack`:
/// `(w, stride, count, rows, out)`, `rowBytes(count)` bytes per row), then `rows` runs over the decoded rows with
/// `stride = rowBytes(count)`, giving the same bits as the kernel's `dot`.
public struct PrefillKernel: Sendable {
    public let rowBytes: @Sendable (Int) -> Int
    public let unpack: @Sendable (UnsafeRawPointer, Int, Int, Int, UnsafeMutableRawPointer) -> Void
    public var rows: RowsDotFunction
    /// The whole tile at once, where the level has that form: every activation row against the tile's decoded
    /// weight rows, with the same bits per output as `rows` (`matmul` then calls nothing else for the tile).
    public var tile: TileDotFunction? = nil
    /// How many weight rows one decoded tile holds when the layout fixes it (the K-quant panels interleave 8 rows,
    /// `KQuantPrefill`); nil lets `matmul` size tiles to L1.
    public var tileRows: Int? = nil
    /// A tile form that reads the stored (packed) rows where they lie, for batches of at most
    /// `PrefillKernel.packedTileMaxRows` activation rows, with the same bits per output as `rows`: for a few rows
    /// (continuous batching's decode steps) unpacking every tile costs more than it saves.
    public var packedTile: TileDotFunction? = nil

    /// The largest batch `packedTile` is used for, unless `packedTileLimit` says otherwise.
    public static let packedTileMaxRows = 16
    /// The largest batch this kernel's `packedTile` is used for: `packedTileMaxRows`, or more where the packed tile
    /// also beats the decoded one on long batches (AVX-512 Q8_0).
    public var packedTileLimit = PrefillKernel.packedTileMaxRows
    /// `rows` for two activation rows at once (each decoded weight block loaded once for both), with the same
    /// bits as two `rows` calls: `(w, stride, x0, x1, count, out0, out1, rows)`.
    public var rowPairs: RowPairsDotFunction? = nil
    /// The activation layout `rows` and `rowPairs` read, when it is not the decode kernel's (`DotKernel.activation`):
    /// Q8_0 and Q5_0 read `.q8_0Split` (aligned quants, F32 scales) — the same values in another arrangement.
    public var activation: ActivationFormat? = nil
    /// True when the decoded layout is the stored one (the ternary formats): `matmul` then runs `rows` and
    /// `rowPairs` on the weight rows where they lie instead of copying each tile through `unpack`.
    public var inPlace = false
}

/// A tile: `(w, stride, x, xStride, xRows, count, y, yStride, rows)` computes
/// `y[t · yStride + r] = dot(w + r · stride, x + t · xStride, count)` for `t < xRows`, `r < rows`, each with exactly the
/// bits of the kind's `RowDotFunction`.
public typealias TileDotFunction = @convention(c) (
    UnsafeRawPointer, Int, UnsafeRawPointer, Int, Int, Int, UnsafeMutablePointer<Float>, Int, Int
) -> Void

/// Two activation rows `x0`, `x1` against `rows` decoded weight rows, into `out0[0..<rows]` and `out1[0..<rows]`.
public typealias RowPairsDotFunction = @Sendable (
    UnsafeRawPointer, Int, UnsafeRawPointer, UnsafeRawPointer, Int, UnsafeMutablePointer<Float>,
    UnsafeMutablePointer<Float>, Int
) -> Void

/// One kernel level's implementations for one weight type or route: a row of that level's table.
struct LevelKernels {
    var dot: RowDotFunction
    var rows: RowsDotFunction? = nil
    var prefill: PrefillKernel? = nil
}

/// Which implementation family to use.
public enum KernelPath: String, Sendable {
    /// `DotScalar`: the readable reference.
    case scalar
    /// The active kernel level's (`KernelLevel.active`: AVX2 where the CPU has it; scalar otherwise, until a NEON
    /// level exists).
    case simd
}

/// One weight type's dot product, the activation format it consumes, and the id reported to benchmarks.
public struct DotKernel: Sendable {
    /// Stable identifier, `<weight>×<activation>.<path>`, e.g. `q4_1×q8_1.avx2`.
    public let id: String
    /// The weight type this kernel reads.
    public let weightType: GGMLType
    /// What `ActivationQuantizer` must turn F32 activations into first.
    public let activation: ActivationFormat
    /// The row dot product.
    public let dot: RowDotFunction
    /// The multi-row form, where one exists (on AVX2: Q8_0, Q4_1, Q5_0, F16, TQ2_0, I2_S); `matmul` loops over `dot`
    /// otherwise.
    public let rows: RowsDotFunction?
    /// The batch form, where one exists (on AVX2: Q4_1, Q8_0, Q5_0, TQ2_0, I2_S and the routed K-quant kernels);
    /// `matmul` uses it for two or more activation rows when every row's kernel has one.
    public var prefill: PrefillKernel? = nil
    /// Position in `DotKernel.all` (bit index in `KernelScratch`'s executed-kernel record).
    public let index: Int

    /// Weight types that have kernels: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q4_K, Q6_K, TQ1_0, TQ2_0, Q5_K, Q2_K,
    /// Q3_K, IQ4_NL, IQ4_XS.
    /// (New types go at the end: a kernel's index in `all` is its bit in `KernelScratch`'s record.)
    public static let supportedTypes: [GGMLType] = [
        .f32, .f16, .bf16, .q8_0, .q4_0, .q4_1, .q5_0, .q4_K, .q6_K, .tq1_0, .tq2_0, .q5_K, .q2_K, .q3_K, .iq4_nl,
        .iq4_xs,
    ]

    /// Weight types whose rows carry no scale; `WeightMatrix.tensorScale` multiplies every dot product: I2_S.
    public static let tensorScaledTypes: [GGMLType] = [.i2_s]

    /// Every weight type `WeightMatrix` and `matmul` accept: the block formats, then the tensor-scaled ones.
    public static var allTypes: [GGMLType] { supportedTypes + tensorScaledTypes }

    /// The kernel for `type` on `path`, or nil when the type has none.
    public static func kernel(for type: GGMLType, path: KernelPath = .simd) -> DotKernel? {
        guard let i = allTypes.firstIndex(of: type) else { return nil }
        return all[2 * i + (path == .scalar ? 0 : 1)]
    }

    /// Every kernel: for each supported type, the scalar one then the SIMD one; then the same pairs for the
    /// routes that are not `vec_dot` (`routedKernels`).
    public static let all: [DotKernel] = {
        var kernels: [DotKernel] = []
        for type in allTypes {
            let activation = activationFormat(for: type)
            let name = "\(type.name)×\(activation.rawValue)"
            kernels.append(DotKernel(id: name + ".scalar", weightType: type, activation: activation,
                                     dot: scalarDot(type), rows: nil, index: kernels.count))
            let level = levelKernels(type)
            kernels.append(DotKernel(id: name + "." + simdSuffix, weightType: type, activation: activation,
                                     dot: level.dot, rows: level.rows, prefill: level.prefill, index: kernels.count))
        }
        return kernels + routedKernels(startingAt: kernels.count)
    }()

    /// The activation format ggml-cpu pairs with each weight type (its `vec_dot_type`).
    static func activationFormat(for type: GGMLType) -> ActivationFormat {
        switch type {
        case .f16: .f16
        case .bf16: .bf16
        case .q8_0, .q4_0, .q5_0, .iq4_nl: .q8_0
        case .q4_1: .q8_1
        case .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .iq4_xs, .tq1_0, .tq2_0: .q8_K
        case .i2_s: .i8
        default: .f32
        }
    }

    static func scalarDot(_ type: GGMLType) -> RowDotFunction {
        switch type {
        case .f16: { DotScalar.f16($0, $1, $2) }
        case .bf16: { DotScalar.bf16($0, $1, $2) }
        case .q8_0: { DotScalar.q8_0($0, $1, $2) }
        case .q4_0: { DotScalar.q4_0($0, $1, $2) }
        case .q4_1: { DotScalar.q4_1($0, $1, $2) }
        case .q5_0: { DotScalar.q5_0($0, $1, $2) }
        case .q4_K: { DotScalar.q4_K($0, $1, $2) }
        case .iq4_nl: { DotScalar.iq4_nl($0, $1, $2) }
        case .iq4_xs: { DotScalar.iq4_xs($0, $1, $2) }
        case .q2_K: { DotScalar.q2_K($0, $1, $2) }
        case .q3_K: { DotScalar.q3_K($0, $1, $2) }
        case .q5_K: { DotScalar.q5_K($0, $1, $2) }
        case .q6_K: { DotScalar.q6_K($0, $1, $2) }
        case .tq1_0: { DotScalar.tq1_0($0, $1, $2) }
        case .tq2_0: { DotScalar.tq2_0($0, $1, $2) }
        case .i2_s: { DotScalar.i2_s($0, $1, $2) }
        default: { DotScalar.f32($0, $1, $2) }
        }
    }

    /// The id suffix of the `.simd` kernels: the active level, or `scalar-fallback` when that is `scalar` (the
    /// `.simd` slots then hold the scalar kernels).
    static var simdSuffix: String { KernelLevel.active == .scalar ? "scalar-fallback" : KernelLevel.active.rawValue }

    /// `level`'s row for `type` (the scalar kernel alone at `.scalar`). `all` holds the active level's rows; tests
    /// build the other supported levels' rows with this to check each against the scalar reference in one process.
    static func levelKernels(_ type: GGMLType, level: KernelLevel = .active) -> LevelKernels {
        switch level {
        case .scalar: LevelKernels(dot: scalarDot(type))
        #if arch(x86_64)
        case .avx2: AVX2Kernels.kernels(for: type)
        case .avx512: AVX512Kernels.kernels(for: type)
        #else
        case .avx2, .avx512: LevelKernels(dot: scalarDot(type))  // never active off x86-64
        #endif
        case .neon, .dotprod: NEONKernels.kernels(for: type, dotprod: level == .dotprod)  // active on ARM64 only
        }
    }

}
