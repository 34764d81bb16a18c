#if arch(x86_64)
import _Builtin_intrinsics.intel

/// AVX2 dot products for the float weight types in the orders of ggml-cpu's `vec_dot` (the one-token matmul):
/// four 8-lane F32 FMA accumulators over whole 32-element groups, then each type's reduction and tail. Same bits
/// as `DotScalar`'s `f32`, `f16` and `bf16`.
extension DotAVX2 {
    /// F32 · F32 in `ggml_vec_dot_f32`'s order: `GGMLMath.dotVec`, which attention's scores also use.
    public static func f32(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        GGMLMath.dotVec(w.assumingMemoryBound(to: Float.self), x.assumingMemoryBound(to: Float.self), count: count)
    }

    /// F16 · F16 (activations rounded to F16) in `ggml_vec_dot_f16`'s order, widened with F16C: the accumulators
    /// reduced by `GGMLMath.reduce`, then the remaining products added in `Double`.
    public static func f16(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        var a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0
        let body = count & ~31
        var j = 0
        while j < body {  // elements j ..< j+32 are inside both rows
            let o = 2 * j
            a0 = _mm256_fmadd_ps(f16x8(w, o), f16x8(x, o), a0)
            a1 = _mm256_fmadd_ps(f16x8(w, o + 16), f16x8(x, o + 16), a1)
            a2 = _mm256_fmadd_ps(f16x8(w, o + 32), f16x8(x, o + 32), a2)
            a3 = _mm256_fmadd_ps(f16x8(w, o + 48), f16x8(x, o + 48), a3)
            j += 32
        }
        return f16Tail(GGMLMath.reduce(a0, a1, a2, a3), w, x, from: j, count)
    }

    /// `ggml_vec_dot_f16`'s leftover loop: `sum` plus the F32 products of elements `j ..< count`, in `Double`.
    @inline(__always)
    static func f16Tail(
        _ sum: Float, _ w: UnsafeRawPointer, _ x: UnsafeRawPointer, from j: Int, _ count: Int
    ) -> Float {
        var total = Double(sum)
        for i in j..<count { total += Double(half(w, 2 * i) * half(x, 2 * i)) }  // i < count
        return Float(total)
    }

    /// The 8 F16s at byte `offset` widened to F32 (F16C).
    @inline(__always) static func f16x8(_ p: UnsafeRawPointer, _ offset: Int) -> __m256 {
        _mm256_cvtph_ps(p.loadUnaligned(fromByteOffset: offset, as: __m128i.self))
    }

    /// BF16 · BF16 in `ggml_vec_dot_bf16`'s order (see `DotScalar.bf16`, same bits): four 8-lane FMA chains,
    /// combined (a0 + a2) + (a1 + a3), summed by llamafile's `hsum`, and a `Double` tail.
    public static func bf16(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        var a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0
        let body = count & ~31
        var j = 0
        while j < body {  // elements j ..< j+32 are inside both rows
            let o = 2 * j
            a0 = _mm256_fmadd_ps(bf16x8(w, o), bf16x8(x, o), a0)
            a1 = _mm256_fmadd_ps(bf16x8(w, o + 16), bf16x8(x, o + 16), a1)
            a2 = _mm256_fmadd_ps(bf16x8(w, o + 32), bf16x8(x, o + 32), a2)
            a3 = _mm256_fmadd_ps(bf16x8(w, o + 48), bf16x8(x, o + 48), a3)
            j += 32
        }
        var sum = 0.0  // as ggml: a zeroed double plus the vector sum (−0 becomes +0)
        sum += Double(GGMLBF16.hsum((a0 + a2) + (a1 + a3)))
        while j < count {
            let p = BFloat16.toFloat(w.loadUnaligned(fromByteOffset: 2 * j, as: UInt16.self))
            sum += Double(p * BFloat16.toFloat(x.loadUnaligned(fromByteOffset: 2 * j, as: UInt16.self)))
            j += 1
        }
        return Float(sum)
    }

    /// The 8 BF16s at byte `offset` widened to F32 (a 16-bit left shift of each).
    @inline(__always) static func bf16x8(_ p: UnsafeRawPointer, _ offset: Int) -> __m256 {
        let wide = _mm256_cvtepu16_epi32(p.loadUnaligned(fromByteOffset: offset, as: __m128i.self))
        return unsafeBitCast(_mm256_slli_epi32(wide, 16), to: __m256.self)
    }
}
#endif
