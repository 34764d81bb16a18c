#if arch(x86_64)
import KernelsAVX2
#endif

/// The level-specific entry points of the row operations outside `DotKernel`'s table — attention's softmax, tiles
/// and F16 cache rows, SwiGLU, the activation quantizers, F16 widening — chosen once from `KernelLevel.active`.
///
/// At `.scalar` each entry is the portable Swift form, which for these operations computes the same bits as the
/// AVX2 one (the same FMAs in the same order, through Swift's SIMD types), only slower.
struct RowKernels: Sendable {
    typealias Softmax = @convention(c) (UnsafeMutablePointer<Float>, Int) -> Void
    typealias SwiGLU = @convention(c) (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int, Int)
        -> Void
    typealias DotVec = @convention(c) (UnsafePointer<Float>, UnsafePointer<Float>, Int) -> Float
    typealias ExpShiftedSum = @convention(c) (UnsafeMutablePointer<Float>, Int, Float) -> Double
    typealias Maximum = @convention(c) (UnsafePointer<Float>, Int) -> Float
    typealias TileScores = @convention(c) (UnsafePointer<Float>, UnsafePointer<Float>, Int, Float,
                                           UnsafeMutablePointer<Float>) -> Void
    typealias WeightedRows = @convention(c) (UnsafePointer<Float>, Int, UnsafePointer<Float>, Int, Int,
                                             UnsafeMutablePointer<Float>) -> Void
    typealias HalfDot = @convention(c) (UnsafePointer<Float>, UnsafePointer<UInt16>, Int) -> Float
    typealias HalfMultiplyAdd = @convention(c) (UnsafePointer<UInt16>, Float, UnsafeMutablePointer<Float>, Int) -> Void
    typealias RoundToHalf = @convention(c) (UnsafeMutablePointer<Float>, Int) -> Void
    /// `(q, keys, keyStride, values, valueStride, first, last, keyLength, valueLength, scale, out)`:
    /// `HalfVectorOps.attend`.
    typealias AttendHalf = @convention(c) (UnsafePointer<Float>, UnsafePointer<UInt16>, Int, UnsafePointer<UInt16>, Int,
                                           Int, Int, Int, Int, Float, UnsafeMutablePointer<Float>) -> Void
    typealias NarrowToHalf = @convention(c) (UnsafePointer<Float>, UnsafeMutablePointer<UInt16>, Int) -> Void
    typealias Widen = @convention(c) (UnsafeRawPointer, UnsafeMutablePointer<Float>, Int) -> Void
    typealias WidenStrided = @convention(c) (UnsafePointer<UInt16>, UnsafeMutablePointer<Float>, Int, Int) -> Void
    /// `(x, y, count, rounding)`; rounding 0 = `.reference`, 1 = `.ggmlCPU`.
    typealias Quantize = @convention(c) (UnsafePointer<Float>, UnsafeMutableRawPointer, Int, Int32) -> Void

    var softmax: Softmax
    var swiglu: SwiGLU
    var dotVec: DotVec
    var expShiftedSum: ExpShiftedSum
    var maximum: Maximum
    var tileScores: TileScores
    var accumulateWeightedRows: WeightedRows
    var halfDot: HalfDot
    var halfMultiplyAdd: HalfMultiplyAdd
    var roundToHalf: RoundToHalf
    var attendHalf: AttendHalf
    var narrowToHalf: NarrowToHalf
    var widenHalf: Widen
    var widenHalfStrided: WidenStrided
    var quantizeQ8_0: Quantize
    var quantizeQ8_0Split: Quantize
    var quantizeQ8_1: Quantize
    /// `(x, y, count, _)`: Q8_K blocks and I8 rows (no rounding choice: each has one rule).
    var quantizeQ8_K: Quantize
    var quantizeI8: Quantize

    /// The active level's entries, fixed on first use.
    static let active = RowKernels(level: KernelLevel.active)

    init(level: KernelLevel) {
        switch level {
        case .scalar: self = .portable
        case .neon, .dotprod: self = .portableARM  // portable Swift in llama.cpp's ARM order
        #if arch(x86_64)
        case .avx2, .avx512: self = .avx2  // no row operation has an AVX-512 form yet
        #else
        case .avx2, .avx512: self = .portable  // never active off x86-64
        #endif
        }
    }

    private init(softmax: Softmax, swiglu: SwiGLU, dotVec: DotVec, expShiftedSum: ExpShiftedSum, maximum: Maximum,
                 tileScores: TileScores, accumulateWeightedRows: WeightedRows, halfDot: HalfDot,
                 halfMultiplyAdd: HalfMultiplyAdd, roundToHalf: RoundToHalf, attendHalf: AttendHalf,
                 narrowToHalf: NarrowToHalf,
                 widenHalf: Widen, widenHalfStrided: WidenStrided, quantizeQ8_0: Quantize,
                 quantizeQ8_0Split: Quantize, quantizeQ8_1: Quantize, quantizeQ8_K: Quantize, quantizeI8: Quantize) {
        self.softmax = softmax
        self.swiglu = swiglu
        self.dotVec = dotVec
        self.expShiftedSum = expShiftedSum
        self.maximum = maximum
        self.tileScores = tileScores
        self.accumulateWeightedRows = accumulateWeightedRows
        self.halfDot = halfDot
        self.halfMultiplyAdd = halfMultiplyAdd
        self.roundToHalf = roundToHalf
        self.attendHalf = attendHalf
        self.narrowToHalf = narrowToHalf
        self.widenHalf = widenHalf
        self.widenHalfStrided = widenHalfStrided
        self.quantizeQ8_0 = quantizeQ8_0
        self.quantizeQ8_0Split = quantizeQ8_0Split
        self.quantizeQ8_1 = quantizeQ8_1
        self.quantizeQ8_K = quantizeQ8_K
        self.quantizeI8 = quantizeI8
    }

    /// The portable Swift forms.
    static let portable = RowKernels(
        softmax: { GGMLMath.softmaxPortable($0, count: $1) },
        swiglu: { GGMLMath.swigluPortable(gate: $0, up: $1, into: $2, count: $3, width: $4) },
        dotVec: { GGMLMath.dotVecPortable($0, $1, count: $2) },
        expShiftedSum: { GGMLMath.expShiftedSumPortable($0, count: $1, shift: $2) },
        maximum: { GGMLMath.maximumPortable($0, count: $1) },
        tileScores: { GGMLMath.tileScoresPortable($0, keysT: $1, keyLength: $2, scale: $3, into: $4) },
        accumulateWeightedRows: {
            GGMLMath.accumulateWeightedRowsPortable($0, rowLength: $1, weights: $2, positions: $3...$4, into: $5)
        },
        halfDot: { HalfVectorOps.dotPortable($0, $1, count: $2) },
        halfMultiplyAdd: { HalfVectorOps.multiplyAddPortable($0, $1, into: $2, count: $3) },
        roundToHalf: { HalfVectorOps.roundToHalfPortable($0, count: $1) },
        attendHalf: { HalfVectorOps.attendPortable($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) },
        narrowToHalf: { HalfVectorOps.narrowPortable($0, into: $1, count: $2) },
        widenHalf: { HalfVectorOps.widenPortable($0, into: $1, count: $2) },
        widenHalfStrided: { HalfVectorOps.widenPortable($0, into: $1, count: $2, step: $3) },
        quantizeQ8_0: { ActivationQuantizer.quantizeQ8_0Portable($0, into: $1, count: $2, rounding: Q8Rounding($3)) },
        quantizeQ8_0Split: {
            ActivationQuantizer.quantizeQ8_0SplitPortable($0, into: $1, count: $2, rounding: Q8Rounding($3))
        },
        quantizeQ8_1: { ActivationQuantizer.quantizeQ8_1Portable($0, into: $1, count: $2, rounding: Q8Rounding($3)) },
        quantizeQ8_K: { x, y, count, _ in ActivationQuantizer.quantizeQ8_KPortable(x, into: y, count: count) },
        quantizeI8: { x, y, count, _ in ActivationQuantizer.quantizeI8Portable(x, into: y, count: count) })

    /// The ARM64 levels: the portable forms, with SwiGLU's tail, the flash-attention tile sums, its F16 query·key
    /// dot and the matmul's activations (`.ggmlCPU` read as `.ggmlARM`) as llama.cpp's ARM build computes them.
    static let portableARM: RowKernels = {
        var table = RowKernels.portable
        table.swiglu = { GGMLMath.swigluPortableARM(gate: $0, up: $1, into: $2, count: $3, width: $4) }
        table.expShiftedSum = { GGMLMath.expShiftedSumPortableARM($0, count: $1, shift: $2) }
        table.halfDot = { HalfVectorOps.dotPortableARM($0, $1, count: $2) }
        table.attendHalf = { HalfVectorOps.attendPortableARM($0, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) }
        table.quantizeQ8_0 = {
            ActivationQuantizer.quantizeQ8_0Portable($0, into: $1, count: $2, rounding: Q8Rounding(armCode: $3))
        }
        table.quantizeQ8_0Split = {
            ActivationQuantizer.quantizeQ8_0SplitPortable($0, into: $1, count: $2, rounding: Q8Rounding(armCode: $3))
        }
        table.quantizeQ8_1 = {
            ActivationQuantizer.quantizeQ8_1Portable($0, into: $1, count: $2, rounding: Q8Rounding(armCode: $3))
        }
        return table
    }()

    #if arch(x86_64)
    /// The AVX2 forms (`KernelsAVX2`).
    static let avx2 = RowKernels(
        softmax: bitnet_avx2_softmax, swiglu: bitnet_avx2_swiglu, dotVec: bitnet_avx2_dot_vec,
        expShiftedSum: bitnet_avx2_exp_shifted_sum, maximum: bitnet_avx2_maximum, tileScores: bitnet_avx2_tile_scores,
        accumulateWeightedRows: bitnet_avx2_accumulate_weighted_rows, halfDot: bitnet_avx2_half_dot,
        halfMultiplyAdd: bitnet_avx2_half_multiply_add, roundToHalf: bitnet_avx2_round_to_half,
        attendHalf: bitnet_avx2_attend_half, narrowToHalf: bitnet_avx2_narrow_to_half, widenHalf: bitnet_avx2_f16_to_f32,
        widenHalfStrided: bitnet_avx2_f16_to_f32_strided, quantizeQ8_0: bitnet_avx2_quantize_q8_0,
        quantizeQ8_0Split: bitnet_avx2_quantize_q8_0_split, quantizeQ8_1: bitnet_avx2_quantize_q8_1,
        quantizeQ8_K: { x, y, count, _ in bitnet_avx2_quantize_q8_k(x, y, count) },
        quantizeI8: { x, y, count, _ in bitnet_avx2_quantize_i8(x, y, count) })
    #endif
}

extension Q8Rounding {
    /// The C kernels' code for a rounding: 0 = `.reference`, 1 = `.ggmlCPU`, 2 = `.ggmlARM` (no C kernel takes 2).
    var code: Int32 {
        switch self {
        case .reference: 0
        case .ggmlCPU: 1
        case .ggmlARM: 2
        }
    }

    init(_ code: Int32) { self = code == 0 ? .reference : code == 2 ? .ggmlARM : .ggmlCPU }

    /// The rounding an ARM64 level uses for `code`: the reference stays, ggml-cpu's becomes its ARM form.
    init(armCode code: Int32) { self = code == 0 ? .reference : .ggmlARM }
}
