#if arch(x86_64)
import _Builtin_intrinsics.intel

/// AVX2 ternary dot products (same contracts as `DotScalar.tq1_0`, `.tq2_0`, `.i2_s`).
///
/// Codes c ∈ 0…3 are used unsigned with `maddubs` (c·q fits: 2·3·127 per pair, 8 pairs per 16-bit lane) and the
/// −1 offset comes off once per block as Σq: for Q8_K the 16 bsums, for I8 the row's Σq.
///
/// Summation order follows ggml-cpu's x86 `ggml_vec_dot_tq*_q8_K`: int32 lane i of a block holds the products of
/// bytes 4i…4i+3 of every 32-element chunk minus bsums 2i and 2i+1; lanes are scaled by d_x·d_w and accumulated
/// with one FMA per block, then summed as a tree. Rows therefore round exactly as llama.cpp's do.
extension DotAVX2 {
    /// (q·3) >> 8 for every unsigned byte q: the top base-3 digit of a TQ1_0 byte already scaled by 3ⁿ.
    /// `avg(a, avg(a, 0))` is ⌈(3a + 1)/4⌉-style rounding of a·3/4 in 9 bits; with a = q − 1 (saturating) the top
    /// two bits equal ⌊3q / 256⌋ for all 256 inputs (checked exhaustively in the tests).
    @inline(__always) static func topDigit(_ q: __m256i) -> __m256i {
        let a = _mm256_subs_epu8(q, _mm256_set1_epi8(1))
        let h = _mm256_avg_epu8(a, _mm256_avg_epu8(a, _mm256_setzero_si256()))
        return _mm256_and_si256(_mm256_srli_epi16(h, 6), _mm256_set1_epi8(3))
    }

    /// Bytes × 3 and × 9 modulo 256 (AVX2 has no byte multiply; × 9 = (x << 3) + x with the bits that crossed
    /// into the neighbouring byte masked off).
    @inline(__always) static func times3(_ v: __m128i) -> __m128i { _mm_add_epi8(v, _mm_add_epi8(v, v)) }
    @inline(__always) static func times9(_ v: __m128i) -> __m128i {
        _mm_add_epi8(_mm_and_si128(_mm_slli_epi16(v, 3), _mm_set1_epi8(-8)), v)
    }
    @inline(__always) static func times3(_ v: __m256i) -> __m256i { _mm256_add_epi8(v, _mm256_add_epi8(v, v)) }
    @inline(__always) static func times9(_ v: __m256i) -> __m256i {
        _mm256_add_epi8(_mm256_and_si256(_mm256_slli_epi16(v, 3), _mm256_set1_epi8(-8)), v)
    }

    /// Unsigned codes `c` · the 32 activation bytes at `xq + offset`, in 16 int16 lanes.
    @inline(__always) static func codeProducts(_ c: __m256i, _ xq: UnsafeRawPointer, _ offset: Int) -> __m256i {
        _mm256_maddubs_epi16(c, load256(xq, offset))
    }

    /// TQ1_0 · Q8_K.
    public static func tq1_0(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        sumBlocks(count / 256) { b in
            let wb = w + b * BlockLayout.tq1_0Bytes, xb = x + b * BlockLayout.q8_KBytes
            let xq = xb + 4  // the 256 int8 quants
            // Bytes 0..<32: digits 0…4 pair with elements 0, 32, …, 128 onward.
            let q0 = load256(wb, 0), q1 = times3(q0), q2 = times9(q0), q3 = times9(q1), q4 = times9(q2)
            var s = _mm256_add_epi16(codeProducts(topDigit(q0), xq, 0), codeProducts(topDigit(q1), xq, 32))
            s = _mm256_add_epi16(s, codeProducts(topDigit(q2), xq, 64))
            s = _mm256_add_epi16(s, codeProducts(topDigit(q3), xq, 96))
            s = _mm256_add_epi16(s, codeProducts(topDigit(q4), xq, 128))
            // Bytes 32..<48 (elements 160 + 16n + m) and the four qh bytes (elements 240 + 4n + m).
            let r0 = wb.loadUnaligned(fromByteOffset: 32, as: __m128i.self)
            let r1 = times3(r0), r2 = times9(r0), r3 = times9(r1), r4 = times9(r2)
            let h0 = _mm_set1_epi32(wb.loadUnaligned(fromByteOffset: 48, as: Int32.self))
            let h1 = times3(h0), h2 = times9(h0), h3 = times9(h1)
            let h = _mm_unpacklo_epi64(_mm_unpacklo_epi32(h0, h1), _mm_unpacklo_epi32(h2, h3))
            s = _mm256_add_epi16(s, codeProducts(topDigit(_mm256_set_m128i(r1, r0)), xq, 160))
            s = _mm256_add_epi16(s, codeProducts(topDigit(_mm256_set_m128i(r3, r2)), xq, 192))
            s = _mm256_add_epi16(s, codeProducts(topDigit(_mm256_set_m128i(h, r4)), xq, 224))
            let lanes = _mm256_madd_epi16(_mm256_sub_epi16(s, load256(xb, 260)), _mm256_set1_epi16(1))
            return (xb.loadUnaligned(as: Float.self) * half(wb, 52), lanes)
        }
    }

    /// TQ2_0 · Q8_K.
    public static func tq2_0(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        let mask = _mm256_set1_epi8(3)
        return sumBlocks(count / 256) { b in
            let wb = w + b * BlockLayout.tq2_0Bytes, xb = x + b * BlockLayout.q8_KBytes
            var s = _mm256_setzero_si256()
            for half in 0..<2 {  // 32 bytes of codes = elements 128·half + 32·l + m, bits 2l of byte m
                let raw = load256(wb, 32 * half), xq = xb + 4 + 128 * half
                s = _mm256_add_epi16(s, codeProducts(_mm256_and_si256(raw, mask), xq, 0))
                s = _mm256_add_epi16(s, codeProducts(_mm256_and_si256(_mm256_srli_epi16(raw, 2), mask), xq, 32))
                s = _mm256_add_epi16(s, codeProducts(_mm256_and_si256(_mm256_srli_epi16(raw, 4), mask), xq, 64))
                s = _mm256_add_epi16(s, codeProducts(_mm256_and_si256(_mm256_srli_epi16(raw, 6), mask), xq, 96))
            }
            let lanes = _mm256_madd_epi16(_mm256_sub_epi16(s, load256(xb, 260)), _mm256_set1_epi16(1))
            return (xb.loadUnaligned(as: Float.self) * half(wb, 64), lanes)
        }
    }

    /// I2_S · I8: Σ c·q in int32 over the row, minus the activation row's stored Σq, divided by its multiplier
    /// (the same integer and the same division as `DotScalar.i2_s`, so the two agree bit for bit).
    public static func i2_s(_ w: UnsafeRawPointer, _ x: UnsafeRawPointer, _ count: Int) -> Float {
        let mask = _mm256_set1_epi8(3), ones = _mm256_set1_epi16(1)
        var acc = _mm256_setzero_si256()
        for b in 0..<count / 128 {  // weight bytes 32b ..< 32b+32, activation bytes 128b ..< 128b+128
            let raw = load256(w, 32 * b), xq = x + 128 * b
            var s = codeProducts(_mm256_and_si256(_mm256_srli_epi16(raw, 6), mask), xq, 0)
            s = _mm256_add_epi16(s, codeProducts(_mm256_and_si256(_mm256_srli_epi16(raw, 4), mask), xq, 32))
            s = _mm256_add_epi16(s, codeProducts(_mm256_and_si256(_mm256_srli_epi16(raw, 2), mask), xq, 64))
            s = _mm256_add_epi16(s, codeProducts(_mm256_and_si256(raw, mask), xq, 96))
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(s, ones))
        }
        let products = Int(unsafeBitCast(acc, to: SIMD8<Int32>.self).wrappedSum())
        // Trailer of the I8 row: F32 multiplier at byte `count`, Int32 Σq at `count + 4`.
        let qsum = Int(x.loadUnaligned(fromByteOffset: count + 4, as: Int32.self))
        return Float(products - qsum) / x.loadUnaligned(fromByteOffset: count, as: Float.self)
    }
}
#endif
