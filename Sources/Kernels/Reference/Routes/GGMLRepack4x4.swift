import GGUF

/// ggml-cpu's repacked 4×4 kernels on ARM64 with the dot-product instructions (`CPU_REPACK`): llama.cpp's
/// `armv8.2_1` build repacks every Q4_0, Q8_0 and IQ4_NL weight whose row count is a multiple of 4
/// (`ggml_repack_get_optimal_repack_type`: `q4_0_4x4`, `q8_0_4x4`, `iq4_nl_4x4`) and decodes through
/// `ggml_gemv_*_4x4_q8_0` (arch/arm/repack.cpp), which keeps one F32 lane per weight row. Each output is therefore a
/// chain over the blocks in order, computed here on the original layout. Per block, with S the exact integer sum
/// and d = d_x·d_w (F16 scales, one rounding):
///
/// - Q4_0, Q8_0: `acc = fma(S, d, acc)` (`vfmaq_f32`; Q4_0's nibbles come in 16× and leave through an exact
///   fixed-point conversion, `vcvtq_n_f32_s32(·, 4)`)
/// - IQ4_NL: `acc = acc + d·S` (`vmlaq_f32`, which GCC does not fuse)
///
/// Batches go through `ggml_gemm_*_4x4_q8_0` for activation rows in whole groups of 4 (activations quantized 4 rows
/// at a time, to the per-row quantizer's values) and the gemv for the rest. Q4_0's gemm (assembly) and IQ4_NL's
/// have their gemv's order; Q8_0's adds `d·S` unfused (`q8_0GEMM`).
public enum GGMLRepack4x4 {
    /// True when llama.cpp's ARM64 build with dot-product instructions repacks a `type` weight of `rows` rows.
    public static func repacks(_ type: GGMLType, rows: Int) -> Bool {
        (type == .q4_0 || type == .q8_0 || type == .iq4_nl) && rows % 4 == 0
    }

    /// Q4_0 · Q8_0 in the gemv's order (scalar reference; the same chain as the x86 8×8 route's).
    public static func q4_0(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        GGMLRepack8x8.blocks32(w, x, count, blockBytes: BlockLayout.q4_0Bytes, DotScalar.q4_0BlockSum)
    }

    /// Q8_0 · Q8_0 in the gemv's order (scalar reference).
    public static func q8_0(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        GGMLRepack8x8.blocks32(w, x, count, blockBytes: BlockLayout.q8_0Bytes, q8_0BlockSum)
    }

    /// Q8_0 · Q8_0 in the gemm's order: `acc + d·S`, not fused (scalar reference).
    public static func q8_0GEMM(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        GGMLRepack8x8.blocks32(w, x, count, blockBytes: BlockLayout.q8_0Bytes, q8_0BlockSum, fused: false)
    }

    /// IQ4_NL · Q8_0 in the gemv's order: the multiply-add not fused — `vec_dot`'s x86 order, `DotScalar.iq4_nl`
    /// (scalar reference).
    public static func iq4_nl(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        DotScalar.iq4_nl(w, x, count)
    }

    /// Σ w·x over one Q8_0 block pair (exact).
    static func q8_0BlockSum(_ wb: UnsafeRawPointer, _ xb: UnsafeRawPointer) -> Int32 {
        var s: Int32 = 0
        for j in 0..<32 { s += Int32(wb.load(fromByteOffset: 2 + j, as: Int8.self)) * Int32(xb.load(fromByteOffset: 2 + j, as: Int8.self)) }
        return s
    }
}

/// ggml-cpu's repacked 8×4 K-quant kernels on ARM64 with the dot-product instructions: llama.cpp's `armv8.2_1` build
/// repacks Q4_K, Q5_K and Q6_K weights of a multiple of 8 rows and decodes through `ggml_gemv_*_8x4_q8_K`. Per row and
/// super-block, with d = d_w·d_x and dmin = dmin_w·d_x:
///
/// - Q4_K: `acc = fma(d, S_p, acc)` for each pair p of sub-blocks (S_p = sc_2p·Σ_2p + sc_2p+1·Σ_2p+1), then
///   `acc = acc − M·dmin` (`vmlsq_f32`, not fused), M = Σ m·bsum over the super-block
/// - Q6_K: `acc = fma(float(I), d, acc)` with I the super-block's whole integer sum — `vec_dot`'s order, so Q6_K needs
///   no kernel of its own
/// - Q5_K: Q4_K's order with 5-bit quants
///
/// Their gemms (activation rows in whole groups of 4) keep these orders, except Q6_K's, which adds `I·d` unfused
/// (`q6_KGEMM`).
public enum GGMLRepack8x4 {
    /// True when llama.cpp's ARM64 build with dot-product instructions decodes a `type` weight of `rows` rows through
    /// a kernel of this route (Q4_K, Q5_K; Q6_K is repacked too, in `vec_dot`'s order).
    public static func repacks(_ type: GGMLType, rows: Int) -> Bool { (type == .q4_K || type == .q5_K) && rows % 8 == 0 }

    /// Q4_K · Q8_K in the 8×4 gemv's order (scalar reference).
    public static func q4_K(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        superBlocks(w, x, count, blockBytes: BlockLayout.q4_KBytes, DotScalar.q4_KPairSums)
    }

    /// Q5_K · Q8_K in the 8×4 gemv's order (scalar reference).
    public static func q5_K(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        superBlocks(w, x, count, blockBytes: BlockLayout.q5_KBytes, DotScalar.q5_KPairSums)
    }

    /// Q6_K · Q8_K in the 8×4 gemm's order: per super-block `acc + I·(d_w·d_x)`, not fused (scalar reference).
    public static func q6_KGEMM(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        var acc: Float = 0
        for b in 0..<count / 256 {
            let wb = w + b * BlockLayout.q6_KBytes, xb = x + b * BlockLayout.q8_KBytes
            acc += Float(DotScalar.q6_KBlockSum(wb, xb)) * (wb.f16(at: 208) * xb.loadUnaligned(as: Float.self))
        }
        return acc
    }

    /// The chain: per super-block an FMA per pair of sub-blocks (`pairSums` gives S_p and M_p), then the mins.
    static func superBlocks(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int, blockBytes: Int,
                            _ pairSums: (UnsafeRawPointer, UnsafeRawPointer, Int) -> (Int32, Int32)) -> Float {
        var acc: Float = 0
        for b in 0..<count / 256 {
            let wb = w + b * blockBytes, xb = x + b * BlockLayout.q8_KBytes
            let dx = xb.loadUnaligned(as: Float.self)
            let d = wb.f16(at: 0) * dx, dmin = wb.f16(at: 2) * dx
            var minSum: Int32 = 0
            for pair in 0..<4 {
                let (s, m) = pairSums(wb, xb, pair)
                acc = acc.addingProduct(d, Float(s))
                minSum += m
            }
            acc = acc - Float(minSum) * dmin
        }
        return acc
    }
}
