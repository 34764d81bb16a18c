import GGUF

/// Byte layouts of the ggml block formats this module reads and writes (little-endian, packed, no padding).
///
/// `d`, `m`, `s`, `dmin` are F16 unless noted. A row of `n` elements is `n / elements` consecutive blocks.
///
/// | format | elements | bytes | layout |
/// |--------|----------|-------|--------|
/// | Q4_0   | 32  | 18  | d, qs[16]: element j in low nibble of qs[j], element j+16 in the high nibble; value d·(q−8) |
/// | Q4_1   | 32  | 20  | d, m, qs[16] as Q4_0; value d·q + m |
/// | Q5_0   | 32  | 22  | d, qh[4] (bit j = 5th bit of element j), qs[16] as Q4_0; value d·(q−16) |
/// | Q8_0   | 32  | 34  | d, qs[32] int8; value d·q |
/// | Q8_1   | 32  | 36  | d, s = d·Σq (F16), qs[32] int8 |
/// | Q4_K   | 256 | 144 | d, dmin, scales[12] (8 six-bit scale/min pairs), qs[128]; sub-block of 32: d·sc·q − dmin·m |
/// | Q6_K   | 256 | 210 | ql[128] low nibbles, qh[64] top 2 bits, scales[16] int8, d; value d·sc·(q−32) |
/// | Q8_K   | 256 | 292 | d (F32), qs[256] int8, bsums[16] int16 (Σ of each 16 quants) |
/// | TQ1_0  | 256 | 54  | qs[48] base-3 digits, qh[4], d; value d·(c−1) (see `DequantizeScalar+Ternary`) |
/// | TQ2_0  | 256 | 66  | qs[64] 2-bit codes, d; value d·(c−1) |
public enum BlockLayout {
    /// Elements in the 32-wide block formats.
    public static let smallBlock = 32
    /// Elements in a K-quant super-block.
    public static let superBlock = 256

    static let q4_0Bytes = 18, q4_1Bytes = 20, q5_0Bytes = 22, q8_0Bytes = 34, q8_1Bytes = 36
    static let q2_KBytes = 84, q3_KBytes = 110, q4_KBytes = 144, q5_KBytes = 176, q6_KBytes = 210, q8_KBytes = 292
    static let tq1_0Bytes = 54, tq2_0Bytes = 66
    static let iq4_nlBytes = 18, iq4_xsBytes = 136
    /// The 16 non-linear levels IQ4_NL and IQ4_XS nibbles index (ggml's `kvalues_iq4nl`).
    static let iq4Values: [Int8] = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113]
}

/// The form activations take before a dot product with a weight row, mirroring ggml-cpu's `vec_dot_type`.
public enum ActivationFormat: String, Sendable, CaseIterable {
    /// Plain F32 (F32 weights).
    case f32
    /// Activations rounded to F16 (F16 weights).
    case f16
    /// Activations rounded to BF16 (BF16 weights).
    case bf16
    /// 32-element int8 blocks with an F16 scale (Q4_0, Q5_0, Q8_0 weights).
    case q8_0
    /// Q8_0 plus the F16 field `d·Σq` (Q4_1 weights).
    case q8_1
    /// 256-element int8 super-blocks with an F32 scale and 16 partial sums (K-quant and TQ weights).
    case q8_K
    /// One int8 per element for the whole row, then its F32 multiplier and Int32 Σq (I2_S weights; see
    /// `ActivationQuantizer.quantizeI8`). Rows are whole 128-element I2_S blocks.
    case i8
    /// Q8_0 re-laid for the prefill kernels (`PrefillKernel.activation`): a row's int8 quants first, 32 bytes per
    /// block (so each block's load is 32-byte aligned), then each block's scale widened to F32 (the same F16 value,
    /// so the same products), padded to a multiple of 32 bytes. See `ActivationQuantizer.quantizeQ8_0Split`.
    case q8_0Split

    /// Elements per block.
    public var blockSize: Int {
        switch self {
        case .f32, .f16, .bf16: 1
        case .q8_0, .q8_1, .q8_0Split: BlockLayout.smallBlock
        case .q8_K: BlockLayout.superBlock
        case .i8: 128
        }
    }

    /// Bytes per block.
    public var blockBytes: Int {
        switch self {
        case .f32: 4
        case .f16, .bf16: 2
        case .q8_0: BlockLayout.q8_0Bytes
        case .q8_0Split: 36  // 32 quants + one F32 scale, before the row's padding
        case .q8_1: BlockLayout.q8_1Bytes
        case .q8_K: BlockLayout.q8_KBytes
        case .i8: 128
        }
    }

    /// Bytes one row of `count` elements occupies (`count` must be a multiple of `blockSize`); an I8 row adds its
    /// 8-byte trailer, a Q8_0-split row pads its scales to 32 bytes (so consecutive rows stay 32-byte aligned).
    public func rowBytes(_ count: Int) -> Int {
        switch self {
        case .i8: count / blockSize * blockBytes + 8
        case .q8_0Split: count + (count / 32 * 4 + 31) / 32 * 32
        default: count / blockSize * blockBytes
        }
    }
}

/// Unaligned little-endian loads and stores used by every block kernel.
///
/// GGUF tensor data is only 32-byte aligned per tensor and blocks are 18–292 bytes, so fields are not naturally
/// aligned; these helpers always use unaligned access.
extension UnsafeRawPointer {
    @inline(__always) func f16(at offset: Int) -> Float {
        HalfFloat.toFloat(loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }
    @inline(__always) func u8(at offset: Int) -> UInt8 { load(fromByteOffset: offset, as: UInt8.self) }
    @inline(__always) func i8(at offset: Int) -> Int8 { load(fromByteOffset: offset, as: Int8.self) }
}

extension UnsafeMutableRawPointer {
    @inline(__always) func storeF16(_ value: Float, at offset: Int) {
        storeBytes(of: HalfFloat.fromFloat(value), toByteOffset: offset, as: UInt16.self)
    }
}
