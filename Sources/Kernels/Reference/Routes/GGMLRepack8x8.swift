import GGUF

/// ggml-cpu's repacked 8×8 kernels (`CPU_REPACK`), which llama.cpp uses on AVX2 for every matmul — decode and
/// prefill — whose weight is Q4_0 or Q4_K with a row count that is a multiple of 8
/// (`ggml_repack_get_optimal_repack_type`; such weights never reach the tiled kernel or `vec_dot`).
///
/// At load, llama.cpp interleaves 8 weight rows block by block; `ggml_gemv_*_8x8` (one activation row) and
/// `ggml_gemm_*_8x8` (groups of 4 rows, activations quantized 4 rows at a time) then hold one F32 accumulator
/// lane per weight row. Each output is therefore a fold over blocks in order, which these per-row dots compute on
/// the original layout (no repacked copy). Per block, with S and M the exact integer sums:
///
/// - Q4_0: `acc = fma(S, d·d_x, acc)` (d, d_x both F16)
/// - Q4_K, gemv: `acc = fma(S, d·d_x, acc)` and `accMin = fma(M, dmin·d_x, accMin)`; the result is `acc − accMin`
/// - Q4_K, gemm: the same, but one pair of FMAs per 64 elements (S and M of sub-blocks 2p, 2p+1), 4 per block
///
/// `forward_mul_mat` quantizes and multiplies the activation rows in whole groups of 4 with gemm and the last
/// `count % 4` rows with gemv, so which Q4_K order a row gets depends on its index and the batch size
/// (`WeightMatrix.kernel(forRow:of:)`); Q4_0's gemm and gemv orders are the same (one FMA per 32-element block).
///
/// The 4-row activation quantizers (`ggml_quantize_mat_q8_0_4x8`, `ggml_quantize_mat_q8_K_4x8`) give the per-row
/// quantizers' values, except that Q8_K's may negate a whole block (quants, bsums and d) when +max and −max both
/// occur in it; every product above then changes sign twice, so the outputs keep the same bits.
public enum GGMLRepack8x8 {
    /// True when llama.cpp repacks a `type` weight of `rows` rows on this machine (x86-64 with AVX2).
    public static func repacks(_ type: GGMLType, rows: Int) -> Bool {
        #if arch(x86_64)
        return (type == .q4_0 || type == .q4_K || type == .iq4_nl) && rows % 8 == 0
        #else
        return false
        #endif
    }

    /// Q4_0 · Q8_0 in the repacked kernels' order (scalar reference).
    public static func q4_0(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        blocks32(w, x, count, blockBytes: BlockLayout.q4_0Bytes, DotScalar.q4_0BlockSum)
    }

    /// IQ4_NL · Q8_0 in the repacked kernels' order (ggml runs Q4_0's gemv and gemm with IQ4_NL's levels as the
    /// lookup table; scalar reference).
    public static func iq4_nl(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        blocks32(w, x, count, blockBytes: BlockLayout.iq4_nlBytes, DotScalar.iq4_nlBlockSum)
    }

    /// The 32-element formats' gemv/gemm order: per block `acc = fma(S, d·d_x, acc)`, S = `blockSum(w, x)`; with
    /// `fused: false`, `acc + d·d_x · S` in two roundings (ARM64's Q8_0 gemm).
    @inline(__always)
    static func blocks32(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int, blockBytes: Int,
                         _ blockSum: (UnsafeRawPointer, UnsafeRawPointer) -> Int32, fused: Bool = true) -> Float {
        var acc: Float = 0
        for b in 0..<count / 32 {
            let wb = w + b * blockBytes, xb = x + b * BlockLayout.q8_0Bytes
            let s = Float(blockSum(wb, xb)), d = wb.f16(at: 0) * xb.f16(at: 0)
            acc = fused ? acc.addingProduct(s, d) : acc + d * s
        }
        return acc
    }

    /// Q4_K · Q8_K in the repacked kernels' order (scalar reference).
    public static func q4_K(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        var acc: Float = 0, accMin: Float = 0
        for b in 0..<count / 256 {
            let wb = w + b * BlockLayout.q4_KBytes, xb = x + b * BlockLayout.q8_KBytes
            let (s, m) = DotScalar.q4_KBlockSums(wb, xb)
            let dx = xb.loadUnaligned(as: Float.self)
            acc = acc.addingProduct(Float(s), wb.f16(at: 0) * dx)
            accMin = accMin.addingProduct(Float(m), wb.f16(at: 2) * dx)
        }
        return acc - accMin
    }

    /// Q4_K · Q8_K in the repacked gemm's order (scalar reference).
    public static func q4_KGEMM(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        var acc: Float = 0, accMin: Float = 0
        for b in 0..<count / 256 {
            let wb = w + b * BlockLayout.q4_KBytes, xb = x + b * BlockLayout.q8_KBytes
            let dx = xb.loadUnaligned(as: Float.self)
            let d = wb.f16(at: 0) * dx, dmin = wb.f16(at: 2) * dx
            for pair in 0..<4 {
                let (s, m) = DotScalar.q4_KPairSums(wb, xb, pair)
                acc = acc.addingProduct(Float(s), d)
                accMin = accMin.addingProduct(Float(m), dmin)
            }
        }
        return acc - accMin
    }
}
