
/// The two orders in which llama.cpp's CPU backend sums a BF16 weight row against BF16-rounded activations on AVX2
/// (no AVX512BF16), and which matmuls take which.
///
/// `ggml_compute_forward_mul_mat` (ggml-cpu.c) first offers the matmul to `llamafile_sgemm` (llamafile/sgemm.cpp)
/// with the activations already converted to BF16 (BF16's `vec_dot_type`). For BF16 on AVX2 that is
/// `tinyBLAS<8, __m256, __m256, ggml_bf16_t, ggml_bf16_t, float>`, which declines — and ggml falls back to
/// `ggml_vec_dot_bf16` (`DotScalar.bf16`, `DotAVX2.bf16`) — when the batch has one activation row (`n < 2`), when
/// the weight's row count is not a multiple of 4 (`tinyBLAS::matmul` has no tile for it) or when the row length is
/// not a multiple of 8 (`k % KN`). Otherwise every output of the batch comes from tinyBLAS (`tinyBLAS`,
/// `tinyBLASAVX2`).
///
/// tinyBLAS groups outputs into RM×RN tiles (4×3 and smaller on AVX2) and splits tiles over threads, but each
/// output owns one 8-lane accumulator: lane l is one `_mm256_fmadd_ps` chain over elements l, 8 + l, 16 + l, … in
/// order, then `hsum`. So an output's bits do not depend on its tile, its neighbours or the thread count, and a
/// per-row dot reproduces it. Checked with a C harness against the pinned `libggml-cpu` (ggml_mul_mat graphs of
/// BF16 [k, m] × F32 [k, n], k ∈ {33, 64, 68, 72, 96}, m ∈ {4, 6, 7, 8, 12, 16}, n ∈ {1, 2, 3, 4, 8, 17}, 1 and 2
/// threads: 0 of 18,550 outputs differ from the route this rule predicts; `vec_dot` on lengths 1…300: 0 of 6,000).
public enum GGMLBF16 {
    /// The smallest batch llama.cpp hands to tinyBLAS (`llamafile_sgemm` returns false for `n < 2`).
    public static let tinyBLASBatchFloor = 2

    /// Whether tinyBLAS takes batches for a BF16 weight of `rows` rows (it needs `m % 4 == 0`). Row lengths that
    /// are not a multiple of 8 are declined inside `tinyBLAS`/`tinyBLASAVX2`, which then sum in `vec_dot`'s order.
    public static func tinyBLASTakes(rows: Int) -> Bool { rows % 4 == 0 }

    /// llamafile's `hsum(__m256)`, also the end of `ggml_vec_dot_bf16`: lanes folded high onto low, then
    /// `movehl` and `movehdup` — ((v0 + v4) + (v2 + v6)) + ((v1 + v5) + (v3 + v7)).
    @inline(__always)
    public static func hsum(_ v: SIMD8<Float>) -> Float {
        ((v[0] + v[4]) + (v[2] + v[6])) + ((v[1] + v[5]) + (v[3] + v[7]))
    }

    /// BF16 · BF16 in tinyBLAS's order (scalar reference): lane l accumulates elements l, 8 + l, … with fused
    /// multiply-adds, then `hsum`. `count % 8 != 0` falls back to `DotScalar.bf16`, as llama.cpp does.
    public static func tinyBLAS(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        guard count % 8 == 0 else { return DotScalar.bf16(w, x, count) }
        func element(_ p: UnsafeRawPointer, _ j: Int) -> Float {
            BFloat16.toFloat(p.loadUnaligned(fromByteOffset: 2 * j, as: UInt16.self))  // j < count
        }
        var lanes = SIMD8<Float>()
        for j in stride(from: 0, to: count, by: 8) {
            for l in 0..<8 { lanes[l] = lanes[l].addingProduct(element(w, j + l), element(x, j + l)) }
        }
        return hsum(lanes)
    }
}
