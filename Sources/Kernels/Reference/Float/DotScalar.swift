/// Scalar reference dot products: one weight row · one activation row (in the weight's `ActivationFormat`).
///
/// Each block's integer part is summed exactly in `Int`; the float arithmetic per block mirrors ggml's generic
/// `ggml_vec_dot_*` kernels. All take `(weightRow, activationRow, count)` where `count` is the row length in
/// elements, a multiple of the weight's block size, and both rows hold `count` elements in their formats —
/// the matmul checks shapes once per call, so the bounds of every load below follow from `count`.
public enum DotScalar {
    /// F32 · F32 in `ggml_vec_dot_f32`'s AVX2 order, the `vec_dot` llama.cpp runs for one activation row (and for
    /// batches tinyBLAS declines, see `GGMLFloat`): `ggmlBody` over whole 32-element groups, then the remaining
    /// elements added in order in `Float` — products rounded first, except the last `count % 4`, which are fused (gcc
    /// vectorises ggml's leftover loop in groups of 8 and 4 and contracts its scalar end). `DotAVX2.f32` (through
    /// `GGMLMath.dotVec`) computes the same in registers.
    public static func f32(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        func element(_ p: UnsafeRawPointer, _ j: Int) -> Float {
            p.loadUnaligned(fromByteOffset: 4 * j, as: Float.self)  // j < count
        }
        var sum = ggmlBody(w, x, count, element)
        var j = count & ~31
        while j < count - count % 4 {
            sum += element(w, j) * element(x, j)
            j += 1
        }
        while j < count {
            sum = sum.addingProduct(element(w, j), element(x, j))
            j += 1
        }
        return sum
    }

    /// F16 · F16 (activations already rounded to F16) in `ggml_vec_dot_f16`'s AVX2 order: `ggmlBody`, then the
    /// remaining elements' F32 products added in `Double` (ggml's `ggml_float` tail). `DotAVX2.f16` computes the same.
    public static func f16(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        func element(_ p: UnsafeRawPointer, _ j: Int) -> Float { p.f16(at: 2 * j) }  // j < count
        var sum = Double(ggmlBody(w, x, count, element))
        for j in count & ~31 ..< count { sum += Double(element(w, j) * element(x, j)) }
        return Float(sum)
    }

    /// The whole 32-element groups of ggml's F32/F16 `vec_dot` on AVX2 (`GGML_F32_VEC_FMA`, `GGML_F32x8_REDUCE`):
    /// element j fused-multiply-added into lane j % 8 of accumulator j / 8 % 4, the accumulators reduced by
    /// `GGMLMath.reduce`. `element(p, j)` widens element j of a row.
    @inline(__always)
    static func ggmlBody(
        _ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int, _ element: (UnsafeRawPointer, Int) -> Float
    ) -> Float {
        var c0 = SIMD8<Float>(), c1 = c0, c2 = c0, c3 = c0
        for j in stride(from: 0, to: count & ~31, by: 32) {  // elements j ..< j+32 are inside both rows
            for l in 0..<8 {
                c0[l] = c0[l].addingProduct(element(w, j + l), element(x, j + l))
                c1[l] = c1[l].addingProduct(element(w, j + 8 + l), element(x, j + 8 + l))
                c2[l] = c2[l].addingProduct(element(w, j + 16 + l), element(x, j + 16 + l))
                c3[l] = c3[l].addingProduct(element(w, j + 24 + l), element(x, j + 24 + l))
            }
        }
        return GGMLMath.reduce(c0, c1, c2, c3)
    }

    /// BF16 · BF16 in `ggml_vec_dot_bf16`'s AVX2 order, the `vec_dot` llama.cpp runs for one activation row (and
    /// for batches tinyBLAS declines, see `GGMLBF16`): element j of each whole 32-element group is fused-multiply-
    /// added into lane j % 8 of accumulator j / 8 % 4 (gcc contracts the source's `_mm256_add_ps(_mm256_mul_ps(…))`
    /// into `vfmadd231ps`), the accumulators are combined as (c0 + c2) + (c1 + c3) and summed by `GGMLBF16.hsum`;
    /// the remaining elements' F32 products are added in `Double` after that sum, as ggml's `ggml_float` tail does.
    /// `DotAVX2.bf16` computes the same in registers.
    public static func bf16(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        func element(_ p: UnsafeRawPointer, _ j: Int) -> Float {
            BFloat16.toFloat(p.loadUnaligned(fromByteOffset: 2 * j, as: UInt16.self))  // j < count
        }
        var c0 = SIMD8<Float>(), c1 = c0, c2 = c0, c3 = c0
        let body = count & ~31
        var j = 0
        while j < body {  // elements j ..< j+32 are inside both rows
            for l in 0..<8 {
                c0[l] = c0[l].addingProduct(element(w, j + l), element(x, j + l))
                c1[l] = c1[l].addingProduct(element(w, j + 8 + l), element(x, j + 8 + l))
                c2[l] = c2[l].addingProduct(element(w, j + 16 + l), element(x, j + 16 + l))
                c3[l] = c3[l].addingProduct(element(w, j + 24 + l), element(x, j + 24 + l))
            }
            j += 32
        }
        var sum = 0.0  // ggml adds the vector sum to a zeroed double, which turns a −0 into +0
        sum += Double(GGMLBF16.hsum((c0 + c2) + (c1 + c3)))
        while j < count {
            sum += Double(element(w, j) * element(x, j))
            j += 1
        }
        return Float(sum)
    }
}
