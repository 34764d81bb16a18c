#if arch(x86_64)
import _Builtin_intrinsics.intel

/// AVX2 dot products for the float weight types, accumulating in four 8-lane F32 registers (as ggml-cpu's
/// F32/F16/BF16 vector paths do); elements past the last multiple of 32 are summed scalar. Contracts as
/// `DotScalar`. BF16 follows `ggml_vec_dot_bf16` bit for bit; F32 and F16 share `floatDot`, whose final reduction
/// is not yet ggml's.
extension DotAVX2 {
    /// F32 · F32.
    public static func f32(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        floatDot(w, x, count, bytesPerElement: 4, load: { p, o in p.loadUnaligned(fromByteOffset: o, as: __m256.self) },
                 scalar: { p, j in p.loadUnaligned(fromByteOffset: 4 * j, as: Float.self) })
    }

    /// F16 · F16 (activations rounded to F16), widened with F16C.
    public static func f16(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        floatDot(w, x, count, bytesPerElement: 2,
                 load: { p, o in _mm256_cvtph_ps(p.loadUnaligned(fromByteOffset: o, as: __m128i.self)) },
                 scalar: { p, j in half(p, 2 * j) })
    }

    /// BF16 · BF16 in `ggml_vec_dot_bf16`'s order (see `DotScalar.bf16`, same bits): four 8-lane FMA chains,
    /// combined (a0 + a2) + (a1 + a3) — not `floatDot`'s (a0 + a1) + (a2 + a3) — and a `Double` tail.
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

    /// Shared loop: `load(p, byteOffset)` widens 8 elements to F32, `scalar(p, j)` widens element j.
    @inline(__always)
    static func floatDot(
        _ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int, bytesPerElement: Int,
        load: (UnsafeRawPointer, Int) -> __m256, scalar: (UnsafeRawPointer, Int) -> Float
    ) -> Float {
        var a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0
        let body = count & ~31
        var j = 0
        while j < body {  // elements j ..< j+32 are inside both rows
            let o = j * bytesPerElement, s = 8 * bytesPerElement
            a0 = _mm256_fmadd_ps(load(w, o), load(x, o), a0)
            a1 = _mm256_fmadd_ps(load(w, o + s), load(x, o + s), a1)
            a2 = _mm256_fmadd_ps(load(w, o + 2 * s), load(x, o + 2 * s), a2)
            a3 = _mm256_fmadd_ps(load(w, o + 3 * s), load(x, o + 3 * s), a3)
            j += 32
        }
        var sum = hsum((a0 + a1) + (a2 + a3))
        while j < count {
            sum += scalar(w, j) * scalar(x, j)
            j += 1
        }
        return sum
    }
}
#endif
