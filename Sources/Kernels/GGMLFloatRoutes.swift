#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

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

    #if arch(x86_64)
    /// The multi-row forms of the AVX2 kernels for `matmul` (`DotKernel.rows`).
    static let tinyBLASF32Rows: RowsDotFunction = { w, stride, x, count, out, rows in
        tinyBLASRowsAVX2(w, stride, x, count, out, rows, bytesPerElement: 4, load: f32x8, fallback: DotAVX2.f32)
    }
    static let tinyBLASF16Rows: RowsDotFunction = { w, stride, x, count, out, rows in
        tinyBLASRowsAVX2(w, stride, x, count, out, rows, bytesPerElement: 2, load: DotAVX2.f16x8,
                         fallback: DotAVX2.f16)
    }

    /// F32 · F32 in tinyBLAS's order with one 8-lane FMA chain (same bits as `tinyBLASF32`).
    public static func tinyBLASF32AVX2(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        guard count % 8 == 0 else { return DotAVX2.f32(w, x, count) }
        return chainAVX2(w, x, count, bytesPerElement: 4, load: f32x8)
    }

    /// F16 · F16 in tinyBLAS's order with one 8-lane FMA chain (same bits as `tinyBLASF16`).
    public static func tinyBLASF16AVX2(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        guard count % 8 == 0 else { return DotAVX2.f16(w, x, count) }
        return chainAVX2(w, x, count, bytesPerElement: 2, load: DotAVX2.f16x8)
    }

    @inline(__always) static func f32x8(_ p: UnsafeRawPointer, _ offset: Int) -> __m256 {
        p.loadUnaligned(fromByteOffset: offset, as: __m256.self)
    }

    /// One output's FMA chain over 8-element groups; `load(p, byteOffset)` widens 8 elements; `count % 8 == 0`.
    @inline(__always)
    static func chainAVX2(
        _ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int, bytesPerElement: Int,
        load: (UnsafeRawPointer, Int) -> __m256
    ) -> Float {
        var acc = _mm256_setzero_ps()
        var o = 0
        while o < bytesPerElement * count {  // 8 elements from byte o are inside both rows
            acc = _mm256_fmadd_ps(load(w, o), load(x, o), acc)
            o += 8 * bytesPerElement
        }
        return GGMLBF16.hsum(acc)
    }

    /// `out[r]` = the tinyBLAS dot of row r for `r < rows`, four weight rows at a time (four independent FMA chains
    /// hide the latency one chain waits on; each output's bits are unchanged); `fallback` when `count % 8 != 0`.
    @inline(__always)
    static func tinyBLASRowsAVX2(
        _ w: UnsafeRawPointer, _ stride: Int, _ x: UnsafeRawPointer, _ count: Int, _ out: UnsafeMutablePointer<Float>,
        _ rows: Int, bytesPerElement: Int, load: (UnsafeRawPointer, Int) -> __m256,
        fallback: (UnsafeRawPointer, UnsafeRawPointer, Int) -> Float
    ) {
        guard count % 8 == 0 else {
            for r in 0..<rows { out[r] = fallback(w + r * stride, x, count) }  // row r is inside rows × stride
            return
        }
        let bytes = bytesPerElement * count, step = 8 * bytesPerElement
        var r = 0
        while r + 4 <= rows {  // rows r ..< r+4 are inside the caller's rows × stride bytes
            let w0 = w + r * stride, w1 = w0 + stride, w2 = w1 + stride, w3 = w2 + stride
            var a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0
            var o = 0
            while o < bytes {  // 8 elements from byte o are inside every row and x
                let xv = load(x, o)
                a0 = _mm256_fmadd_ps(load(w0, o), xv, a0)
                a1 = _mm256_fmadd_ps(load(w1, o), xv, a1)
                a2 = _mm256_fmadd_ps(load(w2, o), xv, a2)
                a3 = _mm256_fmadd_ps(load(w3, o), xv, a3)
                o += step
            }
            out[r] = GGMLBF16.hsum(a0)
            out[r + 1] = GGMLBF16.hsum(a1)
            out[r + 2] = GGMLBF16.hsum(a2)
            out[r + 3] = GGMLBF16.hsum(a3)
            r += 4
        }
        while r < rows {
            out[r] = chainAVX2(w + r * stride, x, count, bytesPerElement: bytesPerElement, load: load)
            r += 1
        }
    }
    #endif
}
