
/// The orders in which llama.cpp's CPU backend sums an F32 or F16 weight row on AVX2 + FMA + F16C, and which
/// matmuls take which — the same two routes as BF16 (`GGMLBF16`), with each type's own `vec_dot`.
///
/// `ggml_compute_forward_mul_mat` (ggml-cpu.c) first offers the matmul to `llamafile_sgemm` (llamafile/sgemm.cpp):
/// F32 weights with the F32 activations as they are (`tinyBLAS<8, __m256, __m256, float, float, float>`), F16
/// weights once the activations are converted to F16, F16's `vec_dot_type` (`tinyBLAS<8, __m256, __m256,
/// ggml_fp16_t, ggml_fp16_t, float>`, elements widened by `_mm256_cvtph_ps`). tinyBLAS declines — and ggml runs
/// `ggml_vec_dot_f32` / `ggml_vec_dot_f16` (vec.cpp; `DotScalar.f32`/`.f16`, `DotAVX2.f32`/`.f16`) — for one
/// activation row, a weight whose row count is not a multiple of 4, or a row length that is not a multiple of 8
/// (`GGMLBF16.tinyBLASTakes` and the fallbacks below). Each tinyBLAS output is one 8-lane FMA chain (element j in
/// lane j % 8) and llamafile's `hsum`, whatever its tile or thread, so a per-row dot reproduces it.
///
/// Checked with a C harness against the pinned `libggml-cpu`: `vec_dot` on lengths 1…300, 0 of 6,000 differ per
/// type; `ggml_mul_mat` graphs with k ∈ {33, 64, 68, 72, 96, 256}, m ∈ {4, 6, 7, 8, 12, 16, 32},
/// n ∈ {1, 2, 3, 4, 8, 17}, 1 and 2 threads: 0 of 35,700 outputs differ from the predicted route per type.
public enum GGMLFloat {
    /// F32 · F32 in tinyBLAS's order (scalar reference); `count % 8 != 0` falls back to `DotScalar.f32`.
    public static func tinyBLASF32(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        guard count % 8 == 0 else { return DotScalar.f32(w, x, count) }
        return tinyBLAS(w, x, count) { p, j in p.loadUnaligned(fromByteOffset: 4 * j, as: Float.self) }
    }

    /// F16 · F16 in tinyBLAS's order (scalar reference); `count % 8 != 0` falls back to `DotScalar.f16`.
    public static func tinyBLASF16(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        guard count % 8 == 0 else { return DotScalar.f16(w, x, count) }
        return tinyBLAS(w, x, count) { p, j in p.f16(at: 2 * j) }
    }

    /// Lane l accumulates elements l, 8 + l, … with fused multiply-adds, then `GGMLBF16.hsum`; `count % 8 == 0`.
    @inline(__always)
    static func tinyBLAS(
        _ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int, _ element: (UnsafeRawPointer, Int) -> Float
    ) -> Float {
        var lanes = SIMD8<Float>()
        for j in stride(from: 0, to: count, by: 8) {  // elements j ..< j+8 are inside both rows
            for l in 0..<8 { lanes[l] = lanes[l].addingProduct(element(w, j + l), element(x, j + l)) }
        }
        return GGMLBF16.hsum(lanes)
    }
}
