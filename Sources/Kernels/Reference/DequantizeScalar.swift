import GGUF

/// Scalar reference dequantizers: one block format → `Float`, element by element, in the same arithmetic order as
/// ggml's `dequantize_row_*` (so results equal the `gguf` Python package's bit for bit).
///
/// Every function reads `count / blockSize` whole blocks from `src` and writes `count` floats to `dst`; the caller
/// guarantees both buffers are that large (`WeightMatrix` checks tensor sizes once at load time).
public enum DequantizeScalar {
    /// Dequantizes one row of `type`; returns false when `type` has no dequantizer here.
    public static func row(
        _ type: GGMLType, _ src: UnsafeRawPointer, into dst: UnsafeMutablePointer<Float>, count: Int
    ) -> Bool {
        switch type {
        case .f32: dst.update(from: src.assumingMemoryBound(to: Float.self), count: count)
        case .f16: for j in 0..<count { dst[j] = src.f16(at: 2 * j) }
        case .bf16: for j in 0..<count { dst[j] = BFloat16.toFloat(src.loadUnaligned(fromByteOffset: 2 * j, as: UInt16.self)) }
        case .q4_0: q4_0(src, dst, count)
        case .q4_1: q4_1(src, dst, count)
        case .q5_0: q5_0(src, dst, count)
        case .q8_0: q8_0(src, dst, count)
        case .iq4_nl: iq4_nl(src, dst, count)
        case .iq4_xs: iq4_xs(src, dst, count)
        case .q2_K: q2_K(src, dst, count)
        case .q3_K: q3_K(src, dst, count)
        case .q4_K: q4_K(src, dst, count)
        case .q5_K: q5_K(src, dst, count)
        case .q6_K: q6_K(src, dst, count)
        case .tq1_0: tq1_0(src, dst, count)
        case .tq2_0: tq2_0(src, dst, count)
        case .q8_1: q8_1(src, dst, count)
        case .q8_K: q8_K(src, dst, count)
        default: return false
        }
        return true
    }
}
