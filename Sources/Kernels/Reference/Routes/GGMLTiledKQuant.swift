
/// ggml-cpu's tiled K-quant matmul (`ggml-cpu/tiled/`), which llama.cpp runs instead of `vec_dot` for a Q4_K or
/// Q6_K weight that is not repacked once a matmul has at least `batchFloor` activation rows (prompt prefill).
///
/// The tile sizes, microtiles and thread chunks only decide which outputs are computed together; each output
/// `y[t][r]` is the same fold over the 256-element super-blocks in order (zeroed accumulator, one fused
/// multiply-add per block), which is what these per-row dots compute. Per block, with S and M the exact integer
/// sums (`DotScalar.q4_KBlockSums`), d/dmin the weight's F16 scales and d_x the Q8_K block's F32 scale:
///
/// - Q6_K: `acc = fma(d·S, d_x, acc)`
/// - Q4_K: `r = fma(−dmin, M, d·S)` (`_mm256_fnmadd_ps`), then `acc = fma(r, d_x, acc)`
///
/// compared with `vec_dot`, which multiplies `d·d_x` first and keeps 8 partial lanes until a final horizontal sum.
public enum GGMLTiledKQuant {
    /// The smallest number of activation rows llama.cpp sends to the tiled kernel (`ggml_tiled_min_batch`);
    /// fewer rows go to `vec_dot` (`DotAVX2.q4_K`, `DotAVX2.q6_K`).
    public static let batchFloor = 8

    /// Q4_K · Q8_K in the tiled kernel's order (scalar reference).
    public static func q4_K(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        fold(w, x, count, blockBytes: BlockLayout.q4_KBytes) { acc, wb, xb, dx in
            let (s, m) = DotScalar.q4_KBlockSums(wb, xb)
            return q4_KStep(acc, s, m, wb.f16(at: 0), wb.f16(at: 2), dx)
        }
    }

    /// Q5_K · Q8_K in the tiled kernel's order (scalar reference): Q4_K's epilogue (ggml instantiates the tiled
    /// kernel with the same sub-block size and min handling for both).
    public static func q5_K(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        fold(w, x, count, blockBytes: BlockLayout.q5_KBytes) { acc, wb, xb, dx in
            let (s, m) = DotScalar.q5_KBlockSums(wb, xb)
            return q4_KStep(acc, s, m, wb.f16(at: 0), wb.f16(at: 2), dx)
        }
    }

    /// Q2_K · Q8_K in the tiled kernel's order (scalar reference): Q4_K's epilogue over Q2_K's sums.
    public static func q2_K(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        fold(w, x, count, blockBytes: BlockLayout.q2_KBytes) { acc, wb, xb, dx in
            let (s, m) = DotScalar.q2_KBlockSums(wb, xb)
            return q4_KStep(acc, s, m, wb.f16(at: 80), wb.f16(at: 82), dx)
        }
    }

    /// Q6_K · Q8_K in the tiled kernel's order (scalar reference).
    public static func q6_K(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        fold(w, x, count, blockBytes: BlockLayout.q6_KBytes) { acc, wb, xb, dx in
            q6_KStep(acc, DotScalar.q6_KBlockSum(wb, xb), wb.f16(at: 208), dx)
        }
    }

    /// Q3_K · Q8_K in the tiled kernel's order (scalar reference): Q6_K's epilogue (no mins; the −4 offset is in
    /// the exact sum).
    public static func q3_K(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        fold(w, x, count, blockBytes: BlockLayout.q3_KBytes) { acc, wb, xb, dx in
            q6_KStep(acc, DotScalar.q3_KBlockSum(wb, xb), wb.f16(at: 108), dx)
        }
    }

    /// IQ4_XS · Q8_K in the tiled kernel's order (scalar reference): Q6_K's epilogue (no mins).
    public static func iq4_xs(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        fold(w, x, count, blockBytes: BlockLayout.iq4_xsBytes) { acc, wb, xb, dx in
            q6_KStep(acc, DotScalar.iq4_xsBlockSum(wb, xb), wb.f16(at: 0), dx)
        }
    }

    /// The tiled kernel's K loop for one output: `step(acc, weight block, Q8_K block, d_x)` over the row's
    /// super-blocks in order, from a zero accumulator.
    @inline(__always)
    static func fold(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int, blockBytes: Int,
                     _ step: (Float, UnsafeRawPointer, UnsafeRawPointer, Float) -> Float) -> Float {
        var acc: Float = 0
        for b in 0..<count / 256 {
            let wb = w + b * blockBytes, xb = x + b * BlockLayout.q8_KBytes
            acc = step(acc, wb, xb, xb.loadUnaligned(as: Float.self))
        }
        return acc
    }

    /// One Q4_K block's contribution: the microkernel's epilogue for integer sums `s`, `m`.
    @inline(__always)
    static func q4_KStep(_ acc: Float, _ s: Int32, _ m: Int32, _ d: Float, _ dmin: Float, _ dx: Float) -> Float {
        let r = (d * Float(s)).addingProduct(-dmin, Float(m))
        return acc.addingProduct(r, dx)
    }

    /// One Q6_K block's contribution.
    @inline(__always)
    static func q6_KStep(_ acc: Float, _ s: Int32, _ d: Float, _ dx: Float) -> Float {
        acc.addingProduct(d * Float(s), dx)
    }
}
